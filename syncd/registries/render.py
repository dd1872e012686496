"""Registries as JSON-able data, shared by ``syncd registries --json`` and the side door:
money as strings (exact), times ISO 8601 UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncd.ledger.registries import RegistryDetail, RegistryJournalRecord, RegistrySummary
from syncd.registries.model import RegistryItem


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def summary_json(s: RegistrySummary) -> dict[str, Any]:
    """One registry of a listing as JSON-able data (also the side door's shape)."""
    return {
        "id": s.remote_id,
        "store": s.store,
        "group": s.group,
        "name": s.name,
        "event_at": _iso(s.event_at),
        "expires_at": _iso(s.expires_at),
        "expired": s.expired,
        "removed": s.removed,
        "items": s.items,
        "listed": s.listed,
        "purchased": s.purchased,
        "available": s.available,
        "updated_at": _iso(s.updated_at),
    }


def detail_json(detail: RegistryDetail, *, with_journal: bool, personal: bool) -> dict[str, Any]:
    """One registry as JSON-able data: money as strings (exact), times ISO 8601 UTC. The
    message and address (a shopper's personal data) only with ``personal``."""
    registry = detail.state.registry
    doc: dict[str, Any] = {
        "id": registry.remote_id,
        "store": registry.store,
        "group": detail.state.group,
        "name": registry.name,
        "currency": registry.currency,
        "created_at": _iso(registry.created_at),
        "last_update": _iso(registry.updated_at),
        "event_at": _iso(registry.event_at),
        "expires_at": _iso(registry.expires_at),
        "expired": detail.state.expired_noted,
        "removed": detail.state.removed,
        "ship_to_address": registry.ship_to_address,
        "first_seen_at": _iso(detail.first_seen_at),
        "items": [_item_json(item) for item in registry.items],
    }
    if personal:
        doc["message"] = registry.message
        doc["address"] = registry.address.as_dict()
    if with_journal:
        doc["journal"] = [_journal_json(row) for row in detail.journal]
    return doc


def _item_json(item: RegistryItem) -> dict[str, Any]:
    return {
        "catalog_id": item.catalog_id,
        "sku": item.sku,
        "name": item.name,
        "price": str(item.price),
        "listed": item.listed,
        "sold": item.sold,
        "sold_offline": item.sold_offline,
        "available": item.available,
    }


def _journal_json(row: RegistryJournalRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "store": row.store,
        "catalog_id": row.catalog_id,
        "field": row.field,
        "old": row.old,
        "new": row.new,
        "quantity": row.quantity,
        "reason": row.reason,
        "cycle_id": row.cycle_id,
        "observed_at": _iso(row.observed_at),
        "recorded_at": _iso(row.recorded_at),
    }
