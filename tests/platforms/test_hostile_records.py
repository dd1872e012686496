"""Hostile records at each connector's edge: a listed id or code that could not be held by
the ledger or addressed by a URL becomes a RecordProblem at parse time (never a record,
never an exception later), and no connector builds a URL for one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.errors import ConnectorError, Rejected
from syncd.model import mask_code
from syncd.platforms.bigcommerce import BigCommerceConnector
from syncd.platforms.shift4shop import Shift4ShopConnector
from syncd.platforms.shift4shop_listing import Page
from tests.platforms.test_bigcommerce import HOSTILE_IDS
from tests.platforms.test_bigcommerce import raw as bc_raw
from tests.platforms.test_sfcc import document, make

BAD_CODES = ["", "   ", "\t", ".", "..", "GIFT\x00CARD", "GIFT\x1bCARD", "GIFT\ud800CARD"]
BAD_BC_IDS = [*HOSTILE_IDS, 0, -5, 10**19, True, 1.0, "1_0", "\u0663", "007", "+5", None, [1]]


async def no_sleep(seconds: float) -> None:
    """Never wait for a retry (none must happen)."""


def bigcommerce() -> BigCommerceConnector:
    return BigCommerceConnector(
        "bc", base_url="http://127.0.0.1:9", store_hash="h", access_token="t", sleep=no_sleep
    )


def shift4shop() -> Shift4ShopConnector:
    return Shift4ShopConnector(
        "s", base_url="http://127.0.0.1:9", secure_url="x", private_key="k", token="t",
        currency="usd", sleep=no_sleep,
    )  # fmt: skip


@pytest.mark.parametrize("bad_id", BAD_BC_IDS, ids=repr)
def test_a_bigcommerce_id_no_url_takes_is_a_record_problem(bad_id: object) -> None:
    page = bigcommerce()._parse_page([bc_raw(id=1), bc_raw(id=bad_id, code="B"), bc_raw(id=3)], 1)
    assert [r.remote_id for r in page.records] == ["1", "3"]
    [problem] = page.problems
    assert "not a positive integer" in problem.reason or "missing" in problem.reason


@pytest.mark.parametrize("code", [*BAD_CODES, "C" * 21, None, 7])
def test_a_bigcommerce_code_the_ledger_cannot_hold_is_a_record_problem(code: object) -> None:
    page = bigcommerce()._parse_page([bc_raw(id=1), bc_raw(id=2, code=code)], 1)
    assert [r.remote_id for r in page.records] == ["1"]
    [problem] = page.problems
    assert problem.record_key == "2"
    if isinstance(code, str) and len(code) > 4:
        assert code not in problem.reason  # masked


@given(st.one_of(st.text(max_size=25), st.integers(), st.floats(), st.booleans(), st.none()))
def test_any_listed_bigcommerce_id_is_addressable_or_a_problem(cert_id: Any) -> None:
    c = bigcommerce()
    page = c._parse_page([bc_raw(id=cert_id)], 1)
    for record in page.records:
        assert c._item_url(record.remote_id).endswith(f"/{record.remote_id}")
    assert len(page.records) + len(page.problems) == 1


@pytest.mark.parametrize("code", [*BAD_CODES, "C" * 181])
def test_a_3dcart_code_the_ledger_cannot_hold_is_a_record_problem_masked(code: str) -> None:
    records = [{"CertificateCode": "GOOD", "Amount": 5, "Balance": 5}]
    records.append({"CertificateCode": code, "Amount": 5, "Balance": 5})
    page = shift4shop()._parse_page(Page(1, 2, records))
    assert [r.code for r in page.records] == ["GOOD"]
    [problem] = page.problems
    assert (problem.record_key, problem.is_code) == (code, True)
    if len(code) > 4:
        assert code not in problem.reason


@pytest.mark.parametrize("code", ["", " ", ".", "..", "A\nB"])
async def test_3dcart_builds_no_url_for_a_code_url_normalisation_would_redirect(
    code: str,
) -> None:
    c = shift4shop()
    try:
        with pytest.raises(Rejected, match="refusing to address a certificate") as caught:
            c._url(code)
        assert mask_code(code) in str(caught.value)
        for call in (c.get_certificate, c.find_by_code, c.delete_certificate):
            with pytest.raises(Rejected):  # before any request (nothing listens on port 9)
                await call(code)
        assert c.stats.requests == 0
        assert isinstance(caught.value, ConnectorError)  # contained like any store error
    finally:
        await c.aclose()


@pytest.mark.parametrize("merchant_id", ["", " ", ".", "..", "gc\x00", "m" * 201])
def test_an_sfcc_merchant_id_no_url_takes_is_a_record_problem(merchant_id: str) -> None:
    c = make()
    page = c._parse_page(0, [document(), document(merchant_id=merchant_id)])
    assert [r.remote_id for r in page.records] == ["gc-1"]
    assert len(page.problems) == 1
    with pytest.raises(Rejected, match="refusing to address a certificate"):
        c._item_url(merchant_id)


def test_an_sfcc_masked_code_longer_than_the_ledger_holds_is_a_record_problem() -> None:
    page = make()._parse_page(0, [document(masked_gift_certificate_code="*" * 181)])
    assert not page.records
    [problem] = page.problems
    assert "masked code is 181 characters" in problem.reason


@pytest.mark.parametrize(
    "changes",
    [
        {"masked_gift_certificate_code": "****\x00B12"},
        {"_resource_state": "abc\x00"},
        {"message": "hi\ud800"},
        {"recipient_name": "Al\x00"},
    ],
)
def test_sfcc_text_no_database_stores_is_a_record_problem(changes: dict[str, Any]) -> None:
    page = make()._parse_page(0, [document(**changes)])
    assert not page.records
    [problem] = page.problems
    assert "no database stores" in problem.reason


@pytest.mark.parametrize("changes", [{"Notes": "a\x00b"}])
def test_3dcart_text_no_database_stores_is_a_record_problem(changes: dict[str, Any]) -> None:
    record = {"CertificateCode": "GOOD", "Amount": 5, "Balance": 5, **changes}
    page = shift4shop()._parse_page(Page(1, 1, [record]))
    assert not page.records
    assert "no database stores" in page.problems[0].reason
