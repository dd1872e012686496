"""A plan for people (``--dry-run`` table lines) and for machines (JSON-able dicts)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.reconcile.plan import Action, CertificateDraft, JournalEntry, Plan


def _plain(value: Any) -> Any:
    """Decimals as strings (exact), datetimes ISO 8601, enums by value, new keys as "new#N"."""
    from syncd.reconcile.plan import NewKey

    if isinstance(value, NewKey):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list | frozenset):
        return [_plain(v) for v in value]
    return value


def to_json(plan: Plan) -> dict[str, Any]:
    out: dict[str, Any] = _plain(plan)
    out["actions"] = [{"action": a.kind, **_plain(a)} for a in plan.actions]
    out["held"] = plan.held
    return out


def _action_line(action: Action) -> str:
    from syncd.reconcile.plan import Create, Delete, SetBalance, SetStatus

    head = f"{action.kind:<11} {action.store:<16} {action.cert!s:<8}"
    if isinstance(action, Create):
        new = action.new
        return f"{head} code={new.code} balance={new.balance} {new.currency} status={new.status}"
    if isinstance(action, SetBalance):
        why = " (status shown as 0)" if action.zero else ""
        return f"{head} id={action.remote_id} balance {action.expected} → {action.balance}{why}"
    if isinstance(action, SetStatus):
        return f"{head} id={action.remote_id} status {action.expected} → {action.status}"
    assert isinstance(action, Delete)
    return f"{head} id={action.remote_id}"


def _draft_line(d: CertificateDraft) -> str:
    head = f"{'new':<11} {d.origin_store:<16} {d.key!s:<8}"
    return (
        f"{head} code={d.code or d.masked_code} balance={d.balance} {d.currency} status={d.status}"
    )


def _journal_line(j: JournalEntry) -> str:
    head = f"{'journal':<11} {j.store or '-':<16} {j.cert!s:<8}"
    return f"{head} {j.kind} {j.amount:+} → {j.balance_after} {j.currency}: {j.reason}"


def describe(plan: Plan) -> list[str]:
    """One line per thing the plan would record, write or raise, in plan order."""
    if plan.is_empty:
        return ["nothing to do"]
    lines = [f"HELD: {h.message}" for h in plan.hold]
    lines.extend(_draft_line(d) for d in plan.new_certificates)
    lines.extend(
        f"{'ledger':<11} {'':<16} {u.cert_id!s:<8} balance={u.balance} status={u.status}"
        for u in plan.certificate_updates
    )
    lines.extend(_journal_line(j) for j in plan.journal)
    lines.extend(_action_line(a) for a in plan.actions)
    if plan.deferred:
        lines.append(
            f"deferred: {plan.deferred} action(s) beyond max_writes wait for the next cycle"
        )
    lines.extend(f"{'alert':<11} {a.store or '-':<16} {a.kind}: {a.message}" for a in plan.alerts)
    return lines
