"""Schema creation and upgrade (Alembic), engines and URLs."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from syncd.ledger import Ledger, LedgerError, NewAlert
from syncd.ledger.engine import MIGRATIONS, current_revision, make_engine, safe_url, upgrade
from syncd.ledger.tables import metadata
from tests.ledger.factories import T0, add, cert

TABLES = {"alembic_version", "certificates", "links", "journal", "intents", "alerts", "cycles"}
TABLES |= {"registries", "registry_items", "registry_journal"}  # 0002 (gift registries)


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_open_creates_the_schema_from_empty(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) == set()
    with Ledger.open(ledger_url):
        pass
    assert current_revision(engine) == _head() == "0003"
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_reopening_is_idempotent_and_keeps_data(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as first:
        add(first, cert("A"))
    with Ledger.open(ledger_url) as second:
        upgrade(second.engine)
        assert [c.code for c in second.load_view("us").certificates.values()] == ["A"]
        assert current_revision(second.engine) == _head()


def test_0003_gives_existing_alerts_empty_details(ledger_url: str) -> None:
    """An alert raised before 0003 keeps everything and has no details; a new one has them."""
    engine = make_engine(ledger_url)
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (kind, group_name, key, message, first_seen, last_seen, count)"
                " VALUES ('auth', 'us', 'bc', 'old', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
            )
        )
    engine.dispose()
    with Ledger.open(ledger_url) as ledger:
        with ledger.transaction() as tx:
            tx.raise_alert(
                NewAlert(kind="ambiguous_write", group="us", message="new", key="i1",
                         details={"correction": "-30.00"}),
                T0,
            )  # fmt: skip
        old, new = ledger.open_alerts("us")
        assert (old.message, old.details) == ("old", None)
        assert new.details == {"correction": "-30.00"}


def test_migrations_match_the_table_declarations(ledger: Ledger) -> None:
    """No drift: the hand-written revisions build exactly what tables.py declares."""
    with ledger.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (uq_alerts_open): PostgreSQL compares it,
            # and test_one_open_alert_per_key_is_enforced proves it exists on both.
            warnings.simplefilter("ignore")
            diff = compare_metadata(context, metadata)
    assert diff == []


def test_one_open_alert_per_key_is_enforced(ledger: Ledger) -> None:
    insert = text(
        "INSERT INTO alerts (kind, group_name, store, certificate_id, key, message, first_seen,"
        " last_seen, count, resolved_at) VALUES ('auth', 'us', NULL, NULL, '', 'm',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, :resolved)"
    )
    with ledger.engine.begin() as conn:
        conn.execute(insert, [{"resolved": "2026-01-01 00:00:00"}] * 2)  # resolved: any number
        conn.execute(insert, {"resolved": None})
    with pytest.raises(IntegrityError), ledger.engine.begin() as conn:
        conn.execute(insert, {"resolved": None})


def test_foreign_keys_are_enforced(ledger: Ledger) -> None:
    insert = text(
        "INSERT INTO links (certificate_id, store, remote_id, deleted, created_at, updated_at)"
        " VALUES (4242, 'bc', '1', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError), ledger.engine.begin() as conn:
        conn.execute(insert)


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger, ledger.engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": 10000,
    }


def test_sqlite_relative_path_and_missing_parent_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Ledger.open("sqlite:///state/deep/ledger.db") as ledger:
        add(ledger, cert("A"))
    assert (tmp_path / "state" / "deep" / "ledger.db").is_file()
    absolute = tmp_path / "abs" / "ledger.db"
    with Ledger.open(f"sqlite:///{absolute}"):
        pass
    assert absolute.is_file()


def test_sqlite_in_memory_keeps_one_database() -> None:
    with Ledger.open("sqlite://") as ledger:
        add(ledger, cert("A"))
        assert len(ledger.load_view("us").certificates) == 1


def test_unsupported_or_bad_urls_name_the_url_without_password() -> None:
    with pytest.raises(LedgerError, match=r"unsupported ledger database 'mysql://u:\*\*\*@h/db'"):
        make_engine("mysql://u:hunter2@h/db")
    with pytest.raises(LedgerError, match="not a database URL"):
        make_engine("not a url")
    assert "hunter2" not in safe_url("postgresql://u:hunter2@127.0.0.1/db")


def test_postgresql_without_driver_means_psycopg() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")  # does not connect
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    engine.dispose()


def test_migration_files_are_package_data() -> None:
    """pyproject's package-data globs must carry env.py's siblings and every revision."""
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    for glob in ("ledger/migrations/*.mako", "ledger/migrations/versions/*.py"):
        assert glob in pyproject
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
