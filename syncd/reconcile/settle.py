"""Settling a balance write whose outcome is unknown (DESIGN.md §5). Pure: no I/O, no clock.

A write of ``target`` was computed on ``base`` (the balance the store showed when syncd
folded it: the pre-write re-read). Its answer was lost, the process died, or the ledger failed
before the outcome was recorded. Re-reading the certificate shows ``seen``:

* ``seen == target`` — applied; ``seen == base`` — not applied (the write goes again through
  the normal re-read → fold → write of the next cycle).
* anything else is **ambiguous**: "applied, then the shopper moved ``seen − target``" and
  "not applied, then the shopper moved ``seen − base``". The two differ by
  ``|base − target|``. The platform's own evidence decides when there is some; otherwise the
  reading in which the shopper *spent* (shoppers spend far more often than they reload), and
  when both or neither are spends, the group's ``on_ambiguous`` policy.

Whatever the reading, the shopper's movement under it is journalled on that store and the
store's merge base becomes ``seen``, so the journal explains the ledger balance either way;
an ambiguous settlement raises one ``ambiguous_write`` alert whose details let a human take
the other reading (a ``correction`` of the difference).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from syncd.reconcile.balances import Ledgered, check_overdraft
from syncd.reconcile.plan import Alert, AlertKind, CertRef, JournalEntry, JournalKind
from syncd.reconcile.policy import OnAmbiguous


class Reading(StrEnum):
    """What happened to the write."""

    APPLIED = "applied"
    NOT_APPLIED = "not_applied"

    @property
    def other(self) -> Reading:
        return Reading.NOT_APPLIED if self is Reading.APPLIED else Reading.APPLIED

    @property
    def words(self) -> str:
        return "applied" if self is Reading.APPLIED else "not applied"


class Basis(StrEnum):
    """Why a settlement took its reading."""

    READ = "read"  # the store shows the target or the base (or both readings agree)
    EVIDENCE = "evidence"  # the platform's own record of the write
    ONLY_SPEND = "only_spend"  # the only reading in which the shopper spent
    POLICY = "policy"  # both or neither readings are spends: the group's on_ambiguous


_ASSUMED = {
    OnAmbiguous.ASSUME_APPLIED: Reading.APPLIED,
    OnAmbiguous.ASSUME_NOT_APPLIED: Reading.NOT_APPLIED,
}


@dataclass(frozen=True, slots=True)
class Settlement:
    """The reading taken for one write, and the figures that explain ``seen`` under both."""

    base: Decimal
    target: Decimal
    seen: Decimal
    reading: Reading
    basis: Basis

    def movement_under(self, reading: Reading) -> Decimal:
        """The shopper's movement on the store if ``reading`` is what happened (signed)."""
        return self.seen - (self.target if reading is Reading.APPLIED else self.base)

    @property
    def movement(self) -> Decimal:
        """The movement journalled: the one under the reading taken."""
        return self.movement_under(self.reading)

    @property
    def correction(self) -> Decimal:
        """What taking the other reading instead moves the ledger by."""
        return self.movement_under(self.reading.other) - self.movement

    @property
    def at_stake(self) -> Decimal:
        return abs(self.base - self.target)

    @property
    def ambiguous(self) -> bool:
        """The store's figure fits neither outcome alone, and the outcomes differ."""
        return self.base != self.target and self.seen not in (self.base, self.target)


