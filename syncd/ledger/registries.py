"""The ledger's gift registries (DESIGN.md §4.12): load the diff's merge base, record a
:class:`~syncd.registries.diff.RegistryDiff` in one transaction, and the reads behind
``syncd registries …``, ``/v1/registries`` and the registry metrics.

Registries are keyed by (store, remote id): a registry lives on exactly one store and is
never mirrored. ``registry_journal`` is append-only, like the certificate journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, delete, func, select, update

from syncd.ledger import tables
from syncd.ledger.ledger import Ledger
from syncd.ledger.records import LedgerError
from syncd.ledger.tx import LedgerTx
from syncd.money import quantize
from syncd.registries.diff import RegistryChange, RegistryDiff
from syncd.registries.model import (
    ADDRESS_FIELDS,
    NO_ADDRESS,
    LedgerRegistry,
    RegistryAddress,
    RegistryItem,
    RemoteRegistry,
)

_R, _I, _J = tables.registries, tables.registry_items, tables.registry_journal


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrySummary:
    """One registry in a listing: identity, dates and item totals."""

    id: int
    group: str
    store: str
    remote_id: str
    name: str | None
    event_at: datetime | None
    expires_at: datetime | None
    expired: bool
    removed: bool
    items: int  # item lines
    listed: int  # units asked for
    purchased: int  # units bought (online + offline)
    available: int  # units still wanted
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryJournalRecord:
    id: int
    registry_id: int
    kind: str
    store: str
    catalog_id: str | None
    field: str | None
    old: str | None
    new: str | None
    quantity: int | None
    reason: str | None
    cycle_id: int | None
    observed_at: datetime
    recorded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryDetail:
    """Everything the ledger knows of one registry."""

    id: int
    state: LedgerRegistry
    first_seen_at: datetime
    updated_at: datetime
    journal: tuple[RegistryJournalRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class StoreRegistryStats:
    """Per store, registries not removed: the registry metrics."""

    registries: int = 0
    items: int = 0
    items_available: int = 0  # item lines with units still wanted


class RegistryLedger:
    """Registry reads and writes on an open :class:`~syncd.ledger.Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    # -- the diff's merge base and its recording ---------------------------------------------

    def load(self, store: str) -> dict[str, LedgerRegistry]:
        """Every registry of ``store`` the ledger knows, removed ones included, by remote id."""
        with self.ledger._reading() as conn:
            rows = conn.execute(select(_R).where(_R.c.store == store)).all()
            items = _items_of(conn, [row.id for row in rows])
        return {row.remote_id: _state(row, items.get(row.id, ())) for row in rows}

    def apply(self, diff: RegistryDiff, *, cycle_id: int | None = None) -> int:
        """Record ``diff`` in one transaction: registries, items, journal. Returns the number
        of journal rows written."""
        with self.ledger.transaction() as tx:
            now = tx._now()
            ids = {s.registry.remote_id: self._write_state(tx, s, now) for s in diff.states}
            rows = [_journal_params(c, ids, cycle_id, now) for c in diff.changes]
            tx._insert_many(_J, rows)
        return len(rows)

    def _write_state(self, tx: LedgerTx, state: LedgerRegistry, now: datetime) -> int:
        values = _registry_params(state)
        values["updated_at"] = now
        if state.id is None:
            values["first_seen_at"] = now
            [registry_id] = tx._insert_many(_R, [values])
        else:
            registry_id = state.id
            tx._conn.execute(update(_R).where(_R.c.id == registry_id).values(values))
        tx._conn.execute(delete(_I).where(_I.c.registry_id == registry_id))
        items = [_item_params(registry_id, item) for item in state.registry.items]
        if items:
            tx._conn.execute(tables.registry_items.insert(), items)
        return registry_id

    # -- reads for the CLI, the side door and the metrics -------------------------------------

    def summaries(
        self, *, group: str | None = None, store: str | None = None
    ) -> list[RegistrySummary]:
        """Every registry (filtered by group / store), by store then id, with item totals."""
        purchased = _I.c.sold + _I.c.sold_offline
        totals = (
            select(
                _I.c.registry_id,
                func.count().label("items"),
                func.sum(_I.c.listed).label("listed"),
                func.sum(purchased).label("purchased"),
                func.sum(case((_I.c.listed > purchased, _I.c.listed - purchased), else_=0)).label(
                    "available"
                ),
            )
            .group_by(_I.c.registry_id)
            .subquery()
        )
        query = select(_R, totals).outerjoin(totals, totals.c.registry_id == _R.c.id)
        if group is not None:
            query = query.where(_R.c.group_name == group)
        if store is not None:
            query = query.where(_R.c.store == store)
        with self.ledger._reading() as conn:
            rows = conn.execute(query.order_by(_R.c.store, _R.c.id)).all()
        return [_summary(row) for row in rows]

    def find(self, remote_id: str, store: str | None = None) -> RegistryDetail | None:
        """One registry by its store's id (``store`` needed when several stores have that id),
        with its journal, oldest first. A LedgerError names the stores when ambiguous."""
        query = select(_R).where(_R.c.remote_id == remote_id)
        if store is not None:
            query = query.where(_R.c.store == store)
        with self.ledger._reading() as conn:
            rows = conn.execute(query.order_by(_R.c.store)).all()
            if len(rows) > 1:
                stores = ", ".join(row.store for row in rows)
                raise LedgerError(f"registry {remote_id!r} exists on several stores ({stores})")
            if not rows:
                return None
            row = rows[0]
            items = _items_of(conn, [row.id]).get(row.id, ())
            journal = conn.execute(select(_J).where(_J.c.registry_id == row.id).order_by(_J.c.id))
            return RegistryDetail(
                id=row.id,
                state=_state(row, items),
                first_seen_at=row.first_seen_at,
                updated_at=row.updated_at,
                journal=tuple(_journal_out(j) for j in journal),
            )

    def stats(self) -> dict[str, StoreRegistryStats]:
        """Registries, items and items still wanted per store (removed registries left out)."""
        wanted = case((_I.c.listed > _I.c.sold + _I.c.sold_offline, 1), else_=0)
        query = (
            select(
                _R.c.store,
                func.count(func.distinct(_R.c.id)).label("registries"),
                func.count(_I.c.catalog_id).label("items"),
                func.coalesce(func.sum(wanted), 0).label("available"),
            )
            .select_from(_R.outerjoin(_I, _I.c.registry_id == _R.c.id))
            .where(_R.c.removed.is_(False))
            .group_by(_R.c.store)
        )
        with self.ledger._reading() as conn:
            rows = conn.execute(query).all()
        return {
            r.store: StoreRegistryStats(int(r.registries), int(r.items), int(r.available))
            for r in rows
        }


# -- rows ⇄ records --------------------------------------------------------------------------


def _registry_params(state: LedgerRegistry) -> dict[str, Any]:
    registry = state.registry
    return {
        "group_name": state.group,
        "store": registry.store,
        "remote_id": registry.remote_id,
        "name": registry.name,
        "currency": registry.currency,
        "remote_created_at": registry.created_at,
        "remote_updated_at": registry.updated_at,
        "expires_at": registry.expires_at,
        "event_at": registry.event_at,
        "message": registry.message,
        "ship_to_address": registry.ship_to_address,
        "address": {k: v for k, v in registry.address.as_dict().items() if v is not None},
        "expired_noted": state.expired_noted,
        "removed": state.removed,
    }


def _item_params(registry_id: int, item: RegistryItem) -> dict[str, Any]:
    return {
        "registry_id": registry_id,
        "catalog_id": item.catalog_id,
        "sku": item.sku,
        "name": item.name,
        "listed": item.listed,
        "price": item.price,
        "sold": item.sold,
        "sold_offline": item.sold_offline,
    }


def _journal_params(
    change: RegistryChange, ids: dict[str, int], cycle_id: int | None, now: datetime
) -> dict[str, Any]:
    try:
        registry_id = ids[change.remote_id]
    except KeyError:
        raise LedgerError(f"change of registry {change.remote_id!r} without its state") from None
    return {
        "registry_id": registry_id,
        "kind": change.kind.value,
        "store": change.store,
        "catalog_id": change.catalog_id,
        "field": change.field,
        "old_value": change.old,
        "new_value": change.new,
        "quantity": change.quantity,
        "reason": change.reason,
        "cycle_id": cycle_id,
        "observed_at": change.observed_at,
        "recorded_at": now,
    }


def _items_of(conn: Connection, registry_ids: Iterable[int]) -> dict[int, list[Any]]:
    wanted = list(registry_ids)
    found: dict[int, list[Any]] = {}
    for start in range(0, len(wanted), 5000):  # well under SQLite's bound-parameter limit
        chunk = wanted[start : start + 5000]
        for row in conn.execute(select(_I).where(_I.c.registry_id.in_(chunk))):
            found.setdefault(row.registry_id, []).append(row)
    return found


def _state(row: Any, items: Iterable[Any]) -> LedgerRegistry:
    parsed = sorted((_item_out(i, row.currency) for i in items), key=_item_order)
    registry = RemoteRegistry(
        store=row.store,
        remote_id=row.remote_id,
        name=row.name,
        currency=row.currency,
        created_at=row.remote_created_at,
        updated_at=row.remote_updated_at,
        expires_at=row.expires_at,
        event_at=row.event_at,
        message=row.message,
        ship_to_address=bool(row.ship_to_address),
        address=_address_out(row.address),
        items=tuple(parsed),
    )
    return LedgerRegistry(
        row.id, row.group_name, registry, bool(row.expired_noted), bool(row.removed)
    )


def _item_order(item: RegistryItem) -> tuple[bool, int, str]:
    digits = item.catalog_id.isdigit()
    return (not digits, len(item.catalog_id) if digits else 0, item.catalog_id)


def _item_out(row: Any, currency: str) -> RegistryItem:
    price: Decimal = quantize(row.price, currency)
    return RegistryItem(
        row.catalog_id, row.sku, row.name, row.listed, price, row.sold, row.sold_offline
    )


def _address_out(raw: Any) -> RegistryAddress:
    if not isinstance(raw, dict) or not raw:
        return NO_ADDRESS
    return RegistryAddress(**{name: raw.get(name) for name in ADDRESS_FIELDS})


def _summary(row: Any) -> RegistrySummary:
    return RegistrySummary(
        id=row.id,
        group=row.group_name,
        store=row.store,
        remote_id=row.remote_id,
        name=row.name,
        event_at=row.event_at,
        expires_at=row.expires_at,
        expired=bool(row.expired_noted),
        removed=bool(row.removed),
        items=int(row.items or 0),
        listed=int(row.listed or 0),
        purchased=int(row.purchased or 0),
        available=int(row.available or 0),
        updated_at=row.updated_at,
    )


def _journal_out(row: Any) -> RegistryJournalRecord:
    return RegistryJournalRecord(
        id=row.id,
        registry_id=row.registry_id,
        kind=row.kind,
        store=row.store,
        catalog_id=row.catalog_id,
        field=row.field,
        old=row.old_value,
        new=row.new_value,
        quantity=row.quantity,
        reason=row.reason,
        cycle_id=row.cycle_id,
        observed_at=row.observed_at,
        recorded_at=row.recorded_at,
    )
