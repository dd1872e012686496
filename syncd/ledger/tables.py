"""The ledger's tables (SQLModel declarations; queries use their Core ``Table`` objects).

Every constraint and index is named, so that ``versions/0001_initial.py`` (written by hand)
and these declarations can be compared by a test. Column notes:

* ``group_name``: the sync group (``group`` is an SQL keyword).
* money columns: :class:`~syncd.ledger.types.FixedPointMoney`; times: ``UTCDateTime``.
* ``links.remote_id`` is unique per store, except the empty string, which marks a link
  with no remote record (e.g. an unmirrorable certificate).
* ``alerts``: at most one *open* alert per (kind, group, store, certificate, key);
  ``details`` holds the figures a later action needs (an ambiguous write's two readings).
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
from syncd.limits import COLUMN_LENGTH

NAME = COLUMN_LENGTH  # group, store, code, remote id lengths: generous, platforms use far less
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
    details: dict[str, Any] | None = _col(JsonDoc)  # revision 0003


class RegistryRow(SQLModel, table=True):
    """A gift registry as last seen on its store (DESIGN.md §4.12); revision 0002."""

    __tablename__ = "registries"
    __table_args__ = (
        UniqueConstraint("store", "remote_id", name="uq_registries_store_remote_id"),
        CheckConstraint("length(currency) = 3", name="ck_registries_currency"),
        Index("ix_registries_group", "group_name"),
    )
    id: int | None = _id()
    group_name: str = _col(String(NAME), nullable=False)
    store: str = _col(String(NAME), nullable=False)
    remote_id: str = _col(String(NAME), nullable=False)
    name: str | None = _col(Text())
    currency: str = _col(String(3), nullable=False)
    remote_created_at: datetime | None = _col(UTCDateTime())
    remote_updated_at: datetime | None = _col(UTCDateTime())
    expires_at: datetime | None = _col(UTCDateTime())
    event_at: datetime | None = _col(UTCDateTime())
    message: str | None = _col(Text())
    ship_to_address: bool = _col(Boolean(name="ck_registries_ship_bool"), nullable=False)
    address: dict[str, Any] = _col(JsonDoc, nullable=False)
    expired_noted: bool = _col(Boolean(name="ck_registries_expired_bool"), nullable=False)
    removed: bool = _col(Boolean(name="ck_registries_removed_bool"), nullable=False)
    first_seen_at: datetime = _col(UTCDateTime(), nullable=False)
    updated_at: datetime = _col(UTCDateTime(), nullable=False)


class RegistryItemRow(SQLModel, table=True):
    """One item of a registry as last seen; a removed item's row goes (the journal stays)."""

    __tablename__ = "registry_items"
    registry_id: int = Field(
        sa_column=Column(BigId, _fk("registry_items", "registries"), primary_key=True)
    )
    catalog_id: str = Field(sa_column=Column(String(NAME), primary_key=True))
    sku: str | None = _col(Text())
    name: str | None = _col(Text())
    listed: int = _col(Integer(), nullable=False)
    price: Decimal = _col(FixedPointMoney(), nullable=False)
    sold: int = _col(Integer(), nullable=False)
    sold_offline: int = _col(Integer(), nullable=False)


class RegistryJournalRow(SQLModel, table=True):
    """Append-only: one row per registry change (created, changed, item_sold, ...)."""

    __tablename__ = "registry_journal"
    __table_args__ = (Index("ix_registry_journal_registry", "registry_id", "id"),)
    id: int | None = _id()
    registry_id: int = _col(BigId, _fk("registry_journal", "registries"), nullable=False)
    kind: str = _col(String(32), nullable=False)
    store: str = _col(String(NAME), nullable=False)
    catalog_id: str | None = _col(String(NAME))
    field: str | None = _col(String(32))
    old_value: str | None = _col(Text())
    new_value: str | None = _col(Text())
    quantity: int | None = _col(Integer())
    reason: str | None = _col(Text())
    cycle_id: int | None = _col(BigId, _fk("registry_journal", "cycles"))
    observed_at: datetime = _col(UTCDateTime(), nullable=False)
    recorded_at: datetime = _col(UTCDateTime(), nullable=False)


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


certificates = _table(Certificate)
links = _table(Link)
cycles = _table(Cycle)
journal = _table(JournalRow)
intents = _table(IntentRow)
alerts = _table(AlertRow)
registries = _table(RegistryRow)
registry_items = _table(RegistryItemRow)
registry_journal = _table(RegistryJournalRow)
metadata = SQLModel.metadata
