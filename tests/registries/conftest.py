"""Fixtures: a 3dcart sandbox store on loopback with an injected clock, its registry source,
and helpers that change registries the way shoppers and the merchant would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from syncd.platforms.http import HttpOptions
from syncd.platforms.shift4shop import Shift4ShopConnector
from syncd.platforms.shift4shop_registries import Shift4ShopRegistries
from syncd.sandbox.common import FAULTS_KEY, serve
from syncd.sandbox.shift4shop import Shift4ShopSandboxConfig, create_app
from syncd.sandbox.shift4shop_registries import BOOK_KEY, REGISTRIES, Registry, add_registry

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STORE = "main-3dcart"
FAST = HttpOptions(timeout=5.0, max_attempts=3, max_retry_time=60.0)


class FakeNow:
    """The sandbox's wall clock (registry dates) and the diff's ``now``: moves when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def item(catalog_id: int, listed: int = 2, price: str = "10.00", **extra: Any) -> dict[str, Any]:
    return {
        "CatalogID": catalog_id,
        "SKU": f"SKU-{catalog_id}",
        "ItemName": f"Item {catalog_id}",
        "Listed": listed,
        "Price": price,
        **extra,
    }


@dataclass
class Shop:
    """One sandbox store and the connector talking to it."""

    app: web.Application
    url: str
    http: aiohttp.ClientSession
    now: FakeNow
    connector: Shift4ShopConnector
    sleeps: list[float] = field(default_factory=list)

    def source(self, page_size: int | None = None) -> Shift4ShopRegistries:
        return self.connector.make_registries(page_size=page_size)

    def add(self, name: str, items: list[dict[str, Any]] | None = None, **fields: Any) -> str:
        registry = add_registry(self.app, {"Name": name, "Items": items or [], **fields})
        return str(registry.id)

    def registry(self, registry_id: str) -> Registry:
        """The sandbox's own record (to make it say what a broken store would)."""
        return self.app[BOOK_KEY].registries[int(registry_id)]

    def drop(self, registry_id: str) -> None:
        """The merchant deleted a registry (the API has no route for it)."""
        del self.app[BOOK_KEY].registries[int(registry_id)]

    async def admin(self, method: str, path: str, body: dict[str, Any]) -> Any:
        url = f"{self.url}/_sandbox/registries{path}"
        async with self.http.request(method, url, json=body) as response:
            assert response.status in (200, 201), await response.text()
            return await response.json()

    async def sell(self, registry_id: str, catalog_id: int, qty: int, offline: bool = False) -> Any:
        """A sale recorded on the sandbox through its HTTP admin route."""
        path = f"/{registry_id}/items/{catalog_id}/sell"
        return await self.admin("POST", path, {"quantity": qty, "offline": offline})

    def faults(self, **changes: Any) -> None:
        self.app[FAULTS_KEY].update(changes)

    def fail_from_offset(self, offset: int | None) -> None:
        """Registry list pages from this offset on answer 500: a listing that breaks off."""
        self.app[FAIL_FROM][0] = offset


FAIL_FROM = web.AppKey("registry_fail_from", list)


def _fail_from(app: web.Application) -> None:
    app[FAIL_FROM] = [None]

    @web.middleware
    async def fail(request: web.Request, handler: Handler) -> web.StreamResponse:
        start = app[FAIL_FROM][0]
        offset = request.query.get("offset", "")
        listing = request.path == REGISTRIES and offset.isdigit()
        if start is not None and listing and int(offset) >= start:
            answer = [{"Key": "Error", "Value": "", "Status": "500", "Message": "broken"}]
            return web.json_response(answer, status=500)
        return await handler(request)

    app.middlewares.append(fail)


def cut_inline_items(app: web.Application, keep: int = 2) -> None:
    """Make the store list at most ``keep`` items inline (``Items`` still tells the truth),
    so the source must page ``/{id}/Items``: a store whose listing does not carry them all."""

    @web.middleware
    async def cut(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        path = request.path.rstrip("/")
        one = path.startswith(REGISTRIES + "/") and path[len(REGISTRIES) + 1 :].isdigit()
        if path != REGISTRIES and not one:
            return response
        if isinstance(response, web.Response) and response.status == 200 and response.body:
            body = json.loads(bytes(response.body))  # type: ignore[arg-type]
            if isinstance(body, list):
                for registry in body:
                    if isinstance(registry, dict) and "GiftRegistryItemList" in registry:
                        registry["GiftRegistryItemList"] = registry["GiftRegistryItemList"][:keep]
                response.body = json.dumps(body).encode()
        return response

    app.middlewares.append(cut)


async def start_shop(
    prepare: Callable[[web.Application], None] | None = None,
) -> tuple[Shop, Callable[[], Awaitable[None]]]:
    now = FakeNow()
    config = Shift4ShopSandboxConfig(now=now)
    app = create_app(config)
    _fail_from(app)
    if prepare is not None:
        prepare(app)
    runner, url = await serve(app)
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    connector = Shift4ShopConnector(
        STORE,
        base_url=url,
        secure_url=config.secure_url,
        private_key=config.private_key,
        token=config.token,
        currency="USD",
        options=FAST,
        sleep=fake_sleep,
    )
    http = aiohttp.ClientSession()
    shop = Shop(app, url, http, now, connector, sleeps)

    async def stop() -> None:
        await connector.aclose()
        await http.close()
        await runner.cleanup()

    return shop, stop


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    started, stop = await start_shop()
    try:
        yield started
    finally:
        await stop()


@pytest.fixture
async def cut_shop() -> AsyncIterator[Shop]:
    """A store that lists only two items of each registry inline."""
    started, stop = await start_shop(cut_inline_items)
    try:
        yield started
    finally:
        await stop()
