"""Every answer a store gives is bounded: time per request, body size, server-given waits,
the cycle deadline, pages per listing; and no redirect is followed. Real loopback sandboxes
with hostile answers switched on (``syncd.sandbox.hostile``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from multidict import CIMultiDict

from syncd.errors import RateLimited, Redirected, ResponseTooLarge, Transient
from syncd.platforms.base import collect
from syncd.platforms.bigcommerce import BigCommerceConnector
from syncd.platforms.http import HeaderRateLimiter, Response, cycle_deadline, server_wait
from syncd.platforms.shift4shop import Shift4ShopConnector
from syncd.sandbox.common import serve
from tests.contract.conftest import FAST, PLATFORMS, FakeClock, Harness, start_harness, stop_harness

CREDENTIAL_HEADERS = ("x-auth-token", "privatekey", "token", "authorization", "securekey")


async def _harness(platform: str) -> AsyncIterator[Harness]:
    h, runner = await start_harness(platform)
    try:
        yield h
    finally:
        await stop_harness(h, runner)


@pytest.fixture
async def bc() -> AsyncIterator[Harness]:
    async for h in _harness("bigcommerce"):
        yield h


@pytest.fixture
async def sfcc() -> AsyncIterator[Harness]:
    async for h in _harness("sfcc"):
        yield h


@pytest.fixture
async def shop() -> AsyncIterator[Harness]:
    async for h in _harness("shift4shop"):
        yield h


@pytest.fixture(params=PLATFORMS)
async def any_store(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async for h in _harness(request.param):
        yield h


# -- time and size per request ------------------------------------------------------------


async def test_a_trickling_body_is_bounded_by_the_timeout(bc: Harness) -> None:
    [code] = bc.seed(1)
    c = bc.connector(options=replace(FAST, timeout=0.5, max_attempts=2))
    await bc.faults(trickle_ms=200)  # one byte every 0.2 s: a read timer would never fire
    started = time.monotonic()
    with pytest.raises(Transient, match="timed out"):
        async with asyncio.timeout(4):  # the whole body would take minutes
            await c.get_certificate(bc.remote_id(code))
    assert time.monotonic() - started < 2.5  # two attempts of 0.5 s, backoff not slept


async def test_an_answer_over_the_size_limit_is_refused_naming_store_and_limit(
    bc: Harness,
) -> None:
    bc.seed(300)
    c = bc.connector(options=replace(FAST, max_body_bytes=20_000))
    snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert snapshot.reason is not None
    assert snapshot.reason.startswith("s-bc: ")
    assert "larger than the 20000 bytes limit (max_response_mb)" in snapshot.reason
    assert c.stats.retries == 0  # a larger answer would come again: not retried


async def test_an_endless_body_is_cut_at_the_limit_while_read() -> None:
    """No Content-Length: the body is read in chunks and refused once past the cap."""

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            while True:
                await response.write(b"[" * 65536)
        except ConnectionError:
            return response

    app = web.Application()
    app.router.add_get("/stores/h/v2/gift_certificates/{id}", endless)
    runner, url = await serve(app)
    options = replace(FAST, max_body_bytes=1024 * 1024)
    c = BigCommerceConnector("bc-big", base_url=url, store_hash="h", access_token="t",
                             options=options)  # fmt: skip
    try:
        with pytest.raises(ResponseTooLarge, match=r"^bc-big: .*1 MB limit"):
            async with asyncio.timeout(4):
                await c.get_certificate("7")
    finally:
        await c.aclose()
        await runner.cleanup()


# -- server-given waits -------------------------------------------------------------------


def _answer(**headers: str) -> Response:
    return Response(429, CIMultiDict(headers), b"")


def test_server_waits_are_capped_at_the_window_and_at_sixty_seconds() -> None:
    huge = "1000000000"
    assert server_wait(_answer(**{"X-Rate-Limit-Time-Reset-Ms": huge})) == 60.0
    windowed = {"X-Rate-Limit-Time-Reset-Ms": huge, "X-Rate-Limit-Time-Window-Ms": "30000"}
    assert server_wait(_answer(**windowed)) == 30.0
    assert server_wait(_answer(**{"Retry-After": huge})) == 60.0
    assert server_wait(_answer(**{"X-Retry-After": huge})) == 60.0
    assert server_wait(_answer(**{"Retry-After": "2"})) == 2.0


def test_the_limiter_never_waits_past_the_window_a_reset_claims() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock)
    limiter.update(
        {
            "X-Rate-Limit-Requests-Left": "0",
            "X-Rate-Limit-Requests-Quota": "150",
            "X-Rate-Limit-Time-Reset-Ms": "1000000000",
            "X-Rate-Limit-Time-Window-Ms": "30000",
        }
    )
    assert limiter.reserve() <= 30.0


async def test_a_huge_reset_header_is_waited_at_most_the_window(bc: Harness) -> None:
    [code] = bc.seed(1)
    c = bc.connector()
    await bc.faults(throttle_next=1, rate_reset_ms=10**9)
    found = await c.get_certificate(bc.remote_id(code))
    assert found is not None
    await bc.faults(rate_reset_ms=None)
    assert await c.get_certificate(bc.remote_id(code)) is not None
    assert bc.sleeps  # it did wait for the 429 ...
    assert max(bc.sleeps) <= 30.0  # ... but never beyond the sandbox's 30 s window


async def test_a_wait_past_the_cycle_deadline_fails_at_once(bc: Harness) -> None:
    [code] = bc.seed(1)
    c = bc.connector()
    await bc.faults(throttle_next=1, rate_reset_ms=10**9)
    with cycle_deadline(time.monotonic() + 5):
        with pytest.raises(RateLimited):  # the 429 itself, not retried after 30 s
            await c.get_certificate(bc.remote_id(code))
        # The limiter now believes the quota spent until the window's end: not sent.
        with pytest.raises(RateLimited, match="past the cycle deadline"):
            await c.get_certificate(bc.remote_id(code))
    assert bc.sleeps == []


# -- listings -----------------------------------------------------------------------------


async def _list_requests(h: Harness, fragment: str) -> int:
    return await h.route_count("GET", fragment)


async def test_an_sfcc_total_above_the_ceiling_ends_the_listing_at_once(sfcc: Harness) -> None:
    sfcc.seed(6)
    await sfcc.faults(list_total=10**7)
    c = sfcc.connector()
    async with asyncio.timeout(10):  # unbounded, it would ask for 50,000 pages
        snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert "above the ceiling of 5000000 (max_certificates)" in (snapshot.reason or "")
    assert await _list_requests(sfcc, "gift_certificates") <= 2


async def test_an_sfcc_total_that_lies_ends_the_listing_after_a_few_pages(sfcc: Harness) -> None:
    sfcc.seed(6)
    await sfcc.faults(list_total=10**6)  # believable, but only 6 records exist
    c = sfcc.connector(page_size=2)
    async with asyncio.timeout(10):
        snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert "empty, short of the total 1000000" in (snapshot.reason or "")
    assert len(snapshot.certificates) == 6
    assert await _list_requests(sfcc, "gift_certificates") <= 4 + 2 * FAST.max_concurrency


async def test_sfcc_pages_that_repeat_end_the_listing_as_incomplete(sfcc: Harness) -> None:
    sfcc.seed(25)
    await sfcc.faults(repeat_pages=True)
    c = sfcc.connector(page_size=10)
    snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert "page 2 repeats an earlier page" in (snapshot.reason or "")


async def test_a_3dcart_count_of_a_trillion_is_not_believed(shop: Harness) -> None:
    shop.seed(5)
    await shop.faults(list_total=10**12)
    c = shop.connector(page_size=10)
    snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert "above the ceiling" in (snapshot.reason or "")
    assert await _list_requests(shop, "GiftCertificates") == 1  # the count only


async def test_a_3dcart_count_of_a_trillion_under_a_raised_ceiling_plans_offsets_lazily(
    shop: Harness,
) -> None:
    shop.seed(5)
    await shop.faults(list_total=10**12)
    c = shop.connector(page_size=10, max_certificates=10**13)
    snapshot = await collect(c.store, c.list_certificates())  # MemoryError on a list of offsets
    assert not snapshot.complete
    assert len(snapshot.certificates) == 5
    assert await _list_requests(shop, "GiftCertificates") <= 3 + 2 * FAST.max_concurrency


async def test_3dcart_pages_past_the_count_end_the_listing() -> None:
    """A count of 10, then full pages of new records without end: stopped past the count
    plus its slack (two pages)."""
    asked: list[int] = []

    async def endless(request: web.Request) -> web.Response:
        if "countonly" in request.query:
            return web.json_response({"TotalCount": 10})
        offset = int(request.query["offset"])
        asked.append(offset)
        codes = range(offset, offset + int(request.query["limit"]))
        return web.json_response([_record(f"ENDLESS{n:06d}") for n in codes])

    app = web.Application()
    app.router.add_get("/3dCartWebAPI/v2/GiftCertificates", endless)
    runner, url = await serve(app)
    c = Shift4ShopConnector("shop-e", base_url=url, secure_url="s", private_key="k",
                            token="t", currency="USD", page_size=10)  # fmt: skip
    try:
        async with asyncio.timeout(4):
            snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert not snapshot.complete
    assert "goes past the 10 certificates the store promised" in (snapshot.reason or "")
    assert len(asked) <= 4


def _record(code: str) -> dict[str, object]:
    return {"CertificateCode": code, "Amount": 5, "Balance": 5, "DateCreated": ""}


async def test_3dcart_pages_that_repeat_an_earlier_page_end_the_listing(shop: Harness) -> None:
    shop.seed(30)
    await shop.faults(repeat_pages=True)
    c = shop.connector(page_size=10)
    snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert "repeats an earlier page" in (snapshot.reason or "")


async def test_bigcommerce_pages_that_repeat_end_the_listing(bc: Harness) -> None:
    bc.seed(30)
    await bc.faults(repeat_pages=True)
    c = bc.connector(page_size=10)
    snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    assert "page 2 repeats an earlier page" in (snapshot.reason or "")
    assert len(snapshot.certificates) == 10


async def test_bigcommerce_empty_pages_instead_of_the_end_answer_end_the_listing() -> None:
    """A store answering ``200 []`` for every page (never the 204) would be listed forever."""
    asked: list[str] = []

    async def empty(request: web.Request) -> web.Response:
        asked.append(request.query["page"])
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/stores/h/v2/gift_certificates", empty)
    runner, url = await serve(app)
    c = BigCommerceConnector("bc-empty", base_url=url, store_hash="h", access_token="t")
    try:
        async with asyncio.timeout(4):
            snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert not snapshot.complete
    assert "page 2 repeats an earlier page" in (snapshot.reason or "")
    assert len(asked) <= 3


# -- redirects ----------------------------------------------------------------------------


class Elsewhere:
    """Another loopback origin that records the headers every request brought."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append({k.lower(): v for k, v in request.headers.items()})
        return web.json_response([])


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[Elsewhere, str]]:
    target = Elsewhere()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", target.handle)
    runner, url = await serve(app)
    try:
        yield target, url.replace("127.0.0.1", "localhost")
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirect_is_never_followed_and_names_status_and_host(
    any_store: Harness, elsewhere: tuple[Elsewhere, str], status: int
) -> None:
    target, origin = elsewhere
    any_store.seed(3)
    await any_store.faults(redirect_to=origin, redirect_status=status)
    c = any_store.connector()
    async with asyncio.timeout(4):
        snapshot = await collect(c.store, c.list_certificates())
    assert not snapshot.complete
    reason = snapshot.reason or ""
    assert f"HTTP {status} redirect to host localhost, not followed" in reason
    assert origin not in reason
    assert "?" not in reason
    assert target.seen == []  # nothing, and so no credential, reached the other origin


async def test_a_redirected_request_raises_the_typed_error(
    bc: Harness, elsewhere: tuple[Elsewhere, str]
) -> None:
    target, origin = elsewhere
    [code] = bc.seed(1)
    await bc.faults(redirect_to=origin, redirect_status=307)
    c = bc.connector()
    with pytest.raises(Redirected) as raised:
        await c.get_certificate(bc.remote_id(code))
    assert (raised.value.status, raised.value.host) == (307, "localhost")
    assert not any(h in seen for seen in target.seen for h in CREDENTIAL_HEADERS)
