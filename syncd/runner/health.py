"""Per-store health: up or down, since when, the last error (never a secret).

A store going down is logged once (``store.down``) and its recovery once (``store.recovered``),
not on every cycle that finds it in the same state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from syncd.log import redact
from syncd.metrics import Metrics

log = structlog.get_logger("syncd.runner")


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """What the side door shows of one store."""

    store: str
    up: bool
    since: datetime  # when it entered this state
    last_error: str | None = None  # scrubbed of secrets
    last_success: datetime | None = None  # the last complete, successful listing


class HealthBoard:
    """The health of every store, updated by each cycle."""

    def __init__(self, stores: list[str], now: datetime, metrics: Metrics | None) -> None:
        self._health = {name: StoreHealth(name, True, now) for name in stores}
        self._metrics = metrics
        for name in stores:
            self._gauge(name, True)

    def snapshot(self) -> Mapping[str, StoreHealth]:
        return dict(self._health)

    def is_up(self, store: str) -> bool:
        return self._health[store].up

    def mark_up(self, store: str, now: datetime, *, complete: bool) -> None:
        old = self._health[store]
        success = now if complete else old.last_success
        if not old.up:
            log.info("store.recovered", store=store, down_since=old.since.isoformat())
            self._health[store] = StoreHealth(store, True, now, None, success)
        else:
            self._health[store] = replace(old, last_success=success)
        self._gauge(store, True)
        if complete and self._metrics is not None:
            self._metrics.last_success.labels(store=store).set(now.timestamp())

    def mark_down(self, store: str, now: datetime, error: str) -> None:
        old = self._health[store]
        error = redact(error)
        if old.up:
            log.warning("store.down", store=store, error=error)
            self._health[store] = StoreHealth(store, False, now, error, old.last_success)
        else:
            self._health[store] = replace(old, last_error=error)
        self._gauge(store, False)

    def _gauge(self, store: str, up: bool) -> None:
        if self._metrics is not None:
            self._metrics.store_up.labels(store=store).set(1 if up else 0)
