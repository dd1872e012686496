"""``syncd preflight`` as a merchant runs it: real subprocesses against ``syncd sandbox``."""

from __future__ import annotations

import asyncio
import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncd.config import load_settings
from syncd.model import NewCertificate
from syncd.platforms.factory import make_connector, people_defaults
from syncd.preflight.codes import CANARY_MESSAGE
from syncd.sandbox.server import write_private
from tests.preflight.conftest import (
    PREFIX,
    Sandbox,
    StartSandbox,
    canaries,
    preflight,
    start_preflight,
)

EVERY_STEP = ["sweep", "create", "read back", "case", "balance", "status", "delete"]


def steps(store: dict[str, Any]) -> dict[str, str]:
    return {s["step"]: s["outcome"] for s in store["canary"]["steps"]}


def by_store(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["platform"]: s for s in doc["stores"]}


async def test_canary_on_every_store_exits_0_and_changes_no_other_record(
    sandbox: StartSandbox,
) -> None:
    async with sandbox("--seed", "20") as sb:
        before = await sb.state()
        ran = await preflight("-c", str(sb.config), "--canary", "--json")
        after = await sb.state()
    assert ran.code == 0, ran.err + ran.out
    assert after == before  # no canary left, every other record exactly as it was
    stores = by_store(ran.json())
    for platform in ("shift4shop", "bigcommerce", "sfcc"):
        done = steps(stores[platform])
        assert list(done)[: len(EVERY_STEP)] == EVERY_STEP, (platform, done)
        assert done["create"] == done["read back"] == done["delete"] == "ok"
        # SFCC sets a balance by re-issue: what that needs is the "re-use code" step
        assert done["balance"] == ("skipped" if platform == "sfcc" else "ok"), platform
        assert done["re-use code"] == done["delete again"] == "ok"
        assert stores[platform]["canary"]["left_behind"] is False
        assert stores[platform]["findings"] == []
    assert steps(stores["shift4shop"])["status"] == "skipped"  # 3dcart has no status
    assert steps(stores["bigcommerce"])["status"] == "ok"


async def test_a_3dcart_that_ignores_balance_writes_exits_1_naming_balance_write_recreate(
    sandbox: StartSandbox,
) -> None:
    async with sandbox("--seed", "20", "--quirks", "shift4shop-ignores-balance") as sb:
        before = await sb.state()
        ran = await preflight("-c", str(sb.config), "--canary")
        after = await sb.state()
    assert ran.code == 1, ran.err + ran.out
    assert after == before
    assert "3dcart ignores balance writes" in ran.out
    assert "set in store 'sandbox-3dcart': balance_write = \"recreate\"" in ran.out
    assert "SYNCD-CANARY-" not in ran.out  # the canary's code is shown masked


async def test_the_json_names_the_finding_and_its_config(sandbox: StartSandbox) -> None:
    async with sandbox("--quirks", "shift4shop-ignores-balance") as sb:
        ran = await preflight(
            "-c", str(sb.config), "--canary", "--json", "--store", "sandbox-3dcart"
        )
    assert ran.code == 1
    doc = ran.json()
    [store] = doc["stores"]
    assert steps(store)["balance"] == "finding"
    assert store["findings"] == [
        {
            "kind": "balance_ignored",
            "severity": "config",
            "message": "3dcart ignores balance writes (PUT of Balance answered success, "
            "not applied)",
            "config": 'balance_write = "recreate"',
            "in": "store",
        }
    ]


async def leave_canaries(config: Path) -> None:
    """What a run killed after its creates leaves: one canary on each store."""
    settings = load_settings(config, environ={})
    defaults = settings.groups[0].defaults
    for index, store in enumerate(settings.stores):
        connector = make_connector(store, defaults)
        try:
            await connector.create_certificate(
                NewCertificate(
                    code=f"{PREFIX}LEFT{index}XY",
                    currency="USD",
                    amount=Decimal("0.01"),
                    balance=Decimal("0.01"),
                    people=people_defaults(defaults),
                    message=CANARY_MESSAGE,
                )
            )
        finally:
            await connector.aclose()


async def test_a_canary_left_by_a_killed_run_is_removed_by_the_next(
    sandbox: StartSandbox,
) -> None:
    async with sandbox("--seed", "10") as sb:
        clean = await sb.state()
        await leave_canaries(sb.config)
        left = await sb.state()
        ran = await preflight("-c", str(sb.config), "--canary", "--json")
        after = await sb.state()
    assert all(len(codes) == 1 for codes in canaries(left).values()), canaries(left)
    assert ran.code == 0, ran.err + ran.out
    assert after == clean
    for store in ran.json()["stores"]:
        sweep = store["canary"]["steps"][0]
        assert (sweep["step"], sweep["outcome"]) == ("sweep", "ok")
        assert "removed 1 leftover canary" in sweep["detail"], store["store"]


