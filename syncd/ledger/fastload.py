"""Loading certificates and links fast: a group's view may hold 100k certificates × 3 stores.

Rows are fetched as plain tuples, with the money and time columns *not* run through their
TypeDecorators (one Python call per value); instead every distinct raw value is converted
once and memoised (:class:`_Memo`) — balances, statuses, people and observation times repeat
a lot — and records are built positionally. The result is the same as the TypeDecorators
give: exact Decimals quantised to the currency, timezone-aware UTC datetimes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Select,
    String,
    select,
    type_coerce,
)

from syncd.ledger import tables
from syncd.ledger.types import FixedPointMoney, UTCDateTime, from_fixed
from syncd.model import LedgerCertificate, LedgerLink, People, Status
from syncd.money import quantum


class _Memo(dict[Any, Any]):
    """``memo[raw]``: ``convert(raw)``, computed once per distinct raw value; None → None."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__({None: None})
        self._convert = convert

    def __missing__(self, raw: Any) -> Any:
        value = self[raw] = self._convert(raw)
        return value


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while hundreds of thousands of (acyclic) records are
    built: each collection would walk all of them again; this saves a quarter of the time.
    Reference counting still frees memory meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sqlite_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def _pg_time(raw: datetime) -> datetime:
    return raw.astimezone(UTC)


class _Converters:
    """Memos for one load (money per currency, times, statuses, people)."""

    def __init__(self, dialect: str) -> None:
        self.time = _Memo(_sqlite_time if dialect == "sqlite" else _pg_time)
        self.status = _Memo(Status)
        self.people = _Memo(lambda key: People(*key))
        # money[currency][raw]: a memo per currency, for its quantum
        self.money = _Memo(_money_memo)


def _money_memo(currency: str) -> _Memo:
    q = quantum(currency)
    return _Memo(lambda raw: from_fixed(raw).quantize(q))


def _raw(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """``column`` without its TypeDecorator's per-value processing."""
    if isinstance(column.type, FixedPointMoney):
        return type_coerce(column, BigInteger())
    if isinstance(column.type, UTCDateTime):
        return type_coerce(column, String() if dialect == "sqlite" else DateTime(timezone=True))
    return column


_CERT_COLUMNS = (
    "id",
    "code",
    "currency",
    "amount",
    "balance",
    "status",
    "masked_code",
    "to_name",
    "to_email",
    "from_name",
    "from_email",
    "message",
    "expires_at",
    "origin_store",
    "created_at",
)
_LINK_COLUMNS = (
    "certificate_id",
    "store",
    "remote_id",
    "last_balance",
    "last_status",
    "version",
    "last_seen_at",
    "deleted",
    "unmirrorable",
)


def _tuples(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The DBAPI's own row tuples. At this size SQLAlchemy's Row objects cost as much as the
    fetch itself; nothing is skipped because the columns are coerced (:func:`_raw`) to types
    without result processing, and the values are converted here."""
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def certificates(conn: Connection, where: ColumnElement[bool]) -> dict[int, LedgerCertificate]:
    """Certificates matching ``where`` (on ``tables.certificates``), by id, in id order."""
    dialect = conn.dialect.name
    table = tables.certificates
    query = select(*(_raw(table.c[name], dialect) for name in _CERT_COLUMNS)).where(where)
    conv = _Converters(dialect)
    time, people, status, moneys = conv.time, conv.people, conv.status, conv.money
    found: dict[int, LedgerCertificate] = {}
    for row in _tuples(conn, query.order_by(table.c.id)):
        (id_, code, cur, amount, balance, st, masked, tn, te, fn, fe, msg, exp, origin, at) = row
        money = moneys[cur]
        found[id_] = LedgerCertificate(
            id_,
            code,
            cur,
            money[amount],
            money[balance],
            status[st],
            masked,
            people[tn, te, fn, fe],
            msg,
            time[exp],
            origin,
            time[at],
        )
    return found


def links(
    conn: Connection, where: ColumnElement[bool], certs: Mapping[int, LedgerCertificate]
) -> tuple[LedgerLink, ...]:
    """Links of the certificates matching ``where`` (on ``tables.certificates``); ``certs``
    holds those certificates (loaded in the same transaction) for their currencies."""
    dialect = conn.dialect.name
    link_table, cert_table = tables.links, tables.certificates
    query = (
        select(*(_raw(link_table.c[name], dialect) for name in _LINK_COLUMNS))
        .where(link_table.c.certificate_id.in_(select(cert_table.c.id).where(where)))
        .order_by(link_table.c.certificate_id, link_table.c.store)
    )
    conv = _Converters(dialect)
    time, status, money = conv.time, conv.status, conv.money
    return tuple(
        LedgerLink(
            cert_id,
            store,
            remote_id,
            money[certs[cert_id].currency][bal],
            status[st],
            ver,
            time[seen],
            bool(gone),
            why,
        )
        for (cert_id, store, remote_id, bal, st, ver, seen, gone, why) in _tuples(conn, query)
    )
