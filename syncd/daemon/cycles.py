"""Running cycles for the daemon: one at a time per group, bounded, remembered, waitable.

:meth:`GroupCycles.run` is the one coroutine behind the scheduler's jobs, the side door's
"run now" route and the demo, so all three share the same guard and bookkeeping.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Protocol

import structlog

from syncd.config import Settings
from syncd.runner.result import CycleResult
from syncd.sdnotify import Notifier

log = structlog.get_logger("syncd.daemon")

# After the cycle deadline the Syncer stops by itself; this margin is the backstop for a
# cycle stuck in an await that never returns (cancelling is safe: intents come first).
DEADLINE_GRACE = 60.0


class CycleRunnerLike(Protocol):
    """The part of the Syncer this module calls."""

    async def run_cycle(
        self,
        group: str,
        *,
        dry_run: bool = False,
        force: bool = False,
        deadline: float | None = None,
    ) -> CycleResult: ...


class GroupBusy(Exception):
    """A cycle of this group is already running."""

    def __init__(self, group: str) -> None:
        super().__init__(f"a cycle of group {group!r} is already running")
        self.group = group


def utc_now() -> datetime:
    return datetime.now(UTC)


class GroupCycles:
    """Per-group locks, the cycles in flight, the last result of each group."""

    def __init__(self, notifier: Notifier, clock: Callable[[], datetime] = utc_now) -> None:
        self._notifier = notifier
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._inflight: dict[str, asyncio.Task[object]] = {}
        self.results: dict[str, CycleResult] = {}
        self.finished = 0  # cycles finished (any outcome) since start
        self.finished_by_group: Counter[str] = Counter()
        self._changed = asyncio.Condition()

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._inflight)

    def lock(self, group: str) -> asyncio.Lock:
        return self._locks.setdefault(group, asyncio.Lock())

    async def run(
        self, runner: CycleRunnerLike, settings: Settings, group: str, *, force: bool = False
    ) -> CycleResult | None:
        """One cycle of ``group`` now; ``GroupBusy`` if one is already running (the scheduler
        also refuses overlaps, this covers the side door and reloads). None if it crashed."""
        lock = self.lock(group)
        if lock.locked():
            raise GroupBusy(group)
        async with lock:
            task = asyncio.current_task()
            assert task is not None
            self._inflight[group] = task
            try:
                result = await self._bounded(runner, settings, group, force)
            finally:
                del self._inflight[group]
        if result is not None:
            await self._record(result)
        return result

    async def _bounded(
        self, runner: CycleRunnerLike, settings: Settings, group: str, force: bool
    ) -> CycleResult | None:
        seconds = settings.group(group).cycle_deadline.total_seconds()
        try:
            async with asyncio.timeout(seconds + DEADLINE_GRACE):
                # ``deadline``: the seconds this cycle may take (the Syncer's contract).
                return await runner.run_cycle(group, force=force, deadline=seconds)
        except TimeoutError:
            log.error("cycle.stuck", group=group, deadline_seconds=seconds)
        except Exception:
            # A bug in one cycle must not stop the daemon; the next run tries again.
            log.exception("cycle.crashed", group=group)
        return None

    async def _record(self, result: CycleResult) -> None:
        self.results[result.group] = result
        self._notifier.status(self.status_line())
        async with self._changed:
            self.finished += 1
            self.finished_by_group[result.group] += 1
            self._changed.notify_all()

    def status_line(self) -> str:
        """systemd STATUS: the last cycle's one-line summary of every group."""
        parts = [
            f"{name}: {result.summary or result.outcome} at {result.finished_at:%H:%M:%SZ}"
            for name, result in sorted(self.results.items())
        ]
        return "; ".join(parts) or "no cycle yet"

    async def wait_finished(self, count: int) -> None:
        """Until at least ``count`` cycles have finished since start (tests, the demo)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.finished >= count)

    async def drain(self, within: float) -> bool:
        """Wait up to ``within`` seconds for the cycles in flight; cancel what is left (safe: the
        intents are in the ledger). True if everything finished by itself."""
        tasks = set(self._inflight.values())
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=within)
        for task in pending:
            log.warning("cycle.cancelled_at_stop", after_seconds=within)
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return not pending

    async def hold_all(self, stack: AsyncExitStack, groups: Iterable[str]) -> None:
        """Take every group's lock (in name order: no deadlock), waiting for cycles in
        flight; released when ``stack`` closes. Used to swap the Syncer on reload."""
        for group in sorted(set(groups)):
            await stack.enter_async_context(self.lock(group))

    def last_finished(self) -> Mapping[str, datetime]:
        return {name: result.finished_at for name, result in self.results.items()}
