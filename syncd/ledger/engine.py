"""Engines for a ledger URL and the schema upgrade (Alembic, run programmatically).

SQLite (the default) gets WAL, ``foreign_keys=ON``, a busy timeout and ``synchronous=NORMAL``
on every connection. The driver's own transaction handling is switched off so that SQLAlchemy
emits ``BEGIN`` itself: write transactions use ``BEGIN IMMEDIATE``, which takes the write lock
up front instead of failing half-way with "database is locked" when another process writes.
PostgreSQL is reached through psycopg 3 (``postgresql://`` is taken to mean psycopg).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from syncd.ledger.records import LedgerError

MIGRATIONS = Path(__file__).parent / "migrations"
_UPGRADE_LOCK = threading.Lock()
WRITE = "ledger_write"  # execution option: this connection's transactions will write
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def make_engine(url: str) -> Engine:
    """An engine for a ``sqlite:///…`` or ``postgresql[+psycopg]://…`` ledger URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise LedgerError(f"not a database URL: {safe_url(url)!r}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.get_driver_name() not in ("psycopg", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Times come back in UTC whatever the server's default zone is.
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"}
        )
    raise LedgerError(
        f"unsupported ledger database {safe_url(parsed)!r}: use sqlite:///PATH or postgresql://"
    )


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ":memory:"
    kwargs: dict[str, Any] = {}
    if database == ":memory:":
        # One shared connection, or every checkout would see its own empty database.
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (_sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (idempotent).

    Alembic keeps its migration context in module globals, so runs in one process are
    serialised here; across processes, env.py takes a PostgreSQL advisory lock and SQLite's
    BEGIN IMMEDIATE holds the write lock.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    writing = engine.connect().execution_options(**{WRITE: True})
    with _UPGRADE_LOCK, writing as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None: no schema yet)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