async def wait_for_a_canary(sb: Sandbox, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if any(canaries(await sb.state()).values()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no canary appeared")


async def test_sigint_in_the_middle_of_a_canary_run_still_cleans_up(
    sandbox: StartSandbox,
) -> None:
    async with sandbox("--seed", "5") as sb:
        before = await sb.state()
        for platform in sb.urls:
            await sb.faults(platform, latency_ms=300)
        proc = await start_preflight("-c", str(sb.config), "--canary")
        await wait_for_a_canary(sb)
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 90)
        after = await sb.state()
    assert proc.returncode == 130, err.decode()
    assert canaries(after) == {p: [] for p in after}
    assert after == before
    assert "cleaned up" in err.decode()
    assert "MAY BE LEFT" not in err.decode()


def rewrite(config: Path, old: str, new: str) -> None:
    text = config.read_text()
    assert old in text
    write_private(config, text.replace(old, new))


async def test_an_unreachable_store_exits_3_naming_it(sandbox: StartSandbox) -> None:
    async with sandbox() as sb:
        rewrite(sb.config, sb.urls["bigcommerce"], "http://127.0.0.1:9")
        ran = await preflight("-c", str(sb.config), "--json")
    assert ran.code == 3, ran.err + ran.out
    stores = by_store(ran.json())
    assert stores["bigcommerce"]["reachable"] is False
    assert stores["bigcommerce"]["store"] == "sandbox-bigcommerce"
    assert "unreachable" in stores["bigcommerce"]["error"]
    assert stores["shift4shop"]["reachable"] is stores["sfcc"]["reachable"] is True


async def test_refused_credentials_exit_3_and_no_secret_is_ever_printed(
    sandbox: StartSandbox,
) -> None:
    async with sandbox("--seed", "3") as sb:
        settings = load_settings(sb.config, environ={})
        good = [
            await preflight("-c", str(sb.config), "--canary"),
            await preflight("-c", str(sb.config), "--canary", "--json"),
        ]
        bc = settings.store("sandbox-bigcommerce")
        token = bc.access_token.get_secret_value()  # type: ignore[union-attr]
        rewrite(sb.config, token, "refused-secret-token-4711")
        refused = [
            await preflight("-c", str(sb.config)),
            await preflight("-c", str(sb.config), "--json"),
        ]
    secrets = [*settings.secret_values(), "refused-secret-token-4711"]
    assert [r.code for r in good] == [0, 0]
    assert [r.code for r in refused] == [3, 3]
    assert by_store(refused[1].json())["bigcommerce"]["credentials"] == "refused"
    assert "sandbox-bigcommerce (bigcommerce): credentials refused" in refused[0].out
    for ran in (*good, *refused):
        for secret in secrets:
            assert secret not in ran.out
            assert secret not in ran.err


async def test_an_unknown_store_is_a_usage_error_naming_it(sandbox: StartSandbox) -> None:
    async with sandbox() as sb:
        ran = await preflight("-c", str(sb.config), "--store", "no-such-store")
        bad_prefix = await preflight("-c", str(sb.config), "--canary", "--canary-prefix", "x")
    assert ran.code == 2
    assert "no store named 'no-such-store'" in ran.err
    assert bad_prefix.code == 2
    assert "canary prefix 'x'" in bad_prefix.err


async def test_json_is_one_stable_document(sandbox: StartSandbox) -> None:
    async with sandbox("--seed", "4") as sb:
        ran = await preflight("-c", str(sb.config), "--json", "--store", "sandbox-bigcommerce")
    assert ran.code == 0
    doc = ran.json()
    assert set(doc) == {"version", "exit_code", "stores"}
    assert (doc["version"], doc["exit_code"]) == (1, 0)
    [store] = doc["stores"]
    assert set(store) == {
        "store", "platform", "reachable", "credentials", "error", "listing", "rate_limit",
        "currency", "timezone", "capabilities", "strategies", "canary", "findings",
    }  # fmt: skip
    assert store["listing"] == {
        "count": 4, "skipped": 0, "complete": True, "reason": None, "pages": 1,
        "requests": 2, "page_size_asked": 250, "first_page": 4, "page_size_honoured": None,
    }  # fmt: skip
    assert store["rate_limit"]["quota"] == 10000
    assert store["rate_limit"]["window_ms"] == 30000
    assert store["currency"] == "USD"
    assert store["capabilities"]["max_code_length"] == "20"
    assert store["strategies"]["balance"] == "PUT balance, the answer read back"
    assert store["canary"] is None  # reads only
