"""3dcart specifics: per-record bulk outcomes, balance read-back, count shapes, paging."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from syncd.errors import NotFound, Unsupported, WriteNotApplied
from syncd.model import Status
from syncd.platforms.base import collect
from syncd.platforms.shift4shop import BalanceWrite, Shift4ShopConnector
from syncd.platforms.shift4shop_listing import Page, count_of
from syncd.sandbox.common import serve
from tests.contract.conftest import Harness, start_harness, stop_harness


@pytest.fixture
async def shop() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("shift4shop")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ({"TotalCount": 12}, 12),
        ([{"TotalCount": "7"}], 7),
        (5, 5),
        ({"count": 3}, 3),
        ({"nothing": 1}, None),
        (True, None),
        ({"TotalCount": "many"}, None),
    ],
)
def test_count_answers_in_any_wrapping(body: Any, count: int | None) -> None:
    assert count_of(body) == count


def offline() -> Shift4ShopConnector:
    return Shift4ShopConnector(
        "s", base_url="http://127.0.0.1:9", secure_url="x", private_key="k", token="t",
        currency="usd",
    )  # fmt: skip


def test_listed_money_numbers_parse_exactly_and_absurd_ones_are_record_problems() -> None:
    records = [
        {"CertificateCode": "A", "Amount": 19.99, "Balance": 0.1, "DateCreated": "", "Notes": ""},
        {"CertificateCode": "B", "Amount": 1e30, "Balance": 1.0},  # used to raise out
        {"CertificateCode": "C", "Amount": 123456789.12, "Balance": -0.0, "Notes": "n"},
    ]
    page = offline()._parse_page(Page(1, 3, records))
    a, c = page.records
    assert (a.amount, a.balance, a.currency, a.message) == (
        Decimal("19.99"), Decimal("0.10"), "USD", None,
    )  # fmt: skip
    assert (str(c.amount), str(c.balance), c.message) == ("123456789.12", "0.00", "n")
    [problem] = page.problems
    assert (problem.record_key, problem.reason) == ("B", "not an exact amount of money: 1e+30")


async def test_bulk_update_reports_each_record(shop: Harness) -> None:
    codes = shop.seed(2)
    c = shop.connector()
    outcomes = await c.update_balances(  # type: ignore[attr-defined]
        [
            BalanceWrite(codes[0], Decimal("1.50")),
            BalanceWrite("NO-SUCH", Decimal("2")),
            BalanceWrite(codes[1], Decimal("0")),
        ]
    )
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].code == "NO-SUCH"
    assert outcomes[1].status == 404
    after = {
        cert.code: cert.balance
        for cert in (await collect(c.store, c.list_certificates())).certificates
    }
    assert after == {codes[0]: Decimal("1.50"), codes[1]: Decimal("0.00")}


async def test_update_of_an_unknown_code_is_not_found(shop: Harness) -> None:
    [code] = shop.seed(1)
    c = shop.connector()
    current = await c.get_certificate(code)
    assert current is not None
    with pytest.raises(NotFound):
        await c.update_certificate(
            dataclasses.replace(current, remote_id="GONE"), balance=Decimal(1)
        )


async def test_status_is_unsupported(shop: Harness) -> None:
    [code] = shop.seed(1)
    c = shop.connector()
    current = await c.get_certificate(code)
    assert current is not None
    assert not c.capabilities.has_status
    with pytest.raises(Unsupported, match="no status"):
        await c.update_certificate(current, status=Status.DISABLED)


class IgnoringStore:
    """A 3dcart look-alike that says "Updated successfully" and keeps the old balance —
    what a wrong guess about ``Balance`` in PUT bodies would look like."""

    def __init__(self) -> None:
        self.record = {"CertificateCode": "ABC", "Amount": 50, "Balance": 50, "Notes": ""}

    async def get(self, request: web.Request) -> web.Response:
        return web.json_response([self.record])

    async def put(self, request: web.Request) -> web.Response:
        answer = {"Key": "CertificateCode", "Value": "ABC", "Status": "200", "Message": "ok"}
        return web.json_response([answer])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/3dCartWebAPI/v2/GiftCertificates/{code}", self.get)
        app.router.add_put("/3dCartWebAPI/v2/GiftCertificates", self.put)
        return app


async def test_a_balance_write_that_did_not_apply_is_detected() -> None:
    runner, url = await serve(IgnoringStore().app())
    c = Shift4ShopConnector(
        "shop-x", base_url=url, secure_url="s", private_key="k", token="t", currency="USD"
    )
    try:
        current = await c.get_certificate("ABC")
        assert current is not None
        with pytest.raises(
            WriteNotApplied, match=r"shop-x: balance of 'ABC': wrote 10.00, read back 50.00"
        ):
            await c.update_certificate(current, balance=Decimal(10))
    finally:
        await c.aclose()
        await runner.cleanup()


class PagedStore:
    """A 3dcart look-alike without ``countonly`` support: paging must run to the 404."""

    def __init__(self, count: int) -> None:
        self.records = [
            {"CertificateCode": f"C{i}", "Amount": 5, "Balance": 5, "DateCreated": ""}
            for i in range(count)
        ]
        self.requests: list[str] = []

    async def list(self, request: web.Request) -> web.Response:
        self.requests.append(request.query_string)
        if "countonly" in request.query:
            return web.json_response([{"Status": "400", "Message": "unknown"}], status=400)
        start = int(request.query["offset"]) - 1
        page = self.records[start : start + int(request.query["limit"])]
        if not page:
            return web.json_response([{"Status": "404", "Message": "none"}], status=404)
        return web.json_response(page)


async def test_without_a_count_it_pages_sequentially_to_the_end_answer() -> None:
    store = PagedStore(25)
    app = web.Application()
    app.router.add_get("/3dCartWebAPI/v2/GiftCertificates", store.list)
    runner, url = await serve(app)
    c = Shift4ShopConnector(
        "shop-y",
        base_url=url,
        secure_url="s",
        private_key="k",
        token="t",
        currency="USD",
        page_size=10,
    )
    try:
        snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert snapshot.complete
    assert len(snapshot.certificates) == 25
    assert len(store.requests) == 1 + 3 + 1  # count refused, 3 pages (10, 10, 5), the 404


async def test_a_store_that_shrank_while_listed_is_incomplete() -> None:
    store = PagedStore(15)

    async def listing(request: web.Request) -> web.Response:
        if "countonly" in request.query:
            return web.json_response({"TotalCount": 30})  # 15 vanished after counting
        return await store.list(request)

    app = web.Application()
    app.router.add_get("/3dCartWebAPI/v2/GiftCertificates", listing)
    runner, url = await serve(app)
    c = Shift4ShopConnector(
        "shop-z",
        base_url=url,
        secure_url="s",
        private_key="k",
        token="t",
        currency="USD",
        page_size=10,
    )
    try:
        snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert not snapshot.complete
    assert snapshot.reason == "store shrank while listed"
    assert len(snapshot.certificates) == 15


async def test_offset_exceeds_answer_ends_a_sequential_listing(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.seed(25)
    c = shop.connector(page_size=10)

    async def no_count() -> None:
        return None

    monkeypatch.setattr(c, "_count", no_count)
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete
    assert len(snapshot.certificates) == 25
    stats = await shop.stats()
    assert stats["by_status"] == {"200": 3, "400": 1}  # 3 pages, then "Offset … exceeds"


async def test_a_store_that_ignores_offset_cannot_loop_the_listing_forever() -> None:
    store = PagedStore(10)

    async def same_page(request: web.Request) -> web.Response:
        if "countonly" in request.query:
            return web.json_response({"TotalCount": 10})
        return web.json_response(store.records)  # always the first page, full

    app = web.Application()
    app.router.add_get("/3dCartWebAPI/v2/GiftCertificates", same_page)
    runner, url = await serve(app)
    c = Shift4ShopConnector(
        "shop-r",
        base_url=url,
        secure_url="s",
        private_key="k",
        token="t",
        currency="USD",
        page_size=10,
    )
    try:
        snapshot = await collect(c.store, c.list_certificates())
    finally:
        await c.aclose()
        await runner.cleanup()
    assert not snapshot.complete
    assert "repeats" in (snapshot.reason or "")
