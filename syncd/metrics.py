"""Prometheus metrics: one registry for the process, served at ``/metrics`` by the side door.

Labels are store/group names, statuses and currencies only — never codes or secrets.
Tests and the demo may build their own :class:`Metrics` on a fresh registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_CYCLE_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics:
    """Every metric syncd exports, on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.cycles = Counter(
            "syncd_cycles", "Cycles run, by outcome", ["group", "outcome"], registry=r
        )
        self.cycle_duration = Histogram(
            "syncd_cycle_duration_seconds",
            "Wall time of one cycle",
            ["group"],
            buckets=_CYCLE_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "syncd_http_requests", "HTTP requests sent, by answer", ["store", "status"], registry=r
        )
        self.rate_limit_wait = Counter(
            "syncd_rate_limit_wait_seconds",
            "Time spent waiting for a platform's rate limit",
            ["store"],
            registry=r,
        )
        self.writes = Counter(
            "syncd_writes",
            "Remote writes, by action and result",
            ["store", "action", "result"],
            registry=r,
        )
        self.reread_corrections = Counter(
            "syncd_reread_corrections",
            "Balance writes whose pre-write re-read found a change since the listing",
            ["store"],
            registry=r,
        )
        self.alerts_open = Gauge("syncd_alerts_open", "Open alerts, by kind", ["kind"], registry=r)
        self.overdraft_amount = Gauge(
            "syncd_overdraft_amount", "Sum of negative ledger balances", ["currency"], registry=r
        )
        self.liability = Gauge(
            "syncd_ledger_liability",
            "Outstanding certificate balances the ledger holds",
            ["currency"],
            registry=r,
        )
        self.last_success = Gauge(
            "syncd_store_last_success_timestamp_seconds",
            "Unix time of the last complete listing of the store",
            ["store"],
            registry=r,
        )
        self.store_up = Gauge(
            "syncd_store_up", "1 when the last poll of the store succeeded", ["store"], registry=r
        )
        # Gift registries (DESIGN.md §4.12), from the ledger after each registry poll.
        self.registries = Gauge(
            "syncd_registries", "Gift registries the ledger holds", ["store"], registry=r
        )
        self.registry_items = Gauge(
            "syncd_registry_items", "Items listed on gift registries", ["store"], registry=r
        )
        self.registry_items_available = Gauge(
            "syncd_registry_items_available",
            "Registry items with units still wanted (not fully purchased)",
            ["store"],
            registry=r,
        )
        self.registry_changes = Counter(
            "syncd_registry_changes",
            "Registry journal rows, by kind (created, item_sold, expired, ...)",
            ["store", "kind"],
            registry=r,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
