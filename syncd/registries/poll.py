"""Registry polling for one sync group (DESIGN.md §4.12): list → diff (pure) → record.

Called by the cycle runner for groups with ``registries = true``, in the same cycle as the
certificates. Each store with a registry source is listed concurrently; its listing is
diffed against the ledger's registries of that store and recorded in one transaction.
A store that cannot be listed is reported and left alone: nothing is recorded for it, so a
failed listing never removes anything (and an incomplete one removes nothing either, see
:mod:`syncd.registries.diff`). Registries never cause remote writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from syncd.errors import AuthError, ConnectorError
from syncd.ledger import AlertKind, Ledger, NewAlert
from syncd.ledger.registries import RegistryLedger
from syncd.log import redact
from syncd.metrics import Metrics
from syncd.model import RecordProblem
from syncd.registries.diff import RegistryDiff, diff_registries
from syncd.registries.model import RegistrySnapshot, collect_registries
from syncd.registries.source import RegistrySource, registry_source

RunDb = Callable[..., Awaitable[Any]]  # ``await run_db(fn, *args)``: fn on the ledger's thread

log = structlog.get_logger("syncd.registries")


@dataclass(frozen=True, slots=True)
class RegistryPollOutcome:
    """One store's registry poll."""

    store: str
    healthy: bool  # listed at all (False: auth failure, unreachable, timeout)
    complete: bool = False  # removals were possible
    listed: int = 0  # registries understood
    reason: str | None = None  # why unhealthy or incomplete (scrubbed)
    changes: Mapping[str, int] = field(default_factory=dict)  # journal rows by kind
    problems: tuple[RecordProblem, ...] = ()
    diff: RegistryDiff | None = field(default=None, repr=False)  # kept for a dry run


async def poll_registries(
    ledger: Ledger,
    group: str,
    connectors: Iterable[object],
    *,
    now: datetime,
    cycle_id: int | None = None,
    metrics: Metrics | None = None,
    dry_run: bool = False,
    listing_seconds: float | None = None,
    run_db: RunDb | None = None,
) -> tuple[RegistryPollOutcome, ...]:
    """Poll every connector of ``group`` that has registries; never raises for one store.
    ``dry_run``: diff, but record nothing. ``run_db`` runs ledger calls (default: a thread)."""
    sources = [s for s in map(registry_source, connectors) if s is not None]
    db: RunDb = run_db if run_db is not None else asyncio.to_thread
    book = RegistryLedger(ledger)
    outcomes = await asyncio.gather(
        *(_poll_one(book, group, s, now, cycle_id, dry_run, listing_seconds, db) for s in sources)
    )
    if metrics is not None and not dry_run and sources:
        _count_changes(metrics, outcomes)
        update_metrics(metrics, await db(book.stats))
    return tuple(outcomes)


async def _poll_one(
    book: RegistryLedger,
    group: str,
    source: RegistrySource,
    now: datetime,
    cycle_id: int | None,
    dry_run: bool,
    listing_seconds: float | None,
    db: RunDb,
) -> RegistryPollOutcome:
    store = source.store
    snapshot = await _list(source, listing_seconds)
    if isinstance(snapshot, RegistryPollOutcome):
        log.warning("registries.store_failed", group=group, store=store, reason=snapshot.reason)
        return snapshot
    diff = diff_registries(group, await db(book.load, store), snapshot, now)
    if not dry_run:
        await db(book.apply, diff, cycle_id=cycle_id)
        if snapshot.problems:
            await db(_raise_problem_alerts, book.ledger, group, snapshot, now)
    counts = dict(diff.counts())
    reason = None if snapshot.complete else redact(snapshot.reason or "listing incomplete")
    # Log what changed, not a heartbeat: a quiet, complete poll is a debug line.
    emit = log.info if counts or not snapshot.complete else log.debug
    emit(
        "registries.polled",
        group=group,
        store=store,
        listed=len(snapshot.registries),
        complete=snapshot.complete,
        reason=reason,
        changes=counts,
    )
    return RegistryPollOutcome(
        store, True, snapshot.complete, len(snapshot.registries), reason, counts,
        snapshot.problems, diff,
    )  # fmt: skip


async def _list(
    source: RegistrySource, listing_seconds: float | None
) -> RegistrySnapshot | RegistryPollOutcome:
    store = source.store
    try:
        async with asyncio.timeout(listing_seconds):
            return await collect_registries(store, source.list_registries())
    except AuthError as err:
        return RegistryPollOutcome(store, False, reason=redact(str(err)))
    except (ConnectorError, OSError) as err:
        return RegistryPollOutcome(store, False, reason=redact(str(err)))
    except TimeoutError:
        return RegistryPollOutcome(store, False, reason=f"{store}: registry listing timed out")


def _raise_problem_alerts(
    ledger: Ledger, group: str, snapshot: RegistrySnapshot, now: datetime
) -> None:
    """One malformed-record alert per registry that could not be read (counted again, not
    duplicated, while it stays unreadable)."""
    with ledger.transaction() as tx:
        for problem in snapshot.problems:
            message = f"gift registry {problem.record_key} skipped: {redact(problem.reason)}"
            alert = NewAlert(
                kind=AlertKind.MALFORMED_RECORD.value,
                group=group,
                store=snapshot.store,
                key=f"registry {problem.record_key}"[:200],
                message=message,
            )
            tx.raise_alert(alert, now)


def _count_changes(metrics: Metrics, outcomes: Iterable[RegistryPollOutcome]) -> None:
    for outcome in outcomes:
        for kind, count in outcome.changes.items():
            metrics.registry_changes.labels(store=outcome.store, kind=kind).inc(count)


def update_metrics(metrics: Metrics, stats: Mapping[str, Any]) -> None:
    """Set the registry gauges from :meth:`RegistryLedger.stats` (per store)."""
    for store, numbers in stats.items():
        metrics.registries.labels(store=store).set(numbers.registries)
        metrics.registry_items.labels(store=store).set(numbers.items)
        metrics.registry_items_available.labels(store=store).set(numbers.items_available)


async def poll_in_cycle(
    ledger: Ledger,
    group: str,
    connectors: Iterable[object],
    *,
    now: datetime,
    cycle_id: int | None,
    metrics: Metrics | None,
    listing_seconds: float | None,
    run_db: RunDb | None = None,
) -> tuple[RegistryPollOutcome, ...]:
    """The cycle runner's hook: :func:`poll_registries` after the certificates are done.
    A failure here (a ledger error, a bug) is logged and swallowed, so that the cycle still
    finishes and records its certificate work; one store's failure is never raised anyway."""
    try:
        return await poll_registries(
            ledger, group, connectors, now=now, cycle_id=cycle_id, metrics=metrics,
            listing_seconds=listing_seconds, run_db=run_db,
        )  # fmt: skip
    except Exception as err:
        log.error("registries.failed", group=group, error=redact(str(err)), exc_info=True)
        return ()
