"""The simulated deployment: settings for the four memory stores, a ledger caller that runs on
the event loop, and plain reads of the ledger's tables for the laws."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import select, text

from syncd.config import Settings
from syncd.ledger import AlertRecord, IntentRecord, JournalRecord, Ledger, convert, tables
from syncd.runner.dbthread import LedgerThread

GROUP = "sim"
NOWHERE = "http://127.0.0.1:9"  # never contacted: the connectors are memory stores

P = ParamSpec("P")
T = TypeVar("T")


class InlineLedger(LedgerThread):
    """The runner's ledger calls, run on the event loop's own thread after one yield.

    Same order as the ledger thread (submission order, one at a time) but without a thread
    finishing at a time the scheduler cannot see: a simulation replays exactly."""

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        await asyncio.sleep(0)
        return fn(*args, **kwargs)


def sim_settings(
    *, on_delete: str, stale: str, case_insensitive: bool, concurrency: int
) -> Settings:
    """One group of the four memory stores (platform settings only name them)."""
    common = {"base_url": NOWHERE, "max_concurrency": concurrency}
    sfcc = {"platform": "sfcc", "auth_url": NOWHERE, "site_id": "s", "client_id": "c",
            "client_secret": "sim", **common}  # fmt: skip
    stores = [
        {"name": "cart", "platform": "shift4shop", "secure_url": NOWHERE, "private_key": "sim",
         "token": "sim", "currency": "USD", **common},
        {"name": "bc", "platform": "bigcommerce", "store_hash": "sim", "access_token": "sim",
         **common},
        {"name": "sfcc", **sfcc},
        {"name": "sfcx", **sfcc},
    ]  # fmt: skip
    group = {
        "name": GROUP, "stores": [s["name"] for s in stores], "interval": "5m",
        "on_delete": on_delete, "sfcc_stale_balance": stale,
        "case_insensitive_codes": case_insensitive,
        "defaults": {"to_name": "Gift recipient", "to_email": "gift@example.com",
                     "from_name": "Shop", "from_email": "shop@example.com"},
    }  # fmt: skip
    return Settings.model_validate({"stores": stores, "groups": [group]})


def _rows(ledger: Ledger, table: Any, out: Callable[[Any], T]) -> list[T]:
    with ledger.engine.connect() as conn:
        return [out(row) for row in conn.execute(select(table).order_by(table.c.id))]


def intents(ledger: Ledger) -> list[IntentRecord]:
    """Every intent ever stored, in any state."""
    return _rows(ledger, tables.intents, convert.intent_out)


def journal(ledger: Ledger) -> list[JournalRecord]:
    return _rows(ledger, tables.journal, convert.journal_out)


def alerts(ledger: Ledger) -> list[AlertRecord]:
    return _rows(ledger, tables.alerts, convert.alert_out)


def reset(ledger: Ledger) -> None:
    """Empty every table (a fresh ledger for the next example, without a new database)."""
    names = ", ".join(t.name for t in tables.metadata.sorted_tables)
    with ledger.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables.metadata.sorted_tables):
                conn.execute(table.delete())
