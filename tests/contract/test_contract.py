"""The connector contract: every connector, against its sandbox, over real loopback HTTP.

Each test runs once per platform (the ``harness`` fixture). Platform-specific behaviour
lives in ``tests/platforms/``; here only what every connector promises.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from decimal import Decimal

import pytest

from syncd.errors import AuthError, NotFound, Rejected, Transient, Unsupported
from syncd.model import (
    BalanceMode,
    ListingEnd,
    NewCertificate,
    People,
    RemoteCertificate,
    Status,
)
from syncd.platforms.base import Connector, collect
from syncd.platforms.http import HttpOptions
from tests.contract.conftest import Harness

MIN_REQUESTS = {  # a full listing of N: pages + the end-of-list request where needed
    "shift4shop": lambda n: 1 + n // 200 + 1,  # countonly + pages to a short one or the end
    # pages, + the 204 unless a short page after a full one ended the listing
    "bigcommerce": lambda n: math.ceil(n / 250) + (1 if n % 250 == 0 or n < 250 else 0),
    "sfcc": lambda n: math.ceil(n / 200) + 1,  # pages + the token request
}


def new_cert(code: str, amount: str = "50.00", balance: str | None = None) -> NewCertificate:
    return NewCertificate(
        code=code,
        currency="USD",
        amount=Decimal(amount),
        balance=Decimal(balance or amount),
        people=People("Ann", "ann@example.com", "Bob", "bob@example.com"),
        message="Happy birthday",
    )


async def test_is_a_connector(harness: Harness) -> None:
    connector = harness.connector()
    assert isinstance(connector, Connector)
    assert connector.store.startswith("s-")


async def test_full_listing_across_many_pages(harness: Harness) -> None:
    codes = harness.seed(1234)
    connector = harness.connector()
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete, snapshot.reason
    assert len(snapshot.certificates) == 1234
    assert {c.remote_id for c in snapshot.certificates} == {harness.remote_id(c) for c in codes}
    assert all(c.balance == Decimal("25.00") for c in snapshot.certificates)
    assert all(c.amount == Decimal("50.00") and c.currency == "USD" for c in snapshot.certificates)
    if connector.capabilities.read_codes:
        assert {c.code for c in snapshot.certificates} == set(codes)


async def test_listing_ends_with_one_end_marker_and_counts_pages(harness: Harness) -> None:
    harness.seed(450)
    connector = harness.connector()
    items = [item async for item in connector.list_certificates()]
    end = items[-1]
    assert isinstance(end, ListingEnd)
    assert end.complete
    assert not any(isinstance(i, ListingEnd) for i in items[:-1])
    assert end.pages == len(items) - 1 >= 2
    assert end.requests >= end.pages


async def test_empty_store(harness: Harness) -> None:
    connector = harness.connector()
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete
    assert snapshot.certificates == ()


async def test_listed_records_keep_nothing_of_the_page(harness: Harness) -> None:
    # 300k listed records per cycle at 100k certificates: a decoded page dict kept by
    # each record was most of a cycle's memory.
    harness.seed(3)
    connector = harness.connector()
    snapshot = await collect(connector.store, connector.list_certificates())
    assert len(snapshot.certificates) == 3
    assert all(_keeps_nothing_of_the_answer(cert) for cert in snapshot.certificates)


def _keeps_nothing_of_the_answer(cert: RemoteCertificate) -> bool:
    """No container of the decoded answer is reachable from the record's fields."""
    return not any(isinstance(value, dict | list) for value in gc.get_referents(cert))


async def test_get_unknown_is_none(harness: Harness) -> None:
    connector = harness.connector()
    unknown = "999999" if harness.platform == "bigcommerce" else "NO-SUCH-CODE"
    assert await connector.get_certificate(unknown) is None


async def test_get_reads_one_record(harness: Harness) -> None:
    [code] = harness.seed(1)
    connector = harness.connector()
    cert = await connector.get_certificate(harness.remote_id(code))
    assert cert is not None
    assert cert.remote_id == harness.remote_id(code)
    assert (cert.amount, cert.balance) == (Decimal("50.00"), Decimal("25.00"))
    assert cert.status is Status.ACTIVE
    assert cert.currency == "USD"
    assert _keeps_nothing_of_the_answer(cert)


