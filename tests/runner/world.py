"""A test world: the three sandboxes on loopback, a config pointing at them, a ledger and a
``Syncer``; plus the shopper's and the operator's hands (issue, redeem, faults, stats)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from syncd.config import Settings, load_settings
from syncd.ledger import Ledger, tables
from syncd.metrics import Metrics
from syncd.runner.result import CycleResult
from syncd.runner.service import Syncer
from syncd.sandbox import bigcommerce, sfcc, shift4shop
from syncd.sandbox.common import BACKEND_KEY, TAMPERED_KEY, SeedCertificate
from syncd.sandbox.server import Sandboxes, write_private

GROUP = "sandbox"
STORES = {
    "shift4shop": "sandbox-3dcart",
    "bigcommerce": "sandbox-bigcommerce",
    "sfcc": "sandbox-sfcc",
}
_SEEDERS: dict[str, Callable[..., None]] = {
    "shift4shop": shift4shop.seed,
    "bigcommerce": bigcommerce.seed,
    "sfcc": sfcc.seed,
}


def seed_on(sb: Sandboxes, platform: str, *certs: tuple[str, str]) -> None:
    """Certificates (code, amount) on one sandbox only, in-process."""
    _SEEDERS[platform](
        sb.apps[platform], [SeedCertificate(code, Decimal(a), Decimal(a)) for code, a in certs]
    )


def tamper_on(sb: Sandboxes, platform: str, code: str, fields: dict[str, Any]) -> None:
    """Make one sandbox's list pages show raw ``fields`` for the certificate ``code``
    (values no platform would accept: see :class:`syncd.sandbox.faults.Tampered`)."""
    view = sb.apps[platform][BACKEND_KEY].lookup(code)
    assert view is not None, code
    sb.apps[platform][TAMPERED_KEY][view.remote_id] = fields


async def no_sleep(seconds: float) -> None:
    """Retry back-off without waiting (time is injected, never slept on)."""


@dataclass
class Hands:
    """What shoppers, the operator and the test do to the sandboxes (``/_sandbox/`` routes)."""

    sb: Sandboxes
    http: aiohttp.ClientSession

    async def call(self, platform: str, method: str, path: str, body: Any = None) -> Any:
        url = self.sb.urls[platform] + "/_sandbox/" + path
        async with self.http.request(method, url, json=body) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    async def issue(self, platform: str, code: str, amount: str) -> None:
        await self.call(platform, "POST", "shopper/issue", {"code": code, "amount": amount})

    async def redeem(self, platform: str, code: str, amount: str) -> None:
        await self.call(platform, "POST", "shopper/redeem", {"code": code, "amount": amount})

    async def certificates(self, platform: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call(platform, "GET", "certificates")
        return result

    async def balances(self, platform: str) -> dict[str, Decimal]:
        return {c["code"]: Decimal(c["balance"]) for c in await self.certificates(platform)}

    async def faults(self, platform: str, **changes: Any) -> None:
        await self.call(platform, "PUT", "faults", changes)

    async def stats(self, platform: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(platform, "GET", "stats")
        return result

    async def writes_sent(self) -> int:
        """Non-GET platform requests received by all three sandboxes (an OAuth token request
        writes nothing to a store)."""
        total = 0
        for platform in STORES:
            routes = (await self.stats(platform))["by_route"]
            total += sum(
                n
                for route, n in routes.items()
                if not route.startswith("GET ") and "oauth2" not in route
            )
        return total

    async def duplicates(self) -> dict[str, list[str]]:
        """Codes present more than once, per platform (must always be empty)."""
        out = {}
        for platform in STORES:
            codes = Counter(c["code"] for c in await self.certificates(platform))
            out[platform] = sorted(code for code, n in codes.items() if n > 1)
        return out


@dataclass
class World(Hands):
    config: Path
    settings: Settings
    ledger: Ledger
    syncer: Syncer
    metrics: Metrics

    async def cycle(self, **kwargs: Any) -> CycleResult:
        return await self.syncer.run_cycle(GROUP, **kwargs)


def dump(ledger: Ledger, *, without: tuple[str, ...] = ("cycles",)) -> dict[str, list[Any]]:
    """Every row of every ledger table (a steady-state cycle must change none but cycles)."""
    out: dict[str, list[Any]] = {}
    with ledger.engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            if table.name not in without:
                out[table.name] = [tuple(r) for r in conn.execute(select(table))]
    return out


def money_rows(ledger: Ledger) -> Counter[tuple[str, str, str | None, Decimal]]:
    """(code, kind, store, amount) of every journal row: the story of the money."""
    query = select(
        tables.certificates.c.code,
        tables.journal.c.kind,
        tables.journal.c.store,
        tables.journal.c.amount,
    ).join(tables.certificates, tables.certificates.c.id == tables.journal.c.certificate_id)
    with ledger.engine.connect() as conn:
        return Counter((r[0], r[1], r[2], r[3].normalize()) for r in conn.execute(query))


def config_text(sb: Sandboxes, ledger_url: str, edit: Callable[[str], str] | None = None) -> str:
    text = sb.config_toml(ledger_url)
    return edit(text) if edit else text


@asynccontextmanager
async def world(
    tmp_path: Path,
    ledger_url: str,
    *,
    seed: int = 0,
    edit: Callable[[str], str] | None = None,
    before: Callable[[Sandboxes], None] | None = None,
) -> AsyncIterator[World]:
    """Everything running; the Syncer started (connectors built, recovery done)."""
    async with Sandboxes.start(seed=seed) as sb:
        if before is not None:
            before(sb)
        path = tmp_path / "syncd.toml"
        write_private(path, config_text(sb, ledger_url, edit))
        settings = load_settings(path, environ={})
        ledger = Ledger.open(ledger_url)
        metrics = Metrics()
        syncer = Syncer(settings, ledger, metrics=metrics)
        try:
            await syncer.start()
            for conn in syncer.connectors.values():
                conn.http._sleep = no_sleep  # type: ignore[attr-defined]
            async with aiohttp.ClientSession() as http:
                yield World(sb, http, path, settings, ledger, syncer, metrics)
        finally:
            await syncer.aclose()
            ledger.close()
