"""3dcart against its sandbox with each unsettled behaviour played both ways (quirks)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from syncd.errors import Rejected
from syncd.model import LedgerCertificate, NewCertificate, Status
from syncd.platforms.base import collect
from syncd.platforms.http import Response
from syncd.platforms.shift4shop import Shift4ShopConnector
from syncd.platforms.shift4shop_listing import is_offset_exceeded
from syncd.reconcile import GroupPolicy, View, plan
from syncd.reconcile.mirror import unmirrorable_reason
from syncd.sandbox.common import TAMPERED_KEY
from syncd.sandbox.shift4shop import CONFIG_KEY, STORE_KEY
from syncd.sandbox.shift4shop_store import GiftCertificate
from syncd.sandbox.shift4shop_wire import OFFSET_EXCEEDS
from tests.contract.conftest import Harness, start_harness, stop_harness

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def shop() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("shift4shop")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


async def test_the_default_page_is_200_records(shop: Harness) -> None:
    shop.seed(450)
    c = shop.connector()
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete
    assert len(snapshot.certificates) == 450
    assert await shop.route_count("GET", "GiftCertificates") == 1 + 3  # count, 200+200+50


@pytest.mark.parametrize(
    ("quirk", "status"),
    [
        (None, "400"),
        ("shift4shop-offset-exceeds-404", "404"),
        ("shift4shop-offset-exceeds-200", "200"),
    ],
)
async def test_offset_exceeds_ends_the_listing_whatever_its_status(
    shop: Harness, monkeypatch: pytest.MonkeyPatch, quirk: str | None, status: str
) -> None:
    if quirk is not None:
        shop.quirk(quirk)
    shop.seed(25)
    c = shop.connector(page_size=10)

    async def no_count() -> None:
        return None

    monkeypatch.setattr(c, "_count", no_count)  # page sequentially to the end answer
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete, snapshot.reason
    assert len(snapshot.certificates) == 25
    assert snapshot.problems == ()
    by_status = (await shop.stats())["by_status"]
    assert by_status.get(status, 0) == (1 if status != "200" else 4)  # the end answer


EASTERN = ZoneInfo("America/New_York")


def _created_at(shop: Harness) -> dict[str, datetime]:
    return {r.code: r.created for r in shop.app[STORE_KEY]}


@pytest.mark.parametrize(
    ("quirk", "precision"),
    [(None, 1000), ("shift4shop-zoneless-dates", 1000), ("shift4shop-us-dates", 1_000_000)],
)
async def test_dates_in_every_shape_read_in_the_stores_zone(
    shop: Harness, quirk: str | None, precision: int
) -> None:
    if quirk is not None:
        shop.quirk(quirk)
    shop.app[CONFIG_KEY].now = lambda: datetime(2026, 7, 4, 21, 15, 30, 123456, tzinfo=UTC)
    shop.seed(3)
    c = shop.connector(timezone="America/New_York")
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete
    assert snapshot.notes == ()
    created = _created_at(shop)
    for record in snapshot.certificates:
        want = created[record.code]
        want = want.replace(microsecond=want.microsecond // precision * precision)
        assert record.created_at == want
        assert record.created_at is not None
        assert record.created_at.tzinfo is UTC


async def test_zoneless_dates_are_read_in_the_configured_zone_not_utc(shop: Harness) -> None:
    shop.quirk("shift4shop-zoneless-dates")
    [code] = shop.seed(1)
    want = _created_at(shop)[code].replace(microsecond=0)
    utc = await shop.connector().get_certificate(code)  # timezone defaults to UTC
    eastern = await shop.connector(timezone="America/New_York").get_certificate(code)
    assert utc is not None
    assert eastern is not None
    assert eastern.created_at is not None
    assert eastern.created_at.replace(microsecond=0) == want
    offset = want.astimezone(EASTERN).utcoffset()
    assert utc.created_at is not None
    assert utc.created_at.replace(microsecond=0) == want + offset  # local taken for UTC


def test_an_unknown_timezone_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a known IANA time zone"):
        Shift4ShopConnector(
            "s", base_url="http://127.0.0.1:9", secure_url="x", private_key="k", token="t",
            currency="USD", timezone="Mars/Olympus",
        )  # fmt: skip


async def test_an_unreadable_date_costs_the_date_not_the_record(shop: Harness) -> None:
    codes = shop.seed(6)
    tampered = shop.app[TAMPERED_KEY]
    tampered[codes[0]] = {"DateCreated": "27.11.2019 17:51"}
    tampered[codes[1]] = {"DateCreated": "28.11.2019 09:05"}  # the same format
    tampered[codes[2]] = {"DateCreated": "yesterday"}
    tampered[codes[3]] = {"DateCreated": 1574876490}
    c = shop.connector()
    snapshot = await collect(c.store, c.list_certificates())
    assert snapshot.complete  # a date costs no record, and no deletion is held back
    assert snapshot.problems == ()
    by_code = {r.code: r for r in snapshot.certificates}
    assert set(by_code) == set(codes)
    assert [by_code[code].created_at for code in codes[:4]] == [None] * 4
    assert all(by_code[code].created_at is not None for code in codes[4:])
    topics = sorted(n.topic for n in snapshot.notes)
    assert topics == ["date:99.99.9999 99:99", "date:aaaaaaaaa", "date:int"]
    alerts = plan(View({}, []), {c.store: snapshot}, {c.store: c.capabilities},
                  GroupPolicy(), NOW).alerts  # fmt: skip
    date_alerts = [a for a in alerts if "DateCreated" in a.message]
    assert len(date_alerts) == 3  # one per store and format
    assert all(codes[0] not in a.message and codes[0] not in a.key for a in date_alerts)


@pytest.mark.parametrize("quirk", [None, "shift4shop-case-insensitive-codes"])
async def test_codes_equal_but_for_case_one_code_or_two(shop: Harness, quirk: str | None) -> None:
    if quirk is not None:
        shop.quirk(quirk)
    shop.app[STORE_KEY].add(GiftCertificate("CASEGIFT01", D("20"), D("20"), "", NOW))
    c = shop.connector()
    assert c.capabilities.case_insensitive_codes  # syncd assumes the safe answer either way
    assert await c.find_by_code("casegift01") is None  # "CASEGIFT01" is not it
    new = NewCertificate(code="casegift01", currency="USD", amount=D("5"), balance=D("5"))
    if quirk is None:
        created = await c.create_certificate(new)
        assert created.code == "casegift01"
        assert {r.code for r in shop.app[STORE_KEY]} == {"CASEGIFT01", "casegift01"}
        return
    with pytest.raises(Rejected, match="already exists"):
        await c.create_certificate(new)
    reached = await c.get_certificate("casegift01")  # the store's look-up ignores case
    assert reached is not None
    assert reached.code == "CASEGIFT01"
    assert {r.code for r in shop.app[STORE_KEY]} == {"CASEGIFT01"}


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("GIFT+01", "holds '+'"),
        ("GIFT%01", "holds '%'"),
        ("GIFT&01", "holds '&'"),
        ("GIFT:01", "holds ':'"),
        ("GIFT*01", "holds '*'"),
        ("GIFT\\01", "holds '\\\\'"),
        ("GIFT/01", "holds '/'"),
        ("GIFT?01", "holds '?'"),
        ("GIFT#01", "holds '#'"),
        ("GIFT01.", "ends with '.'"),
    ],
)
async def test_a_code_iis_refuses_in_a_path_is_never_sent(
    shop: Harness, code: str, why: str
) -> None:
    c = shop.connector()
    reason = unmirrorable_reason(
        LedgerCertificate(1, code, "USD", D("5"), D("5"), Status.ACTIVE),
        c.capabilities,
        GroupPolicy(),
    )
    assert reason is not None
    assert why in reason
    assert "3dcart (IIS) refuses in a URL path" in reason
    await shop.reset_stats()
    with pytest.raises(Rejected, match=re.escape(why)):
        await c.get_certificate(code)
    with pytest.raises(Rejected, match=re.escape(why)):
        await c.delete_certificate(code)
    assert (await shop.stats())["total"] == 0
    assert (
        unmirrorable_reason(
            LedgerCertificate(2, "GIFT-01_ok", "USD", D("5"), D("5"), Status.ACTIVE),
            c.capabilities,
            GroupPolicy(),
        )
        is None
    )


def _answer(status: int, body: object) -> Response:
    return Response(status, {}, json.dumps(body).encode())


@pytest.mark.parametrize(
    ("status", "body", "ended"),
    [
        (400, [{"Key": "offset", "Value": "26", "Status": "400", "Message": OFFSET_EXCEEDS}], True),
        (404, [{"Key": "offset", "Value": "26", "Status": "404", "Message": OFFSET_EXCEEDS}], True),
        (200, [{"Key": "offset", "Value": "26", "Status": "200", "Message": OFFSET_EXCEEDS}], True),
        (200, {"Message": OFFSET_EXCEEDS.upper()}, True),
        (400, [{"Key": "limit", "Value": "x", "Status": "400", "Message": "limit must be"}], False),
        (
            200,
            [{"CertificateCode": "A", "Notes": OFFSET_EXCEEDS, "Message": OFFSET_EXCEEDS}],
            False,
        ),
    ],
)
def test_offset_exceeds_is_known_by_its_message(status: int, body: object, ended: int) -> None:
    assert is_offset_exceeded(_answer(status, body)) is bool(ended)