async def test_create_get_update_delete_round_trip(harness: Harness) -> None:
    connector = harness.connector()
    caps = connector.capabilities
    recreates = caps.balance_write is BalanceMode.RECREATE
    created = await connector.create_certificate(new_cert("RT-0001", "50.00", "40.00"))
    assert created.code == "RT-0001"
    # A store that cannot set a balance creates with what is left as the amount.
    amount = Decimal("40.00") if recreates else Decimal("50.00")
    assert (created.amount, created.balance) == (amount, Decimal("40.00"))
    assert "RT-0001" in harness.plain_codes()

    fetched = await connector.get_certificate(created.remote_id)
    assert fetched is not None
    assert fetched.balance == Decimal("40.00")
    found = await connector.find_by_code("RT-0001")
    assert found is not None
    assert found.remote_id == created.remote_id

    if recreates:  # the runner's two steps: delete, then create the same code again
        await connector.delete_certificate(fetched.remote_id)
        again = await connector.create_certificate(new_cert("RT-0001", "12.34", "12.34"))
        assert again.balance == Decimal("12.34")
        assert len([c for c in harness.plain_codes() if c == "RT-0001"]) == 1
    else:
        updated = await connector.update_certificate(fetched, balance=Decimal("12.34"))
        assert updated.balance == Decimal("12.34")
        read = await connector.get_certificate(created.remote_id)
        assert read is not None
        assert read.balance == Decimal("12.34")
        # Absolute values: sending the same write twice changes nothing more.
        twice = await connector.update_certificate(read, balance=Decimal("12.34"))
        assert twice.balance == Decimal("12.34")
        again = read

    if caps.set_status:
        disabled = await connector.update_certificate(again, status=Status.DISABLED)
        assert disabled.status is Status.DISABLED
        enabled = await connector.update_certificate(disabled, status=Status.ACTIVE)
        assert enabled.status is Status.ACTIVE

    await connector.delete_certificate(again.remote_id)
    assert await connector.get_certificate(again.remote_id) is None
    assert await connector.find_by_code("RT-0001") is None
    with pytest.raises(NotFound):
        await connector.delete_certificate(again.remote_id)


async def test_listing_sees_what_was_written(harness: Harness) -> None:
    harness.seed(3)
    connector = harness.connector()
    created = await connector.create_certificate(new_cert("NEW-0001", "10.00"))
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete
    assert len(snapshot.certificates) == 4
    mine = [c for c in snapshot.certificates if c.remote_id == created.remote_id]
    assert mine
    assert mine[0].balance == Decimal("10.00")


async def test_capability_limited_operations_are_refused_before_sending(harness: Harness) -> None:
    [code] = harness.seed(1)
    limited = {"companion": False} if harness.platform == "sfcc" else {}
    connector = harness.connector(**limited)
    current = await connector.get_certificate(harness.remote_id(code))
    assert current is not None
    await harness.reset_stats()
    caps = connector.capabilities
    if not caps.set_status:
        with pytest.raises(Unsupported):
            await connector.update_certificate(current, status=Status.DISABLED)
    if not caps.set_balance:
        with pytest.raises(Unsupported):
            await connector.update_certificate(current, balance=Decimal("1.00"))
    if not caps.choose_code:
        with pytest.raises(Unsupported):
            await connector.create_certificate(new_cert("NOPE-0001"))
    if caps.max_code_length is not None:
        with pytest.raises(Rejected, match="characters"):
            await connector.create_certificate(new_cert("X" * (caps.max_code_length + 1)))
    assert (await harness.stats())["total"] == 0  # nothing reached the store
    everything = caps.set_status and caps.set_balance and caps.choose_code
    assert not (everything and caps.max_code_length is None)  # each platform has a limit


async def test_429_with_headers_waits_what_the_server_says(harness: Harness) -> None:
    [code] = harness.seed(1)
    connector = harness.connector()
    await connector.get_certificate(harness.remote_id(code))  # SFCC: token first
    harness.sleeps.clear()
    await harness.faults(throttle_next=2, throttle_headers=True)
    cert = await connector.get_certificate(harness.remote_id(code))
    assert cert is not None
    assert len(harness.sleeps) == 2
    stats = connector.stats  # type: ignore[attr-defined]
    assert stats.by_status["429"] == 2
    assert stats.retries == 2
    assert stats.rate_limit_wait_s >= sum(harness.sleeps) > 0


