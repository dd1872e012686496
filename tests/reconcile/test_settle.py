"""Settling a balance write of unknown outcome (syncd.reconcile.settle): rule by rule, and as
laws over every base, target and figure the store may show."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.reconcile import AlertKind, JournalKind, OnAmbiguous
from syncd.reconcile.settle import Basis, Reading, Settlement, fold_settlement, settle_write
from tests.reconcile.helpers import NOW

D = Decimal
APPLIED, NOT_APPLIED = Reading.APPLIED, Reading.NOT_APPLIED
POLICIES = list(OnAmbiguous)


def _settle(
    base: str, target: str, seen: str, policy: OnAmbiguous = OnAmbiguous.ASSUME_APPLIED,
    evidence: Reading | None = None,
) -> Settlement:  # fmt: skip
    return settle_write(
        base=D(base), target=D(target), seen=D(seen), on_ambiguous=policy, evidence=evidence
    )


def _fold(s: Settlement, canonical: str = "70.00") -> tuple[Decimal, list[object], list[object]]:
    fold = fold_settlement(
        s, cert=7, store="bc", currency="USD", canonical=D(canonical), label="****0001",
        key="intent-9", now=NOW,
    )  # fmt: skip
    return fold.canonical, list(fold.journal), list(fold.alerts)


@pytest.mark.parametrize("policy", POLICIES)
def test_the_written_value_means_applied_and_the_base_not_applied(policy: OnAmbiguous) -> None:
    applied = _settle("100.00", "70.00", "70.00", policy)
    assert (applied.reading, applied.basis) == (APPLIED, Basis.READ)
    not_applied = _settle("100.00", "70.00", "100.00", policy)
    assert (not_applied.reading, not_applied.basis) == (NOT_APPLIED, Basis.READ)
    for s in (applied, not_applied):
        assert not s.ambiguous
        assert _fold(s) == (D("70.00"), [], [])  # nothing moved, nothing alerted


@pytest.mark.parametrize("policy", POLICIES)
def test_only_one_reading_a_spend_is_journalled_whatever_the_policy(policy: OnAmbiguous) -> None:
    """100 → 70, the store shows 95: "not applied, spent 5" (not "applied, reloaded 25")."""
    s = _settle("100.00", "70.00", "95.00", policy)
    assert (s.reading, s.basis, s.movement) == (NOT_APPLIED, Basis.ONLY_SPEND, D("-5.00"))
    assert s.ambiguous
    up = _settle("70.00", "100.00", "90.00", policy)  # a raise of 70 → 100 shows 90
    assert (up.reading, up.basis, up.movement) == (APPLIED, Basis.ONLY_SPEND, D("-10.00"))


def test_both_readings_spends_take_the_policy() -> None:
    """100 → 70, the store shows 65: "applied, then spent 5" or "not applied, then spent 35"."""
    applied = _settle("100.00", "70.00", "65.00", OnAmbiguous.ASSUME_APPLIED)
    assert (applied.reading, applied.basis, applied.movement) == (APPLIED, Basis.POLICY, D("-5.00"))
    assert applied.correction == D("-30.00")
    not_applied = _settle("100.00", "70.00", "65.00", OnAmbiguous.ASSUME_NOT_APPLIED)
    assert (not_applied.reading, not_applied.movement) == (NOT_APPLIED, D("-35.00"))
    assert not_applied.correction == D("30.00")


def test_neither_reading_a_spend_takes_the_policy_too() -> None:
    s = _settle("100.00", "70.00", "110.00", OnAmbiguous.ASSUME_NOT_APPLIED)
    assert (s.reading, s.basis, s.movement) == (NOT_APPLIED, Basis.POLICY, D("10.00"))


def test_the_platforms_evidence_comes_first() -> None:
    s = _settle("100.00", "70.00", "95.00", evidence=APPLIED)
    assert (s.reading, s.basis, s.movement) == (APPLIED, Basis.EVIDENCE, D("25.00"))


def test_an_ambiguous_settlement_journals_its_reading_and_alerts_both() -> None:
    s = _settle("100.00", "70.00", "65.00")
    canonical, journal, alerts = _fold(s)
    assert canonical == D("65.00")
    [row] = journal
    assert (row.kind, row.store, row.amount, row.balance_after) == (  # type: ignore[attr-defined]
        JournalKind.REDEEM, "bc", D("-5.00"), D("65.00"),
    )  # fmt: skip
    [alert] = alerts
    assert alert.kind is AlertKind.AMBIGUOUS_WRITE  # type: ignore[attr-defined]
    assert alert.key == "ambiguous_write:intent-9"  # type: ignore[attr-defined]
    message = alert.message  # type: ignore[attr-defined]
    assert "****0001 on bc" in message
    assert '"applied, then spent 5.00"' in message
    assert '"not applied, then spent 35.00"' in message
    assert "30.00 at stake" in message
    assert alert.details["correction"] == "-30.00"  # type: ignore[attr-defined]


def test_an_ambiguous_spend_below_zero_is_an_overdraft() -> None:
    s = _settle("100.00", "70.00", "65.00")
    canonical, journal, alerts = _fold(s, canonical="3.00")
    assert canonical == D("-2.00")
    assert [r.kind for r in journal] == [JournalKind.REDEEM, JournalKind.OVERDRAFT]  # type: ignore[attr-defined]
    assert {a.kind for a in alerts} == {AlertKind.AMBIGUOUS_WRITE, AlertKind.OVERDRAFT}  # type: ignore[attr-defined]


money = st.integers(min_value=0, max_value=100_000).map(lambda cents: D(cents).scaleb(-2))


@given(
    base=money, target=money, seen=money, canonical=money,
    policy=st.sampled_from(POLICIES), evidence=st.none() | st.sampled_from(list(Reading)),
)  # fmt: skip
def test_laws(
    base: Decimal, target: Decimal, seen: Decimal, canonical: Decimal, policy: OnAmbiguous,
    evidence: Reading | None,
) -> None:  # fmt: skip
    s = settle_write(base=base, target=target, seen=seen, on_ambiguous=policy, evidence=evidence)
    # the reading taken and its movement explain what the store shows, exactly
    written = target if s.reading is APPLIED else base
    assert written + s.movement == seen
    # the two readings differ by what the write was worth
    assert abs(s.correction) == abs(base - target)
    assert s.movement + s.correction == s.movement_under(s.reading.other)
    # never silently: a store figure that fits neither outcome is an alert
    new, journal, alerts = _fold(s, canonical=str(canonical))
    kinds = {a.kind for a in alerts}  # type: ignore[attr-defined]
    assert (AlertKind.AMBIGUOUS_WRITE in kinds) == s.ambiguous
    assert s.ambiguous == (base != target and seen not in (base, target))
    # value is conserved: the journal explains the ledger move, under either reading
    moved = sum((r.amount for r in journal if r.moves_ledger), D(0))  # type: ignore[attr-defined]
    assert new == canonical + moved == canonical + s.movement
    if evidence is not None:
        assert s.reading is evidence
    elif seen == target:
        assert s.reading is APPLIED
    elif seen == base:
        assert s.reading is NOT_APPLIED
    elif (seen < target) != (seen < base):
        assert s.basis is Basis.ONLY_SPEND
        assert s.movement < 0
    elif base != target:
        assert s.basis is Basis.POLICY
        assumed = APPLIED if policy is OnAmbiguous.ASSUME_APPLIED else NOT_APPLIED
        assert s.reading is assumed
