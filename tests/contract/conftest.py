"""The contract harness: every connector against its own sandbox over real loopback HTTP.

A :class:`Harness` serves one sandbox on 127.0.0.1 port 0 and builds connectors for it with
an injected ``sleep`` that records the waits instead of sleeping (backoff never costs real
time). Faults and stats go through the sandbox's own ``/_sandbox/`` HTTP routes.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from syncd.model import People
from syncd.platforms.base import Connector
from syncd.platforms.http import HttpOptions
from syncd.sandbox.common import BACKEND_KEY, FAULTS_KEY, SeedCertificate, serve

PLATFORMS = ("shift4shop", "bigcommerce", "sfcc")
DEFAULTS = People("Gift recipient", "giftcards@example.com", "Example Store", "shop@example.com")
FAST = HttpOptions(timeout=5.0, max_attempts=5, max_retry_time=120.0)


class FakeClock:
    """A monotonic clock that moves only when told (or when the fake sleep sleeps)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    """One sandbox on loopback and a way to build connectors talking to it."""

    platform: str
    app: web.Application
    url: str
    http: aiohttp.ClientSession
    build: Callable[..., Connector]
    sandbox_clock: FakeClock
    clock: FakeClock = field(default_factory=FakeClock)  # the connectors' clock
    sleeps: list[float] = field(default_factory=list)
    after_sleep: Callable[[], None] | None = None
    connectors: list[Connector] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)
        if self.after_sleep is not None:
            self.after_sleep()
        await asyncio.sleep(0)

    def connector(self, **overrides: Any) -> Connector:
        connector = self.build(self, **overrides)
        self.connectors.append(connector)
        return connector

    def seed(self, count: int, prefix: str = "GC", balance: str = "25.00") -> list[str]:
        codes = [f"{prefix}{i:08d}" for i in range(count)]
        certs = (SeedCertificate(c, Decimal("50.00"), Decimal(balance)) for c in codes)
        self.module.seed(self.app, certs)
        return codes

    @property
    def module(self) -> Any:
        return importlib.import_module(f"syncd.sandbox.{self.platform}")

    def remote_id(self, code: str) -> str:
        view = self.app[BACKEND_KEY].lookup(code)
        assert view is not None, code
        return view.remote_id

    def plain_codes(self) -> set[str]:
        return {view.code for view in self.app[BACKEND_KEY].certificates()}

    def quirk(self, *names: str) -> None:
        """Switch sandbox quirks on in-process (:mod:`syncd.sandbox.quirks`)."""
        from syncd.sandbox.quirks import apply_quirks

        key = getattr(self.module, "BC_CONFIG_KEY", None) or self.module.CONFIG_KEY
        apply_quirks(names, {self.platform: self.app[key]})

    async def faults(self, **changes: Any) -> None:
        async with self.http.put(f"{self.url}/_sandbox/faults", json=changes) as resp:
            assert resp.status == 200, await resp.text()

    def set_faults_now(self, **changes: Any) -> None:
        """In-process, for use from inside the fake sleep (no await possible there)."""
        self.app[FAULTS_KEY].update(changes)

    async def stats(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/_sandbox/stats") as resp:
            body: dict[str, Any] = await resp.json()
            return body

    async def reset_stats(self) -> None:
        async with self.http.post(f"{self.url}/_sandbox/stats/reset") as resp:
            assert resp.status in (200, 204)

    async def route_count(self, method: str, fragment: str) -> int:
        routes = (await self.stats())["by_route"]
        return sum(n for r, n in routes.items() if r.startswith(method) and fragment in r)


def _shift4shop_app(clock: FakeClock) -> tuple[web.Application, dict[str, Any]]:
    from syncd.sandbox import shift4shop

    config = shift4shop.Shift4ShopSandboxConfig(clock=clock)
    creds = {"secure_url": config.secure_url, "private_key": config.private_key}
    creds["token"] = config.token
    return shift4shop.create_app(config), creds


def _build_shift4shop(h: Harness, creds: dict[str, Any], **kw: Any) -> Connector:
    from syncd.platforms.shift4shop import Shift4ShopConnector

    args = {**creds, "currency": "USD", "options": FAST, **kw}
    return Shift4ShopConnector("s-3dcart", base_url=h.url, sleep=h.sleep, clock=h.clock, **args)


def _bigcommerce_app(clock: FakeClock) -> tuple[web.Application, dict[str, Any]]:
    from syncd.sandbox import bigcommerce

    config = bigcommerce.BigCommerceSandboxConfig(clock=clock)
    creds = {"store_hash": config.store_hash, "access_token": config.access_token}
    return bigcommerce.create_app(config), creds


def _build_bigcommerce(h: Harness, creds: dict[str, Any], **kw: Any) -> Connector:
    from syncd.platforms.bigcommerce import BigCommerceConnector

    args = {**creds, "defaults": DEFAULTS, "currency": "USD", "options": FAST, **kw}
    return BigCommerceConnector("s-bc", base_url=h.url, sleep=h.sleep, clock=h.clock, **args)


def _sfcc_app(clock: FakeClock) -> tuple[web.Application, dict[str, Any]]:
    from syncd.sandbox import sfcc

    config = sfcc.SfccSandboxConfig(clock=clock)
    creds = {
        "site_id": config.site_id,
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "shop_client_id": config.shop_client_id,
    }
    return sfcc.create_app(config), creds


def _build_sfcc(h: Harness, creds: dict[str, Any], **kw: Any) -> Connector:
    from syncd.platforms.sfcc import SfccConnector

    companion = kw.pop("companion", True)
    args = {**creds, "currency": "USD", "options": FAST, **kw}
    if companion:
        args.setdefault("companion_url", f"{h.url}/s/-/dw/custom/giftcert-sync/v1")
    auth_url = f"{h.url}/dw/oauth2/access_token"
    return SfccConnector(
        "s-sfcc", base_url=h.url, auth_url=auth_url, sleep=h.sleep, clock=h.clock, **args
    )


_APPS = {"shift4shop": _shift4shop_app, "bigcommerce": _bigcommerce_app, "sfcc": _sfcc_app}
_BUILDERS = {
    "shift4shop": _build_shift4shop,
    "bigcommerce": _build_bigcommerce,
    "sfcc": _build_sfcc,
}


async def start_harness(platform: str) -> tuple[Harness, web.AppRunner]:
    clock = FakeClock()
    app, creds = _APPS[platform](clock)
    runner, url = await serve(app)
    builder = _BUILDERS[platform]
    harness = Harness(
        platform,
        app,
        url,
        aiohttp.ClientSession(),
        lambda h, **kw: builder(h, creds, **kw),
        clock,
    )
    return harness, runner


async def stop_harness(harness: Harness, runner: web.AppRunner) -> None:
    for connector in harness.connectors:
        await connector.aclose()
    await harness.http.close()
    await runner.cleanup()


@pytest.fixture(params=PLATFORMS)
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    h, runner = await start_harness(request.param)
    try:
        yield h
    finally:
        await stop_harness(h, runner)


def codes_of(certs: Iterable[Any]) -> set[str]:
    return {c.code for c in certs}
