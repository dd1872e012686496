"""BigCommerce's header-driven rate limiter: it bursts while the window's quota is above
the reserve, paces the reserve to the reset, waits for the reset at zero, and bursts
again in the next window. Fake clocks throughout; the "server" is the sandbox's own
fixed-window limiter, so the headers are the ones a BigCommerce store sends."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from multidict import CIMultiDict

from syncd.config import BigCommerceStore
from syncd.platforms.base import collect
from syncd.platforms.bigcommerce import BigCommerceConnector
from syncd.platforms.factory import make_connector
from syncd.platforms.http import DEFAULT_RATE_LIMIT_RESERVE, HeaderRateLimiter
from syncd.sandbox import bigcommerce as bc_sandbox
from syncd.sandbox.common import SeedCertificate, serve
from tests.contract.conftest import FakeClock

LATENCY = 0.05  # seconds per answer, as in the benchmark


def server(clock: FakeClock, quota: int, window_s: float = 30.0) -> bc_sandbox.RateLimiter:
    return bc_sandbox.RateLimiter(quota, int(window_s * 1000), clock)


def send(
    limiter: HeaderRateLimiter, window: bc_sandbox.RateLimiter, clock: FakeClock, n: int
) -> list[float]:
    """``n`` sequential requests: wait as told, spend one unit (never refused), answer
    ``LATENCY`` later with the window's headers. Returns the waits."""
    waits = []
    for _ in range(n):
        wait = limiter.reserve()
        waits.append(wait)
        clock.advance(wait)
        assert window.take(), "the limiter let a request through with nothing left"
        clock.advance(LATENCY)
        limiter.update(window.headers())
    return waits


@dataclass
class Outcome:
    refused: int
    elapsed: float


def simulate(
    limiter: HeaderRateLimiter, window: bc_sandbox.RateLimiter, clock: FakeClock, n: int
) -> Outcome:
    """``n`` requests by four workers (as the executor's writes), each waiting as told;
    a request reaches the server half a latency after it starts and its answer comes back
    after a worker-dependent delay, so answers arrive late and out of order."""
    events: list[tuple[float, int, str, int]] = []
    order = itertools.count()
    answers: dict[int, tuple[bool, dict[str, str]]] = {}
    sent = refused = 0
    start = clock.now
    for worker in range(4):
        heapq.heappush(events, (start, next(order), "ready", worker))
    while events:
        clock.now, _, what, worker = heapq.heappop(events)
        if what == "ready" and sent < n:
            sent += 1
            at_server = clock.now + limiter.reserve() + LATENCY / 2
            heapq.heappush(events, (at_server, next(order), "server", worker))
        elif what == "server":
            taken = window.take()
            answers[worker] = (taken, window.headers(exhausted=not taken))
            back = clock.now + LATENCY / 2 * (1 + worker % 3)
            heapq.heappush(events, (back, next(order), "answer", worker))
        elif what == "answer":
            taken, answer = answers.pop(worker)
            refused += not taken
            limiter.update(answer)
            heapq.heappush(events, (clock.now, next(order), "ready", worker))
    return Outcome(refused, clock.now - start)


def headers(
    left: int, reset_ms: int, quota: int | None = None, window_ms: int | None = None
) -> CIMultiDict[str]:
    found = {"X-Rate-Limit-Requests-Left": str(left), "X-Rate-Limit-Time-Reset-Ms": str(reset_ms)}
    if quota is not None:
        found["X-Rate-Limit-Requests-Quota"] = str(quota)
    if window_ms is not None:
        found["X-Rate-Limit-Time-Window-Ms"] = str(window_ms)
    return CIMultiDict(found)


def test_requests_that_fit_above_the_reserve_go_out_without_waiting() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock)
    # 135 = 150 - the 10 % reserve: a 10k BigCommerce listing (41 pages) fits easily
    assert send(limiter, server(clock, 150), clock, 135) == [0.0] * 135


