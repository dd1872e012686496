"""SFCC sandbox (OCAPI Data 23.2, OAuth, Shop API look-up, companion) over loopback HTTP."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from syncd.model import Status
from syncd.sandbox.common import BACKEND_KEY, SHOPPER_LOG_KEY, SeedCertificate, serve
from syncd.sandbox.sfcc import SfccSandboxConfig, create_app, seed

SITE = "SiteGenesis"
CLIENT = ("test-client", "test-secret")
SHOP_CLIENT = "test-shop-client"
DATA = f"/s/-/dw/data/v23_2/sites/{SITE}/gift_certificates"
COMPANION = "/s/-/dw/custom/giftcert-sync/v1/gift_certificates"
USD = "USD"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Sfcc:
    app: Any
    url: str
    http: aiohttp.ClientSession
    clock: FakeClock
    token: str = ""

    async def fetch_token(self, auth: tuple[str, str] = CLIENT) -> tuple[int, Any]:
        async with self.http.post(
            f"{self.url}/dw/oauth2/access_token",
            headers={"Authorization": _basic(*auth)},
            data={"grant_type": "client_credentials"},
        ) as r:
            return r.status, await r.json()

    async def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        headers |= kwargs.pop("headers", {})
        if path.startswith(COMPANION):  # every companion call names its site
            kwargs.setdefault("params", {"siteId": SITE})
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as r:
            text = await r.text()
            return r.status, (await r.json(content_type=None)) if text else None

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {"amount": {"currency_mnemonic": USD, "value": 100}, **fields}
        status, document = await self.call("POST", DATA, json=body)
        assert status == 200, document
        return dict(document)

    async def plain_codes(self) -> dict[str, str]:
        async with self.http.get(f"{self.url}/_sandbox/certificates") as r:
            return {v["remote_id"]: v["code"] for v in await r.json()}


@pytest.fixture
async def sfcc() -> AsyncIterator[Sfcc]:
    clock = FakeClock()
    config = SfccSandboxConfig(
        client_id=CLIENT[0],
        client_secret=CLIENT[1],
        shop_client_id=SHOP_CLIENT,
        token_lifetime_s=600,
        clock=clock,
        wall_clock=lambda: 1_700_000_000.5,
    )
    app = create_app(config)
    runner, url = await serve(app)
    async with aiohttp.ClientSession() as http:
        client = Sfcc(app, url, http, clock)
        status, body = await client.fetch_token()
        assert status == 200
        client.token = body["access_token"]
        yield client
    await runner.cleanup()


def _fault(body: Any) -> str:
    assert body["_v"] == "23.2"
    return str(body["fault"]["type"])


def _problem(body: Any) -> str:
    """The companion's RFC 9457 fault: the last segment of its ``type``."""
    return str(body["type"]).rsplit("/", 1)[-1]


def _seed(sfcc: Sfcc, n: int) -> None:
    seed(sfcc.app, (SeedCertificate(f"CODE{i:06d}", Decimal(50), Decimal(50)) for i in range(n)))


# --- OAuth --------------------------------------------------------------------------------


async def test_token_endpoint_answers_a_bearer_token_with_its_lifetime(sfcc: Sfcc) -> None:
    status, body = await sfcc.fetch_token()
    assert status == 200
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 600)
    assert body["access_token"]


async def test_token_endpoint_refuses_bad_client_and_bad_grant(sfcc: Sfcc) -> None:
    status, body = await sfcc.fetch_token(("test-client", "wrong"))
    assert (status, body["error"]) == (401, "invalid_client")
    async with sfcc.http.post(f"{sfcc.url}/dw/oauth2/access_token", data={"x": "y"}) as r:
        assert r.status == 401
    async with sfcc.http.post(
        f"{sfcc.url}/dw/oauth2/access_token",
        headers={"Authorization": _basic(*CLIENT)},
        data={"grant_type": "password"},
    ) as r:
        assert (r.status, (await r.json())["error"]) == (400, "unsupported_grant_type")


