"""The status document (``/v1/status``, ``syncd status --json``) and its human table.

Built either by the running daemon (with live store health and next runs) or straight from
the ledger when no daemon answers. Holds names, times, outcomes and counts — never a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from syncd.config import Settings, format_duration
from syncd.ledger import AlertRecord, CycleRecord, Ledger
from syncd.runner.result import CycleResult

Json = dict[str, Any]


class StoreHealthLike(Protocol):
    """What the daemon reads of the Syncer's per-store health."""

    @property
    def up(self) -> bool: ...
    @property
    def since(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def last_success(self) -> datetime | None: ...


@dataclass(frozen=True)
class LiveState:
    """What only a running daemon knows, for :func:`status_document`."""

    started_at: datetime
    results: Mapping[str, CycleResult] = field(default_factory=dict)
    running: frozenset[str] = frozenset()
    next_runs: Mapping[str, datetime | None] = field(default_factory=dict)
    health: Mapping[str, StoreHealthLike] = field(default_factory=dict)
    finished: Mapping[str, int] = field(default_factory=dict)  # cycles per group since start


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def cycle_json(cycle: CycleResult | CycleRecord | None) -> Json | None:
    if cycle is None:
        return None
    finished = cycle.finished_at
    duration = (finished - cycle.started_at).total_seconds() if finished else None
    cycle_id = cycle.cycle_id if isinstance(cycle, CycleResult) else cycle.id
    return {
        "id": cycle_id,
        # A cycle that found nothing to do is not recorded in the ledger (no id).
        "recorded": cycle_id is not None,
        "outcome": str(cycle.outcome) if cycle.outcome is not None else None,
        "started_at": _iso(cycle.started_at),
        "finished_at": _iso(finished),
        "duration_seconds": duration,
        "summary": cycle.summary or "",
        "counts": dict(cycle.counts),
    }


def alert_json(alert: AlertRecord) -> Json:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "group": alert.group,
        "store": alert.store,
        "message": alert.message,
        "count": alert.count,
        "first_seen": _iso(alert.first_seen),
        "last_seen": _iso(alert.last_seen),
    }


def status_document(
    settings: Settings,
    last_cycles: Mapping[str, CycleResult | CycleRecord | None],
    alerts: Sequence[AlertRecord],
    live: LiveState | None,
) -> Json:
    """The whole status: groups, stores, open alerts. ``live`` is None when read from the
    ledger alone (then store health and next runs are unknown)."""
    groups = [_group_json(settings, name, last_cycles.get(name), live) for name in _names(settings)]
    return {
        "source": "daemon" if live else "ledger",
        "started_at": _iso(live.started_at) if live else None,
        "groups": groups,
        "stores": [_store_json(settings, s.name, live) for s in settings.stores],
        "alerts": [alert_json(a) for a in alerts],
    }


def _names(settings: Settings) -> list[str]:
    return [group.name for group in settings.groups]


def _group_json(
    settings: Settings, name: str, cycle: CycleResult | CycleRecord | None, live: LiveState | None
) -> Json:
    group = settings.group(name)
    return {
        "name": name,
        "stores": list(group.stores),
        "interval_seconds": group.interval.total_seconds(),
        "running": bool(live and name in live.running),
        "next_run": _iso(live.next_runs.get(name)) if live else None,
        "cycles_since_start": live.finished.get(name, 0) if live else None,
        "last_cycle": cycle_json(cycle),
    }


def _store_json(settings: Settings, name: str, live: LiveState | None) -> Json:
    store = settings.store(name)
    groups = [g.name for g in settings.groups if name in g.stores]
    health = live.health.get(name) if live else None
    return {
        "name": name,
        "platform": store.platform,
        "group": groups[0] if groups else None,
        "up": health.up if health is not None else None,
        "since": _iso(health.since) if health is not None else None,
        "last_error": health.last_error if health is not None else None,
        "last_success": _iso(health.last_success) if health is not None else None,
    }


def ledger_status(settings: Settings, ledger: Ledger) -> Json:
    """The status from the ledger alone (no daemon answering)."""
    cycles: dict[str, CycleRecord | None] = {}
    for name in _names(settings):
        found = ledger.last_cycles(name, limit=1)
        cycles[name] = found[0] if found else None
    return status_document(settings, cycles, ledger.open_alerts(), None)


# -- the human table -------------------------------------------------------------------------


def render_table(doc: Json, where: str) -> str:
    """``syncd status`` output: one table each for groups, stores and open alerts."""
    lines = [f"syncd status ({where})"]
    if doc.get("started_at"):
        lines[0] += f", daemon up since {_short(doc['started_at'])}"
    lines += [
        "",
        *_table(
            ["GROUP", "INTERVAL", "LAST CYCLE", "OUTCOME", "TOOK", "NEXT RUN"],
            [_group_row(g) for g in doc["groups"]],
        ),
    ]
    for group in doc["groups"]:
        summary = (group.get("last_cycle") or {}).get("summary")
        if summary:
            lines.append(f"  {group['name']}: {summary}")
    lines += [
        "",
        *_table(
            ["STORE", "PLATFORM", "GROUP", "STATE", "SINCE", "LAST ERROR"],
            [_store_row(s) for s in doc["stores"]],
        ),
    ]
    alerts = doc["alerts"]
    lines += ["", f"open alerts: {len(alerts)}"]
    if alerts:
        lines += _table(
            ["ID", "KIND", "GROUP", "STORE", "COUNT", "LAST SEEN", "MESSAGE"],
            [_alert_row(a) for a in alerts],
        )
    return "\n".join(lines)


def _group_row(group: Json) -> list[str]:
    cycle = group.get("last_cycle") or {}
    took = cycle.get("duration_seconds")
    outcome = cycle.get("outcome") or "-"
    if group.get("running"):
        outcome += " (running now)"
    return [
        group["name"],
        format_duration_seconds(group["interval_seconds"]),
        _short(cycle.get("finished_at") or cycle.get("started_at")),
        outcome,
        f"{took:.1f}s" if took is not None else "-",
        _short(group.get("next_run")),
    ]


def _store_row(store: Json) -> list[str]:
    state = "-" if store["up"] is None else ("up" if store["up"] else "DOWN")
    return [
        store["name"],
        store["platform"],
        store["group"] or "(none)",
        state,
        _short(store.get("since")),
        store.get("last_error") or "",
    ]


def _alert_row(alert: Json) -> list[str]:
    return [
        str(alert["id"]),
        alert["kind"],
        alert["group"],
        alert["store"] or "-",
        str(alert["count"]),
        _short(alert["last_seen"]),
        alert["message"],
    ]


def format_duration_seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=seconds))


def _short(iso: str | None) -> str:
    """``2026-11-23T09:40:12.345+00:00`` → ``2026-11-23 09:40:12Z``."""
    if not iso:
        return "-"
    return iso[:19].replace("T", " ") + "Z"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        out.append("  ".join(cells).rstrip())
    return out
