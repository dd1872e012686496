"""docs/companion.md as tests, run unchanged against the sandbox companion and the cartridge
(script.js on the Node harness): same requests, same statuses, fault types and documents."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.companion.conftest import SITE, Companion

CUSTOM = "https://api.commercecloud.salesforce.com/documentation/error/v1/custom-errors/"
SYSTEM = "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/"
REQUIRED = {
    "merchant_id",
    "gift_certificate_code",
    "masked_gift_certificate_code",
    "amount",
    "balance",
    "status",
    "enabled",
    "creation_date",
    "last_modified",
}
PEOPLE = {
    "recipient_name": "Bo Recipient",
    "recipient_email": "bo@example.com",
    "sender_name": "Al Sender",
    "message": "Enjoy",
    "description": "from syncd",
}


def usd(value: Any) -> dict[str, Any]:
    return {"currency_mnemonic": "USD", "value": value}


def certs(code: str | None = None) -> str:
    return "gift_certificates" if code is None else f"gift_certificates/{quote(code, safe='')}"


def problem(answer: tuple[int, Any, str], prefix: str = CUSTOM) -> tuple[int, str]:
    """(status, fault name) of an RFC 9457 answer."""
    status, body, content_type = answer
    assert content_type == "application/problem+json", body
    assert str(body["type"]).startswith(prefix), body
    return status, str(body["type"])[len(prefix) :]


async def create(companion: Companion, code: str, value: Any = 25, **fields: Any) -> Any:
    status, body, _ = await companion.call(
        "POST", certs(), json_body={"code": code, "amount": usd(value), **fields}
    )
    assert status == 201, body
    return body


# --- auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer made-up"}, {"Authorization": "Basic eDp5"}],
    ids=["missing", "unknown", "not-bearer"],
)
async def test_every_operation_needs_a_valid_bearer_token(
    companion: Companion, headers: dict[str, str]
) -> None:
    body = {"code": "AUTH-0001", "amount": usd(5)}
    for method, path, json_body in (
        ("POST", certs(), body),
        ("GET", certs("AUTH-0001"), None),
        ("GET", "gift_certificates/by-merchant-id/gc-1", None),
    ):
        answer = await companion.call(method, path, headers=headers, json_body=json_body)
        assert problem(answer, SYSTEM) == (401, "unauthorized")
    assert (await companion.call("GET", certs("AUTH-0001")))[0] == 404  # nothing was created


# --- create --------------------------------------------------------------------------------


async def test_create_keeps_the_code_exactly_and_answers_the_document(
    companion: Companion,
) -> None:
    status, doc, content_type = await companion.call(
        "POST", certs(), json_body={"code": "Mixed-Case code/7", "amount": usd(40.5)}
    )
    assert (status, content_type) == (201, "application/json")
    assert set(doc) == REQUIRED
    assert doc["gift_certificate_code"] == "Mixed-Case code/7"
    assert doc["masked_gift_certificate_code"] == "*************de/7"
    assert doc["amount"] == doc["balance"] == usd(40.5)
    assert (doc["status"], doc["enabled"]) == ("issued", True)
    assert doc["merchant_id"]
    assert doc["creation_date"].endswith("Z")


async def test_create_sets_people_message_status_and_enabled(companion: Companion) -> None:
    doc = await create(companion, "PEOPLE-0001", 10, status="pending", enabled=False, **PEOPLE)
    assert set(doc) == REQUIRED | set(PEOPLE)
    assert {name: doc[name] for name in PEOPLE} == PEOPLE
    assert (doc["status"], doc["enabled"]) == ("pending", False)


async def test_a_duplicate_code_is_409_masked_and_changes_nothing(companion: Companion) -> None:
    first = await create(companion, "DUPLICATE-4KTP", 25)
    answer = await companion.call(
        "POST", certs(), json_body={"code": "DUPLICATE-4KTP", "amount": usd(99)}
    )
    assert problem(answer) == (409, "code-not-unique")
    assert "DUPLICATE" not in str(answer[1])
    assert "**********4KTP" in answer[1]["detail"]
    assert answer[1]["c_siteId"] == SITE
    _, again, _ = await companion.call("GET", certs("DUPLICATE-4KTP"))
    assert again == first


@pytest.mark.parametrize(
    ("value", "fault", "field_id"),
    [
        (0, "amount-out-of-range", None),
        (-1, "amount-out-of-range", None),
        (1_000_000.01, "amount-out-of-range", None),
        (1.005, "invalid-field", "amount.value"),
        ("5", "invalid-field", "amount.value"),
        (True, "invalid-field", "amount.value"),
    ],
)
async def test_create_refuses_an_amount_out_of_range_or_malformed(
    companion: Companion, value: Any, fault: str, field_id: str | None
) -> None:
    answer = await companion.call(
        "POST", certs(), json_body={"code": "AMOUNT-0001", "amount": usd(value)}
    )
    assert problem(answer) == (400, fault)
    if field_id is not None:
        assert answer[1]["c_fieldId"] == field_id
    assert (await companion.call("GET", certs("AMOUNT-0001")))[0] == 404


@pytest.mark.parametrize(
    ("body", "fault", "field_id"),
    [
        ({"amount": usd(5)}, "invalid-field", "code"),
        ({"code": "   ", "amount": usd(5)}, "invalid-field", "code"),
        ({"code": "X" * 256, "amount": usd(5)}, "invalid-field", "code"),
        ({"code": 7, "amount": usd(5)}, "invalid-field", "code"),
        ({"code": "F-0001"}, "invalid-field", "amount"),
        ({"code": "F-0001", "amount": 5}, "invalid-field", "amount"),
        (
            {"code": "F-0001", "amount": {"currency_mnemonic": "EUR", "value": 5}},
            "invalid-field",
            "amount.currency_mnemonic",
        ),
        (
            {"code": "F-0001", "amount": usd(5), "merchant_id": "mine"},
            "invalid-field",
            "merchant_id",
        ),
        ({"code": "F-0001", "amount": usd(5), "balance": usd(5)}, "invalid-field", "balance"),
        ({"code": "F-0001", "amount": usd(5), "transactions": []}, "invalid-field", "transactions"),
        ({"code": "F-0001", "amount": usd(5), "order_no": "1"}, "invalid-field", "order_no"),
        ({"code": "F-0001", "amount": usd(5), "message": 3}, "invalid-field", "message"),
        ({"code": "F-0001", "amount": usd(5), "enabled": "yes"}, "invalid-field", "enabled"),
        (
            {"code": "F-0001", "amount": usd(5), "recipient_email": "nobody"},
            "invalid-recipient-email",
            None,
        ),
        ({"code": "F-0001", "amount": usd(5), "status": "redeemed"}, "invalid-status", None),
    ],
)
async def test_create_refuses_unknown_and_malformed_fields(
    companion: Companion, body: dict[str, Any], fault: str, field_id: str | None
) -> None:
    answer = await companion.call("POST", certs(), json_body=body)
    assert problem(answer) == (400, fault)
    if field_id is not None:
        assert answer[1]["c_fieldId"] == field_id
    assert (await companion.call("GET", certs("F-0001")))[0] == 404


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"null"])
async def test_create_refuses_a_body_that_is_not_a_json_object(
    companion: Companion, raw: bytes
) -> None:
    headers = {"Authorization": f"Bearer {companion.token}", "Content-Type": "application/json"}
    answer = await companion.call("POST", certs(), data=raw, headers=headers)
    assert problem(answer) == (400, "invalid-field")
    assert answer[1]["c_fieldId"] == "body"


# --- look up by code -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["A/B-1234", "with space 99", "100%-sure", "plus+sign", "ünï-cödé"]
)
async def test_look_up_by_a_percent_encoded_code(companion: Companion, code: str) -> None:
    created = await create(companion, code)
    status, found, _ = await companion.call("GET", certs(code))
    assert (status, found) == (200, created)
    assert found["gift_certificate_code"] == code


async def test_an_unknown_code_is_404_and_masked(companion: Companion) -> None:
    answer = await companion.call("GET", certs("SECRET-CODE-9876"))
    assert problem(answer) == (404, "gift-certificate-not-found")
    assert "SECRET" not in str(answer[1])
    assert "************9876" in answer[1]["detail"]


# --- reveal by merchant_id -----------------------------------------------------------------


async def test_reveal_shows_the_plain_code_the_platform_generated(companion: Companion) -> None:
    code, merchant_id = await companion.outside.issue("30.00")
    status, doc, _ = await companion.call("GET", f"gift_certificates/by-merchant-id/{merchant_id}")
    assert status == 200
    assert set(doc) == REQUIRED
    assert (doc["gift_certificate_code"], doc["merchant_id"]) == (code, merchant_id)
    assert doc["balance"] == usd(30)
    assert (await companion.call("GET", certs(code)))[1] == doc


async def test_reveal_of_an_unknown_merchant_id_is_404(companion: Companion) -> None:
    answer = await companion.call("GET", "gift_certificates/by-merchant-id/no-such-id")
    assert problem(answer) == (404, "gift-certificate-not-found")


# --- what the companion cannot do ----------------------------------------------------------


async def test_no_balance_change_and_no_delete_through_the_companion(
    companion: Companion,
) -> None:
    await create(companion, "INPLACE-0001", 50)
    put = await companion.call(
        "PUT", certs("INPLACE-0001") + "/balance", json_body={"balance": usd(20)}
    )
    assert put[0] in (404, 405)
    assert (await companion.call("DELETE", certs("INPLACE-0001")))[0] in (404, 405)
    _, doc, _ = await companion.call("GET", certs("INPLACE-0001"))
    assert doc["balance"] == usd(50)


async def test_a_site_is_required_and_must_exist(companion: Companion) -> None:
    answer = await companion.call("GET", certs("SITE-0001"), site=None)
    assert problem(answer) == (400, "site-required")
    answer = await companion.call(
        "POST", certs(), site=None, json_body={"code": "SITE-0001", "amount": usd(5)}
    )
    assert problem(answer) == (400, "site-required")
    assert (await companion.call("GET", certs("SITE-0001"), site="NoSuchSite"))[0] == 404


# --- the connector's re-issue: OCAPI DELETE + companion create -----------------------------


async def test_reissue_is_delete_then_create_under_a_new_merchant_id(companion: Companion) -> None:
    old = await create(companion, "REISSUE-0001", 50, **PEOPLE)
    await companion.outside.ocapi_delete(old["merchant_id"])
    assert (await companion.call("GET", certs("REISSUE-0001")))[0] == 404
    new = await create(companion, "REISSUE-0001", 20, **PEOPLE)
    assert new["merchant_id"] != old["merchant_id"]
    assert (new["balance"], new["gift_certificate_code"]) == (usd(20), "REISSUE-0001")
    gone = await companion.call("GET", f"gift_certificates/by-merchant-id/{old['merchant_id']}")
    assert gone[0] == 404
    assert (await companion.call("GET", certs("REISSUE-0001")))[1] == new


async def test_a_refused_reuse_of_a_deleted_code_is_409_code_not_reusable(
    companion: Companion,
) -> None:
    await companion.outside.refuse_deleted_code_reuse(True)
    old = await create(companion, "REUSED-CODE-0001", 50)
    await companion.outside.ocapi_delete(old["merchant_id"])
    answer = await companion.call(
        "POST", certs(), json_body={"code": "REUSED-CODE-0001", "amount": usd(20)}
    )
    assert problem(answer) == (409, "code-not-reusable")
    assert "REUSED" not in str(answer[1])
    assert (await companion.call("GET", certs("REUSED-CODE-0001")))[0] == 404
    assert (await create(companion, "FRESH-CODE-0001", 20))["balance"] == usd(20)
