"""BigCommerce specifics: parsing, dates, required people, rate headers, and the
impossibility of ``DELETE /gift_certificates`` without an id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiohttp import web

from syncd.errors import Rejected, UnsafeOperation
from syncd.model import NewCertificate, People, RemoteCertificate, Snapshot, Status
from syncd.platforms.base import collect
from syncd.platforms.bigcommerce import BigCommerceConnector, from_timestamp, to_rfc2822
from syncd.sandbox import bigcommerce as bc_sandbox
from syncd.sandbox.common import SeedCertificate, serve
from tests.contract.conftest import FakeClock, Harness, start_harness, stop_harness

HOSTILE_IDS = ["", "/", "../", " ", "0", "-1", "1/..", "1 ", "%2F", "1?x=1", "abc", "1.0"]


@pytest.fixture
async def bc() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("bigcommerce")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


def connector() -> BigCommerceConnector:
    return BigCommerceConnector(
        "bc", base_url="http://127.0.0.1:9", store_hash="h", access_token="t"
    )


def test_dates_are_written_rfc2822_and_read_as_unix_timestamps() -> None:
    moment = datetime(2024, 3, 1, 12, 30, 5, tzinfo=UTC)
    assert to_rfc2822(moment) == "Fri, 01 Mar 2024 12:30:05 GMT"
    assert from_timestamp("1709296205") == moment
    assert from_timestamp(1709296205) == moment
    assert from_timestamp("0") is None
    assert from_timestamp("") is None
    with pytest.raises(ValueError):
        to_rfc2822(datetime(2024, 3, 1))  # naive: refused, never guessed


def raw(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": 24,
        "code": "10R-5E2-BO4-RWT",
        "amount": "1000.0000",
        "balance": "500.0000",
        "status": "active",
        "to_name": "Alyss",
        "to_email": "test@test.com",
        "from_name": "Noland",
        "from_email": "test1@test.com",
        "expiry_date": "1603306",
        "purchase_date": "0",
        "currency_code": "USD",
        "message": "Celebrate",
    }
    record.update(changes)
    return record


def test_money_as_decimal_strings_and_as_numbers() -> None:
    c = connector()
    from_list = c._parse(raw())
    from_object = c._parse(raw(amount=10, balance=2.5))
    assert (from_list.amount, from_list.balance) == (Decimal("1000.00"), Decimal("500.00"))
    assert (from_object.amount, from_object.balance) == (Decimal("10.00"), Decimal("2.50"))
    assert from_list.remote_id == "24"
    assert from_list.people == People("Alyss", "test@test.com", "Noland", "test1@test.com")
    assert from_list.created_at is None
    assert from_list.expires_at == datetime.fromtimestamp(1603306, tz=UTC)


@pytest.mark.parametrize("status", ["active", "pending", "disabled", "expired"])
def test_statuses_map_one_to_one(status: str) -> None:
    assert connector()._parse(raw(status=status)).status is Status(status)


@pytest.mark.parametrize(
    ("status", "kept"), [("0", "0"), ("frozen", "frozen"), (0, "0"), (None, "None")]
)
def test_an_undocumented_status_is_read_as_active_and_kept(status: object, kept: str) -> None:
    record = connector()._parse(raw(status=status))
    assert record.status is Status.ACTIVE
    assert record.platform_status == kept


@pytest.mark.parametrize("bad", [{"balance": "12,x"}, {"id": None}, {"amount": None}])
def test_unparseable_records_raise_value_errors(bad: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        connector()._parse(raw(**bad))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"purchase_date": "100000000000000000000"}, "out of range"),
        ({"expiry_date": 10**12}, "out of range"),
        ({"balance": "1e30"}, "too many digits"),
        ({"amount": 1e16}, "not an exact amount"),
    ],
)
def test_values_out_of_range_are_record_problems_not_a_failed_listing(
    bad: dict[str, object], reason: str
) -> None:
    # These used to escape the page parser (OverflowError, decimal.InvalidOperation).
    page = connector()._parse_page([raw(id=1), raw(id=2, **bad), raw(id=3)], 1)
    assert [r.remote_id for r in page.records] == ["1", "3"]
    [problem] = page.problems
    assert problem.record_key == "2"
    assert reason in problem.reason


def test_timestamps_as_text_and_as_numbers_read_alike() -> None:
    assert from_timestamp("1709296205") is from_timestamp("1709296205")  # remembered
    assert from_timestamp(1709296205) == from_timestamp("1709296205")
    for bad in ("abc", "1.5", True, 1.5, [1]):
        with pytest.raises(ValueError):
            from_timestamp(bad)


def test_people_of_listed_records_are_shared() -> None:
    c = connector()
    first, second = c._parse(raw(id=1)), c._parse(raw(id=2))
    assert first.people is second.people
    assert c._parse(raw(to_name="", to_email=None, from_name=5, from_email="")).people == People()


def test_capabilities() -> None:
    caps = connector().capabilities
    assert caps.max_code_length == 20
    assert caps.requires_people
    assert caps.max_message_length == 250


def remote(remote_id: str) -> RemoteCertificate:
    return RemoteCertificate(
        store="s-bc",
        remote_id=remote_id,
        code="X",
        currency="USD",
        amount=Decimal(1),
        balance=Decimal(1),
        status=Status.ACTIVE,
    )


async def test_no_public_method_can_delete_the_collection(bc: Harness) -> None:
    """Every public method that takes an id, with hostile ids: all refused before sending,
    and the sandbox's collection is intact with no DELETE ever received."""
    bc.seed(30)
    c = bc.connector()
    await bc.reset_stats()
    calls = [
        lambda rid: c.delete_certificate(rid),
        lambda rid: c.get_certificate(rid),
        lambda rid: c.update_certificate(remote(rid), balance=Decimal(0)),
        lambda rid: c.update_certificate(remote(rid), status=Status.DISABLED),
    ]
    for rid in HOSTILE_IDS:
        for call in calls:
            with pytest.raises(UnsafeOperation):
                await call(rid)
    with pytest.raises(UnsafeOperation):
        await c._request("DELETE", c._root, idempotent=True)
    with pytest.raises(UnsafeOperation):
        await c._request("DELETE", c._root + "/", idempotent=True)
    stats = await bc.stats()
    assert stats["total"] == 0
    assert len(bc.plain_codes()) == 30
    snapshot = await collect(c.store, c.list_certificates())
    assert len(snapshot.certificates) == 30


