"""The side door's registry routes, served on loopback over a polled ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from syncd.ledger import Ledger
from syncd.registries.poll import poll_registries
from syncd.registries.routes import registry_routes
from tests.registries.conftest import Shop, item

ADMIN = {"Authorization": "Bearer operator"}


@pytest.fixture
async def client(
    shop: Shop, ledger: Ledger
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    wedding = shop.add(
        "Wedding", [item(11, listed=3)], Message="Thanks!",
        CustomerAddressBook={"FirstName": "Ann", "City": "Paris"},
    )  # fmt: skip
    shop.add("Baby", [item(21)])
    await poll_registries(ledger, "us", [shop.connector], now=shop.now())
    await shop.sell(wedding, 11, 1)
    await poll_registries(ledger, "us", [shop.connector], now=shop.now())
    app = web.Application()
    app.add_routes(
        registry_routes(
            lambda _: ledger, lambda r: r.headers.get("Authorization") == ADMIN["Authorization"]
        )
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def test_list(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.get("/v1/registries")
    assert response.status == 200
    body = await response.json()
    assert [(r["store"], r["id"], r["name"], r["available"]) for r in body["registries"]] == [
        ("main-3dcart", "1", "Wedding", 2),
        ("main-3dcart", "2", "Baby", 2),
    ]
    assert (await (await client.get("/v1/registries?store=other")).json()) == {"registries": []}


async def test_one_registry_with_items_and_journal(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/v1/registries/main-3dcart/1")
    assert response.status == 200
    body = await response.json()
    assert body["items"][0]["sold"] == 1
    assert [(r["kind"], r["quantity"]) for r in body["journal"]] == [
        ("created", None),
        ("item_sold", 1),
    ]
    assert "address" not in body  # personal data: operator only
    assert "message" not in body
    full = await (await client.get("/v1/registries/main-3dcart/1", headers=ADMIN)).json()
    assert full["message"] == "Thanks!"
    assert full["address"]["city"] == "Paris"


async def test_unknown_registry_is_404(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.get("/v1/registries/main-3dcart/99")
    assert response.status == 404
    assert "no registry '99' on store 'main-3dcart'" in (await response.json())["error"]
