"""Alembic environment for the ledger. Run by :func:`syncd.ledger.engine.upgrade` with an
open connection in ``config.attributes["connection"]``; no alembic.ini is needed."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from syncd.ledger.tables import metadata

# Any constant works: it only has to be the same for every syncd process.
_PG_MIGRATION_LOCK = 0x5C_D1ED6E


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two syncd processes starting together must not both create the tables.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("the ledger migrations need a connection or sqlalchemy.url")
    with create_engine(url).begin() as conn:
        _run(conn)


main()
