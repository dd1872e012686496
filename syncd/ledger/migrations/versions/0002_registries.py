"""Gift registries (DESIGN.md §4.12): registries, their items, and their journal.

Written by hand and frozen, like 0001: plain SQL types only. Money (item prices) is BIGINT
holding the amount × 10⁴; times are timestamps with time zone (naive UTC on SQLite).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 200
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _name(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=NAME), nullable=nullable)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=True)


def _flag(name: str, constraint: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(name=constraint), nullable=False)


def _count(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{target}")


def upgrade() -> None:
    _create_registries()
    _create_registry_items()
    _create_registry_journal()


def _create_registries() -> None:
    op.create_table(
        "registries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        _name("group_name"),
        _name("store"),
        _name("remote_id"),
        _text("name"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _time("remote_created_at", nullable=True),
        _time("remote_updated_at", nullable=True),
        _time("expires_at", nullable=True),
        _time("event_at", nullable=True),
        _text("message"),
        _flag("ship_to_address", "ck_registries_ship_bool"),
        sa.Column("address", _JSON, nullable=False),
        _flag("expired_noted", "ck_registries_expired_bool"),
        _flag("removed", "ck_registries_removed_bool"),
        _time("first_seen_at"),
        _time("updated_at"),
        sa.CheckConstraint("length(currency) = 3", name="ck_registries_currency"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store", "remote_id", name="uq_registries_store_remote_id"),
    )
    op.create_index("ix_registries_group", "registries", ["group_name"])


def _create_registry_items() -> None:
    op.create_table(
        "registry_items",
        sa.Column("registry_id", _ID, nullable=False),
        _name("catalog_id"),
        _text("sku"),
        _text("name"),
        _count("listed"),
        sa.Column("price", sa.BigInteger(), nullable=False),
        _count("sold"),
        _count("sold_offline"),
        _fk("registry_items", "registry_id", "registries"),
        sa.PrimaryKeyConstraint("registry_id", "catalog_id"),
    )


def _create_registry_journal() -> None:
    op.create_table(
        "registry_journal",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("registry_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        _name("store"),
        _name("catalog_id", nullable=True),
        sa.Column("field", sa.String(length=32), nullable=True),
        _text("old_value"),
        _text("new_value"),
        _count("quantity", nullable=True),
        _text("reason"),
        sa.Column("cycle_id", _ID, nullable=True),
        _time("observed_at"),
        _time("recorded_at"),
        _fk("registry_journal", "registry_id", "registries"),
        _fk("registry_journal", "cycle_id", "cycles"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registry_journal_registry", "registry_journal", ["registry_id", "id"])


def downgrade() -> None:
    for table in ("registry_journal", "registry_items", "registries"):
        op.drop_table(table)
