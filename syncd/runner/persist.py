"""Ledger writes of a cycle. Synchronous: the runner calls them on its one ledger thread.

:func:`store_plan` records a whole plan in ONE transaction before any remote write (§5);
every later step of an intent is its own small transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from syncd.ledger import (
    IntentState,
    JournalRecord,
    Ledger,
    LedgerTx,
    NewAlert,
    NewIntent,
    NewLedgerCertificate,
)
from syncd.model import LedgerLink
from syncd.reconcile import Alert, CertificateDraft, CertRef, JournalEntry, NewKey, Plan
from syncd.reconcile.settle import SettledFold
from syncd.runner.codec import intent_of

Resolve = Callable[[CertRef], int]


@dataclass(frozen=True, slots=True)
class Stored:
    """What :func:`store_plan` allocated: the cycle, the new certificates' ids, the intents."""

    cycle_id: int
    new_ids: dict[NewKey, int]
    intent_ids: list[int]  # aligned with ``plan.actions``

    def resolve(self, ref: CertRef) -> int:
        return self.new_ids[ref] if isinstance(ref, NewKey) else ref


def store_plan(ledger: Ledger, group: str, plan: Plan, started_at: datetime) -> Stored:
    """The cycle row and the whole plan, in one transaction (a held plan: only its alerts)."""
    with ledger.transaction() as tx:
        cycle_id = tx.start_cycle(group, started_at)
        if plan.held:
            raise_alerts(tx, group, plan.alerts, _existing, started_at)
            return Stored(cycle_id, {}, [])
        ids = tx.add_certificates(group, (_draft(d) for d in plan.new_certificates))
        stored = Stored(
            cycle_id, {d.key: i for d, i in zip(plan.new_certificates, ids, strict=True)}, []
        )
        for u in plan.certificate_updates:
            tx.update_certificate(u.cert_id, balance=u.balance, status=u.status, code=u.code)
        tx.upsert_links(lu.to_link(stored.resolve(lu.cert)) for lu in plan.link_updates)
        tx.append_journal(journal_records(plan.journal, stored.resolve, cycle_id))
        intents = (intent_of(a, group, stored.resolve(a.cert), cycle_id) for a in plan.actions)
        stored.intent_ids.extend(tx.add_intents(intents))
        raise_alerts(tx, group, plan.alerts, stored.resolve, started_at)
        return stored


def _existing(ref: CertRef) -> int:
    if isinstance(ref, NewKey):
        raise ValueError(f"a held plan cannot refer to a new certificate ({ref})")
    return ref


def _draft(d: CertificateDraft) -> NewLedgerCertificate:
    return NewLedgerCertificate(
        code=d.code, currency=d.currency, amount=d.amount, balance=d.balance, status=d.status,
        masked_code=d.masked_code, people=d.people, message=d.message,
        expires_at=d.expires_at, origin_store=d.origin_store, created_at=d.created_at,
    )  # fmt: skip


def journal_records(
    rows: Iterable[JournalEntry], resolve: Resolve, cycle_id: int | None
) -> list[JournalRecord]:
    return [
        JournalRecord(
            certificate_id=resolve(j.cert),
            kind=j.kind.value,
            store=j.store,
            currency=j.currency,
            amount=j.amount,
            balance_after=j.balance_after,
            observed_at=j.observed_at,
            status_from=j.status_from,
            status_to=j.status_to,
            reason=j.reason,
            cycle_id=cycle_id,
        )
        for j in rows
    ]


def raise_alerts(
    tx: LedgerTx, group: str, alerts: Sequence[Alert], resolve: Resolve, now: datetime
) -> None:
    for a in alerts:
        cert = None if a.cert is None else resolve(a.cert)
        new = NewAlert(kind=a.kind.value, group=group, message=a.message, store=a.store,
                       certificate_id=cert, key=a.key, details=a.details)  # fmt: skip
        tx.raise_alert(new, now)


def raise_alert(ledger: Ledger, alert: NewAlert, now: datetime) -> None:
    with ledger.transaction() as tx:
        tx.raise_alert(alert, now)


