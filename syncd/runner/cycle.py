"""One cycle of one sync group (DESIGN.md §3, §5):

recover unfinished intents → fetch every store concurrently → load the ledger view → plan
(pure) → store the plan in ONE transaction → execute the intents → finish the cycle row.
A dry run stops after planning and writes nothing anywhere (not even recovery).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from syncd.config import GroupSettings, StoreSettings
from syncd.ledger import AlertKind, IntentState, Ledger, LedgerView, NewAlert
from syncd.metrics import Metrics
from syncd.model import Capabilities, People, Snapshot
from syncd.platforms.base import Connector
from syncd.platforms.http import cycle_deadline
from syncd.reconcile import GroupPolicy, OnAmbiguous, OnDelete, Plan, SfccStalePolicy, plan
from syncd.reconcile.quiet import Baseline, Sieve, settle
from syncd.registries.poll import poll_in_cycle
from syncd.runner import persist, report
from syncd.runner.book import Book
from syncd.runner.dbthread import LedgerThread
from syncd.runner.execute import Executor, Item, Tally
from syncd.runner.fetch import Fetched, fetch_all
from syncd.runner.health import HealthBoard
from syncd.runner.recover import Recovered, recover_group
from syncd.runner.result import CycleResult, Outcome
from syncd.runner.reveal import reveal_codes

log = structlog.get_logger("syncd.runner")

# Recovery may use this share of the cycle's time; the listings and writes need the rest.
RECOVERY_SHARE = 0.5


def policy_of(group: GroupSettings, *, force: bool) -> GroupPolicy:
    d = group.defaults
    return GroupPolicy(
        on_delete=OnDelete(group.on_delete),
        max_change_ratio=group.max_change_ratio,
        case_insensitive_codes=group.case_insensitive_codes,
        sfcc_stale_balance=SfccStalePolicy(group.sfcc_stale_balance),
        on_ambiguous=OnAmbiguous(group.on_ambiguous),
        defaults=People(d.to_name, d.to_email, d.from_name, d.from_email),
        max_writes=group.max_writes_per_cycle,
        force=force,
    )


@dataclass
class CycleRunner:
    group: GroupSettings
    stores: Mapping[str, StoreSettings]
    connectors: Mapping[str, Connector]
    db: LedgerThread
    ledger: Ledger
    health: HealthBoard
    metrics: Metrics | None
    clock: Callable[[], datetime]
    stats: report.StatsFeed

    @property
    def name(self) -> str:
        return self.group.name

    async def recover(self, now: datetime) -> Recovered:
        on_ambiguous = OnAmbiguous(self.group.on_ambiguous)
        return await recover_group(self.db, self.name, self.connectors, now, on_ambiguous)

    async def run(self, *, dry_run: bool, force: bool, seconds: float) -> CycleResult:
        started, deadline = self.clock(), time.monotonic() + seconds
        structlog.contextvars.bind_contextvars(group=self.name)
        try:
            with cycle_deadline(deadline):  # bounds every wait of the HTTP layer
                return await self._run(started, deadline, dry_run=dry_run, force=force)
        finally:
            structlog.contextvars.unbind_contextvars("group", "cycle_id")

    async def _run(
        self, started: datetime, deadline: float, *, dry_run: bool, force: bool
    ) -> CycleResult:
        recovered = Recovered() if dry_run else await self.recover_within(started, deadline)
        caps = {name: self.connectors[name].capabilities for name in self.group.stores}
        policy = policy_of(self.group, force=force)
        # The ledger view loads while the listings start; quiet records (nothing to do for
        # them) are set aside as the listings stream in, once the view is there.
        prepared = asyncio.ensure_future(self._prepare(caps, policy))
        sieves = {store: _sieve_of(prepared, store) for store in self.group.stores}
        fetched = await fetch_all(self.connectors, list(self.group.stores), _left(deadline), sieves)
        view, baseline = await prepared
        self._update_health(fetched)
        snapshots = {s: f.snapshot for s, f in fetched.items() if f.snapshot is not None}
        snapshots = await reveal_codes(snapshots, view, self.connectors)
        aside = {s: f.set_aside for s, f in fetched.items() if f.snapshot is not None}
        now = self.clock()
        # Pure but CPU-bound on big groups: off the event loop so the side door stays live.
        the_plan = await asyncio.to_thread(
            _settle_and_plan, baseline, view, snapshots, aside, caps, policy, now,
            frozenset(recovered.unresolved),
        )  # fmt: skip
        if dry_run:
            return self._result(started, the_plan, fetched, Tally(), recovered, None, dry_run=True)
        if _nothing_to_record(the_plan, fetched, recovered):
            return await self._quiet(started, the_plan, fetched, recovered, deadline)
        stored = await self.db(persist.store_plan, self.ledger, self.name, the_plan, started)
        structlog.contextvars.bind_contextvars(cycle_id=stored.cycle_id)
        book = Book.of(view)
        book.apply(the_plan, stored)
        tally = await self._execute(the_plan, stored, book, recovered, deadline, started)
        await self._registries(stored.cycle_id, deadline)
        tally.alerts += await self._store_alerts(fetched, started)
        result = self._result(started, the_plan, fetched, tally, recovered, stored.cycle_id)
        await self._finish(result, book)
        return result

    async def recover_within(self, started: datetime, deadline: float) -> Recovered:
        """Recovery within its share of ``deadline`` (a ``time.monotonic()`` instant). What
        it has not settled by then stays ``sent`` (settled next cycle), and every such
        certificate counts as unresolved: the executor looks its code up before creating
        it again."""
        try:
            with cycle_deadline(deadline):
                async with asyncio.timeout(_left(deadline) * RECOVERY_SHARE) as budget:
                    return await self.recover(started)
        except TimeoutError:
            if not budget.expired():
                raise
        intents = await self.db(self.ledger.unfinished_intents, self.name)
        sent = IntentState.SENT.value
        unresolved = {(i.certificate_id, i.store) for i in intents if i.state == sent}
        log.warning("recovery.cut_short", unresolved=len(unresolved))
        return Recovered(unresolved=unresolved)

    async def _prepare(
        self, caps: Mapping[str, Capabilities], policy: GroupPolicy
    ) -> tuple[LedgerView, Baseline]:
        view = await self.db(self.ledger.load_view, self.name)
        baseline = await asyncio.to_thread(Baseline, view.certificates, view.links, caps, policy)
        return view, baseline

    async def _quiet(
        self, started: datetime, the_plan: Plan, fetched: Mapping[str, Fetched],
        recovered: Recovered, deadline: float,
    ) -> CycleResult:  # fmt: skip
        """A cycle that found nothing to do records nothing: no cycle row (issue 8 — a steady
        cycle writes 0 ledger rows). Its result still reaches the log, the metrics and the
        daemon's status; the ledger's cycle history is of cycles that changed something."""
        await self._registries(None, deadline)
        result = self._result(started, the_plan, fetched, Tally(), recovered, None)
        log.info("cycle.finished", outcome=result.outcome.value, recorded=False, **result.counts)
        if self.metrics is not None:
            await self._metrics(result, None)
        return result

    async def _registries(self, cycle_id: int | None, deadline: float) -> None:
        if self.group.registries:  # DESIGN.md §4.12: same cycle, after the certificates
            await poll_in_cycle(
                self.ledger, self.name, self.connectors.values(), now=self.clock(),
                cycle_id=cycle_id, metrics=self.metrics, listing_seconds=_left(deadline),
                run_db=self.db,
            )  # fmt: skip

    async def _execute(
        self, the_plan: Plan, stored: persist.Stored, book: Book, recovered: Recovered,
        deadline: float, now: datetime,
    ) -> Tally:  # fmt: skip
        items = []
        for action, intent_id in zip(the_plan.actions, stored.intent_ids, strict=True):
            cert_id = stored.resolve(action.cert)
            items.append(Item(intent_id, cert_id, replace(action, cert=cert_id)))
        executor = Executor(
            group=self.name, cycle_id=stored.cycle_id, db=self.db, connectors=self.connectors,
            concurrency={n: s.max_concurrency for n, s in self.stores.items()}, book=book,
            now=now, deadline=deadline, metrics=self.metrics, unresolved=recovered.unresolved,
            on_ambiguous=OnAmbiguous(self.group.on_ambiguous),
        )  # fmt: skip
        return await executor.run(items)

    def _update_health(self, fetched: Mapping[str, Fetched]) -> None:
        now = self.clock()
        for store, f in fetched.items():
            if f.healthy:
                self.health.mark_up(
                    store, now, complete=f.snapshot is not None and f.snapshot.complete
                )
            else:
                self.health.mark_down(store, now, f.error or "unknown error")

    async def _store_alerts(self, fetched: Mapping[str, Fetched], now: datetime) -> int:
        """One (de-duplicated) alert per failing store: auth refused or unreachable."""
        raised = 0
        for store, f in fetched.items():
            if f.healthy:
                continue
            kind = AlertKind.AUTH if f.auth_failed else AlertKind.STORE_DOWN
            alert = NewAlert(kind=kind.value, group=self.name, store=store, key=store,
                             message=f.error or f"{store} failed")  # fmt: skip
            await self.db(persist.raise_alert, self.ledger, alert, now)
            raised += 1
        return raised

    def _result(
        self, started: datetime, the_plan: Plan, fetched: Mapping[str, Fetched], tally: Tally,
        recovered: Recovered, cycle_id: int | None, *, dry_run: bool = False,
    ) -> CycleResult:  # fmt: skip
        late = any(f.error and "timed out" in f.error for f in fetched.values())
        outcome = report.outcome_of(the_plan, fetched, tally, dry_run=dry_run, late=late)
        counts = report.counts_of(the_plan, tally, recovered)
        requests = self.stats.feed(self.connectors, self.metrics)
        stores = report.store_outcomes(fetched, tally, requests)
        return CycleResult(
            group=self.name, outcome=outcome, started_at=started, finished_at=self.clock(),
            cycle_id=cycle_id, stores=stores, counts=counts, alerts_raised=counts["alerts"],
            summary=report.summary_of(outcome, counts, stores), plan=the_plan,
        )  # fmt: skip

    async def _finish(self, result: CycleResult, book: Book) -> None:
        assert result.cycle_id is not None
        await self.db(
            persist.finish_cycle, self.ledger, result.cycle_id, result.finished_at,
            report.ledger_outcome(result.outcome), dict(result.counts), result.summary,
        )  # fmt: skip
        log.info("cycle.finished", outcome=result.outcome.value, **result.counts)
        if self.metrics is not None:
            await self._metrics(result, book)

    async def _metrics(self, result: CycleResult, book: Book | None) -> None:
        assert self.metrics is not None
        m = self.metrics
        m.cycles.labels(group=self.name, outcome=result.outcome.value).inc()
        m.cycle_duration.labels(group=self.name).observe(result.duration)
        if book is not None:  # a quiet cycle moved no money: the gauges stand
            liability = await self.db(self.ledger.liability)
            report.money_gauges(m, liability, book.balances, book.currencies)
        alerts = await self.db(self.ledger.open_alerts)
        report.alert_gauges(m, (a.kind for a in alerts))


async def _sieve_of(
    prepared: asyncio.Future[tuple[LedgerView, Baseline]], store: str
) -> Sieve | None:
    """``store``'s quiet test once the baseline is built; None (set nothing aside) if loading
    the view failed — the cycle then fails with that error once the listings are done."""
    try:
        _, baseline = await asyncio.shield(prepared)
    except Exception:
        return None
    return baseline.sieve(store)


def _settle_and_plan(
    baseline: Baseline, view: LedgerView, snapshots: Mapping[str, Snapshot],
    aside: Mapping[str, Mapping[str, int]], caps: Mapping[str, Capabilities],
    policy: GroupPolicy, now: datetime, unsettled: frozenset[tuple[int, str]],
) -> Plan:  # fmt: skip
    """Put back the set-aside records of certificates that need planning, then plan."""
    reduced, quiet = settle(baseline, snapshots, aside)
    return plan(view, reduced, caps, policy, now, quiet=quiet, unsettled=unsettled)


def _nothing_to_record(
    the_plan: Plan, fetched: Mapping[str, Fetched], recovered: Recovered
) -> bool:
    """A steady cycle: nothing planned, every store listed, no recovery (issue 8)."""
    healthy = all(f.healthy for f in fetched.values())
    return the_plan.is_empty and healthy and not (recovered.done or recovered.dropped)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


__all__ = ["CycleRunner", "Outcome", "policy_of"]
