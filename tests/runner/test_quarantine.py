"""Hostile records through the real runner: each is set aside with one ``malformed_record``
alert naming the store and the record (code masked), the store's listing counts as
incomplete (nothing is deleted from it), and every other certificate of the group syncs in
the same cycle (SQLite and PostgreSQL ledgers)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from syncd.ledger import AlertKind
from syncd.ledger.records import AlertRecord
from syncd.model import mask_code
from syncd.runner.result import CycleResult, Outcome
from syncd.sandbox.bigcommerce import BC_STORE_KEY
from syncd.sandbox.common import BACKEND_KEY
from syncd.sandbox.shift4shop import STORE_KEY
from tests.runner.world import GROUP, STORES, World, seed_on, tamper_on, world

D = Decimal
FRESH = "FRESHGIFT0001"  # issued on 3dcart while the hostile record is listed
SPENT = "SPENTGIFT0001"  # redeemed on SFCC while the hostile record is listed
GONE = "GONEGIFT00001"  # deleted from the hostile store while its listing is incomplete


def malformed(w: World) -> list[AlertRecord]:
    kind = AlertKind.MALFORMED_RECORD.value
    return [a for a in w.ledger.open_alerts(GROUP) if a.kind == kind]


def vanish(w: World, platform: str, code: str) -> None:
    """Delete ``code`` from one sandbox behind syncd's back."""
    view = w.sb.apps[platform][BACKEND_KEY].lookup(code)
    assert view is not None
    if platform == "bigcommerce":
        w.sb.apps[platform][BC_STORE_KEY].delete(int(view.remote_id))
    else:
        assert w.sb.apps[platform][STORE_KEY].delete(code)


async def hostile_cycle(w: World, platform: str) -> CycleResult:
    """A cycle in which ``platform`` lists hostile records (already tampered), a new
    certificate is issued on 3dcart, one is redeemed on SFCC and one vanished from
    ``platform``."""
    await w.issue("shift4shop", FRESH, "40.00")
    await w.redeem("sfcc", SPENT, "5.00")
    vanish(w, platform, GONE)
    return await w.cycle()


async def assert_the_group_synced(
    w: World, result: CycleResult, platform: str, *, shifted: bool = False
) -> None:
    """Every other certificate synced; nothing deleted from ``platform``'s listing. A new
    certificate reaches ``platform`` too (no set-aside record can be its code); where its
    listing ``shifted`` (a record listed twice: others may have been missed), none may."""
    assert result.outcome is Outcome.ALERTS, result.summary
    [listing] = [s for s in result.stores if s.store == STORES[platform]]
    assert listing.healthy, listing
    assert not listing.complete, listing
    for other in STORES:
        balances = await w.balances(other)
        assert balances[SPENT] == D("45.00"), other
        if other != platform or not shifted:
            assert balances.get(FRESH) == D("40.00"), other
        if other != platform:
            statuses = {c["code"]: c["status"] for c in await w.certificates(other)}
            assert statuses[GONE] == "active", other  # no deletion inferred
    assert w.ledger.unfinished_intents(GROUP) == []


async def synced_world_cycle(w: World) -> None:
    await w.issue("shift4shop", SPENT, "50.00")
    await w.issue("shift4shop", GONE, "20.00")
    first = await w.cycle()
    assert first.outcome is Outcome.CONVERGED, first.summary


def assert_one_alert(w: World, platform: str, shown: str, *, secret: str | None = None) -> None:
    [alert] = malformed(w)
    assert alert.store == STORES[platform]
    assert STORES[platform] in alert.message, alert.message
    assert shown in alert.message, alert.message
    if secret is not None:
        assert secret not in alert.message, alert
        assert secret not in alert.key, alert


async def test_a_blank_bigcommerce_code_costs_only_that_record(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "bigcommerce", ("BLANKCODE0001", "10.00"))
        tamper_on(w.sb, "bigcommerce", "BLANKCODE0001", {"code": "   "})
        result = await hostile_cycle(w, "bigcommerce")
        await assert_the_group_synced(w, result, "bigcommerce")
        blank_id = w.sb.apps["bigcommerce"][BACKEND_KEY].lookup("BLANKCODE0001").remote_id
        assert_one_alert(w, "bigcommerce", repr(blank_id))
        assert "blank" in malformed(w)[0].message
        assert w.ledger.certificate_by_code(GROUP, "   ") is None
        await w.cycle()  # the same record again: the same alert, counted again
        [alert] = malformed(w)
        assert alert.count == 2


async def test_3dcart_amounts_beyond_the_ledger_are_set_aside(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "shift4shop", ("HUGEAMOUNT001", "10.00"), ("HUGEBALANCE01", "10.00"))
        tamper_on(w.sb, "shift4shop", "HUGEAMOUNT001", {"Amount": 1e15})
        tamper_on(w.sb, "shift4shop", "HUGEBALANCE01", {"Balance": 1e15})
        result = await hostile_cycle(w, "shift4shop")
        await assert_the_group_synced(w, result, "shift4shop")
        alerts = malformed(w)
        assert len(alerts) == 2
        for alert, code in zip(alerts, ("HUGEAMOUNT001", "HUGEBALANCE01"), strict=True):
            assert mask_code(code) in alert.message
            assert code not in alert.message
            assert "out of range" in alert.message, alert.message
            assert w.ledger.certificate_by_code(GROUP, code) is None


