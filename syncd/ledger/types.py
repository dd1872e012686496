"""Column types that keep money exact and times in UTC on SQLite and PostgreSQL alike.

Money is stored as a **fixed-point integer**: the amount × 10⁴ in a BIGINT, on every backend.
SQLite's NUMERIC affinity would store a REAL and lose precision, and a per-backend type would
make the two backends behave differently; an integer is exact, sortable and summable in SQL
(``SUM`` stays exact) on both. Four places cover every ISO 4217 minor unit (at most 3). A value
that does not fit exactly in four places, or beyond the BIGINT (:data:`syncd.limits.MONEY_MAX`),
is refused, never rounded. Values come back as
``Decimal`` with four places; the row mappers quantise them to the certificate's currency
(:func:`syncd.money.quantize`), so ``Decimal('1000.00')`` comes out for USD.

Times must be timezone-aware; they are stored in UTC (SQLite keeps them naive, in UTC) and
always come back timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from syncd.ledger.records import LedgerError
from syncd.limits import MONEY_SCALE, money_problem

_FACTOR = Decimal(10) ** MONEY_SCALE

# An auto-incrementing BIGINT key on PostgreSQL; SQLite only auto-increments INTEGER keys.
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


def to_fixed(value: object) -> int:
    """``value`` (Decimal, int or numeric string; never float) × 10⁴, exactly."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise LedgerError(f"not an exact amount of money: {value!r}")
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise LedgerError(f"not an amount of money: {value!r}") from None
    if not amount.is_finite():
        raise LedgerError(f"not an amount of money: {value!r}")
    problem = money_problem(amount)
    if problem is not None:
        raise LedgerError(problem)
    scaled = amount * _FACTOR
    if scaled != scaled.to_integral_value():
        raise LedgerError(f"amount {value!r} has more than {MONEY_SCALE} decimal places")
    return int(scaled)


def from_fixed(value: int | Decimal) -> Decimal:
    """The Decimal a stored fixed-point integer stands for (four decimal places)."""
    return Decimal(int(value)).scaleb(-MONEY_SCALE)


class FixedPointMoney(TypeDecorator[Decimal]):
    """Money as BIGINT × 10⁴ (see the module docstring)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else to_fixed(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_fixed(value)


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is refused (it would be a guess)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise LedgerError(f"not a timezone-aware datetime: {value!r}")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite, which drops the zone, stores naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = to_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
