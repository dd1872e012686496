"""Rows ⇄ records. Row mappers take plain Core rows (no ORM object per row) because a group's
view can hold hundreds of thousands of them; money is quantised to the row's currency here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import Row

from syncd.ledger.records import (
    AlertRecord,
    CycleRecord,
    IntentRecord,
    JournalRecord,
    LedgerError,
    NewLedgerCertificate,
)
from syncd.ledger.types import to_fixed, to_utc
from syncd.model import People, Status
from syncd.money import MoneyError, normalise_currency, quantum

_STATUS: dict[str, Status] = {s.value: s for s in Status}


@lru_cache(maxsize=64)
def _quantum(currency: str) -> Decimal:
    return quantum(currency)


def money_out(value: Decimal, currency: str) -> Decimal:
    """A stored amount (four places) quantised to the currency; exact, never rounded away,
    because :func:`money_in` only accepted amounts exact in that currency."""
    return value.quantize(_quantum(currency))


def money_in(value: object, currency: str, what: str) -> Decimal:
    """``value`` as an exact Decimal in ``currency``'s minor unit, or a LedgerError."""
    exact = Decimal(to_fixed(value)).scaleb(-4)
    quantised = exact.quantize(_quantum(currency))
    if quantised != exact:
        raise LedgerError(f"{what} {value!r} is not exact in {currency} minor units")
    return quantised


def currency_in(value: str) -> str:
    try:
        return normalise_currency(value)
    except MoneyError as err:
        raise LedgerError(str(err)) from None


def time_in(value: datetime | None, what: str) -> datetime | None:
    """A timezone-aware time, in UTC; checked here so the LedgerError names the field."""
    if value is None:
        return None
    try:
        return to_utc(value)
    except LedgerError as err:
        raise LedgerError(f"{what}: {err}") from None


def status_out(value: str | None) -> Status | None:
    return None if value is None else _STATUS[value]


def status_in(value: Status | str | None, what: str = "status") -> str | None:
    if value is None:
        return None
    if value not in _STATUS:
        raise LedgerError(f"unknown {what} {value!r}")
    return str(value)


def certificate_params(group: str, cert: NewLedgerCertificate, now: datetime) -> dict[str, Any]:
    currency = currency_in(cert.currency)
    return {
        "group_name": group,
        "code": cert.code,
        "masked_code": cert.masked_code,
        "currency": currency,
        "amount": money_in(cert.amount, currency, "amount"),
        "balance": money_in(cert.balance, currency, "balance"),
        "status": status_in(cert.status),
        **people_params(cert.people),
        "message": cert.message,
        "expires_at": time_in(cert.expires_at, "expires_at"),
        "origin_store": cert.origin_store,
        "created_at": time_in(cert.created_at, "created_at") or now,
        "updated_at": now,
    }


def people_params(people: People) -> dict[str, str | None]:
    return {
        "to_name": people.to_name,
        "to_email": people.to_email,
        "from_name": people.from_name,
        "from_email": people.from_email,
    }


def journal_out(row: Row[Any]) -> JournalRecord:
    return JournalRecord(
        id=row.id,
        certificate_id=row.certificate_id,
        kind=row.kind,
        store=row.store,
        currency=row.currency,
        amount=money_out(row.amount, row.currency),
        balance_after=money_out(row.balance_after, row.currency),
        status_from=status_out(row.status_from),
        status_to=status_out(row.status_to),
        reason=row.reason,
        cycle_id=row.cycle_id,
        observed_at=row.observed_at,
        recorded_at=row.recorded_at,
    )


def intent_out(row: Row[Any]) -> IntentRecord:
    return IntentRecord(
        id=row.id,
        group=row.group_name,
        store=row.store,
        certificate_id=row.certificate_id,
        action=row.action,
        payload=row.payload,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        cycle_id=row.cycle_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def alert_out(row: Row[Any]) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        kind=row.kind,
        group=row.group_name,
        store=row.store,
        certificate_id=row.certificate_id,
        key=row.key,
        message=row.message,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        count=row._mapping["count"],  # Row.count is the tuple method
        resolved_at=row.resolved_at,
        details=row.details,
    )


def cycle_out(row: Row[Any]) -> CycleRecord:
    return CycleRecord(
        id=row.id,
        group=row.group_name,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        counts=dict(row.counts),
        summary=row.summary,
    )


def jsonable(value: Any) -> Any:
    """``value`` with Decimals, datetimes, enums and dataclasses made JSON-able (as strings
    and objects), so intent payloads never hold a float; anything else unknown is refused."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        raise LedgerError(f"float {value!r} in an intent payload: use Decimal")
    if value is None or isinstance(value, str | int | bool):
        return value
    raise LedgerError(f"cannot store {value!r} in an intent payload")
