"""3dcart against its sandbox with each unsettled behaviour played both ways (quirks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from syncd.platforms.base import collect
from tests.contract.conftest import Harness, start_harness, stop_harness


@pytest.fixture
async def shop() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("shift4shop")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


async def test_the_default_page_is_200_records(shop: Harness) -> None:
    shop.seed(450)
    c = shop.connector()
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete
    assert len(snapshot.certificates) == 450
    assert await shop.route_count("GET", "GiftCertificates") == 1 + 3  # count, 200+200+50


@pytest.mark.parametrize(
    ("quirk", "status"),
    [
        (None, "400"),
        ("shift4shop-offset-exceeds-404", "404"),
        ("shift4shop-offset-exceeds-200", "200"),
    ],
)
async def test_offset_exceeds_ends_the_listing_whatever_its_status(
    shop: Harness, monkeypatch: pytest.MonkeyPatch, quirk: str | None, status: str
) -> None:
    if quirk is not None:
        shop.quirk(quirk)
    shop.seed(25)
    c = shop.connector(page_size=10)

    async def no_count() -> None:
        return None

    monkeypatch.setattr(c, "_count", no_count)  # page sequentially to the end answer
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete, snapshot.reason
    assert len(snapshot.certificates) == 25
    assert snapshot.problems == ()
    by_status = (await shop.stats())["by_status"]
    assert by_status.get(status, 0) == (1 if status != "200" else 4)  # the end answer
