"""The SFCC sandbox companion: no in-place balance change and no call without a site (what no
real instance can do), and its switch ``refuse_deleted_code_reuse`` (an unknown of real
instances) both ways."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from syncd.sandbox.common import serve
from syncd.sandbox.sfcc import SfccSandboxConfig, create_app
from syncd.sandbox.sfcc_companion import COMPANION_BASE

SITE = "SiteGenesis"
DATA = f"/s/-/dw/data/v23_2/sites/{SITE}/gift_certificates"
CERTS = COMPANION_BASE + "/gift_certificates"
USD5 = {"currency_mnemonic": "USD", "value": 5}

Call = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
async def sandbox() -> AsyncIterator[Callable[..., Awaitable[Call]]]:
    runners: list[web.AppRunner] = []
    http = aiohttp.ClientSession()

    async def start(**switches: bool) -> Call:
        config = SfccSandboxConfig(site_id=SITE, **switches)
        runner, base = await serve(create_app(config))
        runners.append(runner)
        basic = base64.b64encode(f"{config.client_id}:{config.client_secret}".encode()).decode()
        async with http.post(
            f"{base}/dw/oauth2/access_token",
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "client_credentials"},
        ) as r:
            token = (await r.json())["access_token"]

        async def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.request(method, base + path, headers=headers, **kwargs) as r:
                text = await r.text()
                return r.status, (await r.json(content_type=None)) if text else None

        return call

    yield start
    await http.close()
    for runner in runners:
        await runner.cleanup()


def _name(body: Any) -> str:
    return str(body["type"]).rsplit("/", 1)[-1]


async def test_there_is_no_in_place_balance_change_and_no_call_without_a_site(
    sandbox: Callable[..., Awaitable[Call]],
) -> None:
    call = await sandbox()
    body = {"code": "STRICT-0001", "amount": USD5}
    status, answer = await call("POST", CERTS, json=body)
    assert (status, _name(answer)) == (400, "site-required")
    status, _ = await call("POST", CERTS, json=body, params={"siteId": SITE})
    assert status == 201
    status, _ = await call(
        "PUT",
        f"{CERTS}/STRICT-0001/balance",
        json={"balance": {**USD5, "value": 2}},
        params={"siteId": SITE},
    )
    assert status in (404, 405)
    _, doc = await call("GET", f"{CERTS}/STRICT-0001", params={"siteId": SITE})
    assert doc["balance"]["value"] == 5.0


@pytest.mark.parametrize(("refuse", "expected"), [(False, 201), (True, 409)])
async def test_refuse_deleted_code_reuse(
    sandbox: Callable[..., Awaitable[Call]], refuse: bool, expected: int
) -> None:
    call = await sandbox(refuse_deleted_code_reuse=refuse)
    site = {"siteId": SITE}
    body = {"code": "AGAIN-0001", "amount": USD5}
    _, first = await call("POST", CERTS, json=body, params=site)
    assert (await call("DELETE", f"{DATA}/{first['merchant_id']}"))[0] == 204
    status, answer = await call("POST", CERTS, json=body, params=site)
    assert status == expected
    if refuse:
        assert _name(answer) == "code-not-reusable"
    else:
        assert answer["merchant_id"] != first["merchant_id"]
