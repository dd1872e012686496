"""A cycle's outcome, counts, summary line and metrics (pure bookkeeping, no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from syncd.ledger import CycleOutcome
from syncd.metrics import Metrics
from syncd.platforms.base import Connector
from syncd.reconcile import Plan
from syncd.runner.execute import Tally
from syncd.runner.fetch import Fetched
from syncd.runner.recover import Recovered
from syncd.runner.result import Outcome, StoreOutcome

_LEDGER_OUTCOME = {Outcome.DEADLINE: CycleOutcome.INTERRUPTED}


def ledger_outcome(outcome: Outcome) -> str:
    mapped = _LEDGER_OUTCOME.get(outcome)
    return (CycleOutcome(outcome.value) if mapped is None else mapped).value


def outcome_of(
    plan: Plan, fetched: Mapping[str, Fetched], tally: Tally, *, dry_run: bool, late: bool
) -> Outcome:
    """Worst first: deadline, a failed store, held, alerts; else converged (or dry run)."""
    if late or tally.left:
        return Outcome.DEADLINE
    if any(not f.healthy for f in fetched.values()) or tally.store_errors:
        return Outcome.STORE_FAILED
    if plan.held:
        return Outcome.HELD
    if dry_run:
        return Outcome.DRY_RUN
    if plan.alerts or tally.alerts:
        return Outcome.ALERTS
    return Outcome.CONVERGED


def counts_of(plan: Plan, tally: Tally, recovered: Recovered) -> dict[str, int]:
    kinds = Counter(j.kind.value for j in plan.journal)
    return {
        "issued": kinds["issue"],
        "redeemed": kinds["redeem"],
        "reloaded": kinds["reload"],
        "overdrafts": kinds["overdraft"],
        "status_changes": kinds["status"],
        "deleted": kinds["delete"],
        "journal_rows": len(plan.journal),
        "actions": len(plan.actions),
        "deferred": plan.deferred,
        "writes": sum(tally.writes.values()),
        "write_failures": sum(tally.failures.values()),
        "dropped": sum(tally.dropped.values()),
        "reread_corrections": sum(tally.corrections.values()),
        "left_by_deadline": tally.left,
        "alerts": len(plan.alerts) + tally.alerts,
        "recovered_done": recovered.done,
        "recovered_dropped": recovered.dropped,
    }


def store_outcomes(
    fetched: Mapping[str, Fetched], tally: Tally, requests: Mapping[str, int]
) -> tuple[StoreOutcome, ...]:
    out = []
    for store, f in fetched.items():
        snap = f.snapshot
        error = tally.store_errors.get(store) or f.error
        out.append(
            StoreOutcome(
                store=store,
                listed=f.listed,
                complete=snap is not None and snap.complete,
                healthy=f.healthy and store not in tally.store_errors,
                reason=error or (None if snap is None else snap.reason),
                requests=requests.get(store, 0),
                writes=tally.writes[store],
                write_failures=tally.failures[store],
            )
        )
    return tuple(out)


def summary_of(outcome: Outcome, counts: Mapping[str, int], stores: Iterable[StoreOutcome]) -> str:
    bad = [f"{s.store}: {s.reason}" for s in stores if not s.healthy]
    text = (
        f"{outcome.value}: {counts['issued']} issued, {counts['redeemed']} redeemed, "
        f"{counts['writes']} written, {counts['write_failures']} failed, "
        f"{counts['alerts']} alert(s)"
    )
    if counts["deferred"]:
        text += f", {counts['deferred']} write(s) deferred to the next cycle"
    return text + ("; " + "; ".join(bad) if bad else "")


@dataclass
class StatsFeed:
    """Turns the connectors' cumulative HTTP stats into metric increments."""

    seen: dict[str, Counter[str]] = field(default_factory=dict)
    waited: dict[str, float] = field(default_factory=dict)

    def feed(self, connectors: Mapping[str, Connector], metrics: Metrics | None) -> dict[str, int]:
        """Requests per store since the last call (and the metrics bumped by as much)."""
        sent: dict[str, int] = {}
        for store, conn in connectors.items():
            stats = getattr(conn, "stats", None)
            if stats is None:
                continue
            now = Counter(stats.by_status)
            delta = now - self.seen.get(store, Counter())
            self.seen[store] = now
            sent[store] = sum(delta.values())
            wait = stats.rate_limit_wait_s - self.waited.get(store, 0.0)
            self.waited[store] = stats.rate_limit_wait_s
            if metrics is not None:
                for status, n in delta.items():
                    metrics.requests.labels(store=store, status=status).inc(n)
                if wait > 0:
                    metrics.rate_limit_wait.labels(store=store).inc(wait)
        return sent


def money_gauges(
    metrics: Metrics,
    liability: Mapping[str, Decimal],
    balances: Mapping[int, Decimal],
    currencies: Mapping[int, str],
) -> None:
    for currency, total in liability.items():
        metrics.liability.labels(currency=currency).set(float(total))
    overdraft: dict[str, Decimal] = {}
    for cert_id, balance in balances.items():
        currency = currencies[cert_id]
        overdraft.setdefault(currency, Decimal(0))
        if balance < 0:
            overdraft[currency] += balance
    for currency, total in overdraft.items():
        metrics.overdraft_amount.labels(currency=currency).set(float(total))


def alert_gauges(metrics: Metrics, open_kinds: Iterable[str]) -> None:
    counts = Counter(open_kinds)
    for kind in {*counts, *_known_kinds()}:
        metrics.alerts_open.labels(kind=kind).set(counts.get(kind, 0))


def _known_kinds() -> list[str]:
    from syncd.ledger import AlertKind

    return [k.value for k in AlertKind]
