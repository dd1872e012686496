"""SFCC specifics: status mapping, tokens (lazy, refreshed early, once on 401), 409 retry,
capabilities with and without the companion, and the Shop API look-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from syncd.errors import AuthError, Conflict, Rejected, Unsupported
from syncd.model import BalanceMode, NewCertificate, RemoteCertificate, Status
from syncd.platforms.base import collect
from syncd.platforms.sfcc import SfccConnector
from syncd.platforms.sfcc_documents import status_of, status_patch
from syncd.sandbox.common import BACKEND_KEY, SeedCertificate
from syncd.sandbox.sfcc_store import STORE_KEY
from tests.contract.conftest import Harness, start_harness, stop_harness


@pytest.fixture
async def sfcc() -> AsyncIterator[Harness]:
    harness, runner = await start_harness("sfcc")
    try:
        yield harness
    finally:
        await stop_harness(harness, runner)


@pytest.mark.parametrize(
    ("doc", "status"),
    [
        ({"enabled": True, "status": "issued"}, Status.ACTIVE),
        ({"enabled": True, "status": "partially_redeemed"}, Status.ACTIVE),
        ({"enabled": True, "status": "redeemed"}, Status.ACTIVE),
        ({"enabled": True, "status": "pending"}, Status.PENDING),
        ({"enabled": False, "status": "issued"}, Status.DISABLED),
        ({"enabled": False, "status": "pending"}, Status.DISABLED),
        ({"status": "issued"}, Status.ACTIVE),
    ],
)
def test_status_mapping(doc: dict[str, Any], status: Status) -> None:
    assert status_of(doc) is status


def test_unknown_status_is_a_bad_record() -> None:
    with pytest.raises(ValueError, match="frozen"):
        status_of({"enabled": True, "status": "frozen"})


def make(**kw: Any) -> SfccConnector:
    args: dict[str, Any] = {
        "base_url": "http://127.0.0.1:9",
        "auth_url": "http://127.0.0.1:9/t",
        "site_id": "S",
        "client_id": "c",
        "client_secret": "s",
        **kw,
    }
    return SfccConnector("sf", **args)


def test_capabilities_without_companion() -> None:
    caps = make().capabilities
    assert (caps.read_codes, caps.choose_code, caps.set_balance) == (False, False, False)
    assert caps.set_status
    assert not caps.lookup_code
    assert make(shop_client_id="shop").capabilities.lookup_code


def test_capabilities_with_companion() -> None:
    caps = make(companion_url="http://127.0.0.1:9/c").capabilities
    assert caps.choose_code
    assert caps.set_balance
    assert caps.lookup_code
    assert not caps.read_codes  # listings still show masked codes only


async def test_token_is_fetched_lazily_and_reused(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    assert (await sfcc.stats())["total"] == 0
    for _ in range(3):
        await c.get_certificate(sfcc.remote_id(code))
    assert c.tokens.fetches == 1  # type: ignore[attr-defined]


async def test_token_is_refreshed_before_it_expires(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    await c.get_certificate(sfcc.remote_id(code))
    sfcc.clock.advance(1799 - 60 + 1)  # inside the safety margin, not yet expired
    await c.get_certificate(sfcc.remote_id(code))
    assert c.tokens.fetches == 2  # type: ignore[attr-defined]
    assert c.http.stats.by_status.get("401", 0) == 0  # type: ignore[attr-defined]


async def test_an_expired_token_is_refreshed_once_on_401(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    await c.get_certificate(sfcc.remote_id(code))
    sfcc.sandbox_clock.advance(1800)  # the server expired it; our clock did not notice
    cert = await c.get_certificate(sfcc.remote_id(code))
    assert cert is not None
    assert c.tokens.fetches == 2  # type: ignore[attr-defined]
    assert c.http.stats.by_status["401"] == 1  # type: ignore[attr-defined]


async def test_bad_client_secret_is_an_auth_error(sfcc: Harness) -> None:
    c = sfcc.connector(client_secret="not-the-secret")
    with pytest.raises(AuthError, match="access token"):
        await c.get_certificate("x")


async def test_stale_resource_state_is_re_read_and_retried_once(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    current = await c.get_certificate(sfcc.remote_id(code))
    assert current is not None
    assert current.version is not None
    async with sfcc.http.post(
        f"{sfcc.url}/_sandbox/shopper/redeem", json={"code": code, "amount": "5.00"}
    ) as resp:
        assert resp.status == 200  # a shopper changed it: our _resource_state is stale
    updated = await c.update_certificate(current, status=Status.DISABLED)
    assert updated.status is Status.DISABLED
    assert updated.balance == Decimal("20.00")
    assert await sfcc.route_count("PATCH", "gift_certificates") == 2
    assert (await sfcc.stats())["by_status"].get("409") == 1


async def test_shop_api_finds_a_known_code(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector(companion=False)
    found = await c.find_by_code(code)
    assert found is not None
    assert found.code == code
    assert found.remote_id == sfcc.remote_id(code)
    assert await c.find_by_code("UNKNOWN-CODE") is None
    with pytest.raises(Unsupported):
        await sfcc.connector(companion=False, shop_client_id=None).find_by_code(code)


async def test_a_balance_is_never_changed_in_place(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    current = await c.get_certificate(sfcc.remote_id(code))
    assert current is not None
    assert current.code is None
    assert current.masked_code is not None
    assert current.masked_code.endswith(code[-4:])
    with pytest.raises(Unsupported, match="re-issue"):
        await c.update_certificate(current, balance=Decimal(1))
    caps = c.capabilities
    assert (caps.balance_write, caps.holds_zero, caps.reveal_codes) == (
        BalanceMode.RECREATE, False, True,
    )  # fmt: skip


async def test_reissue_is_delete_then_create_of_the_same_code_under_a_new_merchant_id(
    sfcc: Harness,
) -> None:
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    old = await c.get_certificate(sfcc.remote_id(code))
    assert old is not None
    await c.delete_certificate(old.remote_id)
    assert await c.get_certificate(old.remote_id) is None
    new = NewCertificate(code, "USD", Decimal("7.50"), Decimal("7.50"), message="hi")
    created = await c.create_certificate(new)
    assert created.remote_id != old.remote_id
    assert (created.code, created.balance, created.message) == (code, Decimal("7.50"), "hi")
    assert await c.reveal_code(created.remote_id) == code
    assert await c.reveal_code("gc-nope") is None


async def test_delete_carries_the_resource_state_of_the_last_read(sfcc: Harness) -> None:
    """A certificate that changed since it was read (a shopper spent) is not deleted."""
    [code] = sfcc.seed(1)
    c = sfcc.connector()
    old = await c.get_certificate(sfcc.remote_id(code))
    assert old is not None
    backend = sfcc.app[BACKEND_KEY]
    backend.redeem(code, Decimal("1.00"))
    with pytest.raises(Conflict):
        await c.delete_certificate(old.remote_id)
    assert await c.get_certificate(old.remote_id) is not None
    await c.delete_certificate(old.remote_id)  # read again just now: deleted
    assert await c.get_certificate(old.remote_id) is None


async def test_a_balance_of_zero_is_never_created(sfcc: Harness) -> None:
    c = sfcc.connector()
    with pytest.raises(Rejected, match="balance of 0"):
        await c.create_certificate(NewCertificate("ZERO-0001", "USD", Decimal(5), Decimal(0)))
    assert "ZERO-0001" not in sfcc.plain_codes()


async def test_a_refused_reuse_of_a_deleted_code_is_a_conflict(sfcc: Harness) -> None:
    [code] = sfcc.seed(1)
    sfcc.app[STORE_KEY].refuse_deleted_code_reuse = True
    c = sfcc.connector()
    await c.delete_certificate(sfcc.remote_id(code))
    with pytest.raises(Conflict, match="code-not-reusable"):
        await c.create_certificate(NewCertificate(code, "USD", Decimal(5), Decimal(5)))


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "merchant_id": "gc-1",
        "amount": {"currency_mnemonic": "USD", "value": 50.0},
        "balance": {"currency_mnemonic": "USD", "value": 19.99},
        "enabled": True,
        "status": "issued",
        "masked_gift_certificate_code": "********AB12",
        "creation_date": "2024-03-01T12:30:05.000Z",
        "transactions": [{"type_code": "create"}],
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize("word", ["issued", "partially_redeemed", "redeemed", "pending"])
def test_records_keep_their_own_status_word(word: str) -> None:
    assert make()._parse(document(status=word)).platform_status == word
    assert make()._parse(document(status=word, enabled=False)).platform_status == word


def test_activating_a_disabled_pending_certificate_issues_it() -> None:
    # enabled=false + status=pending is DISABLED in neutral terms: only the record's own
    # word says that enabling it alone would leave it pending.
    listed = make()._parse(document(enabled=False, status="pending"))
    assert listed.status is Status.DISABLED
    assert status_patch(listed, Status.ACTIVE) == {"enabled": True, "status": "issued"}
    redeemed = make()._parse(document(enabled=False, status="redeemed"))
    assert status_patch(redeemed, Status.ACTIVE) == {"enabled": True}
    assert status_patch(listed, Status.PENDING) == {"enabled": True, "status": "pending"}
    assert status_patch(listed, Status.EXPIRED) == {"enabled": False}


def test_a_pending_record_without_its_word_is_still_issued_when_activated() -> None:
    # Records the planner builds from the ledger carry no platform word.
    pending = RemoteCertificate("sf", "gc-1", None, "USD", Decimal(1), Decimal(1), Status.PENDING)
    assert status_patch(pending, Status.ACTIVE) == {"enabled": True, "status": "issued"}


async def test_a_disabled_pending_certificate_is_activated_for_real(sfcc: Harness) -> None:
    pending = SeedCertificate("PEND-0001", Decimal(50), Decimal(50), status=Status.PENDING)
    sfcc.module.seed(sfcc.app, [pending])
    c = sfcc.connector()
    current = await c.get_certificate(sfcc.remote_id(pending.code))
    assert current is not None
    assert current.status is Status.PENDING
    disabled = await c.update_certificate(current, status=Status.DISABLED)
    assert (disabled.status, disabled.platform_status) == (Status.DISABLED, "pending")
    [listed] = (await collect(c.store, c.list_certificates())).certificates
    assert (listed.status, listed.platform_status) == (Status.DISABLED, "pending")
    active = await c.update_certificate(listed, status=Status.ACTIVE)
    assert (active.status, active.platform_status) == (Status.ACTIVE, "issued")
