"""Writes: one :class:`LedgerTx` is one database transaction (commit on success, rollback on
any exception). Bulk methods use executemany; the journal has no update or delete at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Insert, Table, and_, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from syncd.ledger import convert, tables
from syncd.ledger.records import (
    AlertKind,
    AlertRecord,
    CycleOutcome,
    IntentAction,
    IntentState,
    JournalKind,
    JournalRecord,
    LedgerError,
    NewAlert,
    NewIntent,
    NewLedgerCertificate,
    checked,
)
from syncd.ledger.types import to_utc
from syncd.model import LedgerLink, People, Status


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
_IN_CHUNK = 5000  # ids per IN (...) list: well under SQLite's bound-parameter limit
_PG_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
_LINK_KEY = ["certificate_id", "store"]
_LINK_FIELDS = (
    "remote_id",
    "last_balance",
    "last_status",
    "version",
    "last_seen_at",
    "deleted",
    "unmirrorable",
    "updated_at",
)
# Leaving a finished state would rewrite history; sent → pending is a retry after a re-check.
_NEXT_STATES: dict[IntentState, frozenset[IntentState]] = {
    IntentState.PENDING: frozenset(IntentState) - {IntentState.PENDING},
    IntentState.SENT: frozenset(IntentState),
}


class LedgerTx:
    """The write API, bound to one open transaction (use ``Ledger.transaction()``)."""

    def __init__(self, conn: Connection, clock: Callable[[], datetime]) -> None:
        self._conn = conn
        self._clock = clock

    def _now(self) -> datetime:
        return to_utc(self._clock())

    # -- certificates ---------------------------------------------------------------------

    def add_certificate(self, group: str, cert: NewLedgerCertificate) -> int:
        """Insert one certificate; returns its id. A code already in the group is refused."""
        return self.add_certificates(group, [cert])[0]

    def add_certificates(self, group: str, certs: Iterable[NewLedgerCertificate]) -> list[int]:
        """Insert many certificates in one executemany; ids in the order given."""
        now = self._now()
        rows = [convert.certificate_params(group, cert, now) for cert in certs]
        return self._insert_many(tables.certificates, rows)

    def update_certificate(
        self,
        cert_id: int,
        *,
        balance: Decimal | _Unset = UNSET,
        status: Status | _Unset = UNSET,
        code: str | _Unset | None = UNSET,
        masked_code: str | _Unset | None = UNSET,
        people: People | _Unset = UNSET,
        message: str | _Unset | None = UNSET,
        expires_at: datetime | _Unset | None = UNSET,
    ) -> None:
        """Change the canonical state of one certificate; only the fields given change."""
        currency = self._currency_of(cert_id)
        values: dict[str, Any] = {"updated_at": self._now()}
        if not isinstance(balance, _Unset):
            values["balance"] = convert.money_in(balance, currency, "balance")
        if not isinstance(status, _Unset):
            values["status"] = convert.status_in(status)
        if not isinstance(people, _Unset):
            values.update(convert.people_params(people))
        given: dict[str, Any] = {"code": code, "masked_code": masked_code, "message": message}
        given["expires_at"] = (
            expires_at
            if isinstance(expires_at, _Unset)
            else convert.time_in(expires_at, "expires_at")
        )
        values.update({k: v for k, v in given.items() if not isinstance(v, _Unset)})
        table = tables.certificates
        self._conn.execute(update(table).where(table.c.id == cert_id).values(values))

    def _currency_of(self, cert_id: int) -> str:
        return self._currencies([cert_id])[cert_id]

    # -- links ----------------------------------------------------------------------------

    def upsert_links(self, links: Iterable[LedgerLink]) -> None:
        """Insert or replace links (keyed by certificate and store) in one executemany."""
        links = list(links)
        if not links:
            return
        currencies = self._currencies({link.certificate_id for link in links})
        now = self._now()
        rows = [_link_params(link, currencies[link.certificate_id], now) for link in links]
        self._conn.execute(self._link_upsert(), rows)

    def _currencies(self, cert_ids: Iterable[int]) -> dict[int, str]:
        """Currency of each certificate; an unknown id is a LedgerError naming it."""
        wanted = sorted(set(cert_ids))
        table = tables.certificates
        found: dict[int, str] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            query = select(table.c.id, table.c.currency).where(table.c.id.in_(chunk))
            found.update((row[0], row[1]) for row in self._conn.execute(query))
        missing = [cert_id for cert_id in wanted if cert_id not in found]
        if missing:
            raise LedgerError(f"no certificate with id {missing[0]}")
        return found

    def _link_upsert(self) -> Insert:
        """INSERT … ON CONFLICT (certificate_id, store) DO UPDATE, in either dialect."""
        if self._conn.dialect.name == "postgresql":
            pg = postgresql.insert(tables.links)
            return pg.on_conflict_do_update(index_elements=_LINK_KEY, set_=_link_set(pg.excluded))
        lite = sqlite.insert(tables.links)
        return lite.on_conflict_do_update(index_elements=_LINK_KEY, set_=_link_set(lite.excluded))

    def mark_link_deleted(self, cert_id: int, store: str) -> None:
        """The certificate is gone from ``store`` (its link stays, as history)."""
        table = tables.links
        where = and_(table.c.certificate_id == cert_id, table.c.store == store)
        result = self._conn.execute(
            update(table).where(where).values(deleted=True, updated_at=self._now())
        )
        if result.rowcount == 0:
            raise LedgerError(f"no link of certificate {cert_id} on store {store!r}")

    # -- journal (append only) ------------------------------------------------------------

    def append_journal(self, rows: Iterable[JournalRecord]) -> None:
        """Append journal rows in one executemany. Each row's currency must be its
        certificate's, and its amounts exact in it."""
        records = list(rows)
        if not records:
            return
        currencies = self._currencies({r.certificate_id for r in records})
        now = self._now()
        params = [_journal_params(r, currencies[r.certificate_id], now) for r in records]
        self._conn.execute(insert(tables.journal), params)

    # -- intents (outbox) -----------------------------------------------------------------

    def add_intents(self, rows: Iterable[NewIntent]) -> list[int]:
        """Store planned remote writes as ``pending``; ids in the order given."""
        now = self._now()
        params = [_intent_params(row, now) for row in rows]
        return self._insert_many(tables.intents, params)

    def _insert_many(self, table: Table, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` in one executemany; their new ids, in order.

        The ids are allocated first and sent explicitly: SQLite cannot order RETURNING rows
        (SQLAlchemy would then send one INSERT per row), and batched RETURNING is slower on
        PostgreSQL too. PostgreSQL takes them from the table's sequence; SQLite takes
        max(id) + 1 onwards, which is safe because a write transaction on SQLite holds the
        database's write lock from its BEGIN IMMEDIATE.
        """
        if not rows:
            return []
        ids = self._allocate_ids(table, len(rows))
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        self._conn.execute(insert(table), rows)
        return ids

    def _allocate_ids(self, table: Table, count: int) -> list[int]:
        if self._conn.dialect.name == "postgresql":
            query = text(
                "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
            )
            return [int(i) for i in self._conn.scalars(query, {"t": table.name, "n": count})]
        top = self._conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        first = int(top or 0) + 1
        return list(range(first, first + count))

    def set_intent_state(self, intent_id: int, state: str, *, error: str | None = None) -> None:
        """Move an intent on (pending → sent → done | failed | dropped). Each move to ``sent``
        counts an attempt; a finished intent never moves again."""
        new = checked(IntentState, state, "intent state")
        table = tables.intents
        query = select(table.c.state).where(table.c.id == intent_id).with_for_update()
        current = self._conn.scalar(query)
        if current is None:
            raise LedgerError(f"no intent with id {intent_id}")
        old = IntentState(current)
        if new not in _NEXT_STATES.get(old, frozenset()):
            raise LedgerError(f"intent {intent_id} cannot go from {old.value!r} to {new.value!r}")
        values: dict[str, Any] = {"state": new.value, "last_error": error}
        values["updated_at"] = self._now()
        if new is IntentState.SENT:
            values["attempts"] = table.c.attempts + 1
        self._conn.execute(update(table).where(table.c.id == intent_id).values(values))

    def merge_intent_payload(self, intent_id: int, changes: Mapping[str, Any]) -> None:
        """Set keys of an unfinished intent's payload (a two-step write records its step)."""
        table = tables.intents
        query = (
            select(table.c.state, table.c.payload).where(table.c.id == intent_id).with_for_update()
        )
        row = self._conn.execute(query).one_or_none()
        if row is None:
            raise LedgerError(f"no intent with id {intent_id}")
        if IntentState(row.state).finished:
            raise LedgerError(f"intent {intent_id} is {row.state}: its payload is final")
        payload = {**row.payload, **convert.jsonable(changes)}
        values = {"payload": payload, "updated_at": self._now()}
        self._conn.execute(update(table).where(table.c.id == intent_id).values(values))

    # -- alerts ---------------------------------------------------------------------------

    def raise_alert(self, alert: NewAlert, now: datetime) -> int:
        """Open an alert, or count again the open one with the same (kind, group, store,
        certificate, key): its ``count`` grows, ``last_seen`` and ``message`` are updated."""
        kind = checked(AlertKind, alert.kind, "alert kind")
        now = _time(now, "alert time")
        table = tables.alerts
        where = and_(
            table.c.kind == kind.value,
            table.c.group_name == alert.group,
            table.c.store.is_not_distinct_from(alert.store),
            table.c.certificate_id.is_not_distinct_from(alert.certificate_id),
            table.c.key == alert.key,
            table.c.resolved_at.is_(None),
        )
        existing = self._conn.scalar(select(table.c.id).where(where).with_for_update())
        if existing is not None:
            bump = {"count": table.c.count + 1, "last_seen": now, "message": alert.message}
            if alert.details is not None:
                bump["details"] = dict(alert.details)
            self._conn.execute(update(table).where(table.c.id == existing).values(bump))
            return int(existing)
        return self._insert_alert(alert, kind, now)

    def _insert_alert(self, alert: NewAlert, kind: AlertKind, now: datetime) -> int:
        row = {
            "kind": kind.value,
            "group_name": alert.group,
            "store": alert.store,
            "certificate_id": alert.certificate_id,
            "key": alert.key,
            "message": alert.message,
            "first_seen": now,
            "last_seen": now,
            "count": 1,
            "details": None if alert.details is None else dict(alert.details),
        }
        table = tables.alerts
        return int(self._conn.execute(insert(table).returning(table.c.id), row).scalar_one())

    def alert_for_update(self, alert_id: int) -> AlertRecord | None:
        """One alert, open or resolved, locked until the transaction ends (None: no such id)."""
        table = tables.alerts
        row = self._conn.execute(select(table).where(table.c.id == alert_id).with_for_update())
        found = row.first()
        return None if found is None else convert.alert_out(found)

    def balance_of(self, cert_id: int) -> tuple[Decimal, str]:
        """(canonical balance, currency) of one certificate, locked until the transaction
        ends; an unknown id is a LedgerError naming it."""
        table = tables.certificates
        query = select(table.c.balance, table.c.currency).where(table.c.id == cert_id)
        row = self._conn.execute(query.with_for_update()).first()
        if row is None:
            raise LedgerError(f"no certificate with id {cert_id}")
        return convert.money_out(row.balance, row.currency), row.currency

    def resolve_alert(self, alert_id: int, now: datetime | None = None) -> bool:
        """Mark an open alert resolved; False if there is no such open alert."""
        table = tables.alerts
        where = and_(table.c.id == alert_id, table.c.resolved_at.is_(None))
        when = self._now() if now is None else _time(now, "resolved_at")
        result = self._conn.execute(update(table).where(where).values(resolved_at=when))
        return bool(result.rowcount)

    # -- cycles ---------------------------------------------------------------------------

    def start_cycle(self, group: str, started_at: datetime) -> int:
        table = tables.cycles
        row = {"group_name": group, "started_at": _time(started_at, "started_at"), "counts": {}}
        return int(self._conn.execute(insert(table).returning(table.c.id), row).scalar_one())

    def finish_cycle(
        self,
        cycle_id: int,
        finished_at: datetime,
        outcome: str,
        counts: Mapping[str, int],
        summary: str,
    ) -> None:
        checked(CycleOutcome, outcome, "cycle outcome")
        bad = {k: v for k, v in counts.items() if isinstance(v, bool) or not isinstance(v, int)}
        if bad:
            raise LedgerError(f"cycle counts must be integers: {bad!r}")
        finished = _time(finished_at, "finished_at")
        values = {"finished_at": finished, "outcome": outcome, "counts": dict(counts)}
        values["summary"] = summary
        table = tables.cycles
        result = self._conn.execute(update(table).where(table.c.id == cycle_id).values(values))
        if result.rowcount == 0:
            raise LedgerError(f"no cycle with id {cycle_id}")


def _time(value: datetime, what: str) -> datetime:
    checked_time = convert.time_in(value, what)
    if checked_time is None:
        raise LedgerError(f"{what} is required")
    return checked_time


def _link_set(excluded: Any) -> dict[str, Any]:
    return {name: excluded[name] for name in _LINK_FIELDS}


def _link_params(link: LedgerLink, currency: str, now: datetime) -> dict[str, Any]:
    balance = link.last_balance
    return {
        "certificate_id": link.certificate_id,
        "store": link.store,
        "remote_id": link.remote_id,
        "last_balance": None if balance is None else convert.money_in(balance, currency, "balance"),
        "last_status": convert.status_in(link.last_status, "last_status"),
        "version": link.version,
        "last_seen_at": convert.time_in(link.last_seen_at, "last_seen_at"),
        "deleted": link.deleted,
        "unmirrorable": link.unmirrorable,
        "created_at": now,
        "updated_at": now,
    }


def _journal_params(row: JournalRecord, currency: str, now: datetime) -> dict[str, Any]:
    checked(JournalKind, row.kind, "journal kind")
    if convert.currency_in(row.currency) != currency:
        raise LedgerError(
            f"journal row in {row.currency!r} for certificate {row.certificate_id} in {currency}"
        )
    return {
        "certificate_id": row.certificate_id,
        "kind": row.kind,
        "store": row.store,
        "currency": currency,
        "amount": convert.money_in(row.amount, currency, "amount"),
        "balance_after": convert.money_in(row.balance_after, currency, "balance_after"),
        "status_from": convert.status_in(row.status_from, "status_from"),
        "status_to": convert.status_in(row.status_to, "status_to"),
        "reason": row.reason,
        "cycle_id": row.cycle_id,
        "observed_at": convert.time_in(row.observed_at, "observed_at"),
        "recorded_at": convert.time_in(row.recorded_at, "recorded_at") or now,
    }


def _intent_params(row: NewIntent, now: datetime) -> dict[str, Any]:
    checked(IntentAction, row.action, "intent action")
    return {
        "group_name": row.group,
        "cycle_id": row.cycle_id,
        "store": row.store,
        "certificate_id": row.certificate_id,
        "action": row.action,
        "payload": convert.jsonable(row.payload),
        "state": IntentState.PENDING.value,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
    }
