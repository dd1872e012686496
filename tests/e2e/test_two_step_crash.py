"""``kill -9`` of the real ``syncd once`` between the two steps of a re-creation: the store
applied the DELETE and the process dies before its answer arrives (before the POST). The
next ``syncd once`` puts the code back with the right balance, once, in one cycle."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from syncd.ledger import Ledger
from syncd.sandbox import shift4shop
from syncd.sandbox.common import STATS_KEY
from syncd.sandbox.server import Sandboxes, write_private
from tests.e2e.harness import ROOT, child_env, e2e
from tests.runner.test_two_step import recreate_on_3dcart
from tests.runner.world import STORES

pytestmark = pytest.mark.e2e

CODE = "KILLED-0001"


class DeleteTrip:
    """SIGKILLs the child once ``platform``'s sandbox has applied a DELETE."""

    def __init__(self, sb: Sandboxes, platform: str) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.tripped = False
        stats = sb.apps[platform][STATS_KEY]
        original = stats.record

        def record(route: str, outcome: str) -> None:
            original(route, outcome)
            if route.startswith("DELETE") and self.proc is not None and not self.tripped:
                self.proc.kill()  # applied; the answer never reaches the process
                self.tripped = True

        stats.record = record  # type: ignore[method-assign]


def _ignoring_balance(sb: Sandboxes) -> None:
    sb.apps["shift4shop"][shift4shop.CONFIG_KEY].ignores_balance = True


@pytest.mark.parametrize("platform", ["shift4shop", "sfcc"])
async def test_kill_9_between_delete_and_create(tmp_path: Path, platform: str) -> None:
    quirk = _ignoring_balance if platform == "shift4shop" else None
    async with e2e(tmp_path, seed=2, before=quirk) as w:
        if platform == "shift4shop":  # SFCC re-issues without being told
            write_private(w.config, recreate_on_3dcart(w.config.read_text()))
        await w.issue("bigcommerce", CODE, "50.00")
        assert (await w.once()).status == 0
        await w.redeem("bigcommerce", CODE, "20.00")

        trip = DeleteTrip(w.sb, platform)
        trip.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncd", "once", "-c", str(w.config),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env=child_env(), cwd=ROOT,
        )  # fmt: skip
        await asyncio.wait_for(trip.proc.wait(), 60)
        assert trip.tripped
        assert CODE not in await w.balances(platform)  # deleted, not created again

        run = await w.once()  # one cycle: recovery puts it back, the cycle has nothing left
        assert run.status == 0, run.stdout + run.stderr[-2000:]
        for where in STORES:
            assert (await w.balances(where))[CODE] == Decimal("30.00"), where
        assert await w.duplicates() == {p: [] for p in STORES}
        again = await w.once()
        assert " 0 written" in again.stdout
        with Ledger.open(w.ledger_url) as ledger:
            assert ledger.unfinished_intents("sandbox") == []
            assert ledger.open_alerts("sandbox") == []
            detail = ledger.certificate_by_code("sandbox", CODE)
            assert detail is not None
            assert detail.certificate.balance == Decimal("30.00")
            kinds = [j.kind for j in detail.journal if j.store == STORES[platform]]
            assert "recreate" in kinds
            assert "delete" not in kinds
