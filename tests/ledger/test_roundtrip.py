"""Round trips through the ledger, on SQLite and (with SYNCD_TEST_PG_URL) PostgreSQL."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from syncd.ledger import (
    UNSET,
    IntentState,
    Ledger,
    LedgerError,
    LedgerTx,
    NewAlert,
    NewIntent,
)
from syncd.model import LedgerCertificate, NewCertificate, People, Status
from tests.ledger.factories import T0, add, cert, full_cert, journal, link


def test_certificate_round_trip(ledger: Ledger) -> None:
    new = full_cert()
    [cert_id] = add(ledger, new)
    view = ledger.load_view("us")
    assert view.certificates == {
        cert_id: LedgerCertificate(
            id=cert_id,
            code="GC-FULL",
            currency="USD",
            amount=Decimal("100.00"),
            balance=Decimal("75.50"),
            status=Status.PENDING,
            masked_code="****FULL",
            people=People("Ann", "ann@example.com", "Bob", "bob@example.com"),
            message="Happy birthday",
            expires_at=new.expires_at,
            origin_store="main-3dcart",
            created_at=T0,
        )
    }
    assert view.links == ()
    assert ledger.load_view("eu").certificates == {}


def test_add_certificates_returns_ids_in_order(ledger: Ledger) -> None:
    ids = add(ledger, *(cert(f"GC-{n}", balance=Decimal(n)) for n in range(50)))
    certs = ledger.load_view("us").certificates
    assert [certs[i].code for i in ids] == [f"GC-{n}" for n in range(50)]
    assert [certs[i].balance for i in ids] == [Decimal(n) for n in range(50)]


def test_code_is_unique_within_a_group_only(ledger: Ledger) -> None:
    add(ledger, cert("GC-1"))
    add(ledger, cert("GC-1"), group="eu")
    add(ledger, cert(None, masked_code="****1"), cert(None, masked_code="****2"))
    with pytest.raises(IntegrityError):
        add(ledger, cert("GC-1"))
    assert len(ledger.load_view("us").certificates) == 3


def test_update_certificate_changes_only_given_fields(ledger: Ledger) -> None:
    [cert_id] = add(ledger, full_cert())
    with ledger.transaction() as tx:
        tx.update_certificate(cert_id, balance=Decimal("-5.25"), status=Status.DISABLED)
        tx.update_certificate(cert_id, code=None, message=None, expires_at=UNSET)
    after = ledger.load_view("us").certificates[cert_id]
    expected = replace(
        _as_ledger(full_cert(), cert_id),
        balance=Decimal("-5.25"),
        status=Status.DISABLED,
        code=None,
        message=None,
    )
    assert after == expected


def test_update_certificate_people_and_unknown_id(ledger: Ledger) -> None:
    [cert_id] = add(ledger, cert())
    with ledger.transaction() as tx:
        tx.update_certificate(cert_id, people=People(to_name="Zoe"), masked_code="****9")
        with pytest.raises(LedgerError, match="no certificate with id 999"):
            tx.update_certificate(999, balance=Decimal(1))
    after = ledger.load_view("us").certificates[cert_id]
    assert (after.people, after.masked_code) == (People(to_name="Zoe"), "****9")


def test_links_insert_then_replace(ledger: Ledger) -> None:
    [a, b] = add(ledger, cert("A"), cert("B"))
    seen = T0 + timedelta(minutes=5)
    with ledger.transaction() as tx:
        tx.upsert_links([link(a, "bc", "1"), link(a, "sfcc", "m-1"), link(b, "bc", "2")])
    with ledger.transaction() as tx:
        tx.upsert_links(
            [link(a, "bc", "1", last_balance=Decimal("20.00"), version="v2", last_seen_at=seen)]
        )
    links = {(x.certificate_id, x.store): x for x in ledger.load_view("us").links}
    assert len(links) == 3
    assert links[a, "bc"] == link(
        a, "bc", "1", last_balance=Decimal("20.00"), version="v2", last_seen_at=seen
    )
    assert links[a, "sfcc"] == link(a, "sfcc", "m-1")


def test_link_fields_round_trip(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A", currency="JPY", amount=Decimal(5000), balance=Decimal(5000)))
    original = link(
        a,
        "bc",
        "",
        last_balance=None,
        last_status=None,
        deleted=True,
        unmirrorable="currency JPY not held by this store",
    )
    with ledger.transaction() as tx:
        tx.upsert_links([original])
    assert ledger.load_view("us").links == (original,)


def test_remote_id_unique_per_store_except_empty(ledger: Ledger) -> None:
    [a, b] = add(ledger, cert("A"), cert("B"))
    with ledger.transaction() as tx:
        tx.upsert_links([link(a, "bc", ""), link(b, "bc", ""), link(a, "3d", "X")])
        tx.upsert_links([link(b, "3d2", "X")])  # same id on another store is fine
    with pytest.raises(IntegrityError), ledger.transaction() as tx:
        tx.upsert_links([link(b, "3d", "X")])


def test_link_for_unknown_certificate_is_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="no certificate with id 42"), ledger.transaction() as tx:
        tx.upsert_links([link(42)])


def test_mark_link_deleted(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    with ledger.transaction() as tx:
        tx.upsert_links([link(a, "bc", "1")])
        tx.mark_link_deleted(a, "bc")
        with pytest.raises(LedgerError, match="'sfcc'"):
            tx.mark_link_deleted(a, "sfcc")
    assert ledger.load_view("us").links == (link(a, "bc", "1", deleted=True),)


def test_journal_round_trip_in_order(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    with ledger.transaction() as tx:
        cycle = tx.start_cycle("us", T0)
        tx.append_journal(
            [
                journal(a, "50.00", "50.00", kind="issue", store="3d", cycle_id=cycle),
                journal(a, "-12.5", "37.50", reason="redeemed on bc", cycle_id=cycle),
                journal(
                    a,
                    "0",
                    "37.50",
                    kind="status",
                    store=None,
                    status_from=Status.ACTIVE,
                    status_to=Status.DISABLED,
                ),
            ]
        )
    detail = ledger.certificate_by_code("us", "A")
    assert detail is not None
    rows = detail.journal
    assert [r.kind for r in rows] == ["issue", "redeem", "status"]
    assert [r.amount for r in rows] == [Decimal("50.00"), Decimal("-12.50"), Decimal("0.00")]
    assert rows[1].reason == "redeemed on bc"
    assert rows[1].cycle_id == cycle
    assert (rows[2].status_from, rows[2].status_to, rows[2].store) == (
        Status.ACTIVE,
        Status.DISABLED,
        None,
    )
    assert all(r.id is not None and r.recorded_at is not None for r in rows)
    assert rows[0].id is not None
    assert rows[1].id is not None
    assert rows[0].id < rows[1].id


def test_journal_refuses_bad_rows(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    bad = [
        (journal(a, "1", "1", kind="refund"), "unknown journal kind 'refund'"),
        (journal(a, "1", "1", currency="EUR"), "journal row in 'EUR'"),
        (journal(a, "0.001", "1"), "not exact in USD"),
        (journal(7, "1", "1"), "no certificate with id 7"),
    ]
    for row, message in bad:
        with pytest.raises(LedgerError, match=message), ledger.transaction() as tx:
            tx.append_journal([row])
    detail = ledger.certificate_by_code("us", "A")
    assert detail is not None
    assert detail.journal == ()


def test_journal_has_no_update_or_delete_api() -> None:
    names = [name for name, _ in inspect.getmembers(LedgerTx) if "journal" in name]
    assert names == ["append_journal"]


def test_intents_round_trip(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    new = NewCertificate(code="A", currency="USD", amount=Decimal(50), balance=Decimal("50.00"))
    with ledger.transaction() as tx:
        cycle = tx.start_cycle("us", T0)
        ids = tx.add_intents(
            [
                NewIntent(
                    group="us",
                    store="bc",
                    certificate_id=a,
                    action="create",
                    payload={"certificate": new},
                    cycle_id=cycle,
                ),
                NewIntent(
                    group="us",
                    store="3d",
                    certificate_id=a,
                    action="update",
                    payload={"balance": Decimal("37.50"), "status": Status.ACTIVE},
                ),
            ]
        )
    intents = ledger.unfinished_intents("us")
    assert [i.id for i in intents] == ids
    first, second = intents
    assert first.payload == {
        "certificate": {
            "code": "A",
            "currency": "USD",
            "amount": "50",
            "balance": "50.00",
            "status": "active",
            "people": {"to_name": None, "to_email": None, "from_name": None, "from_email": None},
            "message": None,
            "expires_at": None,
        }
    }
    assert second.payload == {"balance": "37.50", "status": "active"}
    assert (first.state, first.attempts, first.cycle_id, first.action) == (
        "pending",
        0,
        cycle,
        "create",
    )
    assert ledger.unfinished_intents("eu") == []


def test_intent_states_and_attempts(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    with ledger.transaction() as tx:
        [i1, i2, i3] = tx.add_intents(
            [NewIntent(group="us", store=s, certificate_id=a, action="update") for s in "xyz"]
        )
        tx.set_intent_state(i1, "sent")
        tx.set_intent_state(i1, "sent")  # a retry
        tx.set_intent_state(i1, "done")
        tx.set_intent_state(i2, "sent")
        tx.set_intent_state(i2, IntentState.FAILED, error="409 conflict")
        tx.set_intent_state(i3, "sent")
    [left] = ledger.unfinished_intents("us")
    assert (left.id, left.state, left.attempts) == (i3, "sent", 1)
    with ledger.transaction() as tx:
        for intent_id, state in ((i1, "pending"), (i2, "sent")):
            with pytest.raises(LedgerError, match=f"intent {intent_id} cannot go from"):
                tx.set_intent_state(intent_id, state)
        with pytest.raises(LedgerError, match="unknown intent state 'lost'"):
            tx.set_intent_state(i3, "lost")
        with pytest.raises(LedgerError, match="no intent with id 99"):
            tx.set_intent_state(99, "done")
        tx.set_intent_state(i3, "dropped", error="already in place")
    assert ledger.unfinished_intents("us") == []


def test_an_unfinished_intents_payload_takes_new_keys_a_finished_one_none(
    ledger: Ledger,
) -> None:
    """A two-step write records its step on its own intent; a finished intent is final."""
    [a] = add(ledger, cert("A"))
    with ledger.transaction() as tx:
        [i1, i2] = tx.add_intents(
            [
                NewIntent(group="us", store=s, certificate_id=a, action="update",
                          payload={"balance": Decimal("5.00")})
                for s in "xy"
            ]
        )  # fmt: skip
        tx.set_intent_state(i1, "sent")
        tx.merge_intent_payload(i1, {"recreate": {"step": "delete", "at": Decimal("5.00")}})
        tx.merge_intent_payload(i1, {"recreate": {"step": "create"}})
        tx.set_intent_state(i2, "dropped")
    [left] = ledger.unfinished_intents("us")
    assert (left.id, left.state) == (i1, "sent")
    assert left.payload == {"balance": "5.00", "recreate": {"step": "create"}}
    with ledger.transaction() as tx:
        with pytest.raises(LedgerError, match=f"intent {i2} is dropped: its payload is final"):
            tx.merge_intent_payload(i2, {"recreate": {}})
        with pytest.raises(LedgerError, match="no intent with id 99"):
            tx.merge_intent_payload(99, {})
        with pytest.raises(LedgerError, match=r"float 0\.5"):
            tx.merge_intent_payload(i1, {"x": 0.5})


def test_intent_payload_refuses_floats_and_bad_actions(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    cases = [
        (
            NewIntent(
                group="us", store="x", certificate_id=a, action="update", payload={"balance": 0.1}
            ),
            "float 0.1",
        ),
        (
            NewIntent(group="us", store="x", certificate_id=a, action="debit"),
            "unknown intent action 'debit'",
        ),
    ]
    for intent, message in cases:
        with pytest.raises(LedgerError, match=message), ledger.transaction() as tx:
            tx.add_intents([intent])


def test_alerts_deduplicate_while_open(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A"))
    alert = NewAlert(kind="overdraft", group="us", certificate_id=a, message="-5.00 USD")
    with ledger.transaction() as tx:
        first = tx.raise_alert(alert, T0)
        again = tx.raise_alert(replace(alert, message="-7.00 USD"), T0 + timedelta(minutes=5))
        other_key = tx.raise_alert(replace(alert, key="k2"), T0)
        with_store = tx.raise_alert(replace(alert, store="bc"), T0)
        other_group = tx.raise_alert(replace(alert, group="eu"), T0)
    assert first == again
    assert len({first, other_key, with_store, other_group}) == 4
    [opened, *_] = ledger.open_alerts("us")
    assert (opened.id, opened.count, opened.message) == (first, 2, "-7.00 USD")
    assert (opened.first_seen, opened.last_seen) == (T0, T0 + timedelta(minutes=5))
    assert len(ledger.open_alerts("us")) == 3
    assert len(ledger.open_alerts()) == 4


def test_resolved_alert_reopens_as_a_new_one(ledger: Ledger) -> None:
    alert = NewAlert(kind="auth", group="us", store="bc", message="401")
    with ledger.transaction() as tx:
        first = tx.raise_alert(alert, T0)
    assert ledger.resolve_alert(first) is True
    assert ledger.resolve_alert(first) is False
    assert ledger.resolve_alert(12345) is False
    assert ledger.open_alerts() == []
    with ledger.transaction() as tx:
        second = tx.raise_alert(alert, T0)
    assert second != first
    assert [(x.id, x.count) for x in ledger.open_alerts()] == [(second, 1)]


def test_unknown_alert_kind_is_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="unknown alert kind 'oops'"), ledger.transaction() as tx:
        tx.raise_alert(NewAlert(kind="oops", group="us", message="m"), T0)


def test_cycles_round_trip(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        ids = [tx.start_cycle("us", T0 + timedelta(minutes=n)) for n in range(3)]
        eu = tx.start_cycle("eu", T0 + timedelta(hours=1))
        tx.finish_cycle(ids[0], T0 + timedelta(seconds=3), "converged", {"writes": 0}, "quiet")
        tx.finish_cycle(
            ids[1],
            T0 + timedelta(minutes=1, seconds=2),
            "alerts",
            {"writes": 4, "alerts": 1},
            "1 overdraft",
        )
    cycles = ledger.last_cycles("us")
    assert [c.id for c in cycles] == list(reversed(ids))
    assert (cycles[0].finished_at, cycles[0].outcome, cycles[0].counts) == (None, None, {})
    assert (cycles[1].outcome, cycles[1].counts, cycles[1].summary) == (
        "alerts",
        {"writes": 4, "alerts": 1},
        "1 overdraft",
    )
    assert cycles[2].finished_at == T0 + timedelta(seconds=3)
    assert [c.id for c in ledger.last_cycles(limit=2)] == [eu, ids[2]]


def test_finish_cycle_refuses_bad_values(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        cycle = tx.start_cycle("us", T0)
    cases = [
        (cycle, "exploded", {}, "unknown cycle outcome 'exploded'"),
        (cycle, "converged", {"writes": 1.5}, "must be integers"),
        (999, "converged", {}, "no cycle with id 999"),
    ]
    for cycle_id, outcome, counts, message in cases:
        with pytest.raises(LedgerError, match=message), ledger.transaction() as tx:
            tx.finish_cycle(cycle_id, T0, outcome, counts, "")


def test_failed_transaction_writes_nothing(ledger: Ledger) -> None:
    def crash_half_way() -> None:
        with ledger.transaction() as tx:
            [a] = tx.add_certificates("us", [cert("A")])
            tx.append_journal([journal(a, "50", "50", kind="issue")])
            tx.start_cycle("us", T0)
            raise RuntimeError("crash between steps")

    with pytest.raises(RuntimeError):
        crash_half_way()
    assert ledger.load_view("us").certificates == {}
    assert ledger.last_cycles() == []


def test_certificate_by_code(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A", masked_code="****A"))
    [sf] = add(ledger, cert(None, masked_code="****7777", origin_store="sfcc"))
    add(ledger, cert("A"), group="eu")
    with ledger.transaction() as tx:
        tx.upsert_links([link(a, "bc", "1"), link(a, "3d", "A")])
    detail = ledger.certificate_by_code("us", "A")
    assert detail is not None
    assert (detail.group, detail.certificate.id) == ("us", a)
    assert [x.store for x in detail.links] == ["3d", "bc"]
    masked = ledger.certificate_by_code(None, "****7777")
    assert masked is not None
    assert masked.certificate.id == sf
    assert ledger.certificate_by_code("us", "nope") is None
    with pytest.raises(LedgerError, match=r"more than one certificate \(groups: \['eu', 'us'\]\)"):
        ledger.certificate_by_code(None, "A")


def test_liability_sums_positive_balances_per_currency(ledger: Ledger) -> None:
    add(
        ledger,
        cert("A", balance=Decimal("0.10")),
        cert("B", balance=Decimal("0.20")),
        cert("C", balance=Decimal("-3.00")),
        cert("D", currency="JPY", amount=Decimal(500), balance=Decimal(500)),
    )
    add(ledger, cert("A", balance=Decimal("1.00")), group="eu")
    assert ledger.liability() == {"JPY": Decimal("500"), "USD": Decimal("1.30")}
    assert ledger.liability("us") == {"JPY": Decimal("500"), "USD": Decimal("0.30")}
    assert str(ledger.liability("us")["USD"]) == "0.30"


def _as_ledger(new: object, cert_id: int) -> LedgerCertificate:
    from syncd.ledger import NewLedgerCertificate

    assert isinstance(new, NewLedgerCertificate)
    return LedgerCertificate(
        id=cert_id,
        code=new.code,
        currency=new.currency,
        amount=new.amount,
        balance=new.balance,
        status=new.status,
        masked_code=new.masked_code,
        people=new.people,
        message=new.message,
        expires_at=new.expires_at,
        origin_store=new.origin_store,
        created_at=new.created_at,
    )
