"""The daemon: Syncer + scheduler + side door + sd_notify + signals, started and stopped in
the order that keeps every promise of DESIGN.md §7.

Start: config and ledger (by :func:`run_daemon`) → Syncer (connectors, crash recovery) →
side door listening → READY → scheduler. Stop (SIGTERM/SIGINT): STOPPING → no new cycles →
the cycles in flight finish (bounded) → Syncer closed → side door closed → ledger closed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from aiohttp import web

from syncd.config import Settings, load_settings
from syncd.daemon import sidedoor
from syncd.daemon.cycles import CycleRunnerLike, GroupBusy, GroupCycles, utc_now
from syncd.daemon.scheduler import CycleScheduler
from syncd.daemon.signals import SignalHandler
from syncd.daemon.status import LiveState, StoreHealthLike, status_document
from syncd.errors import ConfigError
from syncd.ledger import Ledger
from syncd.log import add_secrets
from syncd.metrics import Metrics
from syncd.runner.result import CycleResult
from syncd.sdnotify import Notifier

log = structlog.get_logger("syncd.daemon")

STOP_TIMEOUT = 30.0  # seconds the cycles in flight get to finish on SIGTERM
HEARTBEAT_DEFAULT = 5.0  # seconds between heartbeats when systemd asks for no watchdog


class SyncerLike(CycleRunnerLike, Protocol):
    """The Syncer as the daemon uses it (``syncd.runner.service.Syncer``)."""

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...
    def store_health(self) -> Mapping[str, StoreHealthLike]: ...


SyncerFactory = Callable[..., SyncerLike]


def default_syncer_factory(
    settings: Settings, ledger: Ledger, *, metrics: Metrics, clock: Callable[[], datetime]
) -> SyncerLike:
    from syncd.runner.service import Syncer  # the runner is heavy; import it only here

    syncer: SyncerLike = Syncer(settings, ledger, metrics=metrics, clock=clock)
    return syncer


class Daemon:
    """One running syncd. ``run_group(name)`` is what the scheduler calls every interval."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        config_path: Path | None = None,
        environ: Mapping[str, str] | None = None,
        syncer_factory: SyncerFactory = default_syncer_factory,
        notifier: Notifier | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self._settings = settings
        self._ledger = ledger
        self._config_path = config_path
        self._environ = environ
        self._factory = syncer_factory
        self.notifier = notifier or Notifier(environ={})
        self._metrics = metrics or Metrics()
        self._clock = clock
        self._stop_timeout = stop_timeout
        self.cycles = GroupCycles(self.notifier, clock)
        self.scheduler = CycleScheduler(self._scheduled, self.heartbeat, rng=rng, clock=clock)
        self.signals = SignalHandler(self.request_reload)
        self.started_at = clock()
        self.url: str | None = None  # the side door's, once it listens
        self.last_heartbeat: datetime | None = None
        self._syncer: SyncerLike | None = None
        self._sidedoor: web.AppRunner | None = None
        self._reload_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._stopping = False

    # -- what the side door reads -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    @property
    def metrics(self) -> Metrics:
        return self._metrics

    @property
    def syncer(self) -> SyncerLike:
        if self._syncer is None:
            raise RuntimeError("the daemon has not started")
        return self._syncer

    async def status(self) -> dict[str, Any]:
        alerts = await asyncio.to_thread(self._ledger.open_alerts)
        live = LiveState(
            started_at=self.started_at,
            results=dict(self.cycles.results),
            running=self.cycles.running,
            next_runs={g.name: self.scheduler.next_run(g.name) for g in self._settings.groups},
            health=self._syncer.store_health() if self._syncer else {},
            finished=dict(self.cycles.finished_by_group),
        )
        return status_document(self._settings, live.results, alerts, live)

    async def readiness(self) -> list[str]:
        """Why the daemon is not ready (empty: ready): ledger unreachable, a group whose last
        cycle is older than two intervals plus its deadline, stopping."""
        reasons = ["stopping"] if self._stopping else []
        try:
            await asyncio.to_thread(self._ledger.last_cycles, None, 1)
        except Exception as err:  # any driver error: the message may hold the URL
            reasons.append(f"ledger unreachable ({type(err).__name__})")
        now, finished = self._clock(), self.cycles.last_finished()
        for group in self._settings.groups:
            allowed = 2 * group.interval + group.cycle_deadline
            since = finished.get(group.name, self.started_at)
            if now - since > allowed:
                reasons.append(f"group {group.name}: no cycle finished since {since.isoformat()}")
        return reasons

    # -- cycles -------------------------------------------------------------------------------

    async def run_group(self, group: str, *, force: bool = False) -> CycleResult | None:
        """One cycle of ``group`` now (raises ``GroupBusy`` if one is running)."""
        return await self.cycles.run(self.syncer, self._settings, group, force=force)

    async def _scheduled(self, group: str) -> None:
        try:
            await self.run_group(group)
        except GroupBusy:
            log.info("cycle.skipped", group=group, reason="previous cycle still running")

    async def heartbeat(self) -> None:
        """Run by the scheduler on the event loop (a coroutine: APScheduler would run a plain
        function in a thread, which keeps going while the loop is stuck). The watchdog is fed
        only while the loop runs scheduler jobs, so a blocked loop stops the pings (systemd
        restarts us); a store outage does not."""
        self.last_heartbeat = self._clock()
        self.notifier.watchdog()

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Syncer, side door, READY, scheduler — in that order."""
        self._syncer = self._new_syncer(self._settings)
        await self._syncer.start()
        host, port = self._settings.http.host_port()
        self._sidedoor, self.url = await sidedoor.start(self, host, port)
        log.info("sidedoor.listening", url=self.url)
        self.notifier.ready(self._ready_text())
        interval = self.notifier.watchdog_interval
        self.scheduler.start(self._settings.groups, interval / 3 if interval else HEARTBEAT_DEFAULT)
        log.info("daemon.ready", groups=[g.name for g in self._settings.groups], url=self.url)

    def _ready_text(self) -> str:
        s = self._settings
        return f"{len(s.groups)} groups, {len(s.stores)} stores, ledger ok, side door {self.url}"

    def _new_syncer(self, settings: Settings) -> SyncerLike:
        return self._factory(settings, self._ledger, metrics=self._metrics, clock=self._clock)

    def request_stop(self) -> None:
        self.signals.stop.set()

    async def wait_stopped(self) -> None:
        await self.signals.stop.wait()

    async def stop(self) -> None:
        """Graceful stop: no new cycles, let the ones in flight finish (bounded), close."""
        self._stopping = True
        self.notifier.stopping("stopping: finishing the cycles in flight")
        self.scheduler.pause()
        finished = await self.cycles.drain(self._stop_timeout)
        await asyncio.gather(*self._background, return_exceptions=True)
        self.scheduler.shutdown()
        if self._syncer is not None:
            await self._syncer.aclose()
        if self._sidedoor is not None:
            await self._sidedoor.cleanup()
        log.info("daemon.stopped", cycles_finished=finished)

    async def main(self, *, install_signals: bool = True) -> int:
        """Start, run until SIGTERM/SIGINT (or :meth:`request_stop`), stop. Exit status."""
        if install_signals:
            self.signals.install(asyncio.get_running_loop())
        try:
            await self.start()
            await self.wait_stopped()
        finally:
            await self.stop()
            self.signals.uninstall()
        return 0

    # -- reload (SIGHUP) ----------------------------------------------------------------------

    def request_reload(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def reload(self) -> bool:
        """Re-read the config file. A bad one is rejected (every problem logged) and the old
        one keeps running; a good one gets a new Syncer and new group schedules."""
        async with self._reload_lock:
            new = await self._load_new()
            if new is None or self._stopping:
                return False
            self.notifier.reloading()
            swapped = await self._swap(new)
            self.notifier.ready(self._ready_text())
            return swapped

    async def _load_new(self) -> Settings | None:
        try:
            new = await asyncio.to_thread(load_settings, self._config_path, environ=self._environ)
        except ConfigError as err:
            log.error("config.reload_rejected", problems=list(err.problems))
            return None
        add_secrets(new.secret_values())
        restart_only = [
            key
            for key, old, now in (
                ("ledger.url", self._settings.ledger.url, new.ledger.url),
                ("http.listen", self._settings.http.listen, new.http.listen),
            )
            if old != now
        ]
        if restart_only:
            log.warning("config.reload_needs_restart", keys=restart_only)
        return new

    async def _swap(self, new: Settings) -> bool:
        """New Syncer in, old one out, while no cycle runs (its crash recovery must not race
        a write in flight)."""
        async with AsyncExitStack() as held:
            names = [g.name for g in (*self._settings.groups, *new.groups)]
            await self.cycles.hold_all(held, names)
            syncer = self._new_syncer(new)
            try:
                await syncer.start()
            except Exception:
                log.exception("config.reload_failed")
                await syncer.aclose()
                return False
            old, self._syncer, self._settings = self._syncer, syncer, new
            self.scheduler.reschedule(new.groups)
        if old is not None:
            await old.aclose()
        log.info("config.reloaded", groups=[g.name for g in new.groups])
        return True
