"""The cycle against hostile stores: a redirect marks the store down with one alert, and
recovery stays within the cycle's deadline."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web

from syncd.config import load_settings
from syncd.ledger import Ledger
from syncd.model import NewCertificate
from syncd.runner.service import Syncer
from syncd.sandbox.common import serve
from syncd.sandbox.server import Sandboxes
from tests.runner.world import seed_on, world

BC = "sandbox-bigcommerce"


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[list[dict[str, str]], str]]:
    """Another loopback origin; the headers of every request it receives."""
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response([])

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner, url = await serve(app)
    try:
        yield seen, url.replace("127.0.0.1", "localhost")
    finally:
        await runner.cleanup()


async def test_a_redirect_marks_the_store_down_with_one_alert(
    tmp_path: Path, ledger_url: str, elsewhere: tuple[list[dict[str, str]], str]
) -> None:
    seen, origin = elsewhere
    async with world(tmp_path, ledger_url, seed=2) as w:
        await w.faults("bigcommerce", redirect_to=origin, redirect_status=302)
        with structlog.testing.capture_logs() as logs:
            first = await w.cycle(deadline=5.0)
            await w.cycle(deadline=5.0)
        [bc] = [s for s in first.stores if s.store == BC]
        assert not bc.healthy
        assert "HTTP 302 redirect to host localhost, not followed" in (bc.reason or "")
        assert not w.syncer.store_health()[BC].up
        assert [e["event"] for e in logs].count("store.down") == 1
        [alert] = w.ledger.open_alerts()
        assert (alert.kind, alert.store) == ("store_down", BC)
        assert "localhost" in alert.message
        assert origin not in alert.message
        assert seen == []  # the access token never left for the other origin


def _on_3dcart(sb: Sandboxes) -> None:
    seed_on(sb, "shift4shop", ("SLOWREC0001", "10"), ("SLOWREC0002", "20"))


class Crash(BaseException):
    """The process died."""


async def _crash_after_create(w: Any, store: str) -> None:
    """The first create on ``store`` lands, then the "process" dies before recording it."""
    conn = w.syncer.connectors[store]
    real = conn.create_certificate

    async def create(cert: NewCertificate) -> Any:
        await real(cert)
        raise Crash

    conn.create_certificate = create


async def test_recovery_is_bounded_by_the_cycle_deadline(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url, before=_on_3dcart) as w:
        await _crash_after_create(w, BC)
        with pytest.raises(Crash):
            await w.cycle()
        unfinished = w.ledger.unfinished_intents("sandbox")
        sent = {i.id for i in unfinished if i.state == "sent" and i.store == BC}
        assert sent
        restarted = Syncer(load_settings(w.config, environ={}), Ledger.open(ledger_url))
        try:
            await restarted.start(recover=False)
            await w.faults("bigcommerce", latency_ms=3500)  # the re-check hangs
            started = time.monotonic()
            result = await restarted.run_cycle("sandbox", deadline=2.0)
            assert time.monotonic() - started < 3.0
            left = restarted.ledger.unfinished_intents("sandbox")
            assert {i.id for i in left if i.state == "sent"} >= sent  # settled next cycle
            assert result.counts["issued"] == 0
        finally:
            await w.faults("bigcommerce", latency_ms=0)
            await restarted.aclose()
            restarted.ledger.close()


async def test_recovery_at_start_is_bounded_by_the_groups_cycle_deadline(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, before=_on_3dcart) as w:
        await _crash_after_create(w, BC)
        with pytest.raises(Crash):
            await w.cycle()
        unfinished = w.ledger.unfinished_intents("sandbox")
        sent = {i.id for i in unfinished if i.state == "sent" and i.store == BC}
        text = w.config.read_text().replace(
            'interval = "30s"', 'interval = "30s"\ncycle_deadline = "2s"'
        )
        w.config.write_text(text)
        restarted = Syncer(load_settings(w.config, environ={}), Ledger.open(ledger_url))
        try:
            await w.faults("bigcommerce", latency_ms=3500)  # the re-check hangs
            started = time.monotonic()
            await restarted.start()
            assert time.monotonic() - started < 2.0  # half the deadline, then it goes on
            left = restarted.ledger.unfinished_intents("sandbox")
            assert {i.id for i in left if i.state == "sent"} >= sent
        finally:
            await w.faults("bigcommerce", latency_ms=0)
            await restarted.aclose()
            restarted.ledger.close()


async def test_the_cycle_deadline_bounds_every_wait_of_its_requests(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=2) as w:
        sleeps: list[float] = []

        async def record(seconds: float) -> None:
            sleeps.append(seconds)

        w.syncer.connectors[BC].http._sleep = record  # type: ignore[attr-defined]
        await w.faults("bigcommerce", throttle_next=1)  # 429: wait for the window's reset
        result = await w.cycle(deadline=5.0)
        [bc] = [s for s in result.stores if s.store == BC]
        assert not bc.healthy
        assert "HTTP 429" in (bc.reason or "")
        assert all(s <= 5.0 for s in sleeps)  # the reset is further away than the deadline