async def test_tokens_expire_after_their_lifetime(sfcc: Sfcc) -> None:
    assert (await sfcc.call("GET", DATA))[0] == 200
    sfcc.clock.now += 599
    assert (await sfcc.call("GET", DATA))[0] == 200
    sfcc.clock.now += 1
    status, body = await sfcc.call("GET", DATA)
    assert (status, _fault(body)) == (401, "InvalidAccessTokenException")
    _, fresh = await sfcc.fetch_token()
    assert (await sfcc.call("GET", DATA, token=fresh["access_token"]))[0] == 200


@pytest.mark.parametrize("token", ["", "made-up"])
async def test_missing_or_unknown_token_is_401(sfcc: Sfcc, token: str) -> None:
    status, body = await sfcc.call("GET", DATA, token=token)
    assert (status, _fault(body)) == (401, "InvalidAccessTokenException")
    status, body = await sfcc.call("GET", f"{COMPANION}/X", token=token)
    assert (status, _problem(body)) == (401, "unauthorized")


# --- OCAPI create / get -------------------------------------------------------------------


async def test_create_generates_code_and_merchant_id_and_shows_only_the_masked_code(
    sfcc: Sfcc,
) -> None:
    async with sfcc.http.post(
        sfcc.url + DATA,
        headers={"Authorization": f"Bearer {sfcc.token}"},
        json={"amount": {"currency_mnemonic": USD, "value": 100}, "recipient_name": "Ann"},
    ) as r:
        assert r.status == 200  # the seed's create answers 200
        raw = await r.text()
        doc = await r.json()
    code = (await sfcc.plain_codes())[doc["merchant_id"]]
    assert re.fullmatch(r"[A-Z0-9]{16}", code)
    assert code not in raw  # never the plain code through OCAPI
    assert doc["masked_gift_certificate_code"] == "*" * 12 + code[-4:]
    assert doc["amount"] == {"_type": "money", "currency_mnemonic": USD, "value": 100.0}
    assert doc["balance"] == doc["amount"]
    assert (doc["status"], doc["enabled"], doc["recipient_name"]) == ("issued", True, "Ann")
    assert doc["creation_date"] == "2023-11-14T22:13:20.500Z"
    assert [t["type_code"] for t in doc["transactions"]] == ["create"]
    assert len(doc["_resource_state"]) == 64
    assert doc["link"].endswith(f"{DATA}/{doc['merchant_id']}")


async def test_create_with_merchant_id_which_must_be_unique(sfcc: Sfcc) -> None:
    doc = await sfcc.create(merchant_id="gift_cert_1", status="pending", enabled=False)
    assert (doc["merchant_id"], doc["status"], doc["enabled"]) == ("gift_cert_1", "pending", False)
    status, body = await sfcc.call(
        "POST",
        DATA,
        json={"amount": {"currency_mnemonic": USD, "value": 5}, "merchant_id": "gift_cert_1"},
    )
    assert (status, _fault(body)) == (400, "GiftCertificateCreateMerchantIDNotUniqueException")
    assert body["fault"]["arguments"] == {"siteId": SITE}


@pytest.mark.parametrize(
    ("body", "fault", "argument"),
    [
        ({}, "InvalidGiftCertificateException", {"fieldId": "amount"}),
        ({"amount": 5}, "InvalidGiftCertificateException", {"fieldId": "amount"}),
        (
            {"amount": {"currency_mnemonic": "EUR", "value": 5}},
            "InvalidGiftCertificateException",
            {"fieldId": "amount.currency_mnemonic"},
        ),
        (
            {"amount": {"currency_mnemonic": USD, "value": 0}},
            "GiftCertificateAmountOutOfRangeException",
            {"value": "0"},
        ),
        (
            {"amount": {"currency_mnemonic": USD, "value": 2_000_000}},
            "GiftCertificateAmountOutOfRangeException",
            {"value": "2000000"},
        ),
        (
            {"amount": {"currency_mnemonic": USD, "value": 5}, "recipient_email": "nope"},
            "InvalidRecipientEmailException",
            {"email": "nope"},
        ),
        (
            {"amount": {"currency_mnemonic": USD, "value": 5}, "status": "redeemed"},
            "InvalidGiftCertificateStatusException",
            {"value": "redeemed"},
        ),
        (
            {
                "amount": {"currency_mnemonic": USD, "value": 5},
                "balance": {"currency_mnemonic": USD, "value": 5},
            },
            "InvalidGiftCertificateException",
            {"fieldId": "balance"},
        ),
        (
            {"amount": {"currency_mnemonic": USD, "value": 5}, "gift_certificate_code": "MINE"},
            "InvalidGiftCertificateException",
            {"fieldId": "gift_certificate_code"},
        ),
    ],
)
async def test_create_faults(
    sfcc: Sfcc, body: dict[str, Any], fault: str, argument: dict[str, str]
) -> None:
    status, answer = await sfcc.call("POST", DATA, json=body)
    assert (status, _fault(answer)) == (400, fault)
    assert answer["fault"]["arguments"] == argument


