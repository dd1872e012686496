"""3dcart sandbox GiftRegistries (seed 002) and its sandbox-only admin routes, over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from syncd.sandbox.common import FAULTS_KEY
from syncd.sandbox.shift4shop import Shift4ShopSandboxConfig, create_app
from syncd.sandbox.shift4shop_registries import (
    add_registry,
    add_registry_item,
    modify_registry,
    sell_registry_item,
)
from syncd.sandbox.shift4shop_wire import OFFSET_EXCEEDS
from tests.sandbox.conftest import ServeApp, Served

REG = "/3dCartWebAPI/v2/GiftRegistries"
AUTH = {
    "SecureURL": "https://sandbox-store.3dcartstores.com",
    "PrivateKey": "sandbox-private-key",
    "Token": "sandbox-token",
}
PAN = {"CatalogID": 11, "SKU": "PAN-1", "ItemName": "Pan", "Listed": 2, "Price": "19.99"}
MUG = {"CatalogID": 12, "SKU": "MUG-1", "ItemName": "Mug", "Listed": 6, "Price": 4.5}


class FakeNow:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Store:
    served: Served
    now: FakeNow

    @property
    def app(self) -> web.Application:
        return self.served.app

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        headers = AUTH if path.startswith(REG) else {}
        url = self.served.url + path
        async with self.served.http.request(method, url, headers=headers, **kw) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
def now() -> Iterator[FakeNow]:
    return FakeNow()


@pytest.fixture
async def store(serve_app: ServeApp, now: FakeNow) -> Store:
    return Store(await serve_app(create_app(Shift4ShopSandboxConfig(now=now))), now)


def three_registries(store: Store) -> None:
    add_registry(
        store.app,
        {"Name": "Wedding", "Event": "06/20/2026 15:00", "Expires": "12/31/2026 00:00",
         "Items": [PAN, MUG]},
    )  # fmt: skip
    store.now.now += timedelta(days=30)
    add_registry(store.app, {"Name": "Baby", "Event": "03/01/2026 10:00", "Items": [MUG]})
    store.now.now += timedelta(days=30)
    add_registry(store.app, {"Name": "Empty"})


async def test_list_shape_and_paging(store: Store) -> None:
    three_registries(store)
    status, body = await store.call("GET", REG)
    assert status == 200
    assert [r["Name"] for r in body] == ["Wedding", "Baby", "Empty"]
    wedding = body[0]
    assert wedding["GiftRegistryID"] == 1
    assert wedding["Created"] == "01/10/2026 09:30"
    assert wedding["Event"] == "06/20/2026 15:00"
    assert wedding["Items"] == 2
    assert wedding["Sold"] == 0
    assert set(wedding) == {
        "CustomerAddressBook", "GiftRegistryID", "Name", "Created", "LastUpdate", "Expires",
        "Event", "Message", "ShipToAddress", "Sold", "Items", "GiftRegistryItemList",
    }  # fmt: skip
    assert wedding["GiftRegistryItemList"][0] == {
        "CatalogID": 11, "SKU": "PAN-1", "ItemName": "Pan", "Listed": 2, "Price": 19.99,
        "Subtotal": 39.98, "Sold": 0, "SoldOffline": 0,
    }  # fmt: skip
    status, body = await store.call("GET", REG + "?limit=1&offset=2")
    assert [r["Name"] for r in body] == ["Baby"]
    status, body = await store.call("GET", REG + "?offset=4")
    assert status == 400
    assert body[0]["Message"] == OFFSET_EXCEEDS


async def test_no_registries_is_404(store: Store) -> None:
    status, body = await store.call("GET", REG)
    assert status == 404
    assert body[0]["Message"] == "No Gift Registry record(s) found."


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("datestartcreated=02/01/2026 00:00:00", ["Baby", "Empty"]),
        ("dateendcreated=02/09/2026 09:30:00", ["Wedding", "Baby"]),
        ("datestartevent=04/01/2026 00:00:00", ["Wedding"]),
        ("dateendevent=04/01/2026 00:00:00", ["Baby"]),
        ("datestartexpiration=01/01/2026", ["Wedding"]),
        ("catalogid=12", ["Wedding", "Baby"]),
        ("sku=pan-1", ["Wedding"]),
    ],
)
async def test_list_filters(store: Store, query: str, expected: list[str]) -> None:
    three_registries(store)
    status, body = await store.call("GET", f"{REG}?{query}")
    assert status == 200, body
    assert [r["Name"] for r in body] == expected


async def test_countonly_and_bad_date(store: Store) -> None:
    three_registries(store)
    assert await store.call("GET", REG + "?countonly=1&catalogid=12") == (200, {"TotalCount": 2})
    status, body = await store.call("GET", REG + "?datestartevent=tomorrow")
    assert status == 400
    assert body[0]["Key"] == "datestartevent"


async def test_by_id(store: Store) -> None:
    three_registries(store)
    status, body = await store.call("GET", REG + "/2")
    assert status == 200
    assert [r["Name"] for r in body] == ["Baby"]
    assert (await store.call("GET", REG + "/9"))[0] == 404
    assert (await store.call("GET", REG + "/abc"))[0] == 400


async def test_items(store: Store) -> None:
    three_registries(store)
    status, body = await store.call("GET", REG + "/1/Items")
    assert status == 200
    assert [i["CatalogID"] for i in body] == [11, 12]
    status, body = await store.call("GET", REG + "/1/Items?limit=1&offset=2")
    assert [i["CatalogID"] for i in body] == [12]
    status, body = await store.call("GET", REG + "/3/Items")  # a registry with no items
    assert status == 404
    status, _ = await store.call("GET", REG + "/9/Items")
    assert status == 404


async def test_registry_api_needs_auth(store: Store) -> None:
    three_registries(store)
    async with store.served.http.get(store.served.url + REG) as r:
        assert r.status == 401


async def test_admin_routes_add_modify_add_item_and_sell(store: Store) -> None:
    status, body = await store.call(
        "POST",
        "/_sandbox/registries",
        json={"Name": "Party", "Event": "07/04/2026 18:00", "Message": "Come!",
              "CustomerAddressBook": {"FirstName": "Ann", "City": "Paris"}},
    )  # fmt: skip
    assert status == 201
    assert body["GiftRegistryID"] == 1
    assert body["CustomerAddressBook"]["City"] == "Paris"
    store.now.now += timedelta(hours=2)
    status, body = await store.call(
        "PATCH", "/_sandbox/registries/1", json={"Name": "Big party", "ShipToAddress": True}
    )
    assert status == 200
    assert (body["Name"], body["ShipToAddress"]) == ("Big party", True)
    assert body["LastUpdate"] == "01/10/2026 11:30"
    status, body = await store.call("POST", "/_sandbox/registries/1/items", json=PAN)
    assert status == 201
    assert body["Subtotal"] == 39.98
    status, body = await store.call(
        "POST", "/_sandbox/registries/1/items/11/sell", json={"quantity": 2}
    )
    assert (status, body["Sold"], body["SoldOffline"]) == (200, 2, 0)
    status, body = await store.call(
        "POST", "/_sandbox/registries/1/items/11/sell", json={"quantity": 1, "offline": True}
    )
    assert (status, body["Sold"], body["SoldOffline"]) == (200, 2, 1)
    _, listed = await store.call("GET", REG + "/1")
    assert (listed[0]["Sold"], listed[0]["Items"]) == (3, 1)


@pytest.mark.parametrize(
    ("method", "path", "payload", "expected"),
    [
        ("POST", "/_sandbox/registries", {"Name": 5}, 400),
        ("POST", "/_sandbox/registries", {"Nmae": "typo"}, 400),
        ("POST", "/_sandbox/registries", {"Event": "soon"}, 400),
        ("PATCH", "/_sandbox/registries/9", {"Name": "x"}, 404),
        ("POST", "/_sandbox/registries/1/items", {"CatalogID": 0, "Price": 1}, 400),
        ("POST", "/_sandbox/registries/1/items", {"CatalogID": 5, "Price": "x"}, 400),
        ("POST", "/_sandbox/registries/1/items", PAN, 400),  # already listed
        ("POST", "/_sandbox/registries/1/items/99/sell", {"quantity": 1}, 404),
        ("POST", "/_sandbox/registries/1/items/11/sell", {"quantity": 0}, 400),
    ],
)
async def test_admin_refusals(
    store: Store, method: str, path: str, payload: dict[str, Any], expected: int
) -> None:
    add_registry(store.app, {"Name": "R", "Items": [PAN]})
    status, body = await store.call(method, path, json=payload)
    assert status == expected, body
    assert "error" in body


async def test_admin_routes_are_not_faulted(store: Store) -> None:
    store.app[FAULTS_KEY].update({"error_rate": 1})
    status, _ = await store.call("POST", "/_sandbox/registries", json={"Name": "R"})
    assert status == 201
    status, _ = await store.call("GET", REG)
    assert status == 500


def test_in_process_equivalents() -> None:
    now = FakeNow()
    app = create_app(Shift4ShopSandboxConfig(now=now))
    registry = add_registry(app, {"Name": "R"})
    modify_registry(app, registry.id, {"Message": "hello"})
    item = add_registry_item(app, registry.id, MUG)
    sell_registry_item(app, registry.id, 12, 3, offline=True)
    assert registry.message == "hello"
    assert (item.sold, item.sold_offline, item.price) == (0, 3, Decimal("4.50"))
    with pytest.raises(KeyError, match="CatalogID 99"):
        sell_registry_item(app, registry.id, 99, 1)
    with pytest.raises(KeyError, match="id 7"):
        modify_registry(app, 7, {})
