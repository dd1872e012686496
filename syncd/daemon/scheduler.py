"""One APScheduler job per sync group, plus a heartbeat job that feeds the systemd watchdog.

The jobs only call back into the daemon (``run_group(name)`` and ``heartbeat()``); all cycle
logic lives there, so tests drive it without waiting for the clock.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from syncd.config import GroupSettings

GROUP_JOB_PREFIX = "group:"
HEARTBEAT_JOB = "heartbeat"
MAX_START_OFFSET = 5.0  # seconds: spreads groups (and restarted daemons) over a few seconds


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CycleScheduler:
    """Runs ``run_group(name)`` every group's interval: never two at once for one group
    (``max_instances=1``), missed runs coalesced into one, each group's first run after a
    small random offset so that several groups do not hit the stores in the same second."""

    def __init__(
        self,
        run_group: Callable[[str], Awaitable[object]],
        heartbeat: Callable[[], Awaitable[object]],
        *,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._run_group = run_group
        self._heartbeat = heartbeat
        self._rng = rng or random.Random()  # noqa: S311 -- start-time jitter, not security
        self._clock = clock
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self, groups: Sequence[GroupSettings], heartbeat_every: float) -> None:
        """Schedule every group and the heartbeat, and start (needs a running event loop)."""
        self._scheduler.add_job(
            self._heartbeat,
            IntervalTrigger(seconds=heartbeat_every, timezone=UTC),
            id=HEARTBEAT_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=self._clock(),
        )
        self._add_groups(groups)
        self._scheduler.start()

    def reschedule(self, groups: Sequence[GroupSettings]) -> None:
        """Replace every group job (after a config reload). A cycle in flight keeps running;
        the daemon's per-group lock keeps the new job from overlapping it."""
        for job in self._scheduler.get_jobs():
            if job.id.startswith(GROUP_JOB_PREFIX):
                job.remove()
        self._add_groups(groups)

    def pause(self) -> None:
        """Start no more jobs; jobs already running go on (shutdown would cancel them)."""
        if self._scheduler.running:
            self._scheduler.pause()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def next_run(self, group: str) -> datetime | None:
        job = self._scheduler.get_job(GROUP_JOB_PREFIX + group)
        when: datetime | None = getattr(job, "next_run_time", None)
        return when

    def group_jobs(self) -> dict[str, float]:
        """Scheduled groups and their interval in seconds (for tests and the status)."""
        return {
            job.id.removeprefix(GROUP_JOB_PREFIX): job.trigger.interval.total_seconds()
            for job in self._scheduler.get_jobs()
            if job.id.startswith(GROUP_JOB_PREFIX)
        }

    def _add_groups(self, groups: Sequence[GroupSettings]) -> None:
        now = self._clock()
        for group in groups:
            seconds = group.interval.total_seconds()
            offset = self._rng.uniform(0, min(seconds, MAX_START_OFFSET))
            self._scheduler.add_job(
                self._run_group,
                IntervalTrigger(seconds=seconds, timezone=UTC),
                args=[group.name],
                id=GROUP_JOB_PREFIX + group.name,
                name=f"cycle of group {group.name}",
                max_instances=1,
                coalesce=True,
                # A run that is late by more than one interval is skipped (coalesced).
                misfire_grace_time=max(1, int(seconds)),
                next_run_time=now + timedelta(seconds=offset),
            )
