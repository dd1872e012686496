"""The shared sandbox machinery (faults, stats, shopper routes), on a tiny platform of its own.

The toy platform is real code: a list route, a single-record route and a write route, so
every fault is exercised over loopback HTTP exactly as a platform sandbox uses it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from syncd.model import Status
from syncd.sandbox.common import (
    FAULTS_KEY,
    SHOPPER_LOG_KEY,
    STATS_KEY,
    CertificateView,
    Faults,
    ShopperRefused,
    UnknownCode,
    _corrupt_balance,
    _truncate,
    new_sandbox_app,
    redeem,
)
from tests.sandbox.conftest import ServeApp, Served


class ToyBackend:
    def __init__(self) -> None:
        self.records: dict[str, CertificateView] = {}

    def certificates(self) -> Iterable[CertificateView]:
        return list(self.records.values())

    def lookup(self, code: str) -> CertificateView | None:
        return self.records.get(code)

    def issue(self, code: str | None, amount: Decimal, currency: str | None) -> CertificateView:
        code = code or f"GEN{len(self.records) + 1}"
        if code in self.records:
            raise ShopperRefused(f"code {code!r} exists")
        if currency not in (None, "USD"):
            raise ValueError(f"unknown currency {currency!r}")
        view = CertificateView(code, code, "USD", amount, amount, Status.ACTIVE)
        self.records[code] = view
        return view

    def redeem(self, code: str, amount: Decimal) -> CertificateView:
        view = self.records.get(code)
        if view is None:
            raise UnknownCode(code)
        if amount > view.balance or not view.status.usable:
            raise ShopperRefused(f"cannot spend {amount} of {code!r}")
        view = CertificateView(code, code, "USD", view.amount, view.balance - amount, view.status)
        self.records[code] = view
        return view

    def reset(self) -> None:
        self.records.clear()


class ToyHooks:
    def error_response(self, status: int, message: str) -> web.Response:
        return web.json_response({"toy_error": message}, status=status)

    def throttle_response(self, with_headers: bool) -> web.Response:
        headers = {"X-Wait-Ms": "250"} if with_headers else None
        return web.json_response({"toy_error": "slow down"}, status=429, headers=headers)

    def is_list_route(self, request: web.Request) -> bool:
        return request.method == "GET" and request.path == "/items"

    def single_read_code(self, request: web.Request) -> str | None:
        return request.match_info.get("code") if request.method == "GET" else None


def toy_app(records: int = 4) -> tuple[web.Application, ToyBackend]:
    backend = ToyBackend()
    app = new_sandbox_app(ToyHooks(), backend, Faults(seed=7))
    for i in range(records):
        backend.issue(f"C{i}", Decimal("10.00"), None)

    async def list_items(request: web.Request) -> web.Response:
        return web.json_response([v.to_json() for v in backend.certificates()])

    async def get_item(request: web.Request) -> web.Response:
        view = backend.lookup(request.match_info["code"])
        if view is None:
            raise web.HTTPNotFound()
        return web.json_response(view.to_json())

    async def create_item(request: web.Request) -> web.Response:
        body = await request.json()
        view = backend.issue(body["code"], Decimal(body["amount"]), None)
        return web.json_response(view.to_json(), status=201)

    app.router.add_get("/items", list_items)
    app.router.add_get("/items/{code}", get_item)
    app.router.add_post("/items", create_item)
    return app, backend


@pytest.fixture
async def toy(serve_app: ServeApp) -> tuple[Served, ToyBackend]:
    app, backend = toy_app()
    return await serve_app(app), backend


async def call(served: Served, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    async with served.http.request(method, served.url + path, **kw) as response:
        text = await response.text()
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, text


async def set_faults(served: Served, **changes: Any) -> dict[str, Any]:
    status, body = await call(served, "PUT", "/_sandbox/faults", json=changes)
    assert status == 200, body
    return dict(body)


# --- Faults as data -------------------------------------------------------------------------


def test_fault_update_rejects_unknown_field_by_name() -> None:
    with pytest.raises(ValueError, match="'latency'"):
        Faults().update({"latency": 5})


@pytest.mark.parametrize(
    ("key", "value"),
    [("error_rate", 1.5), ("error_rate", -0.1), ("error_rate", "0.5"), ("throttle_next", -1),
     ("throttle_next", 1.5), ("throttle_headers", 1), ("seed", "x"), ("latency_ms", -1),
     ("trickle_ms", -1), ("redirect_to", "ftp://x"), ("redirect_status", 304),
     ("list_total", "10"), ("repeat_pages", "yes"), ("rate_reset_ms", 1.5)],
)  # fmt: skip
def test_fault_update_rejects_bad_values(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        Faults().update({key: value})


def test_fault_update_is_all_or_nothing() -> None:
    faults = Faults()
    with pytest.raises(ValueError):
        faults.update({"error_rate": 0.5, "drop_rate": 7})
    assert faults.error_rate == 0.0


def test_same_seed_same_fault_sequence() -> None:
    def rolls(seed: int) -> list[bool]:
        faults = Faults(seed=seed)
        return [faults.roll(0.5) for _ in range(50)]

    assert rolls(3) == rolls(3)
    assert rolls(3) != rolls(4)


def test_clear_keeps_the_seed() -> None:
    faults = Faults(error_rate=1, throttle_next=3, seed=9)
    faults.clear()
    assert faults.error_rate == 0
    assert faults.throttle_next == 0
    assert faults.seed == 9


# --- the admin routes -------------------------------------------------------------------------


async def test_faults_route_reads_and_partially_updates(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    body = await set_faults(served, error_rate=0.25)
    assert body["error_rate"] == 0.25
    assert body["seed"] == 7
    assert "rng" not in body
    status, body = await call(served, "GET", "/_sandbox/faults")
    assert status == 200
    assert body["error_rate"] == 0.25
    assert served.app[FAULTS_KEY].error_rate == 0.25


async def test_faults_route_names_unknown_field(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    status, body = await call(served, "PUT", "/_sandbox/faults", json={"eror_rate": 1})
    assert status == 400
    assert "eror_rate" in body["error"]
    status, body = await call(served, "PUT", "/_sandbox/faults", json=[1])
    assert status == 400


async def test_admin_routes_are_never_faulted(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    await set_faults(served, error_rate=1, drop_rate=1)
    status, _ = await call(served, "GET", "/_sandbox/certificates")
    assert status == 200
    status, _ = await call(served, "GET", "/_sandbox/stats")
    assert status == 200


async def test_stats_count_platform_requests_by_route_and_status(
    toy: tuple[Served, ToyBackend],
) -> None:
    served, _ = toy
    await call(served, "GET", "/items")
    await call(served, "GET", "/items/C1")
    await call(served, "GET", "/items/nope")
    await call(served, "GET", "/_sandbox/certificates")  # not counted
    _status, stats = await call(served, "GET", "/_sandbox/stats")
    assert stats == {
        "total": 3,
        "by_route": {"GET /items": 1, "GET /items/{code}": 2},
        "by_status": {"200": 2, "404": 1},
    }
    await call(served, "POST", "/_sandbox/stats/reset")
    assert served.app[STATS_KEY].total == 0


async def test_shopper_issue_redeem_and_log(toy: tuple[Served, ToyBackend]) -> None:
    served, backend = toy
    status, body = await call(
        served, "POST", "/_sandbox/shopper/issue", json={"code": "NEW", "amount": "25.00"}
    )
    assert status == 201
    assert body["code"] == "NEW"
    assert body["balance"] == "25.00"
    status, body = await call(
        served, "POST", "/_sandbox/shopper/redeem", json={"code": "NEW", "amount": "5.5"}
    )
    assert status == 200
    assert body == {**body, "code": "NEW", "balance": "19.50"}
    assert backend.records["NEW"].balance == Decimal("19.50")
    status, log = await call(served, "GET", "/_sandbox/shopper/log")
    assert [(e["kind"], e["amount"], e["source"]) for e in log] == [
        ("issue", "25.00", "shopper"),
        ("redeem", "5.50", "shopper"),
    ]
    assert served.app[SHOPPER_LOG_KEY].total_redeemed() == Decimal("5.50")


async def test_shopper_issue_without_code_lets_the_platform_choose(
    toy: tuple[Served, ToyBackend],
) -> None:
    served, _ = toy
    status, body = await call(served, "POST", "/_sandbox/shopper/issue", json={"amount": "1"})
    assert status == 201
    assert body["code"] == "GEN5"


@pytest.mark.parametrize(
    ("path", "payload", "expected"),
    [
        ("redeem", {"code": "C1", "amount": "10.01"}, 409),
        ("redeem", {"code": "nope", "amount": "1"}, 404),
        ("redeem", {"code": "C1", "amount": "-1"}, 400),
        ("redeem", {"code": "C1", "amount": "lots"}, 400),
        ("redeem", {"amount": "1"}, 400),
        ("issue", {"code": "C1", "amount": "1"}, 409),
        ("issue", {"code": "Z", "amount": "1", "currency": "EUR"}, 400),
        ("issue", {"code": "Z", "amount": "1", "currency": "EURO"}, 400),
        ("issue", {"code": "Z"}, 400),
    ],
)
async def test_shopper_refusals(
    toy: tuple[Served, ToyBackend], path: str, payload: dict[str, str], expected: int
) -> None:
    served, backend = toy
    status, body = await call(served, "POST", f"/_sandbox/shopper/{path}", json=payload)
    assert status == expected, body
    assert backend.records["C1"].balance == Decimal("10.00")
    assert list(served.app[SHOPPER_LOG_KEY]) == []


async def test_certificates_route_and_reset(toy: tuple[Served, ToyBackend]) -> None:
    served, backend = toy
    status, body = await call(served, "GET", "/_sandbox/certificates")
    assert status == 200
    assert body[0] == {
        "code": "C0",
        "remote_id": "C0",
        "currency": "USD",
        "amount": "10.00",
        "balance": "10.00",
        "status": "active",
    }
    redeem(served.app, "C0", Decimal(1))
    await call(served, "GET", "/items")
    status, _ = await call(served, "POST", "/_sandbox/reset")
    assert status == 200
    assert backend.records == {}
    assert served.app[STATS_KEY].total == 0
    assert list(served.app[SHOPPER_LOG_KEY]) == []


# --- faults over HTTP -------------------------------------------------------------------------


async def test_latency_is_added(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    await set_faults(served, latency_ms=60)
    started = time.monotonic()
    status, _ = await call(served, "GET", "/items/C1")
    assert status == 200
    assert time.monotonic() - started >= 0.06


async def test_error_rate_answers_platform_shaped_500(toy: tuple[Served, ToyBackend]) -> None:
    served, backend = toy
    await set_faults(served, error_rate=1)
    status, body = await call(served, "POST", "/items", json={"code": "E", "amount": "1"})
    assert status == 500
    assert "toy_error" in body
    assert "E" not in backend.records  # a 5xx before the handler applies nothing


@pytest.mark.parametrize("with_headers", [True, False])
async def test_throttle_next_n_requests(toy: tuple[Served, ToyBackend], with_headers: bool) -> None:
    served, _ = toy
    await set_faults(served, throttle_next=2, throttle_headers=with_headers)
    outcomes = []
    for _ in range(3):
        async with served.http.get(served.url + "/items") as response:
            outcomes.append((response.status, response.headers.get("X-Wait-Ms")))
    wait = "250" if with_headers else None
    assert outcomes == [(429, wait), (429, wait), (200, None)]
    assert served.app[FAULTS_KEY].throttle_next == 0


async def test_drop_closes_without_applying(toy: tuple[Served, ToyBackend]) -> None:
    served, backend = toy
    await set_faults(served, drop_rate=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(served, "POST", "/items", json={"code": "D", "amount": "1"})
    assert "D" not in backend.records
    assert served.app[STATS_KEY].by_status["dropped"] == 1


async def test_lost_response_applies_then_drops(toy: tuple[Served, ToyBackend]) -> None:
    served, backend = toy
    await set_faults(served, lost_response_rate=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(served, "POST", "/items", json={"code": "L", "amount": "1"})
    assert backend.records["L"].balance == Decimal(1)
    status, _ = await call(served, "GET", "/items/L")  # reads are not writes: answered
    assert status == 200
    assert served.app[STATS_KEY].by_status["lost_response"] == 1


async def test_malformed_list_page(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    await set_faults(served, malformed_rate=1)
    status, body = await call(served, "GET", "/items")
    assert status == 200
    assert isinstance(body, str)
    status, body = await call(served, "GET", "/items/C1")  # not a list: intact
    assert status == 200
    assert body["code"] == "C1"


async def test_bad_record_corrupts_one_balance(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    await set_faults(served, bad_record_rate=1)
    status, body = await call(served, "GET", "/items")
    assert status == 200
    assert len(body) == 4
    assert [r["balance"] for r in body].count("12,x") == 1


async def test_truncate_drops_the_trailing_half(toy: tuple[Served, ToyBackend]) -> None:
    served, _ = toy
    await set_faults(served, truncate_rate=1)
    status, body = await call(served, "GET", "/items")
    assert status == 200
    assert [r["code"] for r in body] == ["C0", "C1"]


def test_list_faults_find_records_in_every_platform_shape() -> None:
    sfcc_like: dict[str, Any] = {"count": 3, "total": 9, "data": [{"a": 1}, {"a": 2}, {"a": 3}]}
    _truncate(sfcc_like, sfcc_like["data"])
    assert sfcc_like == {"count": 2, "total": 9, "data": [{"a": 1}, {"a": 2}]}
    money = {"balance": {"currency_mnemonic": "USD", "value": 5}}
    _corrupt_balance(money)
    assert money["balance"]["value"] == "12,x"
    three_d = {"CertificateCode": "x", "Balance": 5}
    _corrupt_balance(three_d)
    assert three_d["Balance"] == "12,x"


async def test_redeem_on_read_spends_part_of_the_balance_first(
    toy: tuple[Served, ToyBackend],
) -> None:
    served, backend = toy
    await set_faults(served, redeem_on_read_rate=1)
    status, body = await call(served, "GET", "/items/C2")
    assert status == 200
    balance = Decimal(body["balance"])
    assert Decimal(0) <= balance < Decimal(10)
    assert backend.records["C2"].balance == balance  # the answer shows the redemption
    log = served.app[SHOPPER_LOG_KEY]
    assert [(e.code, e.source) for e in log] == [("C2", "redeem_on_read")]
    assert log.total_redeemed("C2") == Decimal(10) - balance
    status, _ = await call(served, "GET", "/items")  # lists are not single reads
    assert len(log) == 1


async def test_faults_are_reproducible_with_a_seed(serve_app: ServeApp) -> None:
    async def run() -> list[int]:
        app, _ = toy_app()
        served = await serve_app(app)
        await set_faults(served, error_rate=0.5, seed=42)
        return [(await call(served, "GET", "/items/C1"))[0] for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert set(first) == {200, 500}