def test_pacing_starts_at_the_reserve_and_spreads_it_to_the_reset() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.1)
    window = server(clock, 150)
    start = clock.now
    assert send(limiter, window, clock, 135) == [0.0] * 135
    assert clock.now - start == pytest.approx(6.75)
    paced = send(limiter, window, clock, 15)  # the reserve: 15 units, paced
    spacing = (30.0 - 6.75) / 15  # what is left of the window, split evenly
    assert paced[0] == 0  # the first paced request has nobody to be spaced from
    assert paced[1:] == pytest.approx([spacing - LATENCY] * 14, abs=0.01)
    (wait,) = send(limiter, window, clock, 1)  # nothing left: waits for the reset
    assert wait == pytest.approx(spacing - LATENCY, abs=0.01)
    assert clock.now - LATENCY - start == pytest.approx(30.0, abs=0.01)


def test_with_nothing_left_it_waits_for_the_reset() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock)
    limiter.update(headers(left=0, reset_ms=2500, quota=150))
    assert limiter.reserve() == pytest.approx(2.5)
    assert limiter.reserve() == pytest.approx(2.5)  # a concurrent caller waits as long


def test_a_new_window_bursts_again() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock)
    window = server(clock, 20, window_s=5.0)
    first = send(limiter, window, clock, 20)  # 18 burst, 2 paced over what is left
    assert first[:18] == [0.0] * 18
    assert sum(first) > 0
    second = send(limiter, window, clock, 19)  # the first waits for the reset, then bursts
    assert second[0] > 0
    assert second[1:] == [0.0] * 18


def test_reserve_zero_spends_the_whole_quota_at_once() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.0)
    window = server(clock, 150)
    start = clock.now
    assert send(limiter, window, clock, 150) == [0.0] * 150
    (wait,) = send(limiter, window, clock, 1)
    assert start + 30.0 <= clock.now - LATENCY == pytest.approx(start + 30.0, abs=0.01)
    assert wait > 0


def test_without_a_quota_header_the_largest_left_seen_sizes_the_reserve() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.5)
    limiter.update(headers(left=9, reset_ms=10_000))  # quota taken as 10: reserve 5
    assert [limiter.reserve() for _ in range(4)] == [0, 0, 0, 0]  # 9, 8, 7, 6 > 5
    limiter.update(headers(left=5, reset_ms=10_000))
    waits = [limiter.reserve() for _ in range(3)]
    assert waits == pytest.approx([0, 2.0, 4.0])  # paced: 10 s / 5 apart


def test_concurrent_callers_do_not_spend_the_same_unit() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.0)
    limiter.update(headers(left=3, reset_ms=4000, quota=150))
    # four writers reserve before any answer: three units left, the fourth waits the reset
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0, 0, 0, 4.0])


def test_a_slower_answer_does_not_give_back_units_already_reserved() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.0)
    limiter.update(headers(left=3, reset_ms=4000, quota=150))
    assert [limiter.reserve() for _ in range(3)] == [0, 0, 0]
    clock.advance(0.05)
    # the first of the three answers: the server has not seen the other two yet
    limiter.update(headers(left=2, reset_ms=3950, quota=150))
    assert limiter.reserve() == pytest.approx(3.95)  # still nothing left: wait the reset


def test_requests_sent_before_the_window_was_known_count_against_it() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.0)
    assert [limiter.reserve() for _ in range(4)] == [0, 0, 0, 0]  # nothing known yet
    clock.advance(0.05)
    limiter.update(headers(left=4, reset_ms=30_000, quota=150))  # the first of the four
    assert limiter.reserve() == 0  # 4 left less the 3 still unanswered: one
    assert limiter.reserve() == pytest.approx(30.0)


def test_requests_waiting_for_the_reset_count_against_the_next_window() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.0)
    limiter.update(headers(left=0, reset_ms=1000, quota=150))
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([1.0] * 4)
    clock.advance(1.05)
    limiter.update(headers(left=4, reset_ms=30_000, quota=150))  # the first of the four
    assert limiter.reserve() == 0
    assert limiter.reserve() == pytest.approx(30.0)