def settle_write(
    *,
    base: Decimal,
    target: Decimal,
    seen: Decimal,
    on_ambiguous: OnAmbiguous,
    evidence: Reading | None = None,
) -> Settlement:
    """Decide what happened to a write of ``target`` over ``base`` once the store shows
    ``seen``. ``evidence``: what the platform's own record of the write says (SFCC
    ``transactions[]``, BigCommerce order transactions), when a connector can show it."""

    def taking(reading: Reading, basis: Basis) -> Settlement:
        return Settlement(base, target, seen, reading, basis)

    if evidence is not None:
        return taking(evidence, Basis.EVIDENCE)
    if seen == target or base == target:
        return taking(Reading.APPLIED, Basis.READ)
    if seen == base:
        return taking(Reading.NOT_APPLIED, Basis.READ)
    applied = taking(Reading.APPLIED, Basis.ONLY_SPEND)
    spends = [r for r in Reading if applied.movement_under(r) < 0]
    if len(spends) == 1:
        return taking(spends[0], Basis.ONLY_SPEND)
    return taking(_ASSUMED[on_ambiguous], Basis.POLICY)


@dataclass(frozen=True, slots=True)
class SettledFold:
    """What a settlement moves in the ledger: persisted together with the intent's end."""

    canonical: Decimal  # the ledger balance after the movement
    journal: tuple[JournalEntry, ...]
    alerts: tuple[Alert, ...]


def fold_settlement(
    settled: Settlement,
    *,
    cert: CertRef,
    store: str,
    currency: str,
    canonical: Decimal,
    label: str,
    key: str,
    now: datetime,
) -> SettledFold:
    """Journal the shopper's movement under the reading taken (the store's merge base then
    becomes ``settled.seen``), check for an overdraft, and alert an ambiguity.

    ``canonical``: the ledger balance now; ``label``: the certificate as messages show it
    (masked code); ``key``: what tells this write from any other (the intent).
    """
    led = Ledgered(cert, currency, canonical, now, label, [], [])
    moved = settled.movement
    if moved:
        kind = JournalKind.REDEEM if moved < 0 else JournalKind.RELOAD
        led.row(kind, store, moved, _reason(settled, store, kind))
        check_overdraft(led, spent=moved < 0)
    if settled.ambiguous:
        led.alerts.append(
            Alert(
                AlertKind.AMBIGUOUS_WRITE, store, cert, f"{AlertKind.AMBIGUOUS_WRITE}:{key}",
                _message(settled, label, store), details=_details(settled),
            )
        )  # fmt: skip
    return SettledFold(led.balance, tuple(led.rows), tuple(led.alerts))


def story(settled: Settlement, reading: Reading) -> str:
    """``reading`` in words: "applied, then spent 5.00"."""
    moved = settled.movement_under(reading)
    if not moved:
        return f"{reading.words}, nothing moved since"
    verb = "spent" if moved < 0 else "reloaded"
    return f"{reading.words}, then {verb} {abs(moved)}"


def _why(settled: Settlement) -> str:
    if settled.basis is Basis.EVIDENCE:
        return "the store's record of the write says so"
    if settled.basis is Basis.ONLY_SPEND:
        return "the only reading in which the shopper spent"
    spends = settled.movement < 0
    both = "both readings are spends" if spends else "neither reading is a spend"
    return f"{both}: the group's on_ambiguous policy"


def _reason(settled: Settlement, store: str, kind: JournalKind) -> str:
    if not settled.ambiguous:
        return f"{kind} seen on {store} when settling a write ({story(settled, settled.reading)})"
    return (
        f"{kind} on {store} after a balance write of unknown outcome: "
        f"{story(settled, settled.reading)} ({_why(settled)})"
    )


def _message(settled: Settlement, label: str, store: str) -> str:
    chosen, other = story(settled, settled.reading), story(settled, settled.reading.other)
    return (
        f"{label} on {store}: the write of {settled.target} over {settled.base} has an unknown "
        f'outcome and the store shows {settled.seen}. Journalled "{chosen}" ({_why(settled)}); '
        f'the other reading is "{other}": {settled.at_stake} at stake '
        "(`syncd alerts resolve ID --other-reading` takes it)"
    )


def _details(settled: Settlement) -> dict[str, str]:
    return {
        "base": str(settled.base),
        "target": str(settled.target),
        "seen": str(settled.seen),
        "reading": settled.reading.value,
        "basis": settled.basis.value,
        "correction": str(settled.correction),
    }
