"""The ledger: canonical certificate state, links (merge base), journal, intents, alerts and
cycles, in SQLite (default) or PostgreSQL. Synchronous (SQLAlchemy 2 Core); the async
runner calls it through ``asyncio.to_thread``. One Engine per Ledger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from syncd.ledger import convert, fastload, tables
from syncd.ledger.engine import WRITE, make_engine, upgrade
from syncd.ledger.readings import take_other_reading
from syncd.ledger.records import (
    AlertRecord,
    CertificateDetail,
    CycleRecord,
    IntentRecord,
    IntentState,
    JournalRecord,
    LedgerError,
    LedgerView,
)
from syncd.ledger.tx import LedgerTx

_UNFINISHED = (IntentState.PENDING.value, IntentState.SENT.value)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """Open with :meth:`open`; read with the query methods, write in :meth:`transaction`."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _utc_now) -> None:
        self.engine = engine
        self._clock = clock

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] = _utc_now) -> Ledger:
        """Connect to ``url`` and create or upgrade the schema (Alembic ``upgrade head``).
        ``clock`` stamps bookkeeping times (created/updated/recorded)."""
        engine = make_engine(url)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[LedgerTx]:
        """One database transaction: committed if the block succeeds, rolled back if not."""
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield LedgerTx(conn, self._clock)

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent snapshot on both backends."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # -- the planner's view ---------------------------------------------------------------

    def load_view(self, group: str) -> LedgerView:
        """Every certificate of ``group`` and every link of them (Core rows, no ORM)."""
        in_group = tables.certificates.c.group_name == group
        with self._reading() as conn, fastload.gc_paused():
            certs = fastload.certificates(conn, in_group)
            return LedgerView(certs, fastload.links(conn, in_group, certs))

    # -- reads for the CLI and the side door ----------------------------------------------

    def certificate_by_code(self, group: str | None, code: str) -> CertificateDetail | None:
        """A certificate by its code (or, failing that, its masked code), with its links and
        journal. Without ``group`` the code must be unambiguous across groups."""
        with self._reading() as conn:
            row = _find_certificate(conn, group, code)
            if row is None:
                return None
            this = tables.certificates.c.id == row.id
            certs = fastload.certificates(conn, this)
            return CertificateDetail(
                group=row.group_name,
                certificate=certs[row.id],
                updated_at=row.updated_at,
                links=fastload.links(conn, this, certs),
                journal=_journal_of(conn, row.id),
            )

    def open_alerts(self, group: str | None = None) -> list[AlertRecord]:
        table = tables.alerts
        query = select(table).where(table.c.resolved_at.is_(None)).order_by(table.c.id)
        if group is not None:
            query = query.where(table.c.group_name == group)
        with self._reading() as conn:
            return [convert.alert_out(row) for row in conn.execute(query)]

    def resolve_alert(self, alert_id: int) -> bool:
        """Mark an open alert resolved (by a human); False if no such open alert."""
        with self.transaction() as tx:
            return tx.resolve_alert(alert_id)

    def take_other_reading(self, alert_id: int) -> JournalRecord:
        """Journal the other reading of an open ``ambiguous_write`` alert and resolve it
        (:mod:`syncd.ledger.readings`); returns the correction row."""
        with self.transaction() as tx:
            return take_other_reading(tx, alert_id, self._clock())

    def unfinished_intents(self, group: str) -> list[IntentRecord]:
        """Intents of ``group`` still pending or sent (to re-check after a crash), oldest first."""
        table = tables.intents
        where = and_(table.c.group_name == group, table.c.state.in_(_UNFINISHED))
        with self._reading() as conn:
            rows = conn.execute(select(table).where(where).order_by(table.c.id))
            return [convert.intent_out(row) for row in rows]

    def last_cycles(self, group: str | None = None, limit: int = 10) -> list[CycleRecord]:
        """The most recent cycles, newest first."""
        table = tables.cycles
        query = select(table).order_by(table.c.started_at.desc(), table.c.id.desc()).limit(limit)
        if group is not None:
            query = query.where(table.c.group_name == group)
        with self._reading() as conn:
            return [convert.cycle_out(row) for row in conn.execute(query)]

    def liability(self, group: str | None = None) -> dict[str, Decimal]:
        """Σ of positive balances per currency: what the merchant owes its customers."""
        table = tables.certificates
        query = (
            select(table.c.currency, func.sum(table.c.balance).label("total"))
            .where(table.c.balance > 0)
            .group_by(table.c.currency)
            .order_by(table.c.currency)
        )
        if group is not None:
            query = query.where(table.c.group_name == group)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return {row.currency: convert.money_out(row.total, row.currency) for row in rows}


def _find_certificate(conn: Connection, group: str | None, code: str) -> Any:
    table = tables.certificates
    found = select(table.c.id, table.c.group_name, table.c.updated_at).order_by(table.c.id)
    for column in (table.c.code, table.c.masked_code):
        query = found.where(column == code)
        if group is not None:
            query = query.where(table.c.group_name == group)
        rows = conn.execute(query.limit(2)).all()
        if len(rows) > 1:
            groups = sorted({row.group_name for row in rows})
            raise LedgerError(f"{code!r} matches more than one certificate (groups: {groups})")
        if rows:
            return rows[0]
    return None


def _journal_of(conn: Connection, cert_id: int) -> tuple[JournalRecord, ...]:
    table = tables.journal
    query = select(table).where(table.c.certificate_id == cert_id).order_by(table.c.id)
    return tuple(convert.journal_out(row) for row in conn.execute(query))
