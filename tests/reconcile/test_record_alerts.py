"""Records set aside become alerts: one per store and record, the code masked (in the
message, and never in the key ``syncd alerts`` lists), with a key that fits its column."""

from __future__ import annotations

from dataclasses import replace

from syncd.limits import COLUMN_LENGTH
from syncd.model import RecordProblem, Snapshot
from syncd.reconcile.plan import AlertKind
from tests.reconcile.helpers import FULL, cert, link, rec, run, snap

CODE = "SECRETGIFT0042"


def problems(store: str, *found: RecordProblem) -> Snapshot:
    return replace(snap(store, complete=False), problems=found)


def test_every_problem_of_one_record_makes_one_alert_with_every_reason() -> None:
    p = run(
        [],
        [],
        [
            problems(
                "a",
                RecordProblem("a", CODE, "listed twice (listing shifted?)", is_code=True),
                RecordProblem("a", CODE, "listed twice (listing shifted?)", is_code=True),
                RecordProblem("a", CODE, "negative amount of money: -5", is_code=True),
                RecordProblem("a", "offset 7", "Balance missing"),
            )
        ],
        {"a": FULL},
    )
    assert [a.kind for a in p.alerts] == [AlertKind.MALFORMED_RECORD] * 2
    coded, other = p.alerts
    assert coded.message == (
        "a: record '**********0042' skipped: listed twice (listing shifted?); "
        "negative amount of money: -5"
    )
    assert CODE not in coded.key
    assert other.key == "malformed_record:a:offset 7"
    assert other.message == "a: record 'offset 7' skipped: Balance missing"


def test_the_same_record_gets_the_same_key_every_cycle_and_it_fits() -> None:
    long_id = "9" * 500

    def keys() -> list[str]:
        found = (
            RecordProblem("a", long_id, "id too long"),
            RecordProblem("a", "C" * 300, "code too long", is_code=True),
        )
        return [a.key for a in run([], [], [problems("a", *found)], {"a": FULL}).alerts]

    first = keys()
    assert first == keys()
    assert len(set(first)) == 2
    assert all(len(key) <= COLUMN_LENGTH for key in first)


def test_a_code_listed_on_two_records_is_alerted_masked() -> None:
    twice = [rec("b", CODE, 100, remote_id="x1"), rec("b", CODE, 50, remote_id="x2")]
    p = run([], [], [snap("b", *twice)], {"b": FULL})
    assert len(p.alerts) == 2
    for alert, rid in zip(p.alerts, ("x1", "x2"), strict=True):
        assert alert.message.startswith(f"b: record '**********0042' (id '{rid}') skipped")
        assert CODE not in alert.message


def test_a_listing_read_to_its_end_allows_creates_of_codes_no_set_aside_record_can_be() -> None:
    from syncd.reconcile.creatable import create_guards

    def listing(*problems: RecordProblem, read_to_end: bool = True) -> Snapshot:
        return Snapshot("s", (), False, "skipped", problems, read_to_end)

    plain = RecordProblem("s", "7", "negative balance", code=" Gift-1 ")
    masked = RecordProblem("s", "m1", "bad", masked_code="******AB12")
    blind = RecordProblem("s", "item 3", "not an object")
    guards = create_guards(
        {"plain": listing(plain), "masked": listing(masked), "blind": listing(blind),
         "shifted": listing(plain, read_to_end=False), "whole": Snapshot("s", (), True)},
        complete={"whole"},
    )  # fmt: skip
    assert guards["whole"].allows("GIFT-1")
    assert guards["whole"].allows(None)
    assert not guards["plain"].allows("gift-1")  # a lax store may take it for that record
    assert guards["plain"].allows("GIFT-2")
    assert not guards["plain"].allows(None)
    assert not guards["masked"].allows("XXXXXXab12")
    assert guards["masked"].allows("XXXXXXXab12")
    assert guards["masked"].allows("XXXXXXAB13")
    assert not guards["blind"].allows("ANYTHING")
    assert not guards["shifted"].allows("GIFT-2")


def test_a_held_plan_still_alerts_every_record_set_aside() -> None:
    certs = [cert(i, f"GC{i}", 100) for i in range(1, 21)]
    links = [link(i, s, f"GC{i}", 100) for i in range(1, 21) for s in "ab"]
    listed_a = [rec("a", f"GC{i}", 100) for i in range(1, 21)]
    bad = RecordProblem("a", "   ", "blank code", is_code=True)
    a = replace(snap("a", *listed_a, complete=False), problems=(bad,))
    b = snap("b", *(rec("b", f"GC{i}", 100) for i in range(1, 15)))
    p = run(certs, links, [a, b], {"a": FULL, "b": FULL})
    assert p.held
    assert not p.actions
    assert AlertKind.MALFORMED_RECORD in [x.kind for x in p.alerts]
    assert AlertKind.HELD in [x.kind for x in p.alerts]
