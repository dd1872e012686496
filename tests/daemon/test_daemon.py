"""The daemon in-process: start order, cycles, overlap guard, watchdog, stop, reload, ready."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from structlog.testing import capture_logs

from syncd.daemon.cycles import GroupBusy
from syncd.daemon.scheduler import HEARTBEAT_JOB
from tests.daemon.conftest import NotifySocket, Running, make_daemon
from tests.daemon.fakes import config_text


async def test_ready_only_once_the_side_door_answers(
    tmp_path: Path, notify_socket: NotifySocket
) -> None:
    run = make_daemon(tmp_path, notify_socket)
    task = asyncio.create_task(run.daemon.main(install_signals=False))
    try:
        ready = await notify_socket.wait_for("READY=1")
        assert run.syncer.started
        url = ready.split("side door ")[1].split("\n")[0]
        async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as resp:
            assert resp.status == 200
    finally:
        run.daemon.request_stop()
        assert await task == 0
    assert run.syncer.closed
    await notify_socket.wait_for("STOPPING=1")
    run.ledger.close()


async def test_a_cycle_reports_its_summary_as_systemd_status(running: Running) -> None:
    result = await running.daemon.run_group("us")
    assert result is not None
    assert result.group == "us"
    status = await running.notify.wait_for("STATUS=us: cycle 1: converged")
    assert "READY" not in status
    assert running.daemon.cycles.results["us"] is result


async def test_two_cycles_of_one_group_never_overlap(running: Running) -> None:
    running.syncer.gate = asyncio.Event()
    first = asyncio.create_task(running.daemon.run_group("us"))
    await running.syncer.entered.wait()
    with pytest.raises(GroupBusy):
        await running.daemon.run_group("us")
    with capture_logs() as events:
        await running.daemon._scheduled("us")  # what the scheduler's job does
    assert [e["event"] for e in events] == ["cycle.skipped"]
    running.syncer.gate.set()
    assert (await first) is not None
    assert running.syncer.max_running == 1


async def test_the_deadline_is_the_groups_cycle_deadline(running: Running) -> None:
    await running.daemon.run_group("us", force=True)
    deadline = running.settings.group("us").cycle_deadline.total_seconds()
    assert running.syncer.calls == [("us", True, deadline)]


async def test_a_crashing_cycle_is_logged_and_the_daemon_goes_on(running: Running) -> None:
    running.syncer.crash = True
    with capture_logs() as events:
        assert await running.daemon.run_group("us") is None
    assert [e["event"] for e in events] == ["cycle.crashed"]
    running.syncer.crash = False
    assert await running.daemon.run_group("us") is not None


async def test_the_scheduler_runs_every_group_at_its_interval(
    tmp_path: Path, notify_socket: NotifySocket
) -> None:
    run = make_daemon(tmp_path, notify_socket, interval="1s", groups=2)
    await run.daemon.start()
    try:
        assert run.daemon.scheduler.group_jobs() == {"us": 1.0, "eu": 1.0}
        async with asyncio.timeout(15):
            await run.daemon.cycles.wait_finished(4)
        groups = {call[0] for call in run.syncer.calls}
        assert groups == {"us", "eu"}
    finally:
        run.daemon.request_stop()
        await run.daemon.stop()
        run.ledger.close()


async def test_watchdog_pings_come_from_the_scheduler_and_go_on_during_an_outage(
    running: Running,
) -> None:
    assert running.daemon.scheduler._scheduler.get_job(HEARTBEAT_JOB) is not None
    running.syncer.gate = asyncio.Event()  # a cycle stuck on a store that does not answer
    cycle = asyncio.create_task(running.daemon.run_group("us"))
    await running.syncer.entered.wait()
    before = running.daemon.last_heartbeat
    mark = len(running.notify.seen)
    await running.notify.wait_for("WATCHDOG=1", start=mark)
    await running.notify.wait_for("WATCHDOG=1", start=len(running.notify.seen))
    assert running.daemon.last_heartbeat != before
    running.syncer.gate.set()
    await cycle


async def test_stop_lets_the_cycle_in_flight_finish(running: Running) -> None:
    running.syncer.gate = asyncio.Event()
    cycle = asyncio.create_task(running.daemon.run_group("us"))
    await running.syncer.entered.wait()
    stopping = asyncio.create_task(running.daemon.stop())
    await running.notify.wait_for("STOPPING=1")
    assert not stopping.done()
    assert not running.syncer.closed
    running.syncer.gate.set()
    await stopping
    result = await cycle
    assert result is not None
    assert running.daemon.cycles.results["us"] is result
    assert running.syncer.closed


async def test_stop_is_bounded_when_a_cycle_does_not_finish(
    tmp_path: Path, notify_socket: NotifySocket
) -> None:
    run = make_daemon(tmp_path, notify_socket)
    run.daemon._stop_timeout = 0.2
    await run.daemon.start()
    run.syncer.gate = asyncio.Event()  # never opened
    cycle = asyncio.create_task(run.daemon.run_group("us"))
    await run.syncer.entered.wait()
    with capture_logs() as events:
        async with asyncio.timeout(10):
            await run.daemon.stop()
    assert "cycle.cancelled_at_stop" in [e["event"] for e in events]
    assert cycle.cancelled()
    run.ledger.close()


async def test_a_bad_config_on_reload_is_rejected_and_the_old_one_runs_on(
    running: Running,
) -> None:
    running.path.write_text(running.path.read_text() + '\n[bogus]\nkey = 1\ninterval = "x"\n')
    with capture_logs() as events:
        assert await running.daemon.reload() is False
    rejected = [e for e in events if e["event"] == "config.reload_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["problems"]
    assert running.daemon.settings is running.settings
    assert await running.daemon.run_group("us") is not None


async def test_a_good_config_on_reload_reschedules_the_groups(running: Running) -> None:
    old = running.syncer
    text = config_text(running.settings.ledger.url, interval="2m", groups=2)
    running.path.write_text(text)
    with capture_logs() as events:
        assert await running.daemon.reload() is True
    assert "config.reloaded" in [e["event"] for e in events]
    assert running.daemon.scheduler.group_jobs() == {"us": 120.0, "eu": 120.0}
    assert old.closed
    assert running.daemon.syncer is not old
    assert await running.daemon.run_group("eu") is not None


async def test_reload_waits_for_the_cycle_in_flight(running: Running) -> None:
    old = running.syncer
    old.gate = asyncio.Event()
    cycle = asyncio.create_task(running.daemon.run_group("us"))
    await old.entered.wait()
    reload = asyncio.create_task(running.daemon.reload())
    await asyncio.sleep(0)  # let the reload reach the group lock
    assert not reload.done()
    assert not old.closed
    old.gate.set()
    assert await reload is True
    await cycle
    assert old.closed


async def test_not_ready_when_a_group_has_not_cycled_for_too_long(running: Running) -> None:
    daemon = running.daemon
    assert await daemon.readiness() == []
    group = running.settings.group("us")
    daemon._clock = lambda: daemon.started_at + 2 * group.interval + group.cycle_deadline * 2
    reasons = await daemon.readiness()
    assert len(reasons) == 1
    assert reasons[0].startswith("group us: no cycle finished")
    daemon._clock = lambda: daemon.started_at + timedelta(seconds=1)
    assert await daemon.readiness() == []