async def test_delete_by_id_deletes_exactly_one(bc: Harness) -> None:
    codes = bc.seed(3)
    c = bc.connector()
    await c.delete_certificate(bc.remote_id(codes[1]))
    assert bc.plain_codes() == {codes[0], codes[2]}
    assert await bc.route_count("DELETE", "{") == 1  # the item route, never the collection


def new(
    code: str = "NEW-1", people: People | None = None, message: str | None = None
) -> NewCertificate:
    return NewCertificate(
        code, "USD", Decimal("10"), Decimal("10"), people=people or People(), message=message
    )


async def test_required_people_come_from_the_group_defaults(bc: Harness) -> None:
    c = bc.connector()  # the harness gives group defaults
    created = await c.create_certificate(new(people=People(to_name="Ann")))
    assert created.people.to_name == "Ann"
    assert created.people.from_email == "shop@example.com"


async def test_missing_people_without_defaults_are_refused_before_sending(bc: Harness) -> None:
    c = bc.connector(defaults=People(to_name="Only a name"))
    with pytest.raises(Rejected, match="to_email, from_name, from_email"):
        await c.create_certificate(new())
    with pytest.raises(Rejected, match="250"):
        await bc.connector().create_certificate(new(message="x" * 251))
    assert (await bc.stats())["total"] == 0


async def test_find_by_code_is_exact(bc: Harness) -> None:
    codes = bc.seed(3)
    c = bc.connector()
    found = await c.find_by_code(codes[2])
    assert found is not None
    assert found.code == codes[2]
    assert await c.find_by_code("NOT-THERE") is None
    assert await c.find_by_code("X" * 21) is None  # cannot exist on BigCommerce


async def test_listing_spends_a_small_quota_evenly_without_429() -> None:
    clock = FakeClock()
    config = bc_sandbox.BigCommerceSandboxConfig(clock=clock, rate_quota=4, rate_window_ms=30_000)
    app = bc_sandbox.create_app(config)
    bc_sandbox.seed(
        app, (SeedCertificate(f"Q{i:05d}", Decimal(5), Decimal(5)) for i in range(1100))
    )
    runner, url = await serve(app)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    c = BigCommerceConnector(
        "bc",
        base_url=url,
        store_hash=config.store_hash,
        access_token=config.access_token,
        clock=clock,
        sleep=sleep,
    )
    try:
        snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert snapshot.complete
    assert len(snapshot.certificates) == 1100
    # 5 pages (4 full, then a short one that ends the listing), quota 4: paced, not refused
    assert c.http.stats.by_status.get("429", 0) == 0
    assert c.http.stats.requests == 5
    assert sum(sleeps) >= 30  # one window had to pass


async def list_from(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> tuple[Snapshot, BigCommerceConnector]:
    """A listing against a hand-written store whose list endpoint is ``handler``."""
    app = web.Application()
    app.router.add_get("/stores/h/v2/gift_certificates", handler)
    runner, url = await serve(app)
    c = BigCommerceConnector("bc", base_url=url, store_hash="h", access_token="t")
    try:
        return await collect(c.store, c.list_certificates()), c
    finally:
        await c.aclose()
        await runner.cleanup()


async def test_a_store_that_ignores_page_cannot_loop_the_listing_forever() -> None:
    async def same_page(request: web.Request) -> web.Response:
        # every page but the first moved by one record: not a repeat, but the ids go back
        start = int(request.query["page"])
        return web.json_response([raw(id=i) for i in range(start, start + 250)])

    snapshot, _ = await list_from(same_page)
    assert not snapshot.complete
    assert "ids go back" in (snapshot.reason or "")
    assert len(snapshot.certificates) == 250


async def test_a_store_that_caps_limit_is_not_taken_for_a_short_listing() -> None:
    # Asked for 250, this store answers 50 per page: its first page is short, which must not
    # end the listing (the 70 records after it would look deleted). The page after a short
    # page still has records, so the listing is read to the end and marked incomplete.
    async def capped(request: web.Request) -> web.StreamResponse:
        page = int(request.query["page"])
        ids = range((page - 1) * 50 + 1, min(page * 50, 120) + 1)
        if not ids:
            return web.Response(status=204)
        return web.json_response([raw(id=i, code=f"CAP{i:05d}") for i in ids])

    snapshot, c = await list_from(capped)
    assert len(snapshot.certificates) == 120
    assert not snapshot.complete
    assert snapshot.reason == "a short page was followed by more records"
    assert c.http.stats.requests == 4  # 50 + 50 + 20 + the 204