async def test_get_by_merchant_id_and_404_fault(sfcc: Sfcc) -> None:
    doc = await sfcc.create()
    status, body = await sfcc.call("GET", f"{DATA}/{doc['merchant_id']}")
    assert (status, body) == (200, doc)
    status, body = await sfcc.call("GET", f"{DATA}/nope")
    assert (status, _fault(body)) == (404, "GiftCertificateNotFoundException")
    assert body["fault"]["arguments"] == {"giftcertificateMerchantId": "nope", "siteId": SITE}


async def test_unknown_site_is_404(sfcc: Sfcc) -> None:
    status, body = await sfcc.call("GET", "/s/-/dw/data/v23_2/sites/Other/gift_certificates")
    assert (status, _fault(body)) == (404, "SiteNotFoundException")


# --- PATCH / DELETE with _resource_state --------------------------------------------------


async def test_patch_changes_fields_and_the_resource_state(sfcc: Sfcc) -> None:
    doc = await sfcc.create()
    path = f"{DATA}/{doc['merchant_id']}"
    status, patched = await sfcc.call(
        "PATCH",
        path,
        json={"_resource_state": doc["_resource_state"], "enabled": False, "status": "pending"},
    )
    assert status == 200
    assert (patched["enabled"], patched["status"]) == (False, "pending")
    assert patched["_resource_state"] != doc["_resource_state"]
    status, body = await sfcc.call(
        "PATCH", path, json={"_resource_state": doc["_resource_state"], "message": "late"}
    )
    assert (status, _fault(body)) == (409, "ResourceStateConflictException")
    status, body = await sfcc.call("PATCH", path, json={"message": "no state sent"})
    assert (status, body["message"]) == (200, "no state sent")


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        ({"balance": {"currency_mnemonic": USD, "value": 1}}, "InvalidGiftCertificateException"),
        ({"amount": {"currency_mnemonic": USD, "value": 1}}, "InvalidGiftCertificateException"),
        ({"transactions": []}, "InvalidGiftCertificateException"),
        ({"status": "redeemed"}, "InvalidGiftCertificateStatusException"),
        ({"recipient_email": "x"}, "InvalidRecipientEmailException"),
    ],
)
async def test_patch_faults(sfcc: Sfcc, body: dict[str, Any], fault: str) -> None:
    doc = await sfcc.create()
    status, answer = await sfcc.call("PATCH", f"{DATA}/{doc['merchant_id']}", json=body)
    assert (status, _fault(answer)) == (400, fault)
    status, answer = await sfcc.call("PATCH", f"{DATA}/missing", json={"message": "x"})
    assert (status, _fault(answer)) == (404, "GiftCertificateNotFoundException")


async def test_delete_checks_the_resource_state_header(sfcc: Sfcc) -> None:
    doc = await sfcc.create()
    path = f"{DATA}/{doc['merchant_id']}"
    await sfcc.call("PATCH", path, json={"message": "changed"})
    status, body = await sfcc.call(
        "DELETE", path, headers={"x-dw-resource-state": doc["_resource_state"]}
    )
    assert (status, _fault(body)) == (409, "ResourceStateConflictException")
    _, current = await sfcc.call("GET", path)
    status, body = await sfcc.call(
        "DELETE", path, headers={"x-dw-resource-state": current["_resource_state"]}
    )
    assert (status, body) == (204, None)
    assert (await sfcc.call("GET", path))[0] == 404
    assert (await sfcc.call("DELETE", path))[0] == 404


