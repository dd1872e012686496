"""The official BigCommerce Python client (``bigcommerce`` on PyPI) against the sandbox.

Evidence that the sandbox speaks the real API: the client built by BigCommerce for the live
``api.bigcommerce.com`` creates, lists across pages, reads, updates and deletes gift
certificates here without any change to how it builds requests or parses answers.

Pointing it at the sandbox: ``BigcommerceApi(client_id=, store_hash=, access_token=)`` builds an
``OAuthConnection`` whose host comes from ``BC_API_ENDPOINT`` and whose ``full_path`` hard-codes
``https://``. The least hacky way in is to keep everything the client does and only swap its
connection for an ``OAuthConnection`` subclass that changes the scheme to ``http`` (the sandbox
listens on plain loopback HTTP) and takes the host ``127.0.0.1:PORT``. Headers (``X-Auth-Token``,
``X-Auth-Client``), paths (``/stores/{hash}/v2/...``), JSON handling and the rate-limit header
parsing are all the client's own. The client is synchronous (``requests``), so each call runs
in a worker thread while the sandbox serves on the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from bigcommerce.api import BigcommerceApi
from bigcommerce.connection import OAuthConnection
from bigcommerce.exception import ClientRequestException, RateLimitingException

from syncd.sandbox.bigcommerce import BC_LIMITER_KEY, BigCommerceSandboxConfig, create_app, seed
from syncd.sandbox.common import SeedCertificate, serve

STORE_HASH = "officialstore"
CLIENT_ID = "official-client-id"
TOKEN = "official-access-token"
T = TypeVar("T")


class LoopbackOAuthConnection(OAuthConnection):  # type: ignore[misc]
    """The client's own OAuth connection; only the URL scheme differs (http on loopback)."""

    def full_path(self, url: str) -> str:
        return "http://" + self.host + self.api_path.format(self.store_hash, url)


def official_client(base_url: str) -> BigcommerceApi:
    api = BigcommerceApi(client_id=CLIENT_ID, store_hash=STORE_HASH, access_token=TOKEN)
    host = urlsplit(base_url).netloc  # "127.0.0.1:PORT"
    api.connection = LoopbackOAuthConnection(CLIENT_ID, STORE_HASH, TOKEN, host=host)
    return api


async def in_thread(call: Callable[[], T]) -> T:
    return await asyncio.to_thread(call)


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[Any, BigcommerceApi]]:
    app = create_app(BigCommerceSandboxConfig(store_hash=STORE_HASH, access_token=TOKEN))
    runner, url = await serve(app)
    yield app, official_client(url)
    await runner.cleanup()


PEOPLE = {
    "to_name": "John Doe",
    "to_email": "johndoe@example.com",
    "from_name": "Jane Doe",
    "from_email": "janedoe@example.com",
}


async def test_official_client_create_list_read_update_delete(
    sandbox: tuple[Any, BigcommerceApi],
) -> None:
    app, api = sandbox
    seed(app, (SeedCertificate(f"S{i:04d}", Decimal(20), Decimal(20)) for i in range(300)))

    created = await in_thread(
        lambda: api.GiftCertificates.create(
            **PEOPLE,
            amount="1000",
            code="FFZ-5N4-C7M-S78-EXTRA-LONG",
            expiry_date="Mon, 02 Jan 2023 08:45:38 CST",
            template="celebration.html",
            message="Congratulations!",
        )
    )
    assert created.code == "FFZ-5N4-C7M-S78-EXTR"  # trimmed to 20
    assert created.amount == "1000.0000"
    assert created.expiry_date == "1672670738"

    # iterall pages with limit=250 until the 204 of an empty page: 250 + 51 records.
    listed = await in_thread(lambda: list(api.GiftCertificates.iterall()))
    assert len(listed) == 301
    assert [c.id for c in listed] == sorted(c.id for c in listed)
    assert listed[-1].id == created.id
    page_two = await in_thread(lambda: api.GiftCertificates.all(page=2, limit=100))
    assert [c.code for c in page_two][:2] == ["S0100", "S0101"]

    fetched = await in_thread(lambda: api.GiftCertificates.get(created.id))
    assert (fetched.code, fetched.balance) == (created.code, "1000.0000")

    updated = await in_thread(lambda: fetched.update(balance="750.25", status="disabled"))
    assert (updated.balance, updated.status) == ("750.2500", "disabled")

    await in_thread(updated.delete)
    with pytest.raises(ClientRequestException) as missing:
        await in_thread(lambda: api.GiftCertificates.get(created.id))
    assert missing.value.response.status_code == 404


async def test_official_client_sees_rate_limits_errors_and_the_empty_store(
    sandbox: tuple[Any, BigcommerceApi],
) -> None:
    app, api = sandbox
    empty = await in_thread(lambda: api.GiftCertificates.all())
    assert api.connection._last_response.status_code == 204
    assert str(empty) == "{}"  # the client's "no objects" (its repr hides its _connection)
    assert api.connection.rate_limit["requests_quota"] == 10_000

    with pytest.raises(ClientRequestException) as too_big:
        await in_thread(lambda: api.GiftCertificates.all(limit=251))
    assert too_big.value.response.status_code == 413

    with pytest.raises(ClientRequestException) as invalid:
        await in_thread(lambda: api.GiftCertificates.create(to_name="only a name", amount=5))
    assert invalid.value.response.json()[0]["status"] == 400

    app[BC_LIMITER_KEY].quota = 0  # spend the quota
    with pytest.raises(RateLimitingException) as throttled:
        await in_thread(lambda: api.GiftCertificates.all())
    assert throttled.value.response.headers["X-Rate-Limit-Requests-Left"] == "0"


async def test_official_client_delete_all(sandbox: tuple[Any, BigcommerceApi]) -> None:
    app, api = sandbox
    seed(app, (SeedCertificate(f"D{i}", Decimal(5), Decimal(5)) for i in range(10)))
    await in_thread(lambda: api.GiftCertificates.delete_all())
    assert str(await in_thread(lambda: api.GiftCertificates.all())) == "{}"
    assert api.connection._last_response.status_code == 204