def mark_sent(ledger: Ledger, intent_id: int) -> None:
    with ledger.transaction() as tx:
        tx.set_intent_state(intent_id, IntentState.SENT.value)


def record_done(ledger: Ledger, intent_id: int, link: LedgerLink | None) -> None:
    """The write took effect: the link records what was written or read back."""
    record_outcome(ledger, intent_id, link, IntentState.DONE, None)


def record_outcome(
    ledger: Ledger, intent_id: int, link: LedgerLink | None, state: IntentState, error: str | None
) -> None:
    """An intent's end and the link it leaves behind, in one transaction."""
    with ledger.transaction() as tx:
        if link is not None:
            tx.upsert_links([link])
        tx.set_intent_state(intent_id, state.value, error=error)


def record_step(ledger: Ledger, intent_id: int, changes: Mapping[str, Any]) -> None:
    """A two-step write moved on: its step, in its own transaction, before the next step."""
    with ledger.transaction() as tx:
        tx.merge_intent_payload(intent_id, changes)


def record_finished(ledger: Ledger, intent_id: int, state: IntentState, error: str | None) -> None:
    """Dropped (re-planned next cycle) or failed (a store refused it)."""
    with ledger.transaction() as tx:
        tx.set_intent_state(intent_id, state.value, error=error)


@dataclass(frozen=True, slots=True)
class Fold:
    """A re-read that moved a balance write: everything persisted before the write (§5)."""

    cert_id: int
    canonical: Decimal
    moved: bool  # money moved since the listing (else only the target changed)
    journal: list[JournalRecord]
    alerts: Sequence[Alert]
    link: LedgerLink | None  # base = the re-read value
    replacement: NewIntent  # the same write, retargeted


def record_fold(ledger: Ledger, group: str, intent_id: int, fold: Fold, now: datetime) -> int:
    """Journal the movement, move the ledger, rebase the link, supersede the intent by one
    carrying the new target (marked sent: the write follows). Returns the new intent's id."""
    with ledger.transaction() as tx:
        if fold.moved:
            tx.append_journal(fold.journal)
            tx.update_certificate(fold.cert_id, balance=fold.canonical)
            if fold.link is not None:
                tx.upsert_links([fold.link])
        raise_alerts(tx, group, fold.alerts, lambda _ref: fold.cert_id, now)
        tx.set_intent_state(intent_id, IntentState.DROPPED.value, error="superseded after re-read")
        (new_id,) = tx.add_intents([fold.replacement])
        tx.set_intent_state(new_id, IntentState.SENT.value)
        return new_id


@dataclass(frozen=True, slots=True)
class Ending:
    """How an intent whose outcome was unknown ends once re-checked (§5): its state, the link
    it leaves, and — for a settled balance write — the movement journalled and its alerts."""

    cert_id: int
    state: IntentState
    link: LedgerLink | None
    error: str | None = None
    settled: SettledFold | None = None


def record_ending(
    ledger: Ledger, group: str, intent_id: int, ending: Ending, cycle_id: int | None,
    now: datetime,
) -> None:  # fmt: skip
    """The settlement's movement, the ledger balance, the link, its alerts and the intent's
    end, in one transaction."""
    settled, cert_id = ending.settled, ending.cert_id
    with ledger.transaction() as tx:
        if settled is not None and settled.journal:
            tx.append_journal(journal_records(settled.journal, lambda _ref: cert_id, cycle_id))
            tx.update_certificate(cert_id, balance=settled.canonical)
        if ending.link is not None:
            tx.upsert_links([ending.link])
        if settled is not None:
            raise_alerts(tx, group, settled.alerts, lambda _ref: cert_id, now)
        tx.set_intent_state(intent_id, ending.state.value, error=ending.error)


def finish_cycle(
    ledger: Ledger,
    cycle_id: int,
    finished_at: datetime,
    outcome: str,
    counts: dict[str, int],
    summary: str,
) -> None:
    with ledger.transaction() as tx:
        tx.finish_cycle(cycle_id, finished_at, outcome, counts, summary)