# --- listing ------------------------------------------------------------------------------


async def test_list_pages_with_start_count_and_total(sfcc: Sfcc) -> None:
    _seed(sfcc, 260)
    status, page = await sfcc.call("GET", DATA)
    assert status == 200
    assert (page["start"], page["count"], page["total"], len(page["data"])) == (0, 25, 260, 25)
    status, page = await sfcc.call("GET", DATA, params={"start": 200, "count": 200})
    assert (page["start"], page["count"], page["total"]) == (200, 60, 260)
    assert page["data"][0]["masked_gift_certificate_code"] == "******0200"  # CODE000200
    assert "_resource_state" not in page["data"][0]  # as in the seed's list example
    status, page = await sfcc.call("GET", DATA, params={"start": 300, "select": "(**)"})
    assert (page["count"], page["data"], page["select"]) == (0, [], "(**)")


@pytest.mark.parametrize("params", [{"count": "201"}, {"count": "0"}, {"start": "-1"}])
async def test_list_refuses_out_of_range_paging(sfcc: Sfcc, params: dict[str, str]) -> None:
    status, body = await sfcc.call("GET", DATA, params=params)
    assert (status, _fault(body)) == (400, "ValueOutOfRangeException")


async def test_seeding_is_in_process_and_pages_slice(sfcc: Sfcc) -> None:
    started = time.perf_counter()
    _seed(sfcc, 20_000)
    assert time.perf_counter() - started < 5.0  # generous: a loaded 2-core CI box
    _, page = await sfcc.call("GET", DATA, params={"start": 19_900, "count": 200})
    assert (page["count"], page["total"]) == (100, 20_000)
    assert page["data"][0]["merchant_id"] == "gc-00019901"


def test_seed_maps_neutral_statuses_and_partial_balances() -> None:
    app = create_app()
    seed(
        app,
        [
            SeedCertificate("A", Decimal(10), Decimal(4)),
            SeedCertificate("B", Decimal(10), Decimal(10), status=Status.DISABLED),
            SeedCertificate("C", Decimal(10), Decimal(0), status=Status.PENDING),
        ],
    )
    views = {v.code: v for v in app[BACKEND_KEY].certificates()}
    assert views["A"].status is Status.ACTIVE
    assert views["B"].status is Status.DISABLED
    assert views["C"].status is Status.PENDING
    with pytest.raises(ValueError, match="'A'"):
        seed(app, [SeedCertificate("A", Decimal(1), Decimal(1))])
    with pytest.raises(ValueError, match="EUR"):
        seed(app, [SeedCertificate("E", Decimal(1), Decimal(1), currency="EUR")])


# --- Shop API look-up ---------------------------------------------------------------------


async def _shop(sfcc: Sfcc, code: str, client_id: str | None = SHOP_CLIENT) -> tuple[int, Any]:
    headers = {"x-dw-client-id": client_id} if client_id else {}
    async with sfcc.http.post(
        f"{sfcc.url}/s/{SITE}/dw/shop/v23_2/gift_certificate",
        json={"gift_certificate_code": code},
        headers=headers,
    ) as r:
        return r.status, await r.json()


async def test_shop_api_finds_a_certificate_by_plain_code(sfcc: Sfcc) -> None:
    _seed(sfcc, 3)
    status, doc = await _shop(sfcc, "CODE000001")
    assert status == 200
    assert (doc["merchant_id"], doc["balance"], doc["status"]) == ("gc-00000002", 50.0, "issued")
    assert doc["masked_gift_certificate_code"] == "******0001"
    status, body = await _shop(sfcc, "UNKNOWN-CODE")
    assert (status, _fault(body)) == (404, "GiftCertificateNotFoundException")
    assert "UNKNOWN-CODE" not in body["fault"]["message"]  # codes are never echoed in full


@pytest.mark.parametrize("client_id", [None, "someone-else"])
async def test_shop_api_needs_the_shop_client_id(sfcc: Sfcc, client_id: str | None) -> None:
    _seed(sfcc, 1)
    status, body = await _shop(sfcc, "CODE000000", client_id)
    assert status == 401
    assert _fault(body) in ("MissingClientIdException", "InvalidClientIdException")


