"""3dcart / Shift4Shop v2 sandbox, GiftCertificates, through real HTTP on loopback.

Seed 000 and PLATFORMS.md are the specification; registries are in
``test_shift4shop_registries.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from syncd.model import Status
from syncd.sandbox.common import FAULTS_KEY, SHOPPER_LOG_KEY, SeedCertificate
from syncd.sandbox.shift4shop import STORE_KEY, Shift4ShopSandboxConfig, create_app, seed
from syncd.sandbox.shift4shop_wire import OFFSET_EXCEEDS
from tests.sandbox.conftest import ServeApp, Served

NOW = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
CONFIG = Shift4ShopSandboxConfig(
    secure_url="https://test-store.3dcartstores.com",
    private_key="pk-test",
    token="tok-test",
    now=lambda: NOW,
)
AUTH = {"SecureURL": CONFIG.secure_url, "PrivateKey": "pk-test", "Token": "tok-test"}
CERTS = "/3dCartWebAPI/v2/GiftCertificates"


@dataclass
class Store:
    served: Served

    @property
    def app(self) -> web.Application:
        return self.served.app

    async def call(
        self, method: str, path: str = "", *, headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, Any]:
        absolute = path.startswith(("/_sandbox/", "/3dCartWebAPI/"))
        url = self.served.url + (path if absolute else CERTS + path)
        sent = {**AUTH, "Accept": "application/json", **(headers or {})}
        async with self.served.http.request(method, url, headers=sent, **kw) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text

    async def codes(self, query: str = "") -> list[str]:
        status, body = await self.call("GET", query)
        assert status == 200, body
        return [r["CertificateCode"] for r in body]


def certs(n: int, balance: str = "10.00") -> list[SeedCertificate]:
    return [SeedCertificate(f"GC{i:03d}", Decimal("10.00"), Decimal(balance)) for i in range(n)]


@pytest.fixture
async def store(serve_app: ServeApp) -> Store:
    app = create_app(
        Shift4ShopSandboxConfig(
            secure_url=CONFIG.secure_url,
            private_key=CONFIG.private_key,
            token=CONFIG.token,
            now=CONFIG.now,
            max_limit=25,
        )
    )
    return Store(await serve_app(app))


# --- auth -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"PrivateKey": "wrong"},
        {"Token": "wrong"},
        {"SecureURL": "https://other-store.3dcartstores.com"},
        {"Token": ""},
    ],
)
async def test_any_credential_mismatch_is_401(store: Store, headers: dict[str, str]) -> None:
    status, body = await store.call("GET", headers=headers)
    assert status == 401
    assert body[0]["Status"] == "401"
    assert "pk-test" not in str(body)
    assert "tok-test" not in str(body)


async def test_missing_headers_are_401_and_writes_are_not_applied(store: Store) -> None:
    url = store.served.url + CERTS
    async with store.served.http.post(url, json={"CertificateCode": "X", "Amount": 1}) as r:
        assert r.status == 401
    assert store.app[STORE_KEY].get("X") is None


async def test_header_names_and_store_url_are_not_case_or_slash_sensitive(store: Store) -> None:
    seed(store.app, certs(1))
    headers = {
        "securl": "",
        "secureurl": CONFIG.secure_url.upper() + "/",
        "privatekey": "pk-test",
        "token": "tok-test",
    }
    async with store.served.http.get(store.served.url + CERTS, headers=headers) as r:
        assert r.status == 200


async def test_sandbox_routes_need_no_auth(store: Store) -> None:
    async with store.served.http.get(store.served.url + "/_sandbox/certificates") as r:
        assert r.status == 200


# --- listing --------------------------------------------------------------------------------


async def test_default_limit_is_10_and_offset_is_a_1_based_record_index(store: Store) -> None:
    seed(store.app, certs(23))
    assert await store.codes() == [f"GC{i:03d}" for i in range(10)]
    assert await store.codes("?limit=3&offset=1") == ["GC000", "GC001", "GC002"]
    assert await store.codes("?limit=3&offset=4") == ["GC003", "GC004", "GC005"]
    assert await store.codes("?limit=5&offset=21") == ["GC020", "GC021", "GC022"]
    assert await store.codes("?limit=3&offset=0") == ["GC000", "GC001", "GC002"]


async def test_paging_walks_every_record_exactly_once(store: Store) -> None:
    seed(store.app, certs(23))
    seen: list[str] = []
    offset = 1
    while True:
        status, body = await store.call("GET", f"?limit=7&offset={offset}")
        if status != 200:
            break
        seen += [r["CertificateCode"] for r in body]
        offset += 7
    assert seen == [f"GC{i:03d}" for i in range(23)]
    assert status == 400
    assert body[0]["Message"] == OFFSET_EXCEEDS


async def test_limit_above_the_maximum_is_clamped(store: Store) -> None:
    seed(store.app, certs(30))
    assert len(await store.codes("?limit=1000")) == 25


async def test_offset_past_the_end_answers_offset_exceeds(store: Store) -> None:
    seed(store.app, certs(5))
    status, body = await store.call("GET", "?offset=6")
    assert status == 400
    assert body == [{"Key": "offset", "Value": "6", "Status": "400", "Message": OFFSET_EXCEEDS}]


async def test_empty_result_is_404(store: Store) -> None:
    status, body = await store.call("GET")
    assert status == 404
    assert body[0]["Status"] == "404"
    seed(store.app, certs(3))
    status, _ = await store.call("GET", "?notetext=nothing-like-this")
    assert status == 404


@pytest.mark.parametrize("query", ["?limit=x", "?limit=0", "?offset=-1", "?amountfrom=ten"])
async def test_bad_list_parameters_are_400_naming_them(store: Store, query: str) -> None:
    seed(store.app, certs(3))
    status, body = await store.call("GET", query)
    assert status == 400
    assert body[0]["Key"] == query[1:].split("=")[0]


async def test_record_shape_and_money(store: Store) -> None:
    seed(store.app, [SeedCertificate("ABC", Decimal("25.00"), Decimal("7.25"))])
    status, body = await store.call("GET")
    assert status == 200
    assert body == [
        {
            "CertificateCode": "ABC",
            "Amount": 25.0,
            "Balance": 7.25,
            "TotalSpent": 17.75,
            "DateCreated": "2026-03-04T05:06:07.891Z",
            "Notes": "",
        }
    ]


async def filtered_store(store: Store) -> None:
    for code, amount, balance, notes in [
        ("A", "10", "10", "Birthday for Ann"),
        ("B", "50", "20", "office party"),
        ("C", "100", "0", "BIRTHDAY gift"),
        ("D", "25", "25", ""),
    ]:
        status, _ = await store.call(
            "POST", json={"CertificateCode": code, "Amount": amount, "Notes": notes}
        )
        assert status == 201
        await store.call("PUT", "/" + code, json={"Balance": balance})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?notetext=birthday", ["A", "C"]),
        ("?amountfrom=25", ["B", "C", "D"]),
        ("?amountto=25", ["A", "D"]),
        ("?amountfrom=20&amountto=60", ["B", "D"]),
        ("?balancefrom=20", ["B", "D"]),
        ("?balanceto=0", ["C"]),
        ("?balancefrom=10&balanceto=20&notetext=a", ["A", "B"]),
        ("?notetext=&amountfrom=&amountto=&balancefrom=&balanceto=", ["A", "B", "C", "D"]),
    ],
)
async def test_filters(store: Store, query: str, expected: list[str]) -> None:
    await filtered_store(store)
    assert await store.codes(query) == expected


async def test_countonly_answers_a_count_document(store: Store) -> None:
    await filtered_store(store)
    assert await store.call("GET", "?countonly=1") == (200, {"TotalCount": 4})
    assert await store.call("GET", "?countOnly=1&notetext=birthday") == (200, {"TotalCount": 2})
    assert await store.call("GET", "?countonly=1&notetext=zzz") == (200, {"TotalCount": 0})


async def test_query_parameter_names_are_case_insensitive(store: Store) -> None:
    seed(store.app, certs(5))
    assert await store.codes("?Limit=2&OFFSET=2") == ["GC001", "GC002"]


# --- single records ---------------------------------------------------------------------------


async def test_get_by_code_answers_an_array_of_one(store: Store) -> None:
    seed(store.app, certs(3))
    status, body = await store.call("GET", "/GC001")
    assert status == 200
    assert [r["CertificateCode"] for r in body] == ["GC001"]
    status, body = await store.call("GET", "/NOPE")
    assert status == 404
    assert body[0]["Message"] == "The gift certificate was not found."


async def test_create_answers_key_value_status_message(store: Store) -> None:
    status, body = await store.call(
        "POST", json={"CertificateCode": "NEW1", "Amount": 12.5, "Notes": "hi"}
    )
    assert status == 201
    assert body == [
        {
            "Key": "CertificateCode",
            "Value": "NEW1",
            "Status": "201",
            "Message": "Created successfully",
        }
    ]
    status, body = await store.call("GET", "/NEW1")
    assert body[0]["Balance"] == 12.5
    assert body[0]["TotalSpent"] == 0
    assert body[0]["Notes"] == "hi"


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"Amount": 5}, "CertificateCode"),
        ({"CertificateCode": "", "Amount": 5}, "CertificateCode"),
        ({"CertificateCode": "Z"}, "Amount"),
        ({"CertificateCode": "Z", "Amount": "five"}, "Amount"),
        ({"CertificateCode": "Z", "Amount": 5, "Notes": 3}, "Notes"),
        ({"CertificateCode": "GC000", "Amount": 5}, "CertificateCode"),
    ],
)
async def test_create_refusals(store: Store, payload: dict[str, Any], key: str) -> None:
    seed(store.app, certs(1))
    status, body = await store.call("POST", json=payload)
    assert status == 400
    assert body[0]["Key"] == key
    assert len(store.app[STORE_KEY]) == 1


async def test_create_accepts_an_array_and_answers_per_record(store: Store) -> None:
    seed(store.app, certs(1))
    status, body = await store.call(
        "POST",
        json=[{"CertificateCode": "N1", "Amount": 5}, {"CertificateCode": "GC000", "Amount": 5}],
    )
    assert status == 201
    assert [(a["Value"], a["Status"]) for a in body] == [("N1", "201"), ("GC000", "400")]


async def test_put_balance_sets_it_and_total_spent_follows(store: Store) -> None:
    seed(store.app, certs(1))
    status, body = await store.call("PUT", "/GC000", json={"Balance": "3.40"})
    assert status == 200
    assert body == [
        {
            "Key": "CertificateCode",
            "Value": "GC000",
            "Status": "200",
            "Message": "Updated successfully",
        }
    ]
    _, body = await store.call("GET", "/GC000")
    assert (body[0]["Amount"], body[0]["Balance"], body[0]["TotalSpent"]) == (10.0, 3.4, 6.6)
    await store.call("PUT", "/GC000", json={"Amount": 20, "Notes": "raised"})
    _, body = await store.call("GET", "/GC000")
    assert (body[0]["Amount"], body[0]["Balance"], body[0]["TotalSpent"]) == (20.0, 3.4, 16.6)
    assert body[0]["Notes"] == "raised"


async def test_put_with_a_bad_field_changes_nothing(store: Store) -> None:
    seed(store.app, certs(1))
    status, body = await store.call("PUT", "/GC000", json={"Notes": "x", "Balance": "1,5"})
    assert status == 400
    assert body[0]["Key"] == "Balance"
    record = store.app[STORE_KEY].get("GC000")
    assert record is not None
    assert (record.notes, record.balance) == ("", Decimal("10.00"))


async def test_put_unknown_code_is_404(store: Store) -> None:
    status, body = await store.call("PUT", "/NOPE", json={"Balance": 1})
    assert status == 404
    assert body[0]["Value"] == "NOPE"


async def test_bulk_put_answers_per_record_and_a_bad_record_fails_alone(store: Store) -> None:
    seed(store.app, certs(3))
    status, body = await store.call(
        "PUT",
        json=[
            {"CertificateCode": "GC000", "Balance": 1},
            {"CertificateCode": "MISSING", "Balance": 1},
            {"CertificateCode": "GC001", "Balance": "bad"},
            {"Balance": 1},
            {"CertificateCode": "GC002", "Balance": 2},
        ],
    )
    assert status == 200
    assert [(a["Key"], a["Value"], a["Status"]) for a in body] == [
        ("CertificateCode", "GC000", "200"),
        ("CertificateCode", "MISSING", "404"),
        ("Balance", "bad", "400"),
        ("CertificateCode", "", "400"),
        ("CertificateCode", "GC002", "200"),
    ]
    balances = {r.code: r.balance for r in store.app[STORE_KEY]}
    assert balances == {"GC000": Decimal(1), "GC001": Decimal(10), "GC002": Decimal(2)}


async def test_bulk_put_where_every_record_fails(store: Store) -> None:
    status, body = await store.call("PUT", json=[{"CertificateCode": "NOPE", "Balance": 1}])
    assert status == 404
    assert body[0]["Status"] == "404"
    status, body = await store.call("PUT", json={"CertificateCode": "NOPE"})
    assert status == 400


async def test_delete_by_code(store: Store) -> None:
    seed(store.app, certs(4))
    status, body = await store.call("DELETE", "/GC001")
    assert status == 200
    assert body[0]["Message"] == "Deleted successfully"
    assert await store.codes() == ["GC000", "GC002", "GC003"]
    assert await store.codes("?limit=2&offset=2") == ["GC002", "GC003"]
    status, _ = await store.call("GET", "/GC001")
    assert status == 404
    status, body = await store.call("DELETE", "/GC001")
    assert status == 404
    assert body[0]["Value"] == "GC001"


async def test_invalid_json_body_is_400(store: Store) -> None:
    status, body = await store.call(
        "POST", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert body[0]["Status"] == "400"


# --- seeding ------------------------------------------------------------------------------


def test_seed_stores_status_as_balance_and_refuses_other_currencies() -> None:
    app = create_app(CONFIG)
    seed(
        app,
        [
            SeedCertificate("ON", Decimal(5), Decimal(5)),
            SeedCertificate("OFF", Decimal(5), Decimal(5), status=Status.DISABLED),
        ],
    )
    balances = {r.code: r.balance for r in app[STORE_KEY]}
    assert balances == {"ON": Decimal(5), "OFF": Decimal(0)}
    with pytest.raises(ValueError, match="EUR"):
        seed(app, [SeedCertificate("E", Decimal(1), Decimal(1), currency="EUR")])


async def test_seeding_and_paging_100k_is_fast(serve_app: ServeApp) -> None:
    app = create_app(CONFIG)
    started = time.perf_counter()
    seed(app, (SeedCertificate(f"B{i:06d}", Decimal(10), Decimal(10)) for i in range(100_000)))
    assert time.perf_counter() - started < 3.0
    store = Store(await serve_app(app))
    started = time.perf_counter()
    for offset in (1, 50_001, 99_701):
        codes = await store.codes(f"?limit=300&offset={offset}")
        assert codes[0] == f"B{offset - 1:06d}"
    # A page is a slice, not a scan: three pages of a 100k store take milliseconds.
    assert time.perf_counter() - started < 1.0


# --- shopper routes and faults on this platform -------------------------------------------------


async def test_shopper_redeem_lowers_balance_and_total_spent_grows(store: Store) -> None:
    seed(store.app, certs(1))
    status, body = await store.call(
        "POST", "/_sandbox/shopper/redeem", json={"code": "GC000", "amount": "4.00"}
    )
    assert status == 200
    assert body["balance"] == "6.00"
    _, body = await store.call("GET", "/GC000")
    assert (body[0]["Balance"], body[0]["TotalSpent"]) == (6.0, 4.0)
    status, _ = await store.call(
        "POST", "/_sandbox/shopper/redeem", json={"code": "GC000", "amount": "6.01"}
    )
    assert status == 409


async def test_shopper_issue_with_and_without_a_code(store: Store) -> None:
    status, body = await store.call(
        "POST", "/_sandbox/shopper/issue", json={"code": "SHOP1", "amount": "30"}
    )
    assert status == 201
    assert body["currency"] == "USD"
    status, body = await store.call("POST", "/_sandbox/shopper/issue", json={"amount": "30"})
    assert status == 201
    assert len(body["code"]) == 16
    assert await store.codes() == ["SHOP1", body["code"]]
    status, _ = await store.call(
        "POST", "/_sandbox/shopper/issue", json={"amount": "30", "currency": "EUR"}
    )
    assert status == 400


async def test_store_currency_is_configurable(serve_app: ServeApp) -> None:
    app = create_app(Shift4ShopSandboxConfig(currency="jpy", now=CONFIG.now))
    seed(app, [SeedCertificate("Y", Decimal(1000), Decimal(1000), currency="JPY")])
    served = await serve_app(app)
    async with served.http.get(served.url + "/_sandbox/certificates") as r:
        assert (await r.json())[0]["balance"] == "1000"


async def test_throttle_carries_retry_after_only_when_asked(store: Store) -> None:
    seed(store.app, certs(1))
    store.app[FAULTS_KEY].update({"throttle_next": 1})
    async with store.served.http.get(store.served.url + CERTS, headers=AUTH) as r:
        assert (r.status, r.headers.get("Retry-After")) == (429, "1")
        assert (await r.json())[0]["Status"] == "429"
    store.app[FAULTS_KEY].update({"throttle_next": 1, "throttle_headers": False})
    async with store.served.http.get(store.served.url + CERTS, headers=AUTH) as r:
        assert (r.status, r.headers.get("Retry-After")) == (429, None)


async def test_injected_500_is_an_answer_array(store: Store) -> None:
    store.app[FAULTS_KEY].update({"error_rate": 1})
    status, body = await store.call("GET")
    assert status == 500
    assert body[0]["Status"] == "500"


async def test_list_faults_apply_to_the_certificate_list(store: Store) -> None:
    seed(store.app, certs(6))
    store.app[FAULTS_KEY].update({"bad_record_rate": 1})
    _, body = await store.call("GET")
    assert [r["Balance"] for r in body].count("12,x") == 1
    store.app[FAULTS_KEY].update({"bad_record_rate": 0, "truncate_rate": 1})
    assert await store.codes() == ["GC000", "GC001", "GC002"]


async def test_redeem_on_read_applies_to_get_by_code(store: Store) -> None:
    seed(store.app, certs(1))
    store.app[FAULTS_KEY].update({"redeem_on_read_rate": 1})
    _, body = await store.call("GET", "/GC000")
    spent = store.app[SHOPPER_LOG_KEY].total_redeemed("GC000")
    assert spent > 0
    assert Decimal(str(body[0]["Balance"])) == Decimal(10) - spent
    assert Decimal(str(body[0]["TotalSpent"])) == spent
