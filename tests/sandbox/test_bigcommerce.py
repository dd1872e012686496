"""BigCommerce v2 sandbox, through real HTTP on loopback (seed 001 is the specification)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from syncd.model import Status
from syncd.sandbox import bigcommerce
from syncd.sandbox.bigcommerce import BigCommerceSandboxConfig, create_app, seed
from syncd.sandbox.common import FAULTS_KEY, SHOPPER_LOG_KEY, SeedCertificate, serve

TOKEN = "test-token"
HASH = "abc123"
PEOPLE = {
    "to_name": "John Doe",
    "to_email": "johndoe@example.com",
    "from_name": "Jane Doe",
    "from_email": "janedoe@example.com",
}


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Bc:
    app: Any
    url: str
    http: aiohttp.ClientSession
    clock: FakeClock

    @property
    def base(self) -> str:
        return f"{self.url}/stores/{HASH}/v2/gift_certificates"

    async def call(
        self, method: str, path: str = "", *, token: str = TOKEN, **kwargs: Any
    ) -> tuple[int, Any, Any]:
        headers = {"X-Auth-Token": token, "Accept": "application/json"}
        async with self.http.request(method, self.base + path, headers=headers, **kwargs) as r:
            text = await r.text()
            body = None if not text else await r.json(content_type=None)
            return r.status, body, r.headers

    async def create(self, **fields: Any) -> dict[str, Any]:
        status, body, _ = await self.call("POST", json={**PEOPLE, "amount": "10", **fields})
        assert status == 201, body
        return dict(body)


@pytest.fixture
async def bc() -> AsyncIterator[Bc]:
    clock = FakeClock()
    config = BigCommerceSandboxConfig(
        store_hash=HASH,
        access_token=TOKEN,
        currencies=frozenset({"EUR"}),
        clock=clock,
        wall_clock=lambda: 1_700_000_000.0,
        rate_quota=5,
        rate_window_ms=30_000,
    )
    app = create_app(config)
    runner, url = await serve(app)
    async with aiohttp.ClientSession() as http:
        yield Bc(app, url, http, clock)
    await runner.cleanup()


def _seed(bc: Bc, n: int, **kwargs: Any) -> None:
    seed(
        bc.app,
        (SeedCertificate(f"C{i:05d}", Decimal("50"), Decimal("40"), **kwargs) for i in range(n)),
    )


def _unlimited(bc: Bc) -> None:
    bc.app[bigcommerce.BC_LIMITER_KEY].quota = 1_000_000


# --- create and field rules ---------------------------------------------------------------


async def test_create_answers_201_with_money_strings_and_unix_dates(bc: Bc) -> None:
    body = await bc.create(amount=25.5, code="ABC-123")
    assert body["amount"] == "25.5000"
    assert body["balance"] == "25.5000"  # defaults to the amount
    assert body["purchase_date"] == "1700000000"  # today, when not given
    assert body["expiry_date"] == "0"  # none
    assert body["currency_code"] == "USD"  # the store's default currency
    assert body["status"] == "active"
    assert isinstance(body["id"], int)
    assert body["order_id"] == 0


@pytest.mark.parametrize("missing", ["to_name", "to_email", "from_name", "from_email", "amount"])
async def test_create_requires_people_and_amount(bc: Bc, missing: str) -> None:
    fields = {**PEOPLE, "amount": "10"}
    del fields[missing]
    status, body, _ = await bc.call("POST", json=fields)
    assert status == 400
    assert body == [{"status": 400, "message": f"The required field '{missing}' was not supplied."}]


@pytest.mark.parametrize("field", ["id", "order_id"])
async def test_read_only_fields_are_refused_on_create_and_update(bc: Bc, field: str) -> None:
    status, body, _ = await bc.call("POST", json={**PEOPLE, "amount": "1", field: 7})
    assert status == 400
    assert field in body[0]["message"]
    cert = await bc.create()
    status, body, _ = await bc.call("PUT", f"/{cert['id']}", json={field: 7})
    assert status == 400
    assert field in body[0]["message"]


async def test_code_is_trimmed_to_20_characters(bc: Bc) -> None:
    body = await bc.create(code="ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert body["code"] == "ABCDEFGHIJKLMNOPQRST"
    status, _, _ = await bc.call("POST", json={**PEOPLE, "amount": "1", "code": "X" * 256})
    assert status == 400


async def test_code_is_generated_when_absent_and_must_be_unique(bc: Bc) -> None:
    body = await bc.create()
    assert len(body["code"]) == 15
    assert body["code"].count("-") == 3
    status, err, _ = await bc.call("POST", json={**PEOPLE, "amount": "1", "code": body["code"]})
    assert status == 409
    assert err[0]["status"] == 409


async def test_dates_go_in_as_rfc2822_and_come_back_as_unix_strings(bc: Bc) -> None:
    body = await bc.create(
        purchase_date="Mon, 19 Jan 1970 07:21:46 CST", expiry_date="Mon, 02 Jan 2023 08:45:38 CST"
    )
    assert body["purchase_date"] == "1603306"  # the seed's own example pair
    assert body["expiry_date"] == "1672670738"
    status, err, _ = await bc.call(
        "POST", json={**PEOPLE, "amount": "1", "expiry_date": "2023-01-02"}
    )
    assert status == 400
    assert "2023-01-02" in err[0]["message"]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("status", "spent"),
        ("template", "wedding.html"),
        ("message", "x" * 251),
        ("currency_code", "GBP"),
        ("amount", "12,x"),
        ("amount", 0),
        ("balance", "-1"),
        ("to_email", "not-an-email"),
        ("customer_id", "five"),
        ("colour", "red"),
    ],
)
async def test_bad_values_are_refused_naming_the_field(bc: Bc, field: str, bad: Any) -> None:
    status, body, _ = await bc.call("POST", json={**PEOPLE, "amount": "1", field: bad})
    assert status == 400
    assert field in body[0]["message"] or repr(bad) in body[0]["message"]


async def test_enums_message_and_other_store_currency_are_accepted(bc: Bc) -> None:
    body = await bc.create(
        status="pending",
        template="christmas.html",
        message="m" * 250,
        currency_code="EUR",
        balance="3.5",
        customer_id=5,
    )
    assert (body["status"], body["template"], body["currency_code"]) == (
        "pending",
        "christmas.html",
        "EUR",
    )
    assert body["balance"] == "3.5000"
    assert body["customer_id"] == 5


# --- read, update, delete -----------------------------------------------------------------


async def test_get_update_delete_by_id(bc: Bc) -> None:
    cert = await bc.create(amount="100")
    status, body, _ = await bc.call("GET", f"/{cert['id']}")
    assert (status, body) == (200, cert)
    status, body, _ = await bc.call(
        "PUT", f"/{cert['id']}", json={"balance": 60, "status": "disabled"}
    )
    assert status == 200
    assert (body["balance"], body["status"], body["amount"]) == ("60.0000", "disabled", "100.0000")
    assert body["to_name"] == "John Doe"  # a PUT changes only what it sends
    status, body, _ = await bc.call("DELETE", f"/{cert['id']}")
    assert (status, body) == (204, None)
    status, body, _ = await bc.call("GET", f"/{cert['id']}")
    assert status == 404
    assert body[0]["status"] == 404


async def test_update_and_delete_of_unknown_id_are_404(bc: Bc) -> None:
    assert (await bc.call("PUT", "/999", json={"balance": 1}))[0] == 404
    assert (await bc.call("DELETE", "/999"))[0] == 404
    assert (await bc.call("GET", "/abc"))[0] == 404


async def test_update_code_keeps_uniqueness(bc: Bc) -> None:
    first = await bc.create(code="FIRST")
    second = await bc.create(code="SECOND")
    status, _, _ = await bc.call("PUT", f"/{second['id']}", json={"code": "FIRST"})
    assert status == 409
    status, body, _ = await bc.call("PUT", f"/{first['id']}", json={"code": "RENAMED"})
    assert (status, body["code"]) == (200, "RENAMED")
    status, body, _ = await bc.call("GET", "", params={"code": "RENAMED"})
    assert [c["id"] for c in body] == [first["id"]]


async def test_delete_without_id_deletes_every_certificate(bc: Bc) -> None:
    _unlimited(bc)
    _seed(bc, 30)
    status, body, _ = await bc.call("DELETE")
    assert (status, body) == (200, {})
    assert (await bc.call("GET"))[0] == 204


async def test_body_must_be_a_json_object(bc: Bc) -> None:
    assert (await bc.call("POST", data=b"not json"))[0] == 400
    assert (await bc.call("POST", json=[1, 2]))[0] == 400


# --- listing ------------------------------------------------------------------------------


async def test_list_pages_are_sorted_by_id_default_50_max_250(bc: Bc) -> None:
    _unlimited(bc)
    _seed(bc, 600)
    status, body, _ = await bc.call("GET")
    assert status == 200
    assert [c["code"] for c in body] == [f"C{i:05d}" for i in range(50)]
    assert body[0]["balance"] == "40.0000"
    status, body, _ = await bc.call("GET", params={"page": 3, "limit": 250})
    assert [c["code"] for c in body] == [f"C{i:05d}" for i in range(500, 600)]
    status, body, _ = await bc.call("GET", params={"limit": 251})
    assert status == 413
    assert "251" in body[0]["message"]


async def test_empty_page_is_204_without_body(bc: Bc) -> None:
    status, body, _headers = await bc.call("GET")
    assert (status, body) == (204, None)
    _seed(bc, 3)
    status, body, _ = await bc.call("GET", params={"page": 2, "limit": 3})
    assert (status, body) == (204, None)


@pytest.mark.parametrize("bad", [{"page": "0"}, {"limit": "x"}, {"page": "-1"}])
async def test_bad_paging_is_400(bc: Bc, bad: dict[str, str]) -> None:
    assert (await bc.call("GET", params=bad))[0] == 400


async def test_list_filters(bc: Bc) -> None:
    _unlimited(bc)
    _seed(bc, 20)
    await bc.create(code="SPECIAL", to_email="vip@example.com")
    status, body, _ = await bc.call("GET", params={"min_id": 5, "max_id": 8})
    assert [c["id"] for c in body] == [5, 6, 7, 8]
    status, body, _ = await bc.call("GET", params={"code": "C00003"})
    assert [c["code"] for c in body] == ["C00003"]
    status, body, _ = await bc.call("GET", params={"to_email": "vip@example.com"})
    assert [c["code"] for c in body] == ["SPECIAL"]
    status, body, _ = await bc.call("GET", params={"min_id": 3, "limit": 2, "page": 2})
    assert [c["id"] for c in body] == [5, 6]
    status, body, _ = await bc.call("GET", params={"order_id": 0, "to_name": "Nobody"})
    assert status == 204


async def test_seeding_is_in_process_and_pages_slice_without_scanning(bc: Bc) -> None:
    _unlimited(bc)
    started = time.perf_counter()
    _seed(bc, 20_000)
    # Generous: a loaded 2-core CI box; a per-record HTTP call or a quadratic index would
    # take minutes, not seconds.
    assert time.perf_counter() - started < 5.0
    status, body, _ = await bc.call("GET", params={"page": 80, "limit": 250})
    assert status == 200
    assert [c["id"] for c in body][:2] == [19_751, 19_752]
    assert (await bc.call("GET", params={"page": 81, "limit": 250}))[0] == 204


# --- auth and rate limiting ---------------------------------------------------------------


async def test_bad_token_is_401_and_unknown_store_404(bc: Bc) -> None:
    status, body, _ = await bc.call("GET", token="wrong")
    assert status == 401
    assert body[0]["status"] == 401
    async with bc.http.get(
        f"{bc.url}/stores/other/v2/gift_certificates", headers={"X-Auth-Token": TOKEN}
    ) as r:
        assert r.status == 404


async def test_every_answer_carries_the_rate_limit_headers(bc: Bc) -> None:
    _, _, headers = await bc.call("GET")
    assert headers["X-Rate-Limit-Requests-Quota"] == "5"
    assert headers["X-Rate-Limit-Requests-Left"] == "4"
    assert headers["X-Rate-Limit-Time-Window-Ms"] == "30000"
    assert headers["X-Rate-Limit-Time-Reset-Ms"] == "30000"
    bc.clock.now += 10
    _, _, headers = await bc.call("GET", "/404")  # errors carry them too
    assert headers["X-Rate-Limit-Requests-Left"] == "3"
    assert headers["X-Rate-Limit-Time-Reset-Ms"] == "20000"


async def test_quota_exceeded_is_429_until_the_window_resets(bc: Bc) -> None:
    for _ in range(5):
        assert (await bc.call("GET"))[0] == 204
    bc.clock.now += 12.5
    status, body, headers = await bc.call("GET")
    assert status == 429
    assert body[0]["status"] == 429
    assert headers["X-Rate-Limit-Requests-Left"] == "0"
    assert headers["X-Rate-Limit-Time-Reset-Ms"] == "17500"
    bc.clock.now += 17.5
    status, _, headers = await bc.call("GET")
    assert status == 204
    assert headers["X-Rate-Limit-Requests-Left"] == "4"


# --- faults and shopper routes ------------------------------------------------------------


async def _faults(bc: Bc, **changes: Any) -> None:
    async with bc.http.put(f"{bc.url}/_sandbox/faults", json=changes) as r:
        assert r.status == 200, await r.text()


async def test_throttle_fault_with_and_without_headers(bc: Bc) -> None:
    await _faults(bc, throttle_next=1)
    status, body, headers = await bc.call("GET")
    assert status == 429
    assert body[0]["status"] == 429
    assert headers["X-Rate-Limit-Requests-Left"] == "0"
    assert "X-Rate-Limit-Time-Reset-Ms" in headers
    await _faults(bc, throttle_next=1, throttle_headers=False)
    status, _, headers = await bc.call("GET")
    assert status == 429
    assert not [h for h in headers if h.lower().startswith("x-rate-limit")]
    assert (await bc.call("GET"))[0] == 204


async def test_error_fault_is_a_bigcommerce_error_array(bc: Bc) -> None:
    await _faults(bc, error_rate=1.0)
    status, body, headers = await bc.call("GET")
    assert status == 500
    assert body[0]["status"] == 500
    assert "X-Rate-Limit-Requests-Left" in headers


async def test_list_faults_malformed_bad_record_truncate(bc: Bc) -> None:
    _unlimited(bc)
    _seed(bc, 10)
    await _faults(bc, malformed_rate=1.0)
    async with bc.http.get(bc.base, headers={"X-Auth-Token": TOKEN}) as r:
        with pytest.raises(ValueError):
            await r.json()
    await _faults(bc, malformed_rate=0.0, bad_record_rate=1.0)
    _, body, _ = await bc.call("GET")
    assert [c["balance"] for c in body].count("12,x") == 1
    await _faults(bc, bad_record_rate=0.0, truncate_rate=1.0)
    _, body, _ = await bc.call("GET")
    assert len(body) == 5


async def test_redeem_on_read_lowers_the_balance_and_is_logged(bc: Bc) -> None:
    cert = await bc.create(amount="80", code="RACE")
    await _faults(bc, redeem_on_read_rate=1.0, seed=7)
    _, body, _ = await bc.call("GET", f"/{cert['id']}")
    spent = bc.app[SHOPPER_LOG_KEY].total_redeemed("RACE")
    assert spent > 0
    assert Decimal(body["balance"]) == Decimal(80) - spent


async def test_dropped_and_lost_response_faults(bc: Bc) -> None:
    await _faults(bc, drop_rate=1.0)
    with pytest.raises(aiohttp.ClientError):
        await bc.call("POST", json={**PEOPLE, "amount": "1", "code": "DROPPED"})
    await _faults(bc, drop_rate=0.0, lost_response_rate=1.0)
    with pytest.raises(aiohttp.ClientError):
        await bc.call("POST", json={**PEOPLE, "amount": "1", "code": "LOST"})
    bc.app[FAULTS_KEY].clear()
    _, body, _ = await bc.call("GET")
    assert [c["code"] for c in body] == ["LOST"]  # applied, answer lost; the drop was not


async def test_shopper_issue_and_redeem(bc: Bc) -> None:
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/issue", json={"code": "GIFT1", "amount": "25.00"}
    ) as r:
        assert r.status == 201
        issued = await r.json()
    assert (issued["code"], issued["balance"], issued["status"]) == ("GIFT1", "25.00", "active")
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/redeem", json={"code": "GIFT1", "amount": "5.00"}
    ) as r:
        assert (r.status, (await r.json())["balance"]) == (200, "20.00")
    _, body, _ = await bc.call("GET", f"/{issued['remote_id']}")
    assert body["balance"] == "20.0000"
    await bc.call("PUT", f"/{issued['remote_id']}", json={"status": "disabled"})
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/redeem", json={"code": "GIFT1", "amount": "1"}
    ) as r:
        assert r.status == 409
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/issue", json={"code": "GIFT1", "amount": "1"}
    ) as r:
        assert r.status == 409


async def test_sandbox_certificates_and_reset(bc: Bc) -> None:
    _seed(bc, 2, status=Status.DISABLED)
    async with bc.http.get(f"{bc.url}/_sandbox/certificates") as r:
        views = await r.json()
    assert [(v["code"], v["balance"], v["status"]) for v in views] == [
        ("C00000", "40.00", "disabled"),
        ("C00001", "40.00", "disabled"),
    ]
    async with bc.http.post(f"{bc.url}/_sandbox/reset") as r:
        assert r.status == 200
    assert (await bc.call("GET"))[0] == 204


def test_seed_refuses_codes_longer_than_20_and_unknown_currencies() -> None:
    app = create_app()
    with pytest.raises(ValueError, match="20"):
        seed(app, [SeedCertificate("X" * 21, Decimal(1), Decimal(1))])
    with pytest.raises(ValueError, match="JPY"):
        seed(app, [SeedCertificate("OK", Decimal(1), Decimal(1), currency="JPY")])
    seed(app, [SeedCertificate("DUP", Decimal(1), Decimal(1))])
    with pytest.raises(ValueError, match="DUP"):
        seed(app, [SeedCertificate("DUP", Decimal(1), Decimal(1))])


def test_config_repr_hides_the_token() -> None:
    assert "sandbox-bc-access-token" not in repr(BigCommerceSandboxConfig())


async def test_rfc2822_without_zone_is_utc(bc: Bc) -> None:
    body = await bc.create(purchase_date="Thu, 01 Jan 1970 00:01:40 -0000")
    assert body["purchase_date"] == "100"


async def test_shopper_refusals(bc: Bc) -> None:
    await bc.create(code="LOW", amount="3")
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/redeem", json={"code": "LOW", "amount": "3.01"}
    ) as r:
        assert r.status == 409  # more than the balance
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/issue", json={"amount": "5", "currency": "JPY"}
    ) as r:
        assert r.status == 400  # not a store currency
        assert "JPY" in (await r.json())["error"]
    async with bc.http.post(
        f"{bc.url}/_sandbox/shopper/issue", json={"amount": "5", "currency": "EUR"}
    ) as r:
        issued = await r.json()
    assert (r.status, issued["currency"], len(issued["code"])) == (201, "EUR", 15)