async def test_a_code_longer_than_the_ledger_holds_is_set_aside(
    tmp_path: Path, ledger_url: str
) -> None:
    long_code = "L" * 297 + "TAIL"
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "shift4shop", (long_code, "10.00"))
        result = await hostile_cycle(w, "shift4shop")
        await assert_the_group_synced(w, result, "shift4shop")
        assert_one_alert(w, "shift4shop", "TAIL", secret=long_code)
        assert "301 characters" in malformed(w)[0].message


async def test_dot_codes_on_3dcart_are_set_aside(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "shift4shop", (".", "10.00"), ("..", "10.00"))
        result = await hostile_cycle(w, "shift4shop")
        await assert_the_group_synced(w, result, "shift4shop")
        alerts = malformed(w)
        assert len(alerts) == 2, alerts
        assert all("is a path segment" in a.message for a in alerts), alerts
        assert w.ledger.certificate_by_code(GROUP, ".") is None
        assert w.ledger.certificate_by_code(GROUP, "..") is None


async def test_negative_money_on_first_sight_is_not_issued(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "shift4shop", ("NEGAMOUNT0001", "10.00"), ("NEGBALANCE001", "10.00"))
        tamper_on(w.sb, "shift4shop", "NEGAMOUNT0001", {"Amount": -5})
        tamper_on(w.sb, "shift4shop", "NEGBALANCE001", {"Balance": -10.0})
        result = await hostile_cycle(w, "shift4shop")
        await assert_the_group_synced(w, result, "shift4shop")
        alerts = malformed(w)
        assert len(alerts) == 2
        assert all("negative" in a.message for a in alerts), alerts
        for code in ("NEGAMOUNT0001", "NEGBALANCE001"):
            assert w.ledger.certificate_by_code(GROUP, code) is None
            for platform in ("bigcommerce", "sfcc"):
                assert code not in await w.balances(platform)


async def test_money_finer_than_the_currency_is_set_aside_not_rounded(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "bigcommerce", ("FINEMONEY0001", "20.00"))
        tamper_on(w.sb, "bigcommerce", "FINEMONEY0001", {"balance": "10.555"})
        result = await hostile_cycle(w, "bigcommerce")
        await assert_the_group_synced(w, result, "bigcommerce")
        assert_one_alert(w, "bigcommerce", "'10.555'")
        assert "USD" in malformed(w)[0].message
        assert w.ledger.certificate_by_code(GROUP, "FINEMONEY0001") is None


async def test_a_code_listed_twice_is_alerted_once_masked(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "shift4shop", ("TWICEGIFT0001", "10.00"), ("TWICEGIFT0002", "10.00"))
        tamper_on(w.sb, "shift4shop", "TWICEGIFT0002", {"CertificateCode": "TWICEGIFT0001"})
        result = await hostile_cycle(w, "shift4shop")
        await assert_the_group_synced(w, result, "shift4shop", shifted=True)
        assert_one_alert(w, "shift4shop", mask_code("TWICEGIFT0001"), secret="TWICEGIFT0001")
        await w.cycle()
        [alert] = malformed(w)
        assert alert.count == 2


async def test_text_no_database_stores_is_set_aside(tmp_path: Path, ledger_url: str) -> None:
    """PostgreSQL text holds no NUL character, and no encoding holds a lone surrogate."""
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "bigcommerce", ("NULMESSAGE001", "10.00"), ("BADSENDER0001", "10.00"))
        tamper_on(w.sb, "bigcommerce", "NULMESSAGE001", {"message": "happy\x00birthday"})
        tamper_on(w.sb, "bigcommerce", "BADSENDER0001", {"from_name": "Bo\ud800b"})
        result = await hostile_cycle(w, "bigcommerce")
        await assert_the_group_synced(w, result, "bigcommerce")
        alerts = malformed(w)
        assert len(alerts) == 2
        assert all("characters no database stores" in a.message for a in alerts), alerts


async def test_a_set_aside_record_holds_back_only_creates_of_its_own_code(
    tmp_path: Path, ledger_url: str
) -> None:
    """A bad record whose code is readable holds back a create of that code on its store
    (it may be that very certificate), and no other."""
    async with world(tmp_path, ledger_url) as w:
        await synced_world_cycle(w)
        seed_on(w.sb, "bigcommerce", ("SAMECODE00001", "10.00"))
        tamper_on(w.sb, "bigcommerce", "SAMECODE00001", {"balance": "-1.00"})
        await w.issue("shift4shop", "samecode00001 ", "30.00")  # the same to a lax store
        result = await hostile_cycle(w, "bigcommerce")
        await assert_the_group_synced(w, result, "bigcommerce")
        bigcommerce = await w.balances("bigcommerce")
        assert "samecode00001 " not in bigcommerce
        assert (await w.balances("sfcc"))["samecode00001 "] == D("30.00")
