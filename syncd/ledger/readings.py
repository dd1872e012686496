"""Taking the other reading of an ambiguous balance write (``syncd alerts resolve ID
--other-reading``).

An ``ambiguous_write`` alert's details hold ``correction``: what the ledger moves by if the
reading syncd journalled was the wrong one (the two readings differ by what the write was
worth). Taking the other reading appends a ``correction`` row of that amount on the alert's
store, moves the canonical balance by it — the next cycle writes the corrected balance to
every store — and resolves the alert, in one transaction. Nothing is rewritten.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from syncd.ledger.records import AlertKind, AlertRecord, JournalKind, JournalRecord, LedgerError
from syncd.ledger.tx import LedgerTx


def take_other_reading(tx: LedgerTx, alert_id: int, now: datetime) -> JournalRecord:
    """The correction row journalled for open ``ambiguous_write`` alert ``alert_id``.
    LedgerError naming the alert when it is missing, of another kind, or resolved."""
    alert = _ambiguous(tx, alert_id)
    assert alert.certificate_id is not None
    amount = _correction(alert)
    balance, currency = tx.balance_of(alert.certificate_id)
    after = balance + amount
    chosen = (alert.details or {}).get("reading", "?")
    row = JournalRecord(
        certificate_id=alert.certificate_id, kind=JournalKind.CORRECTION.value,
        store=alert.store, currency=currency, amount=amount, balance_after=after,
        observed_at=now,
        reason=f"ambiguous write, alert {alert_id}: a human took the reading other than {chosen!r}",
    )  # fmt: skip
    tx.append_journal([row])
    tx.update_certificate(alert.certificate_id, balance=after)
    tx.resolve_alert(alert_id, now)
    return row


def _ambiguous(tx: LedgerTx, alert_id: int) -> AlertRecord:
    alert = tx.alert_for_update(alert_id)
    if alert is None:
        raise LedgerError(f"no alert with id {alert_id}")
    if alert.kind != AlertKind.AMBIGUOUS_WRITE.value:
        raise LedgerError(
            f"alert {alert_id} is of kind {alert.kind!r}: only an ambiguous_write alert has "
            "another reading"
        )
    if alert.resolved_at is not None:
        raise LedgerError(f"alert {alert_id} is already resolved")
    if alert.certificate_id is None:
        raise LedgerError(f"alert {alert_id} names no certificate")
    return alert


def _correction(alert: AlertRecord) -> Decimal:
    raw = (alert.details or {}).get("correction")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        amount = Decimal("NaN")
    if raw is None or not amount.is_finite():
        raise LedgerError(f"alert {alert.id} carries no correction (details: {alert.details!r})")
    return amount


__all__ = ["take_other_reading"]
