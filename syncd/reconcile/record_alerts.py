"""Alerts about one listed record (set aside, or skipped by identity): the record named with
its code masked, and a key that is the same every cycle and fits its column."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from syncd.limits import COLUMN_LENGTH, shown_code, shown_id
from syncd.model import Snapshot
from syncd.reconcile.plan import Alert, AlertKind, CertRef


def record_alert(
    kind: AlertKind, store: str, record_key: str, why: str, *, code: str | None = None
) -> Alert:
    """The alert ``store: record … skipped: why`` about the record ``record_key`` (its id).
    ``code``: its plain code, if known: shown masked (with the id when that differs), and
    never in the key (which ``syncd alerts`` lists): a code as id becomes a digest there."""
    if code is None:
        shown = shown_id(record_key)
    elif code == record_key:
        shown = shown_code(code)
    else:
        shown = f"{shown_code(code)} (id {shown_id(record_key)})"
    key = record_key_of(kind, store, record_key, hidden=code == record_key)
    return Alert(kind, store, None, key, f"{store}: record {shown} skipped: {why}")


def store_alert(store: str, topic: str, why: str) -> Alert:
    """The ``malformed_record`` alert ``store: why`` about something the store's records
    share (a date format, a status value, a key to configure), the same key every cycle."""
    kind = AlertKind.MALFORMED_RECORD
    key = record_key_of(kind, store, f"store:{topic}", hidden=False)
    return Alert(kind, store, None, key, f"{store}: {why}")


def record_key_of(kind: AlertKind, store: str, record_key: str, *, hidden: bool) -> str:
    """``kind:store:record``, with a digest in place of the record when it is hidden or the
    key would not fit its column."""
    key = f"{kind}:{store}:{record_key}"
    if hidden or len(key) > COLUMN_LENGTH:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        key = f"{kind}:{store[:100]}:#{digest}"
    return key


def once_each(alerts: Iterable[Alert]) -> list[Alert]:
    """``alerts`` without repeats of one ledger alert (kind, store, certificate, key): the
    first one stands, as the ledger would count the others again in the same cycle."""
    seen: set[tuple[AlertKind, str | None, CertRef | None, str]] = set()
    out = []
    for alert in alerts:
        mark = (alert.kind, alert.store, alert.cert, alert.key)
        if mark not in seen:
            seen.add(mark)
            out.append(alert)
    return out


def problem_alerts(snapshots: Mapping[str, Snapshot]) -> list[Alert]:
    """One ``malformed_record`` alert per store and record set aside, whatever the number of
    problems it had (their reasons joined); one per store and topic for the problems whose
    cause is the store's (:attr:`RecordProblem.topic`) and for the listing's notes."""
    alerts = []
    for store in sorted(snapshots):
        reasons: dict[tuple[str, bool], list[str]] = {}
        topics: dict[str, tuple[str, int]] = {}
        for p in snapshots[store].problems:
            if p.topic is not None:
                reason, count = topics.get(p.topic, (p.reason, 0))
                topics[p.topic] = (reason, count + 1)
                continue
            seen = reasons.setdefault((p.record_key, p.is_code), [])
            if p.reason not in seen:
                seen.append(p.reason)
        for (key, is_code), why in reasons.items():
            kind = AlertKind.MALFORMED_RECORD
            code = key if is_code else None
            alerts.append(record_alert(kind, store, key, "; ".join(why), code=code))
        for topic, (reason, count) in topics.items():
            alerts.append(store_alert(store, topic, f"{count} record(s) set aside: {reason}"))
        alerts.extend(store_alert(store, n.topic, n.message) for n in snapshots[store].notes)
    return alerts
