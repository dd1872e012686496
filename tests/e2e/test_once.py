"""``syncd once`` as a real process against the three sandboxes (DESIGN.md §9)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from syncd.sandbox.server import Sandboxes, seed_certificates
from tests.e2e.harness import e2e, syncd
from tests.runner.world import STORES

pytestmark = pytest.mark.e2e
D = Decimal


async def test_issued_on_3dcart_appears_on_bigcommerce(tmp_path: Path) -> None:
    async with e2e(tmp_path, seed=3) as w:
        assert (await w.once()).status == 0
        await w.issue("shift4shop", "E2EISSUE0001", "40.00")
        run = await w.once()
        assert run.status == 0, run.stderr[-2000:]
        assert "1 issued" in run.stdout
        assert (await w.balances("bigcommerce"))["E2EISSUE0001"] == D("40.00")
        assert (await w.balances("sfcc"))["E2EISSUE0001"] == D("40.00")
        assert await w.duplicates() == {p: [] for p in STORES}


async def test_a_redemption_on_bigcommerce_lowers_3dcart(tmp_path: Path) -> None:
    async with e2e(tmp_path) as w:
        await w.issue("shift4shop", "E2EREDEEM001", "60.00")
        assert (await w.once()).status == 0
        await w.redeem("bigcommerce", "E2EREDEEM001", "12.50")
        run = await w.once()
        assert run.status == 0, run.stderr[-2000:]
        assert (await w.balances("shift4shop"))["E2EREDEEM001"] == D("47.50")
        assert w.ledger_balance("E2EREDEEM001") == D("47.50")


async def test_redemptions_on_two_stores_in_one_interval_are_both_honoured(
    tmp_path: Path,
) -> None:
    async with e2e(tmp_path) as w:
        await w.issue("bigcommerce", "E2ETWICE0001", "100.00")
        assert (await w.once()).status == 0
        await w.redeem("shift4shop", "E2ETWICE0001", "30.00")
        await w.redeem("sfcc", "E2ETWICE0001", "20.00")
        assert (await w.once()).status == 0
        for platform in STORES:
            assert (await w.balances(platform))["E2ETWICE0001"] == D("50.00")
        history = await syncd("ledger", "history", "-c", str(w.config), "--json", "E2ETWICE0001")
        journal = json.loads(history.stdout)["journal"]
        redeemed = sorted(
            (row["store"], row["amount"]) for row in journal if row["kind"] == "redeem"
        )
        assert redeemed == [("sandbox-3dcart", "-30.00"), ("sandbox-sfcc", "-20.00")]


async def test_an_overspend_raises_an_overdraft_alert(tmp_path: Path) -> None:
    async with e2e(tmp_path) as w:
        await w.issue("shift4shop", "E2EOVER00001", "50.00")
        assert (await w.once()).status == 0
        await w.redeem("bigcommerce", "E2EOVER00001", "45.00")
        await w.redeem("sfcc", "E2EOVER00001", "20.00")
        run = await w.once()
        assert run.status == 1, run.stdout
        assert w.ledger_balance("E2EOVER00001") == D("-15.00")
        alerts = json.loads((await syncd("alerts", "-c", str(w.config), "--json")).stdout)
        assert [a["kind"] for a in alerts] == ["overdraft"]
        assert "********0001" in alerts[0]["message"]  # masked: alerts reach status pages
        assert "E2EOVER00001" not in alerts[0]["message"]
        resolved = await syncd("alerts", "resolve", str(alerts[0]["id"]), "-c", str(w.config))
        assert resolved.status == 0
        assert (await syncd("alerts", "-c", str(w.config))).stdout.strip() == "no open alerts"
        for platform in ("shift4shop", "bigcommerce"):
            assert (await w.balances(platform))["E2EOVER00001"] == 0
        # SFCC cannot hold a balance of 0 (nothing is created of 0): it is disabled instead.
        [sfcc] = [c for c in await w.certificates("sfcc") if c["code"] == "E2EOVER00001"]
        assert sfcc["status"] == "disabled"


async def test_an_empty_listing_holds_the_cycle_and_deletes_nothing(tmp_path: Path) -> None:
    async with e2e(tmp_path, seed=8) as w:
        assert (await w.once()).status == 0
        await w.call("sfcc", "POST", "reset")  # the store suddenly lists nothing
        for platform in STORES:
            await w.call(platform, "POST", "stats/reset")
        run = await w.once()
        assert run.status == 1
        assert "held" in run.stdout
        assert await w.writes_sent() == 0
        assert len(await w.certificates("shift4shop")) == 8
        assert len(await w.certificates("bigcommerce")) == 8


async def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    async with e2e(tmp_path, seed=2) as w:
        assert (await w.once()).status == 0
        await w.issue("shift4shop", "E2EDRYRUN001", "5.00")
        before = w.config.with_name("ledger.db").read_bytes()
        run = await w.once("--dry-run", "--json")
        assert run.status == 0, run.stderr[-2000:]
        [result] = json.loads(run.stdout)
        creates = [a for a in result["plan"]["actions"] if a["action"] == "create"]
        assert {a["store"] for a in creates} == {"sandbox-bigcommerce", "sandbox-sfcc"}
        table = await w.once("--dry-run")
        assert "create" in table.stdout
        assert "E2EDRYRUN001" in table.stdout
        assert await w.writes_sent() == 0
        assert w.config.with_name("ledger.db").read_bytes() == before


async def test_usage_errors_exit_2(tmp_path: Path) -> None:
    async with e2e(tmp_path) as w:
        assert (await w.once("--group", "nope")).status == 2
        assert (await w.once("--force", "nope")).status == 2
    assert (await syncd("once", "-c", str(tmp_path / "missing.toml"))).status == 2


def _thirty(sb: Sandboxes) -> None:
    sb.seed(seed_certificates(30, rng_seed=11))


async def test_redeem_while_we_write_loses_no_redemption(tmp_path: Path) -> None:
    """30% of single reads are preceded by a shopper's redemption (the fault injection)."""
    async with e2e(tmp_path, before=_thirty) as w:
        assert (await w.once()).status == 0
        initial = await w.balances("shift4shop")
        for code in sorted(initial)[:20]:  # movements to write to the other two stores
            await w.redeem("shift4shop", code, "0.50")
        for code in sorted(initial)[10:30]:
            await w.redeem("bigcommerce", code, "0.25")
        for platform in STORES:
            await w.faults(platform, redeem_on_read_rate=0.3, seed=5)
        raced = await w.once()
        assert raced.status in (0, 1), raced.stderr[-2000:]
        for platform in STORES:
            await w.faults(platform, redeem_on_read_rate=0.0)
        # Shoppers spending whole balances trip the safety brake (§4.11): force it through.
        final = await w.until_converged(force=True)
        assert final.status in (0, 1), final.stdout
        assert "held" not in final.stdout

        spent: dict[str, Decimal] = dict.fromkeys(initial, D(0))
        on_read = 0
        for platform in STORES:
            for event in await w.call(platform, "GET", "shopper/log"):
                if event["kind"] == "redeem":
                    spent[event["code"]] += D(event["amount"])
                    on_read += event["source"] == "redeem_on_read"
        assert on_read > 0  # the fault did fire
        disabled_on_sfcc = {
            c["code"] for c in await w.certificates("sfcc") if c["status"] == "disabled"
        }
        for code, balance in initial.items():
            expected = balance - spent[code]
            assert w.ledger_balance(code) == expected, code
            for platform in STORES:
                if platform == "sfcc" and expected <= 0 and code in disabled_on_sfcc:
                    continue  # SFCC holds no balance of 0: nothing left is shown disabled
                assert (await w.balances(platform))[code] == max(expected, D(0)), (platform, code)
