"""BigCommerce against its sandbox with each unsettled behaviour played both ways (quirks)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from multidict import CIMultiDict

from syncd.errors import RateLimited
from syncd.model import Status
from syncd.platforms.base import collect
from syncd.platforms.http import Response, cycle_deadline, server_wait
from syncd.reconcile import AlertKind, GroupPolicy, View, plan
from tests.contract.conftest import Harness, start_harness, stop_harness

NOW = datetime(2026, 1, 1, tzinfo=UTC)


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


@pytest.mark.parametrize("quirk", [None, "bigcommerce-legacy-status"])
async def test_an_undocumented_status_is_read_as_active_with_one_note(
    bc: Harness, quirk: str | None
) -> None:
    if quirk is not None:
        bc.quirk(quirk)
    codes = bc.seed(300)
    c = bc.connector()
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete, snapshot.reason
    assert {r.code for r in snapshot.certificates} == set(codes)
    assert {r.status for r in snapshot.certificates} == {Status.ACTIVE}
    words = {r.platform_status for r in snapshot.certificates}
    if quirk is None:
        assert words == {None}
        assert snapshot.notes == ()
    else:
        assert words == {"0"}
        [note] = snapshot.notes  # one per distinct value, not one per record or page
        assert note.topic == "status:0"
        assert "'0'" in note.message
        assert "active" in note.message
    one = await c.get_certificate(bc.remote_id(codes[0]))
    assert one is not None
    assert one.status is Status.ACTIVE


@pytest.mark.parametrize("configured", ["EUR", None])
@pytest.mark.parametrize("quirk", [None, "bigcommerce-no-currency-code"])
async def test_a_missing_currency_code_takes_the_stores_or_sets_the_record_aside(
    bc: Harness, quirk: str | None, configured: str | None
) -> None:
    if quirk is not None:
        bc.quirk(quirk)
    codes = bc.seed(3)
    c = bc.connector(currency=configured)
    snapshot = await collect(c.store, c.list_certificates())
    if quirk is None:  # the store says USD: that is what counts
        assert snapshot.complete
        assert {r.currency for r in snapshot.certificates} == {"USD"}
        return
    if configured is not None:
        assert snapshot.complete
        assert {r.currency for r in snapshot.certificates} == {configured}
        return
    assert not snapshot.complete  # set aside, never guessed
    assert snapshot.certificates == ()
    assert {p.code for p in snapshot.problems} == set(codes)
    assert {p.topic for p in snapshot.problems} == {"currency"}
    [alert] = plan(View({}, []), {c.store: snapshot}, {c.store: c.capabilities},
                   GroupPolicy(), NOW).alerts  # fmt: skip
    assert alert.kind is AlertKind.MALFORMED_RECORD
    assert "set `currency` on store 's-bc'" in alert.message
    assert "3 record(s)" in alert.message


def test_retry_after_as_an_http_date_is_the_seconds_until_then() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    for name in ("Retry-After", "X-Retry-After"):
        wait = server_wait(Response(429, CIMultiDict({name: when}), b""))
        assert wait is not None
        assert 18 <= wait <= 20
    assert server_wait(Response(429, CIMultiDict({"Retry-After": "soon"}), b"")) is None
    assert server_wait(Response(429, CIMultiDict({"x-retry-after": "3"}), b"")) == 3.0
