"""SFCC against its sandbox with each unsettled behaviour played both ways (quirks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.contract.conftest import Harness, start_harness, stop_harness


@pytest.fixture
async def sfcc() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("sfcc")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


async def _shop_status(sfcc: Harness, headers: dict[str, str]) -> int:
    url = f"{sfcc.url}/s/SiteGenesis/dw/shop/v23_2/gift_certificate"
    body = {"gift_certificate_code": "X"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as resp,
    ):
        return resp.status


@pytest.mark.parametrize("quirk", [None, "sfcc-shop-api-bearer"])
async def test_shop_api_look_up_sends_the_bearer_token(sfcc: Harness, quirk: str | None) -> None:
    if quirk is not None:
        sfcc.quirk(quirk)
    [code] = sfcc.seed(1)
    c = sfcc.connector(companion=False)
    found = await c.find_by_code(code)
    assert found is not None
    assert found.code == code
    assert found.remote_id == sfcc.remote_id(code)
    assert await c.find_by_code("UNKNOWN-CODE") is None
    # the switch itself: the client id alone is refused only with the quirk on
    alone = await _shop_status(sfcc, {"x-dw-client-id": "sandbox-sfcc-shop-client"})
    assert alone == (401 if quirk else 404)
