"""The real ``syncd run`` as a subprocess against the three sandboxes: READY on a test
NOTIFY_SOCKET, cycles, /metrics and /v1/status, a store outage logged once each way, and a
clean SIGTERM with writes in flight."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from syncd.sandbox.common import serve
from syncd.sandbox.server import write_private
from tests.daemon.conftest import NotifySocket
from tests.e2e.harness import E2E, ROOT, child_env, e2e

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # ~20 s: a real daemon through an outage


class Daemon:
    """A running ``syncd run`` and its JSON log lines (read as they come)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.events: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                self.events.append({"event": "(text)", "text": line.decode()})
            self._arrived.set()

    async def wait_event(self, name: str, count: int = 1, within: float = 30) -> None:
        async with asyncio.timeout(within):
            while self.count(name) < count:
                self._arrived.clear()
                await self._arrived.wait()

    def count(self, name: str) -> int:
        return sum(1 for e in self.events if e.get("event") == name)


@asynccontextmanager
async def syncd_run(w: E2E, notify: NotifySocket) -> AsyncIterator[Daemon]:
    env = {**child_env(), "NOTIFY_SOCKET": str(notify.path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd", "run", "-c", str(w.config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    daemon = Daemon(proc)
    try:
        yield daemon
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await daemon._reader


def _fast(w: E2E) -> None:
    """Cycles every second, side door on a free port."""
    text = w.config.read_text().replace('interval = "30s"', 'interval = "1s"')
    write_private(w.config, text.replace("127.0.0.1:8787", "127.0.0.1:0"))


async def _get(w: E2E, url: str) -> tuple[int, str]:
    async with w.http.get(url) as resp:
        return resp.status, await resp.text()


async def _status_after(w: E2E, url: str, cycles: int) -> dict[str, Any]:
    """The status once the group has finished more than ``cycles`` cycles (recorded in the
    ledger or not: a cycle with nothing to do writes no row)."""
    async with asyncio.timeout(30):
        while True:
            doc: dict[str, Any] = json.loads((await _get(w, url + "/v1/status"))[1])
            if doc["groups"][0]["cycles_since_start"] > cycles:
                return doc
            await asyncio.sleep(0.1)


async def _until_on(w: E2E, platform: str, codes: list[str]) -> None:
    """Until every one of ``codes`` is on ``platform`` (polling the sandbox)."""
    async with asyncio.timeout(30):
        while not set(codes) <= set(await w.balances(platform)):  # noqa: ASYNC110 -- another process
            await asyncio.sleep(0.02)


async def test_syncd_run_end_to_end(tmp_path: Path, notify_socket: NotifySocket) -> None:
    async with e2e(tmp_path, seed=5) as w:
        _fast(w)
        async with syncd_run(w, notify_socket) as d:
            ready = await notify_socket.wait_for("READY=1", within=30)
            url = ready.split("side door ")[1].split("\n")[0]
            # cycles run and converge; metrics and status show them
            await w.issue("shift4shop", "RUNISSUE00000001", "35.00")
            doc = await _status_after(w, url, 1)
            await notify_socket.wait_for("STATUS=sandbox:", within=30)
            assert doc["source"] == "daemon"
            assert {s["name"] for s in doc["stores"]} >= {"sandbox-bigcommerce"}
            await _until_on(w, "bigcommerce", ["RUNISSUE00000001"])
            status, metrics = await _get(w, url + "/metrics")
            assert status == 200
            assert "syncd_cycles_total" in metrics

            # BigCommerce goes down and comes back: one down-log, one recovery-log
            bc = w.sb.urls["bigcommerce"]
            port = int(bc.rsplit(":", 1)[1])
            runner = w.sb._runners.pop(1)
            await runner.cleanup()
            await d.wait_event("store.down")
            last = doc["groups"][0]["cycles_since_start"]
            doc = await _status_after(w, url, last + 2)  # more cycles while it is down
            runner, _ = await serve(w.sb.apps["bigcommerce"], "127.0.0.1", port)
            w.sb._runners.insert(1, runner)
            await d.wait_event("store.recovered")
            doc = await _status_after(w, url, doc["groups"][0]["cycles_since_start"] + 1)
            assert d.count("store.down") == 1
            assert d.count("store.recovered") == 1

            # SIGTERM while writes are in flight: exit 0, nothing lost
            await w.faults("bigcommerce", latency_ms=150)
            await w.faults("sfcc", latency_ms=150)
            codes = [f"RUNSTOP{i:09d}" for i in range(8)]
            for code in codes:
                await w.issue("shift4shop", code, "10.00")
            await _until_on(w, "bigcommerce", codes[:1])  # the daemon is writing them now
            d.proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(45):
                assert await d.proc.wait() == 0
            await notify_socket.wait_for("STOPPING=1")
            assert d.count("daemon.stopped") == 1
        await w.faults("bigcommerce", latency_ms=0)
        await w.faults("sfcc", latency_ms=0)
        run = await w.until_converged()
        assert run.status == 0, run.stderr[-2000:]
        for platform in ("bigcommerce", "sfcc"):
            balances = await w.balances(platform)
            assert all(balances[c] == Decimal("10.00") for c in codes)
        assert await w.duplicates() == {p: [] for p in ("shift4shop", "bigcommerce", "sfcc")}
