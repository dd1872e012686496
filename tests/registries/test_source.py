"""The 3dcart registry source against the sandbox over loopback: paging, items, failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from syncd.errors import AuthError
from syncd.platforms.shift4shop import Shift4ShopConnector
from syncd.platforms.shift4shop_registries import parse_date
from syncd.registries.model import RegistryAddress, RegistryListingItem, collect_registries
from syncd.registries.source import READ_ONLY, RegistrySource, RegistryWriter, registry_source
from syncd.sandbox.shift4shop_registries import BOOK_KEY
from tests.registries.conftest import Shop, item


def many(shop: Shop, registries: int, items: int) -> list[str]:
    return [
        shop.add(f"R{r}", [item(100 + i, listed=1 + i % 3) for i in range(items)])
        for r in range(registries)
    ]


async def _requests(shop: Shop, fragment: str) -> int:
    async with shop.http.get(f"{shop.url}/_sandbox/stats") as response:
        routes = (await response.json())["by_route"]
    return sum(n for route, n in routes.items() if fragment in route)


async def test_the_connector_offers_a_read_only_registry_source(shop: Shop) -> None:
    source = registry_source(shop.connector)
    assert isinstance(source, RegistrySource)
    assert not isinstance(source, RegistryWriter)
    assert source.store == "main-3dcart"
    assert source.registry_capabilities == READ_ONLY
    assert not source.registry_capabilities.writable


def test_stores_without_registries_have_no_source() -> None:
    class NoRegistries:
        capabilities = None

    assert registry_source(NoRegistries()) is None
    assert registry_source(object()) is None


async def test_many_registries_across_pages_with_every_field(shop: Shop) -> None:
    ids = many(shop, registries=11, items=4)
    first = ids[0]
    await shop.admin(
        "PATCH",
        f"/{first}",
        {
            "Message": "Thank you!",
            "ShipToAddress": True,
            "Event": "06/20/2026 15:00",
            "Expires": "12/31/2026 00:00",
            "CustomerAddressBook": {"FirstName": "Ann", "City": "Paris", "ZipCode": "75001"},
        },
    )
    await shop.sell(first, 101, 2, offline=True)
    snapshot = await collect_registries("main-3dcart", shop.source(page_size=4).list_registries())
    assert snapshot.complete, snapshot.reason
    assert [r.remote_id for r in snapshot.registries] == ids
    assert all(len(r.items) == 4 for r in snapshot.registries)
    registry = snapshot.registries[0]
    assert registry.message == "Thank you!"
    assert registry.ship_to_address is True
    assert registry.event_at == datetime(2026, 6, 20, 15, 0, tzinfo=UTC)
    assert registry.expires_at == datetime(2026, 12, 31, tzinfo=UTC)
    assert registry.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert registry.address == RegistryAddress(first_name="Ann", city="Paris", zip_code="75001")
    assert registry.currency == "USD"
    pan = registry.items_by_id["101"]
    assert (pan.sku, pan.name, pan.listed, pan.price) == (
        "SKU-101",
        "Item 101",
        2,
        Decimal("10.00"),
    )
    assert (pan.sold, pan.sold_offline) == (0, 2)
    # count + 3 pages of 4 (the last one short: count and end agree without a 4th request)
    assert await _requests(shop, "GiftRegistries") == 4


async def test_items_beyond_the_inline_list_are_paged_from_items(cut_shop: Shop) -> None:
    [big, small] = [
        cut_shop.add("Big", [item(i) for i in range(1, 8)]),
        cut_shop.add("Two", [item(1), item(2)]),
    ]
    snapshot = await collect_registries(
        "main-3dcart", cut_shop.source(page_size=3).list_registries()
    )
    assert snapshot.complete, snapshot.reason
    by_id = {r.remote_id: r for r in snapshot.registries}
    assert [i.catalog_id for i in by_id[big].items] == [str(i) for i in range(1, 8)]
    assert len(by_id[small].items) == 2
    # only the registry whose inline list is short is paged: 7 items, pages of 3 → 3 requests
    assert await _requests(cut_shop, "/Items") == 3


async def test_get_registry_reads_all_its_items(cut_shop: Shop) -> None:
    registry_id = cut_shop.add("Big", [item(i) for i in range(1, 6)])
    registry = await cut_shop.source(page_size=2).get_registry(registry_id)
    assert registry is not None
    assert len(registry.items) == 5
    assert await cut_shop.source().get_registry("999") is None


async def test_no_registries_is_a_complete_empty_listing(shop: Shop) -> None:
    snapshot = await collect_registries("main-3dcart", shop.source().list_registries())
    assert snapshot.complete
    assert snapshot.registries == ()


async def test_a_failing_store_ends_the_listing_incomplete(shop: Shop) -> None:
    many(shop, registries=3, items=1)
    shop.faults(error_rate=1.0)
    snapshot = await collect_registries("main-3dcart", shop.source().list_registries())
    assert not snapshot.complete
    assert "HTTP 500" in (snapshot.reason or "")


async def test_a_failure_mid_listing_keeps_what_was_read_but_is_incomplete(shop: Shop) -> None:
    many(shop, registries=6, items=1)
    source = shop.source(page_size=2)
    listing = source.list_registries()
    first = await anext(listing)  # the first page
    shop.faults(error_rate=1.0)
    rest = [page async for page in listing]
    snapshot = await collect_registries("main-3dcart", _replay([first, *rest]))
    assert not snapshot.complete
    assert len(snapshot.registries) == 2


async def test_a_silently_truncated_page_is_re_read_not_skipped(shop: Shop) -> None:
    ids = many(shop, registries=8, items=1)
    shop.faults(truncate_rate=0.5, seed=3)
    snapshot = await collect_registries("main-3dcart", shop.source(page_size=4).list_registries())
    assert [r.remote_id for r in snapshot.registries] == ids
    assert snapshot.complete


async def test_an_unreadable_registry_is_skipped_and_makes_the_listing_incomplete(
    shop: Shop,
) -> None:
    ids = many(shop, registries=3, items=1)
    # A store answering a record we cannot read: a negative Sold count on one item.
    shop.app[BOOK_KEY].registries[int(ids[1])].items[100].sold = -3
    snapshot = await collect_registries("main-3dcart", shop.source().list_registries())
    assert [r.remote_id for r in snapshot.registries] == [ids[0], ids[2]]
    assert not snapshot.complete
    [problem] = snapshot.problems
    assert problem.record_key == ids[1]
    assert "Sold is not a quantity: -3" in problem.reason


async def test_refused_credentials_raise(shop: Shop) -> None:
    shop.add("R")
    bad = Shift4ShopConnector(
        "main-3dcart",
        base_url=shop.url,
        secure_url="https://sandbox-store.3dcartstores.com",
        private_key="wrong",
        token="wrong-token",
        currency="USD",
    )
    try:
        with pytest.raises(AuthError) as caught:
            await collect_registries("main-3dcart", bad.registries.list_registries())
        assert "wrong-token" not in str(caught.value)
    finally:
        await bad.aclose()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/06/2019 14:36", datetime(2019, 3, 6, 14, 36, tzinfo=UTC)),
        ("03/06/2019 14:36:05", datetime(2019, 3, 6, 14, 36, 5, tzinfo=UTC)),
        ("03/06/2019", datetime(2019, 3, 6, tzinfo=UTC)),
        ("2019-03-06T14:36:00Z", datetime(2019, 3, 6, 14, 36, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_registry_dates(raw: str | None, expected: datetime | None) -> None:
    assert parse_date(raw, "Expires") == expected


def test_a_bad_date_names_the_field_and_value() -> None:
    with pytest.raises(ValueError, match=r"Expires is not a date .*'31/31/2019'"):
        parse_date("31/31/2019", "Expires")


async def _replay(items: list[RegistryListingItem]) -> AsyncIterator[RegistryListingItem]:
    for one in items:
        yield one
