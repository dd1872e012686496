"""The ledger's tables (SQLModel declarations; queries use their Core ``Table`` objects).

Every constraint and index is named, so that ``versions/0001_initial.py`` (written by hand)
and these declarations can be compared by a test. Column notes:

* ``group_name``: the sync group (``group`` is an SQL keyword).
* money columns: :class:`~syncd.ledger.types.FixedPointMoney`; times: ``UTCDateTime``.
* ``links.remote_id`` is unique per store, except the empty string, which marks a link
  with no remote record (e.g. an unmirrorable certificate).
* ``alerts``: at most one *open* alert per (kind, group, store, certificate, key).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from syncd.ledger.types import BigId, FixedPointMoney, JsonDoc, UTCDateTime

NAME = 200  # group, store, code, remote id lengths: generous, platforms use far less
_OPEN_ALERT = text("resolved_at IS NULL")
_REMOTE_ID_SET = text("remote_id <> ''")


def _id() -> Any:
    return Field(default=None, sa_column=Column("id", BigId, primary_key=True, autoincrement=True))


def _col(type_: Any, *args: Any, nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_column=Column(type_, *args, nullable=nullable, **kw))


def _fk(table: str, target: str) -> ForeignKey:
    """A named foreign key from ``table`` to ``target``.id (names match the migration)."""
    return ForeignKey(f"{target}.id", name=f"fk_{table}_{target}")


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("group_name", "code", name="uq_certificates_group_code"),
        CheckConstraint("length(currency) = 3", name="ck_certificates_currency"),
    )
    id: int | None = _id()
    group_name: str = _col(String(NAME), nullable=False)
    code: str | None = _col(String(NAME))
    masked_code: str | None = _col(String(NAME))
    currency: str = _col(String(3), nullable=False)
    amount: Decimal = _col(FixedPointMoney(), nullable=False)
    balance: Decimal = _col(FixedPointMoney(), nullable=False)
    status: str = _col(String(16), nullable=False)
    to_name: str | None = _col(Text())
    to_email: str | None = _col(Text())
    from_name: str | None = _col(Text())
    from_email: str | None = _col(Text())
    message: str | None = _col(Text())
    expires_at: datetime | None = _col(UTCDateTime())
    origin_store: str | None = _col(String(NAME))
    created_at: datetime = _col(UTCDateTime(), nullable=False)
    updated_at: datetime = _col(UTCDateTime(), nullable=False)


class Link(SQLModel, table=True):
    __tablename__ = "links"
    __table_args__ = (
        Index(
            "uq_links_store_remote_id",
            "store",
            "remote_id",
            unique=True,
            sqlite_where=_REMOTE_ID_SET,
            postgresql_where=_REMOTE_ID_SET,
        ),
    )
    certificate_id: int = Field(
        sa_column=Column(BigId, _fk("links", "certificates"), primary_key=True)
    )
    store: str = Field(sa_column=Column(String(NAME), primary_key=True))
    remote_id: str = _col(String(NAME), nullable=False)
    last_balance: Decimal | None = _col(FixedPointMoney())
    last_status: str | None = _col(String(16))
    version: str | None = _col(Text())
    last_seen_at: datetime | None = _col(UTCDateTime())
    deleted: bool = _col(Boolean(name="ck_links_deleted_bool"), nullable=False)
    unmirrorable: str | None = _col(Text())
    created_at: datetime = _col(UTCDateTime(), nullable=False)
    updated_at: datetime = _col(UTCDateTime(), nullable=False)


class Cycle(SQLModel, table=True):
    __tablename__ = "cycles"
    __table_args__ = (Index("ix_cycles_group_started", "group_name", "started_at"),)
    id: int | None = _id()
    group_name: str = _col(String(NAME), nullable=False)
    started_at: datetime = _col(UTCDateTime(), nullable=False)
    finished_at: datetime | None = _col(UTCDateTime())
    outcome: str | None = _col(String(32))
    counts: dict[str, int] = _col(JsonDoc, nullable=False)
    summary: str | None = _col(Text())


class JournalRow(SQLModel, table=True):
    __tablename__ = "journal"
    __table_args__ = (Index("ix_journal_certificate", "certificate_id", "id"),)
    id: int | None = _id()
    certificate_id: int = _col(BigId, _fk("journal", "certificates"), nullable=False)
    kind: str = _col(String(32), nullable=False)
    store: str | None = _col(String(NAME))
    currency: str = _col(String(3), nullable=False)
    amount: Decimal = _col(FixedPointMoney(), nullable=False)
    balance_after: Decimal = _col(FixedPointMoney(), nullable=False)
    status_from: str | None = _col(String(16))
    status_to: str | None = _col(String(16))
    reason: str | None = _col(Text())
    cycle_id: int | None = _col(BigId, _fk("journal", "cycles"))
    observed_at: datetime = _col(UTCDateTime(), nullable=False)
    recorded_at: datetime = _col(UTCDateTime(), nullable=False)


class IntentRow(SQLModel, table=True):
    __tablename__ = "intents"
    __table_args__ = (Index("ix_intents_group_state", "group_name", "state"),)
    id: int | None = _id()
    group_name: str = _col(String(NAME), nullable=False)
    cycle_id: int | None = _col(BigId, _fk("intents", "cycles"))
    store: str = _col(String(NAME), nullable=False)
    certificate_id: int = _col(BigId, _fk("intents", "certificates"), nullable=False)
    action: str = _col(String(16), nullable=False)
    payload: dict[str, Any] = _col(JsonDoc, nullable=False)
    state: str = _col(String(16), nullable=False)
    attempts: int = _col(Integer(), nullable=False)
    last_error: str | None = _col(Text())
    created_at: datetime = _col(UTCDateTime(), nullable=False)
    updated_at: datetime = _col(UTCDateTime(), nullable=False)


class AlertRow(SQLModel, table=True):
    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open",
            "kind",
            "group_name",
            func.coalesce(text("store"), ""),
            func.coalesce(text("certificate_id"), 0),
            "key",
            unique=True,
            sqlite_where=_OPEN_ALERT,
            postgresql_where=_OPEN_ALERT,
        ),
        Index("ix_alerts_group_resolved", "group_name", "resolved_at"),
    )
    id: int | None = _id()
    kind: str = _col(String(32), nullable=False)
    group_name: str = _col(String(NAME), nullable=False)
    store: str | None = _col(String(NAME))
    certificate_id: int | None = _col(BigId, _fk("alerts", "certificates"))
    key: str = _col(String(NAME), nullable=False)
    message: str = _col(Text(), nullable=False)
    first_seen: datetime = _col(UTCDateTime(), nullable=False)
    last_seen: datetime = _col(UTCDateTime(), nullable=False)
    count: int = _col(Integer(), nullable=False)
    resolved_at: datetime | None = _col(UTCDateTime())


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


certificates = _table(Certificate)
links = _table(Link)
cycles = _table(Cycle)
journal = _table(JournalRow)
intents = _table(IntentRow)
alerts = _table(AlertRow)
metadata = SQLModel.metadata