# --- companion ----------------------------------------------------------------------------


async def test_companion_creates_with_a_given_code(sfcc: Sfcc) -> None:
    body = {
        "code": "SHARED-Code-1",
        "amount": {"currency_mnemonic": USD, "value": 40.5},
        "recipient_name": "Bo",
    }
    status, doc = await sfcc.call("POST", COMPANION, json=body)
    assert status == 201
    assert doc["gift_certificate_code"] == "SHARED-Code-1"
    assert doc["masked_gift_certificate_code"] == "*********de-1"
    assert doc["balance"]["value"] == 40.5
    _, listed = await sfcc.call("GET", DATA)
    assert listed["data"][0]["merchant_id"] == doc["merchant_id"]
    assert "gift_certificate_code" not in listed["data"][0]
    status, again = await sfcc.call("POST", COMPANION, json=body)
    assert (status, _problem(again)) == (409, "code-not-unique")


async def test_companion_get_by_code(sfcc: Sfcc) -> None:
    _seed(sfcc, 2)
    status, doc = await sfcc.call("GET", f"{COMPANION}/CODE000001")
    assert (status, doc["gift_certificate_code"], doc["merchant_id"]) == (
        200,
        "CODE000001",
        "gc-00000002",
    )
    status, body = await sfcc.call("GET", f"{COMPANION}/UNKNOWN")
    assert (status, _problem(body)) == (404, "gift-certificate-not-found")


async def test_companion_code_with_a_slash_is_percent_encoded(sfcc: Sfcc) -> None:
    body = {"code": "A/B-1234", "amount": {"currency_mnemonic": USD, "value": 5}}
    assert (await sfcc.call("POST", COMPANION, json=body))[0] == 201
    async with sfcc.http.get(
        sfcc.url + f"{COMPANION}/{quote('A/B-1234', safe='')}",
        headers={"Authorization": f"Bearer {sfcc.token}"},
        params={"siteId": SITE},
    ) as r:
        assert (r.status, (await r.json())["gift_certificate_code"]) == (200, "A/B-1234")


async def test_companion_create_faults(sfcc: Sfcc) -> None:
    amount = {"currency_mnemonic": USD, "value": 5}
    for body in ({"amount": amount}, {"code": "  ", "amount": amount}, {"code": "X"}):
        status, answer = await sfcc.call("POST", COMPANION, json=body)
        assert (status, _problem(answer)) == (400, "invalid-field")
    status, answer = await sfcc.call("POST", COMPANION, data=b"{not json")
    assert (status, answer["c_fieldId"]) == (400, "body")


# --- shopper routes and faults ------------------------------------------------------------


