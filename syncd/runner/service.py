"""``Syncer``: the one object ``syncd once``, the daemon and the side door drive.

It owns one connector per store (one HTTP session each), the ledger thread, the store health
board and the metrics; :meth:`Syncer.run_cycle` runs one cycle of one group
(:mod:`syncd.runner.cycle`). Cycles of the same group never overlap (a lock per group).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog

from syncd.config import GroupDefaults, GroupSettings, Settings
from syncd.ledger import Ledger
from syncd.metrics import Metrics
from syncd.platforms.base import Connector
from syncd.platforms.factory import make_connector
from syncd.runner.cycle import CycleRunner
from syncd.runner.dbthread import LedgerThread
from syncd.runner.health import HealthBoard, StoreHealth
from syncd.runner.report import StatsFeed
from syncd.runner.result import CycleResult

__all__ = ["StoreHealth", "Syncer", "utc_now"]

log = structlog.get_logger("syncd.runner")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Syncer:
    """Runs cycles of the configured groups against their stores and the ledger."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utc_now,
        connectors: Mapping[str, Connector] | None = None,
        db: LedgerThread | None = None,
    ) -> None:
        """``connectors``: one per store, instead of building them from the settings;
        ``db``: the ledger caller (default: a :class:`LedgerThread` of ``ledger``)."""
        self.settings = settings
        self.ledger = ledger
        self.metrics = metrics
        self.clock = clock
        self.connectors: dict[str, Connector] = dict(connectors or {})
        self._db = LedgerThread(ledger) if db is None else db
        self._health = HealthBoard([s.name for s in settings.stores], clock(), metrics)
        self._locks = {g.name: asyncio.Lock() for g in settings.groups}
        self._stats = StatsFeed()
        self._started = False

    async def start(self, *, recover: bool = True) -> None:
        """Build one connector per store, then settle every group's unfinished intents
        (``recover=False``: a dry run, which must not write anything), each group's within
        its share of the group's ``cycle_deadline``."""
        if not self.connectors:
            for store in self.settings.stores:
                self.connectors[store.name] = make_connector(store, self._defaults_for(store.name))
        self._started = True
        if recover:
            for group in self.settings.groups:
                async with self._locks[group.name]:
                    deadline = time.monotonic() + group.cycle_deadline.total_seconds()
                    await self._runner(group).recover_within(self.clock(), deadline)

    async def run_cycle(
        self,
        group: str,
        *,
        dry_run: bool = False,
        force: bool = False,
        deadline: float | None = None,
    ) -> CycleResult:
        """One cycle of ``group``. ``force`` lets a held plan through (§4.11); ``deadline``:
        seconds this cycle may take (None: the group's ``cycle_deadline``). Unknown group:
        KeyError naming it."""
        settings = self.settings.group(group)
        if not self._started:
            await self.start(recover=not dry_run)
        async with self._locks[group]:
            runner = self._runner(settings)
            seconds = settings.cycle_deadline.total_seconds() if deadline is None else deadline
            return await runner.run(dry_run=dry_run, force=force, seconds=seconds)

    async def aclose(self) -> None:
        """Wait for running cycles to reach a safe point, close HTTP sessions and the thread."""
        for lock in self._locks.values():
            await lock.acquire()  # a cycle in flight finishes its current write first
        try:
            for connector in self.connectors.values():
                try:
                    await connector.aclose()
                except Exception as err:  # closing must go on for the other stores
                    log.warning("store.close_failed", store=connector.store, error=str(err))
            self._db.close()
        finally:
            for lock in self._locks.values():
                lock.release()

    def store_health(self) -> Mapping[str, StoreHealth]:
        """Up/down, since when, the last error (scrubbed) of every store."""
        return self._health.snapshot()

    # -- internals --------------------------------------------------------------------------

    def _runner(self, group: GroupSettings) -> CycleRunner:
        stores = {name: self.settings.store(name) for name in group.stores}
        return CycleRunner(
            group=group,
            stores=stores,
            connectors={name: self.connectors[name] for name in group.stores},
            db=self._db,
            ledger=self.ledger,
            health=self._health,
            metrics=self.metrics,
            clock=self.clock,
            stats=self._stats,
        )

    def _defaults_for(self, store: str) -> GroupDefaults | None:
        # A store in several groups gets the first group's defaults (the planner fills
        # people per group anyway; these only back up BigCommerce's required fields).
        for group in self.settings.groups:
            if store in group.stores:
                return group.defaults
        return None
