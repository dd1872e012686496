"""Ledger fixtures (``ledger_url``, ``ledger``): SQLite always, PostgreSQL with SYNCD_TEST_PG_URL.

Each PostgreSQL test gets its own freshly created database (``syncd_t_<random>``), dropped
with FORCE afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from syncd.ledger import Ledger

PG_ENV = "SYNCD_TEST_PG_URL"


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as a libpq connection string (for psycopg directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (skipped without SYNCD_TEST_PG_URL)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    name = f"syncd_t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ledger URL for an empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("pg_database_url")
    return url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    """``Ledger.open(ledger_url)``, closed after the test."""
    opened = Ledger.open(ledger_url)
    try:
        yield opened
    finally:
        opened.close()