async def _admin(sfcc: Sfcc, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with sfcc.http.request(method, f"{sfcc.url}/_sandbox/{path}", json=body) as r:
        return r.status, await r.json()


async def test_shopper_issue_generates_a_code_and_redeem_records_a_transaction(sfcc: Sfcc) -> None:
    status, issued = await _admin(sfcc, "POST", "shopper/issue", {"amount": "30.00"})
    assert status == 201
    assert re.fullmatch(r"[A-Z0-9]{16}", issued["code"])
    status, redeemed = await _admin(
        sfcc, "POST", "shopper/redeem", {"code": issued["code"], "amount": "12.50"}
    )
    assert (status, redeemed["balance"]) == (200, "17.50")
    _, doc = await sfcc.call("GET", f"{DATA}/{issued['remote_id']}")
    assert doc["status"] == "partially_redeemed"
    assert [(t["type_code"], t["amount"]["value"]) for t in doc["transactions"]] == [
        ("create", 30.0),
        ("redeem", 12.5),
    ]
    await sfcc.call("PATCH", f"{DATA}/{issued['remote_id']}", json={"enabled": False})
    status, _ = await _admin(
        sfcc, "POST", "shopper/redeem", {"code": issued["code"], "amount": "1"}
    )
    assert status == 409
    status, _ = await _admin(sfcc, "POST", "shopper/issue", {"code": issued["code"], "amount": "1"})
    assert status == 409


async def test_throttle_fault_with_and_without_retry_after(sfcc: Sfcc) -> None:
    await _admin(sfcc, "PUT", "faults", {"throttle_next": 1})
    async with sfcc.http.get(
        sfcc.url + DATA, headers={"Authorization": f"Bearer {sfcc.token}"}
    ) as r:
        assert (r.status, r.headers["Retry-After"]) == (429, "1")
        assert _fault(await r.json()) == "QuotaExceededException"
    await _admin(sfcc, "PUT", "faults", {"throttle_next": 1, "throttle_headers": False})
    async with sfcc.http.get(
        sfcc.url + DATA, headers={"Authorization": f"Bearer {sfcc.token}"}
    ) as r:
        assert r.status == 429
        assert "Retry-After" not in r.headers


async def test_error_and_list_faults_are_sfcc_shaped(sfcc: Sfcc) -> None:
    _seed(sfcc, 10)
    await _admin(sfcc, "PUT", "faults", {"error_rate": 1.0})
    status, body = await sfcc.call("GET", DATA)
    assert (status, _fault(body)) == (500, "InternalServerErrorException")
    await _admin(sfcc, "PUT", "faults", {"error_rate": 0.0, "bad_record_rate": 1.0})
    _, page = await sfcc.call("GET", DATA)
    assert [d["balance"]["value"] for d in page["data"]].count("12,x") == 1
    await _admin(sfcc, "PUT", "faults", {"bad_record_rate": 0.0, "truncate_rate": 1.0})
    _, page = await sfcc.call("GET", DATA)
    assert (page["count"], len(page["data"]), page["total"]) == (5, 5, 10)


async def test_redeem_on_read_applies_to_ocapi_and_companion_reads(sfcc: Sfcc) -> None:
    _seed(sfcc, 2)
    await _admin(sfcc, "PUT", "faults", {"redeem_on_read_rate": 1.0, "seed": 3})
    _, doc = await sfcc.call("GET", f"{DATA}/gc-00000001")
    _, other = await sfcc.call("GET", f"{COMPANION}/CODE000001")
    log = sfcc.app[SHOPPER_LOG_KEY]
    assert Decimal(str(doc["balance"]["value"])) == 50 - log.total_redeemed("CODE000000")
    assert Decimal(str(other["balance"]["value"])) == 50 - log.total_redeemed("CODE000001")
    assert doc["transactions"][-1]["type_code"] == "redeem"


def test_config_repr_hides_the_secret() -> None:
    assert "sandbox-sfcc-client-secret" not in repr(SfccSandboxConfig())


async def test_companion_create_options_and_refusals(sfcc: Sfcc) -> None:
    amount = {"currency_mnemonic": USD, "value": 5}
    status, doc = await sfcc.call(
        "POST", COMPANION, json={"code": "PEND-0001", "amount": amount, "status": "pending"}
    )
    assert (status, doc["status"], doc["enabled"]) == (201, "pending", True)
    status, _ = await sfcc.call(
        "PUT", f"{COMPANION}/PEND-0001/balance", json={"balance": {**amount, "value": 2}}
    )
    assert status in (404, 405)  # no in-place balance change
    for name in ("merchant_id", "balance"):
        status, answer = await sfcc.call(
            "POST", COMPANION, json={"code": "OTHER-01", "amount": amount, name: "x"}
        )
        assert (status, answer["c_fieldId"]) == (400, name)
    assert (await sfcc.call("POST", COMPANION, json={"code": 7, "amount": amount}))[0] == 400


async def test_shopper_refusals(sfcc: Sfcc) -> None:
    _seed(sfcc, 1)
    status, _ = await _admin(sfcc, "POST", "shopper/redeem", {"code": "CODE000000", "amount": "51"})
    assert status == 409
    status, body = await _admin(sfcc, "POST", "shopper/issue", {"amount": "5", "currency": "EUR"})
    assert status == 400
    assert "EUR" in body["error"]
    status, issued = await _admin(sfcc, "POST", "shopper/issue", {"code": "MINE-1", "amount": "5"})
    assert (status, issued["code"]) == (201, "MINE-1")


async def test_shop_api_needs_a_code(sfcc: Sfcc) -> None:
    status, body = await _shop(sfcc, "")
    assert (status, _fault(body)) == (400, "MissingParameterException")
