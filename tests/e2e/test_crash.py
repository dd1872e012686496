"""``kill -9`` at random points of a cycle with hundreds of pending writes (DESIGN.md §5, §9).

N certificates are issued on 3dcart only; mirroring them is 2·N creates. The real
``syncd once`` is started and SIGKILLed again and again (seeded), then run to convergence.
Kill points, chosen by a seeded RNG:

* most kills land on the k-th write a sandbox handles — *after* the store applied it and
  *before* the answer leaves (the "sent but never recorded" window that makes duplicates);
* the others land after a random delay from the start (start-up, recovery, listing,
  planning, the plan transaction, a ledger write).

Afterwards: no code exists twice on any sandbox, the journal's money rows equal those of a
crash-free run on a fresh copy, no intent is left unfinished, and every store converged.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from syncd.config import load_settings
from syncd.ledger import Ledger
from syncd.runner.service import Syncer
from syncd.sandbox import shift4shop
from syncd.sandbox.common import STATS_KEY, WRITE_METHODS
from syncd.sandbox.server import Sandboxes, seed_certificates
from tests.e2e.harness import E2E, ROOT, child_env, e2e
from tests.runner.world import STORES, money_rows

pytestmark = pytest.mark.e2e


@dataclass
class KillLog:
    kills: int = 0
    by_write: int = 0
    by_time: int = 0
    attempts: int = 0
    seconds: float = 0.0
    delays: list[float] = field(default_factory=list)


class WriteTrip:
    """Counts write requests the sandboxes handle; kills the child on the k-th one."""

    def __init__(self, sb: Sandboxes) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.left: int | None = None
        self.tripped = False
        for platform in STORES:
            stats = sb.apps[platform][STATS_KEY]
            original = stats.record

            def record(route: str, outcome: str, original=original) -> None:  # type: ignore[no-untyped-def]
                original(route, outcome)
                self._seen(route)

            stats.record = record  # type: ignore[method-assign]

    def arm(self, proc: asyncio.subprocess.Process, after: int | None) -> None:
        self.proc, self.left, self.tripped = proc, after, False

    def _seen(self, route: str) -> None:
        if self.left is None or route.split(" ", 1)[0] not in WRITE_METHODS:
            return
        if "oauth2" in route:
            return
        self.left -= 1
        if self.left <= 0 and self.proc is not None and self.proc.returncode is None:
            self.proc.kill()  # SIGKILL: the store applied the write, the answer is lost
            self.tripped = True
            self.left = None


async def crash_loop(w: E2E, trip: WriteTrip, *, kills: int, per_kill: int, seed: int) -> KillLog:
    """Start, kill, restart until ``kills`` SIGKILLs landed. Every attempt is armed to die on
    its k-th write at the latest (so no attempt finishes the work); a quarter also get a
    random delay, which mostly lands before the writes (start-up, recovery, planning)."""
    rng = random.Random(seed)
    log = KillLog()
    started = time.monotonic()
    while log.kills < kills:
        log.attempts += 1
        assert log.attempts <= 3 * kills, f"the work ran out before {kills} kills: {log}"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncd", "once", "-c", str(w.config),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env=child_env(), cwd=ROOT,
        )  # fmt: skip
        timed = rng.random() < 0.25
        delay = rng.uniform(0.0, 3.0) if timed else 120.0
        trip.arm(proc, rng.randint(1, per_kill))
        try:
            await asyncio.wait_for(proc.wait(), delay)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            log.by_time += 1
            log.kills += 1
            log.delays.append(round(delay, 3))
        else:
            if trip.tripped:
                log.by_write += 1
                log.kills += 1
        trip.arm(proc, None)
    log.seconds = round(time.monotonic() - started, 1)
    return log


async def crash_free_money(
    tmp_path: Path, certs: int
) -> Counter[tuple[str, str, str | None, Decimal]]:
    """The same start, one uninterrupted run, in-process (same runner code)."""
    async with e2e(tmp_path, before=lambda sb: _issue_on_3dcart(sb, certs)) as ref:
        settings = load_settings(ref.config, environ={})
        with Ledger.open(ref.ledger_url) as ledger:
            syncer = Syncer(settings, ledger)
            try:
                result = await syncer.run_cycle("sandbox")
            finally:
                await syncer.aclose()
            assert result.counts["writes"] == 2 * certs, result.summary
            return money_rows(ledger)


def _issue_on_3dcart(sb: Sandboxes, certs: int) -> None:
    shift4shop.seed(sb.apps["shift4shop"], seed_certificates(certs, rng_seed=42))


async def _crash_test(tmp_path: Path, *, certs: int, kills: int, per_kill: int) -> KillLog:
    (tmp_path / "crashed").mkdir()
    (tmp_path / "reference").mkdir()
    async with e2e(tmp_path / "crashed", before=lambda sb: _issue_on_3dcart(sb, certs)) as w:
        trip = WriteTrip(w.sb)
        log = await crash_loop(w, trip, kills=kills, per_kill=per_kill, seed=certs)
        final = await w.until_converged(tries=6)
        assert final.status == 0, final.stdout + final.stderr[-3000:]
        assert " 0 written" in final.stdout

        assert await w.duplicates() == {p: [] for p in STORES}
        balances = {p: await w.balances(p) for p in STORES}
        assert all(len(b) == certs for b in balances.values())
        assert balances["bigcommerce"] == balances["shift4shop"] == balances["sfcc"]
        with Ledger.open(w.ledger_url) as ledger:
            assert ledger.unfinished_intents("sandbox") == []
            assert ledger.open_alerts() == []
            crashed = money_rows(ledger)
    assert crashed == await crash_free_money(tmp_path / "reference", certs)
    print(f"\ncrash test: {certs} certificates ({2 * certs} pending writes), {log}")
    return log


async def test_kill_9_at_random_points(tmp_path: Path) -> None:
    """250 certificates to mirror to two stores: 500 pending writes, ≥ 20 SIGKILLs (~1 min)."""
    log = await _crash_test(tmp_path, certs=250, kills=22, per_kill=30)
    assert log.kills >= 22
    assert log.by_write >= 10


@pytest.mark.slow
async def test_kill_9_at_random_points_long(tmp_path: Path) -> None:
    """500 certificates (1000 pending writes), ≥ 50 SIGKILLs."""
    log = await _crash_test(tmp_path, certs=500, kills=50, per_kill=25)
    assert log.kills >= 50
