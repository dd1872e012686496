"""Alert details: the figures a later action on an alert needs (``ambiguous_write``: both
readings of a balance write, so that a human can take the other one).

Written by hand and frozen, like 0001: plain SQL types only. A nullable JSON column; existing
alerts keep ``NULL``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("alerts", sa.Column("details", _JSON, nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite ≥ 3.35 has it): a batch copy of the table would lose the
    # expression index uq_alerts_open, which SQLite cannot reflect.
    op.execute("ALTER TABLE alerts DROP COLUMN details")