async def test_429_without_headers_backs_off_exponentially(harness: Harness) -> None:
    [code] = harness.seed(1)
    options = HttpOptions(timeout=5, max_attempts=6, backoff_base=0.5, backoff_cap=100)
    connector = harness.connector(options=options)
    await connector.get_certificate(harness.remote_id(code))
    harness.sleeps.clear()
    await harness.faults(throttle_next=4, throttle_headers=False)
    assert await connector.get_certificate(harness.remote_id(code)) is not None
    assert len(harness.sleeps) == 4
    for attempt, slept in enumerate(harness.sleeps):
        ceiling = 1.0 * 2**attempt  # a 429 naming no wait backs off from a second at least
        assert max(1.0, ceiling / 2) <= slept <= ceiling  # jittered within the doubling band


async def test_429_storm_gives_up_with_rate_limited_or_incomplete(harness: Harness) -> None:
    harness.seed(5)
    options = HttpOptions(timeout=5, max_attempts=3)
    connector = harness.connector(options=options)
    await harness.faults(throttle_next=1000, throttle_headers=False)
    snapshot = await collect(connector.store, connector.list_certificates())
    assert not snapshot.complete
    assert "429" in (snapshot.reason or "")


async def test_500s_then_success(harness: Harness) -> None:
    codes = harness.seed(700)
    connector = harness.connector()
    await connector.get_certificate(harness.remote_id(codes[0]))
    await harness.faults(error_rate=1.0)

    def heal_after_two_failures() -> None:
        if len(harness.sleeps) >= 2:
            harness.set_faults_now(error_rate=0.0)

    harness.after_sleep = heal_after_two_failures
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete, snapshot.reason
    assert len(snapshot.certificates) == 700
    assert connector.http.stats.by_status["500"] >= 2  # type: ignore[attr-defined]


async def _balance_write_target(harness: Harness) -> tuple[Connector, RemoteCertificate, str]:
    [code] = harness.seed(1)
    connector = harness.connector()
    current = await connector.get_certificate(harness.remote_id(code))  # SFCC: token fetched
    assert current is not None
    return connector, dataclasses.replace(current, code=code), code  # SFCC: the ledger knows it


async def _write_balance(connector: Connector, current: RemoteCertificate, value: str) -> None:
    """The balance write that must never be repeated blind: in place, or the delete that
    begins a re-creation (the runner creates the same code again as the second step)."""
    if connector.capabilities.balance_write is BalanceMode.RECREATE:
        await connector.delete_certificate(current.remote_id)
    else:
        await connector.update_certificate(current, balance=Decimal(value))


@pytest.mark.parametrize("fault", ["error_rate", "lost_response_rate"])
async def test_a_balance_write_of_unknown_outcome_is_sent_once(
    harness: Harness, fault: str
) -> None:
    """A 500 or a dropped answer may follow an applied write: repeating the absolute value
    would overwrite a spend made in between. Sent once; the caller settles it by reading."""
    connector, current, _ = await _balance_write_target(harness)
    recreates = connector.capabilities.balance_write is BalanceMode.RECREATE
    await harness.reset_stats()
    await harness.faults(**{fault: 1.0})
    harness.after_sleep = lambda: harness.set_faults_now(**{fault: 0.0})
    with pytest.raises(Transient):
        await _write_balance(connector, current, "7.00")
    await harness.faults(**{fault: 0.0})
    assert await harness.route_count("DELETE" if recreates else "PUT", "") == 1
    seen = await connector.get_certificate(current.remote_id)
    applied = fault == "lost_response_rate"
    if recreates:
        assert (seen is None) is applied
    else:
        assert seen is not None
        assert seen.balance == (Decimal("7.00") if applied else Decimal("25.00"))


async def test_a_throttled_balance_write_is_retried_and_applied_once(harness: Harness) -> None:
    """A 429 provably never reached the application: that one is repeated."""
    connector, current, _ = await _balance_write_target(harness)
    await harness.reset_stats()
    await harness.faults(throttle_next=1)
    await _write_balance(connector, current, "7.00")
    seen = await connector.get_certificate(current.remote_id)
    if connector.capabilities.balance_write is BalanceMode.RECREATE:
        assert seen is None
    else:
        assert seen is not None
        assert seen.balance == Decimal("7.00")
    assert (await harness.stats())["by_status"].get("429") == 1


