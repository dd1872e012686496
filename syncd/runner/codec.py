"""Plan actions ⇄ intent rows (the outbox, DESIGN.md §5).

An intent's payload holds everything needed to send or re-check the write after a crash, as
JSON strings (money as decimal strings, never floats). ``payload["target"]`` is the balance a
SetBalance really writes once the pre-write re-read moved it (see :mod:`syncd.runner.execute`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from syncd.ledger import IntentAction, IntentRecord, NewIntent
from syncd.model import NewCertificate, People, Status
from syncd.reconcile import Action, Create, Delete, SetBalance, SetStatus

_ACTION_NAMES: dict[str, IntentAction] = {
    "create": IntentAction.CREATE,
    "set_balance": IntentAction.UPDATE,
    "set_status": IntentAction.SET_STATUS,
    "delete": IntentAction.DELETE,
}


def intent_of(
    action: Action, group: str, cert_id: int, cycle_id: int | None, target: Decimal | None = None
) -> NewIntent:
    """The outbox row for ``action`` on certificate ``cert_id``."""
    payload = _payload(action)
    if target is not None:
        payload["target"] = target
    return NewIntent(
        group=group,
        store=action.store,
        certificate_id=cert_id,
        action=_ACTION_NAMES[action.kind].value,
        payload=payload,
        cycle_id=cycle_id,
    )


def _payload(action: Action) -> dict[str, Any]:
    if isinstance(action, Create):
        return {"new": action.new}
    if isinstance(action, SetBalance):
        return {
            "remote_id": action.remote_id,
            "expected": action.expected,
            "balance": action.balance,
            "zero": action.zero,
        }
    if isinstance(action, SetStatus):
        return {"remote_id": action.remote_id, "expected": action.expected, "status": action.status}
    return {"remote_id": action.remote_id, "expected": action.expected}


def action_of(intent: IntentRecord) -> Action:
    """The plan action an intent row stands for (its ``cert`` is the ledger id)."""
    p, store, cert = intent.payload, intent.store, intent.certificate_id
    kind = IntentAction(intent.action)
    if kind is IntentAction.CREATE:
        return Create(store, cert, _new_certificate(p["new"]))
    if kind is IntentAction.UPDATE:
        return SetBalance(
            store, cert, p["remote_id"], Decimal(p["expected"]), Decimal(p["balance"]),
            bool(p.get("zero", False)),
        )  # fmt: skip
    if kind is IntentAction.SET_STATUS:
        return SetStatus(store, cert, p["remote_id"], Status(p["expected"]), Status(p["status"]))
    return Delete(store, cert, p["remote_id"], Decimal(p["expected"]))


def target_of(intent: IntentRecord) -> Decimal | None:
    """The balance a SetBalance intent was (re)targeted to, if the re-read moved it."""
    raw = intent.payload.get("target")
    return None if raw is None else Decimal(raw)


def _new_certificate(p: Mapping[str, Any]) -> NewCertificate:
    people = p.get("people") or {}
    expires = p.get("expires_at")
    return NewCertificate(
        code=p["code"],
        currency=p["currency"],
        amount=Decimal(p["amount"]),
        balance=Decimal(p["balance"]),
        status=Status(p["status"]),
        people=People(**people),
        message=p.get("message"),
        expires_at=None if expires is None else datetime.fromisoformat(expires),
    )
