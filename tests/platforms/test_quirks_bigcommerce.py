"""BigCommerce against its sandbox with each unsettled behaviour played both ways (quirks)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from syncd.errors import RateLimited
from syncd.platforms.http import cycle_deadline
from tests.contract.conftest import Harness, start_harness, stop_harness


@pytest.fixture
async def bc() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("bigcommerce")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


@pytest.mark.parametrize(
    ("quirk", "low", "high"),
    [
        (None, 30.0, 30.0),  # X-Rate-Limit-Time-Reset-Ms: the window's reset
        ("bigcommerce-429-x-retry-after", 2.0, 2.0),  # the sandbox's X-Retry-After
        ("bigcommerce-429-no-headers", 1.0, 1.0),  # nothing said: at least a second
    ],
)
async def test_a_429_waits_what_it_says_or_at_least_a_second(
    bc: Harness, quirk: str | None, low: float, high: float
) -> None:
    if quirk is not None:
        bc.quirk(quirk)
    [code] = bc.seed(1)
    await bc.faults(throttle_next=1)
    found = await bc.connector().get_certificate(bc.remote_id(code))
    assert found is not None
    assert found.code == code
    assert len(bc.sleeps) == 1
    assert low <= bc.sleeps[0] <= high


async def test_headerless_429s_back_off_exponentially_from_a_second(bc: Harness) -> None:
    bc.quirk("bigcommerce-429-no-headers")
    [code] = bc.seed(1)
    await bc.faults(throttle_next=3)
    assert await bc.connector().get_certificate(bc.remote_id(code)) is not None
    assert len(bc.sleeps) == 3
    assert bc.sleeps[0] == 1.0
    assert 1.0 <= bc.sleeps[1] <= 2.0
    assert 2.0 <= bc.sleeps[2] <= 4.0


async def test_a_headerless_429_wait_past_the_cycle_deadline_is_not_waited(bc: Harness) -> None:
    bc.quirk("bigcommerce-429-no-headers")
    [code] = bc.seed(1)
    await bc.faults(throttle_next=1)
    c = bc.connector()
    with cycle_deadline(time.monotonic() + 0.5), pytest.raises(RateLimited):
        await c.get_certificate(bc.remote_id(code))
    assert bc.sleeps == []