def test_a_reset_moved_on_by_more_than_half_a_window_starts_a_new_window() -> None:
    clock = FakeClock()
    limiter = HeaderRateLimiter(clock, reserve=0.0)
    limiter.update(headers(left=1, reset_ms=1000, quota=150, window_ms=30_000))
    assert limiter.reserve() == 0
    clock.advance(0.9)  # before our estimate of the reset, the server already reset
    limiter.update(headers(left=149, reset_ms=30_000, quota=150, window_ms=30_000))
    assert limiter.reserve() == 0


@pytest.mark.parametrize("reserve", [0.0, 0.1, 0.5])
def test_four_workers_over_three_windows_are_never_refused(reserve: float) -> None:
    clock = FakeClock()
    done = simulate(HeaderRateLimiter(clock, reserve=reserve), server(clock, 150), clock, 400)
    assert done.refused == 0
    # 400 requests need three windows: the third opens 60 s after the first request;
    # its 100 requests fit above a reserve of up to 1/3 and go out at once, four at a
    # time, ~0.1 s per round trip at worst
    assert done.elapsed > 60.0
    if reserve < 1 / 3:
        assert done.elapsed < 60.0 + 100 / 4 * 2 * LATENCY + 0.5


@pytest.mark.parametrize("reserve", [-0.1, 1.0, 1.5])
def test_a_reserve_outside_0_to_1_is_refused(reserve: float) -> None:
    with pytest.raises(ValueError, match=repr(reserve)):
        HeaderRateLimiter(FakeClock(), reserve=reserve)


def test_the_store_setting_reaches_the_connector_limiter() -> None:
    fields = {
        "name": "bc",
        "platform": "bigcommerce",
        "base_url": "http://127.0.0.1:9",
        "store_hash": "h",
        "access_token": "t",
    }
    default = make_connector(BigCommerceStore(**fields))
    custom = make_connector(BigCommerceStore(**fields, rate_limit_reserve=0.25))
    assert isinstance(default, BigCommerceConnector)
    assert isinstance(custom, BigCommerceConnector)
    assert BigCommerceStore(**fields).rate_limit_reserve == DEFAULT_RATE_LIMIT_RESERVE
    assert default.http.options.rate_limit_reserve == DEFAULT_RATE_LIMIT_RESERVE
    assert custom.http.options.rate_limit_reserve == 0.25
    assert custom.limiter._reserve == 0.25


async def list_under_quota(
    quota: int, certificates: int, page_size: int = 250
) -> tuple[BigCommerceConnector, float]:
    """List a sandbox of ``certificates`` limited to ``quota`` per 30 s (fake clock);
    returns the connector (for its stats) and the seconds slept."""
    clock = FakeClock()
    config = bc_sandbox.BigCommerceSandboxConfig(
        clock=clock, rate_quota=quota, rate_window_ms=30_000
    )
    app = bc_sandbox.create_app(config)
    seeds = (SeedCertificate(f"R{i:05d}", Decimal(5), Decimal(5)) for i in range(certificates))
    bc_sandbox.seed(app, seeds)
    runner, url = await serve(app)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    c = BigCommerceConnector(
        "bc",
        base_url=url,
        store_hash=config.store_hash,
        access_token=config.access_token,
        page_size=page_size,
        clock=clock,
        sleep=sleep,
    )
    try:
        snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert snapshot.complete
    assert len(snapshot.certificates) == certificates
    assert c.http.stats.by_status.get("429", 0) == 0
    return c, sum(slept)


async def test_a_listing_that_fits_the_window_is_not_paced() -> None:
    # 5 pages, the last one short (the end): 5 requests of a 10-request window
    c, slept = await list_under_quota(quota=10, certificates=1100)
    assert c.http.stats.requests == 5
    assert slept == 0
    assert c.http.stats.rate_limit_wait_s == 0


async def test_a_listing_that_reaches_the_reserve_is_paced_not_refused() -> None:
    # 19 full pages of 50 + the 204: 20 requests of a 20-request window, the last 2 its reserve
    c, slept = await list_under_quota(quota=20, certificates=950, page_size=50)
    assert c.http.stats.requests == 20
    assert 0 < slept < 30  # the reserve paced within the window, no reset waited for
