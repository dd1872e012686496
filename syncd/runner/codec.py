"""Plan actions ⇄ intent rows (the outbox, DESIGN.md §5).

An intent's payload holds everything needed to send or re-check the write after a crash, as
JSON strings (money as decimal strings, never floats). Once the pre-write re-read moved a
SetBalance (see :mod:`syncd.runner.execute`), ``payload["target"]`` is the balance it really
writes and ``payload["base"]`` the balance the store showed then; without them the write is
the planned ``balance`` over the listed ``expected``. Both settle a write whose outcome is
unknown (:mod:`syncd.reconcile.settle`).

A balance write to a store that re-creates (``Capabilities.balance_write``) also carries
``payload["recreate"]`` once under way: ``step`` (``delete``: the old certificate is being
deleted; ``create``: it is gone and the new one is being created) and ``new``, the
certificate to create. Recovery completes the intent from either step.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
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
    action: Action, group: str, cert_id: int, cycle_id: int | None, target: Decimal | None = None,
    base: Decimal | None = None,
) -> NewIntent:  # fmt: skip
    """The outbox row for ``action`` on certificate ``cert_id`` (``target``/``base``: a
    SetBalance retargeted by the pre-write re-read)."""
    payload = _payload(action)
    if target is not None:
        payload["target"] = target
    if base is not None:
        payload["base"] = base
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
        payload: dict[str, Any] = {
            "remote_id": action.remote_id,
            "expected": action.expected,
            "balance": action.balance,
            "zero": action.zero,
        }
        if action.status is not None:
            payload["status"] = action.status
        return payload
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
        status = p.get("status")
        return SetBalance(
            store, cert, p["remote_id"], Decimal(p["expected"]), Decimal(p["balance"]),
            bool(p.get("zero", False)), status=None if status is None else Status(status),
        )  # fmt: skip
    if kind is IntentAction.SET_STATUS:
        return SetStatus(store, cert, p["remote_id"], Status(p["expected"]), Status(p["status"]))
    return Delete(store, cert, p["remote_id"], Decimal(p["expected"]))


def target_of(intent: IntentRecord) -> Decimal | None:
    """The balance a SetBalance intent was (re)targeted to, if the re-read moved it."""
    raw = intent.payload.get("target")
    return None if raw is None else Decimal(raw)


def base_of(intent: IntentRecord) -> Decimal | None:
    """The store's balance a SetBalance intent's write was computed on (None: not one)."""
    if IntentAction(intent.action) is not IntentAction.UPDATE:
        return None
    raw = intent.payload.get("base", intent.payload["expected"])
    return Decimal(raw)


class Step(StrEnum):
    """Where a two-step balance write (delete, then create under the same code) stands."""

    DELETE = "delete"  # the old certificate is being deleted
    CREATE = "create"  # the old one is gone; the new one is being created


def step_payload(step: Step, new: NewCertificate) -> dict[str, Any]:
    """The payload keys recording that a two-step write reached ``step``."""
    return {"recreate": {"step": step.value, "new": new}}


def step_of(intent: IntentRecord) -> tuple[Step, NewCertificate] | None:
    """The step a two-step balance write reached and the certificate it creates (None: not
    a two-step write, or not yet under way)."""
    raw = intent.payload.get("recreate")
    if raw is None:
        return None
    return Step(raw["step"]), _new_certificate(raw["new"])


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
