"""The cycle runner in-process against the three sandboxes (SQLite and PostgreSQL ledgers)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from syncd.runner.result import Outcome
from tests.runner.world import STORES, dump, seed_on, world

D = Decimal


async def test_first_contact_links_every_copy_and_writes_nothing(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=5) as w:
        result = await w.cycle()
        assert result.outcome is Outcome.CONVERGED, result.summary
        assert result.counts["issued"] == 5
        assert await w.writes_sent() == 0
        assert len(w.ledger.load_view("sandbox").links) == 15  # SFCC copies revealed too


async def test_steady_state_writes_no_ledger_row(tmp_path: Path, ledger_url: str) -> None:
    """Issue 8: a cycle with nothing to do records nothing, not even a cycle row."""
    async with world(tmp_path, ledger_url, seed=5) as w:
        await w.cycle()
        before, cycles = dump(w.ledger), w.ledger.last_cycles(limit=100)
        result = await w.cycle()
        assert result.outcome is Outcome.CONVERGED
        assert result.cycle_id is None
        assert [s.listed for s in result.stores] == [5, 5, 5]  # set aside, still counted
        assert dump(w.ledger) == before
        assert w.ledger.last_cycles(limit=100) == cycles


async def test_a_steady_cycle_with_a_store_down_is_recorded(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=5) as w:
        await w.cycle()
        cycles = len(w.ledger.last_cycles(limit=100))
        await w.faults("bigcommerce", error_rate=1.0)
        result = await w.cycle()
        assert result.outcome is Outcome.STORE_FAILED
        assert result.cycle_id is not None
        assert len(w.ledger.last_cycles(limit=100)) == cycles + 1


async def test_issued_on_3dcart_appears_everywhere(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url, seed=2) as w:
        await w.cycle()
        await w.issue("shift4shop", "NEWGIFT0001", "50.00")
        result = await w.cycle()
        assert result.outcome is Outcome.CONVERGED, result.summary
        assert result.counts["issued"] == 1
        assert result.counts["writes"] == 2
        for platform in STORES:
            assert (await w.balances(platform))["NEWGIFT0001"] == D("50.00")
        assert w.ledger.unfinished_intents("sandbox") == []


async def test_two_redemptions_in_one_interval_are_both_honoured(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url) as w:
        await w.issue("shift4shop", "TWOSTORES01", "100.00")
        await w.cycle()
        await w.redeem("bigcommerce", "TWOSTORES01", "30.00")
        await w.redeem("sfcc", "TWOSTORES01", "25.00")
        result = await w.cycle()
        assert result.counts["redeemed"] == 2
        for platform in STORES:
            assert (await w.balances(platform))["TWOSTORES01"] == D("45.00")
        detail = w.ledger.certificate_by_code("sandbox", "TWOSTORES01")
        assert detail is not None
        assert detail.certificate.balance == D("45.00")
        kinds = sorted((j.kind, j.store, j.amount) for j in detail.journal)
        assert ("redeem", "sandbox-bigcommerce", D("-30.00")) in kinds
        assert ("redeem", "sandbox-sfcc", D("-25.00")) in kinds


async def test_overspend_raises_an_overdraft_alert(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url) as w:
        await w.issue("shift4shop", "OVERSPENT01", "50.00")
        await w.cycle()
        await w.redeem("bigcommerce", "OVERSPENT01", "40.00")
        await w.redeem("shift4shop", "OVERSPENT01", "30.00")
        result = await w.cycle()
        assert result.outcome is Outcome.ALERTS
        assert result.outcome.exit_code == 1
        assert [a.kind for a in w.ledger.open_alerts("sandbox")] == ["overdraft"]
        detail = w.ledger.certificate_by_code("sandbox", "OVERSPENT01")
        assert detail is not None
        assert detail.certificate.balance == D("-20.00")
        for platform in ("shift4shop", "bigcommerce"):
            assert (await w.balances(platform))["OVERSPENT01"] == 0
        # SFCC cannot hold a balance of 0 (nothing is created of 0): it is disabled instead.
        [sfcc] = [c for c in await w.certificates("sfcc") if c["code"] == "OVERSPENT01"]
        assert sfcc["status"] == "disabled"


async def test_a_failed_store_does_not_stop_the_others(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url, seed=2) as w:
        await w.cycle()
        await w.faults("sfcc", error_rate=1.0)
        await w.issue("shift4shop", "WHILEDOWN01", "20.00")
        with structlog.testing.capture_logs() as logs:
            first = await w.cycle()
            second = await w.cycle()
        assert first.outcome is Outcome.STORE_FAILED
        assert first.outcome.exit_code == 3
        assert second.outcome is Outcome.STORE_FAILED
        assert (await w.balances("bigcommerce"))["WHILEDOWN01"] == D("20.00")
        assert "WHILEDOWN01" not in await w.balances("sfcc")
        assert not w.syncer.store_health()["sandbox-sfcc"].up
        assert [e["event"] for e in logs].count("store.down") == 1
        assert {a.kind for a in w.ledger.open_alerts()} == {"store_down"}

        await w.faults("sfcc", error_rate=0.0)
        with structlog.testing.capture_logs() as logs:
            third = await w.cycle()
        assert third.outcome is Outcome.CONVERGED, third.summary
        assert (await w.balances("sfcc"))["WHILEDOWN01"] == D("20.00")
        assert w.syncer.store_health()["sandbox-sfcc"].up
        assert [e["event"] for e in logs].count("store.recovered") == 1


def _wrong_bigcommerce_token(text: str) -> str:
    return text.replace('"sandbox-bc-access-token"', '"not-the-token-42"')


async def test_an_auth_failure_alerts_and_the_other_stores_go_on(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, edit=_wrong_bigcommerce_token) as w:
        await w.issue("shift4shop", "AUTHFAIL001", "15.00")
        result = await w.cycle()
        assert result.outcome is Outcome.STORE_FAILED
        [bc] = [s for s in result.stores if s.store == "sandbox-bigcommerce"]
        assert not bc.healthy
        assert "not-the-token-42" not in (bc.reason or "")
        assert (await w.balances("sfcc"))["AUTHFAIL001"] == D("15.00")
        assert "AUTHFAIL001" not in await w.balances("bigcommerce")
        assert [a.kind for a in w.ledger.open_alerts()] == ["auth"]
        health = w.syncer.store_health()["sandbox-bigcommerce"]
        assert not health.up
        assert "not-the-token-42" not in (health.last_error or "")


async def test_an_emptied_store_holds_the_plan_until_forced(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=6) as w:
        await w.cycle()
        await w.redeem("bigcommerce", next(iter(await w.balances("bigcommerce"))), "1.00")
        await w.call("shift4shop", "POST", "reset")
        before = dump(w.ledger, without=("cycles", "alerts"))
        held = await w.cycle()
        assert held.outcome is Outcome.HELD
        assert held.outcome.exit_code == 1
        assert await w.writes_sent() == 0
        assert dump(w.ledger, without=("cycles", "alerts")) == before
        alerts = w.ledger.open_alerts()
        assert {a.kind for a in alerts} == {"held"}
        assert any("sandbox-3dcart listed no certificate" in a.message for a in alerts)

        forced = await w.cycle(force=True)
        assert forced.outcome is not Outcome.HELD
        assert forced.counts["actions"] > 0
        assert len(await w.certificates("bigcommerce")) == 6  # on_delete=disable: kept


async def test_dry_run_writes_nothing_anywhere(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url, seed=3) as w:
        await w.cycle()
        await w.issue("shift4shop", "DRYRUN00001", "10.00")
        await w.redeem("bigcommerce", next(iter(await w.balances("bigcommerce"))), "1.00")
        before = dump(w.ledger, without=())
        result = await w.cycle(dry_run=True)
        assert result.outcome is Outcome.DRY_RUN
        assert result.cycle_id is None
        assert len(result.plan.actions) >= 3  # the create ×2 and the balance writes
        assert await w.writes_sent() == 0
        assert dump(w.ledger, without=()) == before


async def test_a_redemption_during_the_write_is_folded_in(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url) as w:
        await w.issue("shift4shop", "RACEDWRITE1", "80.00")
        await w.cycle()
        await w.redeem("shift4shop", "RACEDWRITE1", "10.00")
        await w.faults("bigcommerce", redeem_on_read_rate=1.0, seed=7)
        result = await w.cycle()
        await w.faults("bigcommerce", redeem_on_read_rate=0.0)
        assert result.counts["reread_corrections"] == 1
        raced = (await w.call("bigcommerce", "GET", "shopper/log"))[-1]
        assert raced["source"] == "redeem_on_read"
        expected = D("70.00") - D(raced["amount"])
        await w.cycle()
        for platform in STORES:
            assert (await w.balances(platform))["RACEDWRITE1"] == expected
        detail = w.ledger.certificate_by_code("sandbox", "RACEDWRITE1")
        assert detail is not None
        assert detail.certificate.balance == expected
        counter = w.metrics.reread_corrections.labels(store="sandbox-bigcommerce")
        assert counter._value.get() == 1


async def test_metrics_record_cycles_requests_and_liability(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=4) as w:
        await w.cycle()
        text = w.metrics.render().decode()
        assert 'syncd_cycles_total{group="sandbox",outcome="converged"} 1.0' in text
        assert 'syncd_http_requests_total{status="200",store="sandbox-3dcart"}' in text
        assert 'syncd_ledger_liability{currency="USD"}' in text
        assert 'syncd_store_up{store="sandbox-sfcc"} 1.0' in text


async def test_max_writes_per_cycle_defers_the_rest(tmp_path: Path, ledger_url: str) -> None:
    def cap(text: str) -> str:
        return text.replace('interval = "30s"', 'interval = "30s"\nmax_writes_per_cycle = 3')

    async with world(tmp_path, ledger_url, edit=cap, before=_three_on_3dcart) as w:
        first = await w.cycle()
        assert first.counts["writes"] == 3
        assert first.counts["deferred"] == 3
        second = await w.cycle()
        assert second.counts["writes"] == 3
        assert second.counts["deferred"] == 0
        assert len(await w.certificates("sfcc")) == 3


def _three_on_3dcart(sb: object) -> None:
    seed_on(sb, "shift4shop", ("CAPPED00001", "5"), ("CAPPED00002", "6"), ("CAPPED00003", "7"))  # type: ignore[arg-type]


async def test_a_ledger_that_fails_while_the_listings_run_fails_the_cycle(
    tmp_path: Path, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view loads while the listings start: its failure still fails the cycle (after
    the listings), and nothing is written."""
    async with world(tmp_path, ledger_url, seed=5) as w:
        await w.cycle()
        before = dump(w.ledger, without=())

        def broken(group: str) -> None:
            raise OSError("disk I/O error")

        monkeypatch.setattr(w.ledger, "load_view", broken)
        with pytest.raises(OSError, match="disk I/O error"):
            await w.cycle()
        assert dump(w.ledger, without=()) == before
