"""Loading certificates and links fast: a group's view may hold 100k certificates × 3 stores.

Rows are fetched as the driver's plain tuples, a chunk at a time (:func:`_chunks`), with the
money and time columns *not* run through their TypeDecorators (one Python call per value);
instead every distinct raw value is converted once and memoised (:class:`_Memo`) — balances,
statuses, people, names and observation times repeat a lot, and a link shares its
certificate's id object — and records are built by :func:`_certificate` and :func:`_link`.
The result is the same as the TypeDecorators and the dataclasses' constructors give: exact
Decimals quantised to the currency, timezone-aware UTC datetimes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
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

from syncd.fastbuild import slot_builder
from syncd.ledger import tables
from syncd.ledger.types import FixedPointMoney, UTCDateTime, from_fixed
from syncd.model import LedgerCertificate, LedgerLink, People, Status
from syncd.money import quantum

# Rows per fetch. Fetching everything at once held 300k row tuples (and their values) on top
# of the records built from them: ~90 MB more peak RSS at 100k certificates, which pymalloc
# mostly keeps afterwards. Chunks of a few thousand rows cost no measurable time.
CHUNK_ROWS = 2_000


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
    Reference counting still frees memory meanwhile.

    On the way out every tracked object moves to the oldest generation (``gc.freeze()`` then
    ``gc.unfreeze()``, which puts them back there, as documented). Otherwise the first
    allocation after re-enabling would collect the young generation — all of the records,
    0.15 s at 100k certificates — and a later middle-generation collection would walk them
    again, though they outlive the cycle anyway. Whatever else is young at that moment is
    promoted too: a garbage cycle among it waits for the next full collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _sqlite_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def _pg_time(raw: datetime) -> datetime:
    return raw.astimezone(UTC)


def _same(raw: str) -> str:
    return raw


class _Converters:
    """Memos for one load (money per currency, times, statuses, people, names)."""

    def __init__(self, dialect: str) -> None:
        self.time = _Memo(_sqlite_time if dialect == "sqlite" else _pg_time)
        self.status = _Memo(Status)
        self.people = _Memo(lambda key: People(*key))
        # store names and currencies: one string object per distinct value, not one per row
        self.name = _Memo(_same)
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


def _chunks(conn: Connection, query: Select[Any]) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of ``query``, :data:`CHUNK_ROWS` at a time, never all at once.

    SQLite: the DBAPI's own row tuples (its cursor steps through the result as it is read).
    At this size SQLAlchemy's Row objects would cost up to a tenth of the load; nothing is skipped
    because the columns are coerced (:func:`_raw`) to types without result processing, and
    the caller converts the values. ``stream_results`` is switched off explicitly: with it,
    SQLAlchemy reads ahead from the cursor and those rows would be missed here.

    PostgreSQL: a server-side cursor (``stream_results``), or libpq would hold the whole
    result while it is read (~60 MB more RSS at 100k certificates); SQLAlchemy reads ahead
    from such a cursor, so its own partitions are used (Rows unpack like tuples).
    """
    if conn.dialect.supports_server_side_cursors:
        options = {"stream_results": True, "yield_per": CHUNK_ROWS}
        with conn.execute(query, execution_options=options) as result:
            yield from result.partitions()
        return
    with conn.execute(query, execution_options={"stream_results": False}) as result:
        cursor = result.cursor
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield rows


def certificates(conn: Connection, where: ColumnElement[bool]) -> dict[int, LedgerCertificate]:
    """Certificates matching ``where`` (on ``tables.certificates``), by id, in id order."""
    dialect = conn.dialect.name
    table = tables.certificates
    query = select(*(_raw(table.c[name], dialect) for name in _CERT_COLUMNS)).where(where)
    conv = _Converters(dialect)
    time, people, status, name, moneys = conv.time, conv.people, conv.status, conv.name, conv.money
    found: dict[int, LedgerCertificate] = {}
    for rows in _chunks(conn, query.order_by(table.c.id)):
        for row in rows:
            (id_, code, cur, amt, bal, st, masked, tn, te, fn, fe, msg, exp, origin, at) = row
            money = moneys[cur]
            found[id_] = _certificate(
                id_,
                code,
                name[cur],
                money[amt],
                money[bal],
                status[st],
                masked,
                people[tn, te, fn, fe],
                msg,
                time[exp],
                name[origin],
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
    time, status, name, moneys = conv.time, conv.status, conv.name, conv.money
    found: list[LedgerLink] = []
    append = found.append
    for rows in _chunks(conn, query):
        for cert_id, store, remote_id, bal, st, ver, seen, gone, why in rows:
            cert = certs[cert_id]
            append(
                _link(
                    cert.id,  # the certificate's int object: one per certificate, not per link
                    name[store],
                    remote_id,
                    moneys[cert.currency][bal],
                    status[st],
                    ver,
                    time[seen],
                    bool(gone),
                    why,
                )
            )
    return tuple(found)


# -- records without their constructors ---------------------------------------------------
#
# The frozen dataclasses' ``__init__`` sets each field through ``object.__setattr__``, which
# at 400k records is most of the load's Python time; syncd/fastbuild.py builds them in a
# fraction of it. One argument per field, in field order.

_certificate: Callable[
    [
        int,  # id
        str | None,  # code
        str,  # currency
        Decimal,  # amount
        Decimal,  # balance
        Status,  # status
        str | None,  # masked_code
        People,  # people
        str | None,  # message
        datetime | None,  # expires_at
        str | None,  # origin_store
        datetime | None,  # created_at
    ],
    LedgerCertificate,
] = slot_builder(LedgerCertificate)

_link: Callable[
    [
        int,  # certificate_id
        str,  # store
        str,  # remote_id
        Decimal | None,  # last_balance
        Status | None,  # last_status
        str | None,  # version
        datetime | None,  # last_seen_at
        bool,  # deleted
        str | None,  # unmirrorable
    ],
    LedgerLink,
] = slot_builder(LedgerLink)
