"""Initial ledger schema: certificates, links, cycles, journal, intents, alerts.

Written by hand and frozen: it uses plain SQL types, not the application's column types, so
that later changes to the code never change what this revision does. Money columns are
BIGINT holding the amount × 10⁴; times are timestamps with time zone (naive UTC on SQLite).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 200
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_OPEN_ALERT = sa.text("resolved_at IS NULL")
_REMOTE_ID_SET = sa.text("remote_id <> ''")


def _id() -> sa.Column[int]:
    return sa.Column("id", _ID, autoincrement=True, nullable=False)


def _money(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _name(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=NAME), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{target}")


def upgrade() -> None:
    _create_certificates()
    _create_cycles()
    _create_alerts()
    _create_intents()
    _create_journal()
    _create_links()


def _create_certificates() -> None:
    op.create_table(
        "certificates",
        _id(),
        _name("group_name"),
        _name("code", nullable=True),
        _name("masked_code", nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _money("amount"),
        _money("balance"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _text("to_name"),
        _text("to_email"),
        _text("from_name"),
        _text("from_email"),
        _text("message"),
        _time("expires_at", nullable=True),
        _name("origin_store", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.CheckConstraint("length(currency) = 3", name="ck_certificates_currency"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_name", "code", name="uq_certificates_group_code"),
    )


def _create_cycles() -> None:
    op.create_table(
        "cycles",
        _id(),
        _name("group_name"),
        _time("started_at"),
        _time("finished_at", nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("counts", _JSON, nullable=False),
        _text("summary"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cycles_group_started", "cycles", ["group_name", "started_at"])


def _create_alerts() -> None:
    op.create_table(
        "alerts",
        _id(),
        sa.Column("kind", sa.String(length=32), nullable=False),
        _name("group_name"),
        _name("store", nullable=True),
        sa.Column("certificate_id", _ID, nullable=True),
        _name("key"),
        _text("message", nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        sa.Column("count", sa.Integer(), nullable=False),
        _time("resolved_at", nullable=True),
        _fk("alerts", "certificate_id", "certificates"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alerts_group_resolved", "alerts", ["group_name", "resolved_at"])
    op.create_index(
        "uq_alerts_open",
        "alerts",
        [
            "kind",
            "group_name",
            sa.literal_column("coalesce(store, '')"),
            sa.literal_column("coalesce(certificate_id, 0)"),
            "key",
        ],
        unique=True,
        sqlite_where=_OPEN_ALERT,
        postgresql_where=_OPEN_ALERT,
    )


def _create_intents() -> None:
    op.create_table(
        "intents",
        _id(),
        _name("group_name"),
        sa.Column("cycle_id", _ID, nullable=True),
        _name("store"),
        sa.Column("certificate_id", _ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _text("last_error"),
        _time("created_at"),
        _time("updated_at"),
        _fk("intents", "certificate_id", "certificates"),
        _fk("intents", "cycle_id", "cycles"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_intents_group_state", "intents", ["group_name", "state"])


def _create_journal() -> None:
    op.create_table(
        "journal",
        _id(),
        sa.Column("certificate_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        _name("store", nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _money("amount"),
        _money("balance_after"),
        sa.Column("status_from", sa.String(length=16), nullable=True),
        sa.Column("status_to", sa.String(length=16), nullable=True),
        _text("reason"),
        sa.Column("cycle_id", _ID, nullable=True),
        _time("observed_at"),
        _time("recorded_at"),
        _fk("journal", "certificate_id", "certificates"),
        _fk("journal", "cycle_id", "cycles"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journal_certificate", "journal", ["certificate_id", "id"])


def _create_links() -> None:
    op.create_table(
        "links",
        sa.Column("certificate_id", _ID, nullable=False),
        _name("store"),
        _name("remote_id"),
        _money("last_balance", nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        _text("version"),
        _time("last_seen_at", nullable=True),
        sa.Column("deleted", sa.Boolean(name="ck_links_deleted_bool"), nullable=False),
        _text("unmirrorable"),
        _time("created_at"),
        _time("updated_at"),
        _fk("links", "certificate_id", "certificates"),
        sa.PrimaryKeyConstraint("certificate_id", "store"),
    )
    op.create_index(
        "uq_links_store_remote_id",
        "links",
        ["store", "remote_id"],
        unique=True,
        sqlite_where=_REMOTE_ID_SET,
        postgresql_where=_REMOTE_ID_SET,
    )


def downgrade() -> None:
    for table in ("links", "journal", "intents", "alerts", "cycles", "certificates"):
        op.drop_table(table)