async def test_timeout_is_transient_and_ends_listing_incomplete(harness: Harness) -> None:
    code = harness.seed(3)[0]
    options = HttpOptions(timeout=0.2, max_attempts=2)  # roomy: a loaded CI must not trip it
    connector = harness.connector(options=options)
    if harness.platform == "sfcc":
        await connector.get_certificate(harness.remote_id(code))  # token fetched in time
    await harness.faults(latency_ms=1000)
    with pytest.raises(Transient, match="timed out"):
        await connector.get_certificate(harness.remote_id(code))
    items = [item async for item in connector.list_certificates()]
    assert items == [items[-1]]
    assert isinstance(items[-1], ListingEnd)
    assert not items[-1].complete
    assert "timed out" in (items[-1].reason or "")


async def test_malformed_page_ends_listing_incomplete(harness: Harness) -> None:
    harness.seed(600)
    connector = harness.connector()
    await harness.faults(malformed_rate=1.0, seed=7)
    snapshot = await collect(connector.store, connector.list_certificates())
    assert not snapshot.complete
    assert "JSON" in (snapshot.reason or "")


async def test_bad_record_is_skipped_and_listing_incomplete(harness: Harness) -> None:
    harness.seed(600)
    connector = harness.connector()
    await harness.faults(bad_record_rate=1.0, seed=3)
    snapshot = await collect(connector.store, connector.list_certificates())
    assert not snapshot.complete
    assert snapshot.problems
    assert len(snapshot.certificates) + len(snapshot.problems) == 600
    assert all("12,x" in p.reason for p in snapshot.problems)


async def test_truncated_pages_never_make_a_complete_listing_with_records_missing(
    harness: Harness,
) -> None:
    harness.seed(1234)
    connector = harness.connector()
    await harness.faults(truncate_rate=1.0, seed=5)
    snapshot = await collect(connector.store, connector.list_certificates())
    if snapshot.complete:  # 3dcart re-reads from where a short page stopped
        assert harness.platform == "shift4shop"
        assert len(snapshot.certificates) == 1234
    else:
        assert len(snapshot.certificates) < 1234


async def test_bad_credentials_raise_auth_error(harness: Harness) -> None:
    harness.seed(2)
    secret_arg = {
        "shift4shop": "token",
        "bigcommerce": "access_token",
        "sfcc": "client_secret",
    }[harness.platform]
    connector = harness.connector(**{secret_arg: "WRONG-SECRET-VALUE"})
    with pytest.raises(AuthError) as caught:
        await collect(connector.store, connector.list_certificates())
    assert "WRONG-SECRET-VALUE" not in str(caught.value)


async def test_lost_create_answer_is_not_retried_and_find_by_code_resolves_it(
    harness: Harness,
) -> None:
    connector = harness.connector()
    await connector.find_by_code("WARM-UP")  # SFCC: the token is fetched before the fault
    await harness.faults(lost_response_rate=1.0)
    with pytest.raises(Transient):
        await connector.create_certificate(new_cert("LOST-0001"))
    await harness.faults(lost_response_rate=0.0)
    assert await harness.route_count("POST", "ertificates") == 1  # sent once, never again
    found = await connector.find_by_code("LOST-0001")
    assert found is not None
    assert found.balance == Decimal("50.00")


async def test_listing_10k_uses_the_minimum_number_of_requests(harness: Harness) -> None:
    harness.seed(10_000)
    connector = harness.connector()
    await harness.reset_stats()
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete
    assert len(snapshot.certificates) == 10_000
    stats = await harness.stats()
    assert stats["total"] == MIN_REQUESTS[harness.platform](10_000), stats


@pytest.mark.parametrize("n", [120, 500, 1234])
async def test_listing_sends_no_request_past_the_end(harness: Harness, n: int) -> None:
    # 120: one short page; 500: every page full, so only the end marker ends it; 1234: the
    # last page is short (on BigCommerce a short page after a full one is the end).
    harness.seed(n)
    connector = harness.connector()
    await harness.reset_stats()
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete, snapshot.reason
    assert len(snapshot.certificates) == n
    assert (await harness.stats())["total"] == MIN_REQUESTS[harness.platform](n)
