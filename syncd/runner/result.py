"""What one cycle of one sync group produced: read by ``syncd once``, the daemon, the side door."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How a cycle ended; ordered from best to worst by :attr:`severity`."""

    CONVERGED = "converged"  # every store agrees with the ledger, nothing needs a human
    DRY_RUN = "dry_run"  # planned and printed, nothing written anywhere
    ALERTS = "alerts"  # ran, but raised alerts a human must look at
    HELD = "held"  # the safety brake held the plan (§4.11): nothing written to stores
    STORE_FAILED = "store_failed"  # a store could not be listed or written (auth, outage)
    DEADLINE = "deadline"  # the cycle deadline passed; unfinished intents resume next time

    @property
    def exit_code(self) -> int:
        """``syncd once`` exit status: 0 converged, 1 alerts/held, 3 a store failed."""
        if self in (Outcome.CONVERGED, Outcome.DRY_RUN):
            return 0
        if self in (Outcome.ALERTS, Outcome.HELD):
            return 1
        return 3


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """One store's part of a cycle."""

    store: str
    listed: int  # records understood
    complete: bool  # the listing may imply deletions
    healthy: bool  # False: auth failure or unreachable
    reason: str | None = None  # why incomplete/unhealthy (no secrets)
    requests: int = 0
    writes: int = 0
    write_failures: int = 0


@dataclass(frozen=True, slots=True)
class CycleResult:
    """The summary of one cycle (also what the cycles table records)."""

    group: str
    outcome: Outcome
    started_at: datetime
    finished_at: datetime
    cycle_id: int | None = None  # None for a dry run
    stores: tuple[StoreOutcome, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)  # issued, redeemed, writes, ...
    alerts_raised: int = 0
    summary: str = ""
    plan: Any = None  # the syncd.reconcile Plan, kept for --dry-run output

    @property
    def duration(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
