"""The shared HTTP layer: limiter arithmetic (injected clock) and the retry policy against
a small scripted server on loopback."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from multidict import CIMultiDict

from syncd.errors import Transient
from syncd.platforms.http import (
    HeaderRateLimiter,
    HttpClient,
    HttpOptions,
    RateCeiling,
    Response,
    server_wait,
)
from syncd.sandbox.common import serve


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rate_headers(left: int, reset_ms: int, quota: int = 10) -> CIMultiDict[str]:
    # lower-case on purpose: header names may arrive in any case
    return CIMultiDict(
        {
            "x-rate-limit-requests-left": str(left),
            "x-rate-limit-requests-quota": str(quota),
            "x-rate-limit-time-window-ms": "30000",
            "x-rate-limit-time-reset-ms": str(reset_ms),
        }
    )


def test_limiter_without_headers_never_waits() -> None:
    limiter = HeaderRateLimiter(Clock())
    assert [limiter.reserve() for _ in range(5)] == [0, 0, 0, 0, 0]


def test_limiter_bursts_above_the_reserve_and_paces_it_evenly_to_the_reset() -> None:
    clock = Clock()
    limiter = HeaderRateLimiter(clock)  # reserve: 10 % of 50 = 5
    limiter.update(rate_headers(left=7, reset_ms=1000, quota=50))
    waits = [limiter.reserve() for _ in range(5)]
    # 7 and 6 left: at once; then the 5 of the reserve split the 1 s left: 0.2 s apart
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.2, 0.4])


def test_limiter_waits_for_the_reset_when_nothing_is_left() -> None:
    clock = Clock()
    limiter = HeaderRateLimiter(clock)
    limiter.update(rate_headers(left=0, reset_ms=2500))
    assert limiter.reserve() == pytest.approx(2.5)
    clock.now = 3.0  # the window has reset: nothing known, no reason to wait
    assert limiter.reserve() == 0


def test_limiter_follows_the_latest_answer() -> None:
    clock = Clock()
    limiter = HeaderRateLimiter(clock)
    limiter.update(rate_headers(left=5, reset_ms=10_000))  # quota 10: a reserve of 1
    assert limiter.reserve() == 0
    clock.now = 1.0
    limiter.update(rate_headers(left=1, reset_ms=9000))  # another app spent 3 meanwhile
    assert limiter.reserve() == 0  # the last unit (the reserve): the first paced goes at once
    assert limiter.reserve() == pytest.approx(9.0)  # then nothing: the reset, 9 s away


def test_rate_ceiling_spaces_requests() -> None:
    clock = Clock()
    ceiling = RateCeiling(10, clock)
    assert [ceiling.reserve() for _ in range(3)] == pytest.approx([0, 0.1, 0.2])
    clock.now = 5.0
    assert ceiling.reserve() == 0
    assert RateCeiling(None, clock).reserve() == 0


def test_server_wait_prefers_the_platform_reset() -> None:
    headers = CIMultiDict({"Retry-After": "3", "X-Rate-Limit-Time-Reset-Ms": "1500"})
    assert server_wait(Response(429, headers, b"")) == 1.5
    assert server_wait(Response(429, CIMultiDict({"retry-after": "2"}), b"")) == 2
    assert server_wait(Response(429, CIMultiDict(), b"")) is None


@dataclass
class Script:
    """A server that answers each request with the next scripted status."""

    statuses: list[int]
    seen: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request.method)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 0:  # drop the connection without an answer
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        return web.json_response({"ok": status}, status=status, headers=self.headers)


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Script, str]]:
    script = Script([])
    app = web.Application()
    app.router.add_route("*", "/x", script.handle)
    runner, url = await serve(app)
    yield script, f"{url}/x"
    await runner.cleanup()


def client(sleeps: list[float], clock: Clock | None = None, **options: float) -> HttpClient:
    clock = clock or Clock()

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds
        await asyncio.sleep(0)

    opts = HttpOptions(**{"timeout": 5.0, **options})  # type: ignore[arg-type]
    return HttpClient("st", options=opts, clock=clock, sleep=sleep, rng=random.Random(1))


async def test_get_retried_on_5xx_with_jittered_exponential_backoff(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.statuses = [500, 503, 502, 200]
    sleeps: list[float] = []
    http = client(sleeps, backoff_base=1.0)
    response = await http.request("GET", url, idempotent=True)
    await http.aclose()
    assert response.status == 200
    assert len(script.seen) == 4
    for attempt, slept in enumerate(sleeps):
        assert 2**attempt / 2 <= slept <= 2**attempt
    assert http.stats.retries == 3
    assert http.stats.by_status == {"500": 1, "503": 1, "502": 1, "200": 1}


async def test_attempts_are_bounded_and_the_last_answer_returned(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.statuses = [500] * 10
    http = client([], max_attempts=3)
    response = await http.request("PUT", url, idempotent=True, json_body={"balance": "1"})
    await http.aclose()
    assert response.status == 500
    assert len(script.seen) == 3


async def test_total_time_is_bounded(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.statuses = [503] * 10
    sleeps: list[float] = []
    http = client(sleeps, max_attempts=10, max_retry_time=5.0, backoff_base=1.0)
    response = await http.request("GET", url, idempotent=True)
    await http.aclose()
    assert response.status == 503
    assert sum(sleeps) <= 5.0
    assert len(script.seen) < 10


async def test_a_create_is_not_retried_on_5xx(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.statuses = [500, 200]
    http = client([])
    response = await http.request("POST", url, idempotent=False, json_body={})
    await http.aclose()
    assert response.status == 500
    assert script.seen == ["POST"]


async def test_a_create_is_retried_on_429_which_was_not_applied(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.statuses = [429, 201]
    script.headers = {"Retry-After": "4"}
    sleeps: list[float] = []
    http = client(sleeps)
    response = await http.request("POST", url, idempotent=False, json_body={})
    await http.aclose()
    assert response.status == 201
    assert sleeps == [4.0]
    assert http.stats.rate_limit_wait_s == 4.0


async def test_a_lost_create_answer_raises_transient_and_is_sent_once(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.statuses = [0, 201]
    http = client([])
    with pytest.raises(Transient, match="POST /x: connection closed"):
        await http.request("POST", url, idempotent=False, json_body={})
    await http.aclose()
    assert script.seen == ["POST"]


async def test_a_dropped_get_is_retried(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.statuses = [0, 0, 200]
    http = client([])
    response = await http.request("GET", url, idempotent=True)
    await http.aclose()
    assert response.status == 200
    # aiohttp itself re-sends an idempotent request once when a kept-alive connection
    # was closed under it; our own loop retries the rest.
    assert http.stats.by_status["error"] >= 1


async def test_refused_connection_is_transient_after_retries() -> None:
    app = web.Application()
    runner, url = await serve(app)
    await runner.cleanup()  # nothing listens there any more
    sleeps: list[float] = []
    http = client(sleeps, max_attempts=3)
    with pytest.raises(Transient, match="after 3 attempt"):
        await http.request("GET", f"{url}/x", idempotent=True)
    await http.aclose()
    assert len(sleeps) == 2


async def test_concurrency_ceiling() -> None:
    inflight = 0
    peak = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        await asyncio.sleep(0.01)  # the server holds each request: overlap is observable
        inflight -= 1
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/y", slow)
    runner, base = await serve(app)
    http = client([], max_concurrency=2)
    await asyncio.gather(*(http.request("GET", f"{base}/y", idempotent=True) for _ in range(8)))
    await http.aclose()
    await runner.cleanup()
    assert peak == 2


async def test_rate_ceiling_paces_through_the_injected_sleep(
    scripted: tuple[Script, str],
) -> None:
    _, url = scripted
    sleeps: list[float] = []
    http = client(sleeps, max_requests_per_second=4)
    for _ in range(3):
        await http.request("GET", url, idempotent=True)
    await http.aclose()
    assert sleeps == pytest.approx([0.25, 0.25])
    assert http.stats.as_dict()["requests"] == 3


def test_a_client_survives_being_used_from_two_event_loops() -> None:
    """``syncd once`` may run each command in its own ``asyncio.run``."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({})

    async def once() -> int:
        app = web.Application()
        app.router.add_get("/z", answer)
        runner, url = await serve(app)
        try:
            response = await http.request("GET", f"{url}/z", idempotent=True)
        finally:
            await runner.cleanup()
        return response.status

    http = HttpClient("st", options=HttpOptions(timeout=5))
    assert asyncio.run(once()) == 200
    assert asyncio.run(once()) == 200
    asyncio.run(http.aclose())
