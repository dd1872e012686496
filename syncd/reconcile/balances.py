"""Balances merge by deltas (§4.3), overdrafts (§4.4), adoption (§4.8) and the re-read fold (§5).

The merge base is each link's ``last_balance``: what syncd last saw or wrote on that store. A
listing that shows a different figure means money moved there; every such delta is one
journal row and the sum of them moves the ledger. Nothing is "last writer wins".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from syncd.model import Capabilities, LedgerLink, RemoteCertificate, Status
from syncd.money import ZERO
from syncd.reconcile.plan import (
    MOVES_LEDGER,
    Alert,
    AlertKind,
    CertRef,
    Delete,
    JournalEntry,
    JournalKind,
    SetBalance,
)


def has_base(link: LedgerLink | None) -> bool:
    """A link whose last balance is a valid merge base for a delta."""
    return (
        link is not None
        and not link.deleted
        and link.unmirrorable is None
        and link.last_balance is not None
    )


@dataclass(slots=True)
class Ledgered:
    """A certificate's running ledger balance and the rows explaining it."""

    ref: CertRef
    currency: str
    balance: Decimal
    now: datetime
    label: str  # code or masked code, for messages
    rows: list[JournalEntry]
    alerts: list[Alert]

    def row(self, kind: JournalKind, store: str | None, amount: Decimal, reason: str) -> None:
        if kind in MOVES_LEDGER:
            self.balance += amount
        self.rows.append(
            JournalEntry(
                self.ref, kind, store, amount, self.balance, self.currency, reason, self.now
            )
        )

    def alert(self, kind: AlertKind, store: str | None, key: str, message: str) -> None:
        self.alerts.append(Alert(kind, store, self.ref, f"{kind}:{key}", message))


def merge_deltas(
    led: Ledgered, links: Mapping[str, LedgerLink], seen: Mapping[str, RemoteCertificate]
) -> bool:
    """Fold every store's delta into the ledger (§4.3); True if any money was spent."""
    spent = False
    for store in sorted(seen):
        link = links.get(store)
        if not has_base(link):
            continue
        assert link is not None
        assert link.last_balance is not None
        delta = seen[store].balance - link.last_balance
        if delta:
            kind = JournalKind.REDEEM if delta < 0 else JournalKind.RELOAD
            was = f"{link.last_balance} → {seen[store].balance}"
            led.row(kind, store, delta, f"{kind} seen on {store} ({was})")
            spent = spent or delta < 0
    return spent


def adopt_late(
    led: Ledgered, links: Mapping[str, LedgerLink], seen: Mapping[str, RemoteCertificate]
) -> None:
    """Copies seen on stores without a merge base (§4.8): the lowest balance wins, never more.

    A lower copy lowers the ledger (``correction``): it may be a redemption we could not see
    as a delta. A higher copy is written down (``adopt``, no ledger move). Both alert.
    """
    for store in sorted(seen):
        if has_base(links.get(store)):
            continue
        observed = seen[store].balance
        if observed == led.balance:
            continue
        why = f"{store} shows {observed}, ledger has {led.balance}: adopted the lower"
        if observed < led.balance:
            led.row(JournalKind.CORRECTION, store, observed - led.balance, why)
        else:
            led.row(JournalKind.ADOPT, store, led.balance - observed, why)
        led.alert(AlertKind.DIVERGENCE, store, f"{store}:{led.label}", f"{led.label}: {why}")


def check_overdraft(led: Ledgered, spent: bool) -> None:
    """§4.4: a negative ledger figure is kept, journalled and alerted (stores go to 0)."""
    if not spent or led.balance >= ZERO:
        return
    why = f"spent twice within one window: ledger {led.balance}, every store set to 0"
    led.row(JournalKind.OVERDRAFT, None, led.balance, why)
    led.alert(AlertKind.OVERDRAFT, None, f"{led.label}:{led.balance}", f"{led.label}: {why}")


def target_balance(balance: Decimal, status: Status, caps: Capabilities) -> tuple[Decimal, bool]:
    """(balance a store should show, whether that is a status shown as 0 — §4.4, §4.5)."""
    if not caps.has_status and not status.usable:
        return ZERO, True
    return max(balance, ZERO), False


@dataclass(frozen=True, slots=True)
class RereadFold:
    """Outcome of re-reading one certificate just before writing its balance (§5)."""

    delta: Decimal  # moved on the store since the listing (journalled in ``journal``)
    canonical: Decimal  # the ledger balance after folding it in
    target: Decimal  # what to write instead of the planned value
    write: bool  # False: the store already shows the target
    journal: tuple[JournalEntry, ...]
    alerts: tuple[Alert, ...]


def fold_reread(
    action: SetBalance | Delete,
    reread: Decimal,
    canonical: Decimal,
    currency: str,
    now: datetime,
) -> RereadFold:
    """Fold a movement that happened between the listing and the write into the ledger.

    ``action.expected`` is the listed balance (the link's last balance once the plan is
    persisted); ``canonical`` is the ledger balance now (after earlier folds of this cycle).
    The runner persists together, before writing: ``journal``, the ledger balance =
    ``canonical``, the link's last balance = ``reread``, the intent's new ``target``, and
    ``alerts``. Then it writes ``target`` if ``write`` (a Delete: deletes) and, on success,
    records ``target`` as the link's last balance.
    """
    led = Ledgered(action.cert, currency, canonical, now, f"certificate {action.cert}", [], [])
    delta = reread - action.expected
    if delta:
        kind = JournalKind.REDEEM if delta < 0 else JournalKind.RELOAD
        seen = f"re-read {reread}, listed {action.expected}"
        why = f"{kind} on {action.store} during the cycle ({seen})"
        led.row(kind, action.store, delta, why)
        check_overdraft(led, spent=delta < 0)
    if isinstance(action, Delete):
        return RereadFold(delta, led.balance, ZERO, True, tuple(led.rows), tuple(led.alerts))
    target = ZERO if action.zero else max(led.balance, ZERO)
    return RereadFold(
        delta, led.balance, target, reread != target, tuple(led.rows), tuple(led.alerts)
    )
