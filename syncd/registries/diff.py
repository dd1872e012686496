"""The registry diff (DESIGN.md §4.12): pure — ledger state + one store's listing + the
clock → journal rows and the ledger's next state. No database, no HTTP, no clock of its own.

Rules:

* a registry unknown to the ledger is ``created`` (also ``expired`` / ``fully_purchased``
  when it already is); its sales so far are the baseline, not journalled as sold;
* each registry field that changed is one ``changed`` row (field, old, new);
* per item: ``item_added``, ``item_changed`` (one row per field), ``item_sold`` when
  ``Sold`` or ``SoldOffline`` grew (``quantity`` = units, the reason splits online /
  offline), a count that fell is an ``item_changed`` row, ``item_fully_purchased`` when the
  item's purchases reach what was listed; ``fully_purchased`` when the whole registry does;
* ``expired`` once when ``Expires`` passes (noted in the ledger; moving ``Expires`` into the
  future re-arms it);
* removals — ``item_removed``, and ``removed`` for a registry missing from the listing —
  only from a **complete** listing. From an incomplete one a missing item or registry is
  kept as it was: a failed or truncated listing never reads as "removed";
* a registry seen again after ``removed`` is ``reappeared`` and diffed as usual.

Given the same inputs the output is the same, in the same order (registries and items by
id), so a dry run shows exactly what a live run would record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from syncd.registries.model import (
    LedgerRegistry,
    RegistryAddress,
    RegistryItem,
    RegistrySnapshot,
    RemoteRegistry,
)


class RegistryChangeKind(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    ITEM_ADDED = "item_added"
    ITEM_REMOVED = "item_removed"
    ITEM_CHANGED = "item_changed"
    ITEM_SOLD = "item_sold"
    ITEM_FULLY_PURCHASED = "item_fully_purchased"
    FULLY_PURCHASED = "fully_purchased"
    EXPIRED = "expired"
    REMOVED = "removed"
    REAPPEARED = "reappeared"


K = RegistryChangeKind
# Registry fields journalled when they change (LastUpdate moves with every sale: not one).
REGISTRY_FIELDS = (
    "name",
    "created_at",
    "event_at",
    "expires_at",
    "message",
    "ship_to_address",
    "address",
)
ITEM_FIELDS = ("sku", "name", "listed", "price")


@dataclass(frozen=True, slots=True)
class RegistryChange:
    """One journal row about one registry (and maybe one of its items)."""

    kind: RegistryChangeKind
    store: str
    remote_id: str
    observed_at: datetime
    catalog_id: str | None = None
    field: str | None = None
    old: str | None = None
    new: str | None = None
    quantity: int | None = None  # units sold (item_sold), listed (item_added)
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryDiff:
    """What one registry poll of one store means for the ledger."""

    group: str
    store: str
    complete: bool  # the listing was complete (removals were possible)
    changes: tuple[RegistryChange, ...]
    states: tuple[LedgerRegistry, ...]  # next ledger state of every registry that moved

    def counts(self) -> Counter[str]:
        return Counter(change.kind.value for change in self.changes)


def diff_registries(
    group: str,
    ledger: Mapping[str, LedgerRegistry],
    snapshot: RegistrySnapshot,
    now: datetime,
) -> RegistryDiff:
    """Compare one store's registry listing with the ledger's registries of that store
    (keyed by remote id, removed ones included) at ``now``."""
    changes: list[RegistryChange] = []
    states: list[LedgerRegistry] = []
    seen = {registry.remote_id: registry for registry in snapshot.registries}
    for remote_id in _ordered(seen):
        state, rows = _one(group, ledger.get(remote_id), seen[remote_id], snapshot.complete, now)
        changes.extend(rows)
        if state is not None:
            states.append(state)
    if snapshot.complete:
        for remote_id in _ordered(set(ledger) - set(seen)):
            old = ledger[remote_id]
            if not old.removed:
                changes.append(_row(K.REMOVED, old.registry, now, reason="not listed any more"))
                states.append(replace(old, removed=True))
    return RegistryDiff(group, snapshot.store, snapshot.complete, tuple(changes), tuple(states))


def _ordered(ids: Iterable[str]) -> list[str]:
    """Numeric ids in numeric order, then the rest (3dcart ids are integers)."""
    return sorted(ids, key=lambda i: (not i.isdigit(), len(i) if i.isdigit() else 0, i))


def _one(
    group: str,
    old: LedgerRegistry | None,
    new: RemoteRegistry,
    complete: bool,
    now: datetime,
) -> tuple[LedgerRegistry | None, list[RegistryChange]]:
    """The next state of one listed registry (None: unchanged) and its journal rows."""
    if old is None:
        return _created(group, new, now)
    rows: list[RegistryChange] = []
    if old.removed:
        rows.append(_row(K.REAPPEARED, new, now, reason="listed again"))
    rows += _field_changes(old.registry, new, now)
    items, item_rows = _item_changes(old.registry, new, complete, now)
    rows += item_rows
    merged = replace(new, items=items, raw={})
    if merged.fully_purchased and not old.registry.fully_purchased:
        rows.append(_row(K.FULLY_PURCHASED, merged, now, reason="every listed item bought"))
    expired = merged.expired(now)
    if expired and not old.expired_noted:
        rows.append(_expired(merged, now))
    state = LedgerRegistry(old.id, old.group, merged, expired_noted=expired, removed=False)
    moved = bool(rows) or state != old  # LastUpdate alone moves the stored state too
    return (state if moved else None), rows


def _created(
    group: str, new: RemoteRegistry, now: datetime
) -> tuple[LedgerRegistry, list[RegistryChange]]:
    registry = replace(new, items=_sorted_items(new.items), raw={})
    count = len(registry.items)
    reason = f"{count} item{'' if count == 1 else 's'}"
    rows = [_row(K.CREATED, registry, now, new=registry.name, reason=reason)]
    if registry.fully_purchased:
        rows.append(_row(K.FULLY_PURCHASED, registry, now, reason="every listed item bought"))
    expired = registry.expired(now)
    if expired:
        rows.append(_expired(registry, now))
    return LedgerRegistry(None, group, registry, expired_noted=expired), rows


def _expired(registry: RemoteRegistry, now: datetime) -> RegistryChange:
    return _row(K.EXPIRED, registry, now, new=text(registry.expires_at), reason="Expires passed")


def _field_changes(old: RemoteRegistry, new: RemoteRegistry, now: datetime) -> list[RegistryChange]:
    rows = []
    for name in REGISTRY_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            rows.append(_row(K.CHANGED, new, now, field=name, old=text(before), new=text(after)))
    return rows


def _item_changes(
    old: RemoteRegistry, new: RemoteRegistry, complete: bool, now: datetime
) -> tuple[tuple[RegistryItem, ...], list[RegistryChange]]:
    """The registry's next items and the rows about them."""
    before, after = old.items_by_id, new.items_by_id
    rows: list[RegistryChange] = []
    items = dict(after)
    for catalog_id in _ordered(set(before) | set(after)):
        was, now_item = before.get(catalog_id), after.get(catalog_id)
        if now_item is None:
            assert was is not None
            if complete:
                rows.append(_item_row(K.ITEM_REMOVED, new, was, now, reason=_summary(was)))
            else:
                items[catalog_id] = was  # an incomplete listing proves no removal
        elif was is None:
            rows += _item_added(new, now_item, now)
        else:
            rows += _item_moved(new, was, now_item, now)
    return _sorted_items(items.values()), rows


def _item_added(
    registry: RemoteRegistry, item: RegistryItem, now: datetime
) -> list[RegistryChange]:
    rows = [
        _item_row(K.ITEM_ADDED, registry, item, now, quantity=item.listed, reason=_summary(item))
    ]
    empty = replace(item, sold=0, sold_offline=0)
    return rows + _sales(registry, empty, item, now)


def _item_moved(
    registry: RemoteRegistry, was: RegistryItem, item: RegistryItem, now: datetime
) -> list[RegistryChange]:
    rows = []
    for name in ITEM_FIELDS:
        before, after = getattr(was, name), getattr(item, name)
        if before != after:
            rows.append(
                _item_row(
                    K.ITEM_CHANGED,
                    registry,
                    item,
                    now,
                    field=name,
                    old=text(before),
                    new=text(after),
                )
            )
    return rows + _sales(registry, was, item, now)


def _sales(
    registry: RemoteRegistry, was: RegistryItem, item: RegistryItem, now: datetime
) -> list[RegistryChange]:
    """``item_sold`` for counts that grew, ``item_changed`` for counts that fell."""
    online, offline = item.sold - was.sold, item.sold_offline - was.sold_offline
    rows = []
    for name, delta, before, after in (
        ("sold", online, was.sold, item.sold),
        ("sold_offline", offline, was.sold_offline, item.sold_offline),
    ):
        if delta < 0:
            reason = f"{-delta} sale(s) reversed"
            rows.append(
                _item_row(K.ITEM_CHANGED, registry, item, now, field=name, old=str(before),
                          new=str(after), reason=reason)
            )  # fmt: skip
    grew = max(online, 0) + max(offline, 0)
    if grew:
        reason = (
            f"{max(online, 0)} online, {max(offline, 0)} offline; {item.available} still wanted"
        )
        rows.append(
            _item_row(K.ITEM_SOLD, registry, item, now, old=str(was.purchased),
                      new=str(item.purchased), quantity=grew, reason=reason)
        )  # fmt: skip
    if item.fully_purchased and not was.fully_purchased:
        done = f"{item.purchased} of {item.listed} bought"
        rows.append(_item_row(K.ITEM_FULLY_PURCHASED, registry, item, now, reason=done))
    return rows


def _sorted_items(items: Iterable[RegistryItem]) -> tuple[RegistryItem, ...]:
    by_id = {item.catalog_id: item for item in items}
    return tuple(by_id[i] for i in _ordered(by_id))


def _row(
    kind: RegistryChangeKind,
    registry: RemoteRegistry,
    now: datetime,
    *,
    catalog_id: str | None = None,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    quantity: int | None = None,
    reason: str | None = None,
) -> RegistryChange:
    return RegistryChange(
        kind, registry.store, registry.remote_id, now, catalog_id, field, old, new, quantity, reason
    )


def _item_row(
    kind: RegistryChangeKind,
    registry: RemoteRegistry,
    item: RegistryItem,
    now: datetime,
    *,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    quantity: int | None = None,
    reason: str | None = None,
) -> RegistryChange:
    return _row(
        kind, registry, now, catalog_id=item.catalog_id, field=field, old=old, new=new,
        quantity=quantity, reason=reason,
    )  # fmt: skip


def _summary(item: RegistryItem) -> str:
    label = " ".join(part for part in (item.sku, item.name) if part) or "item"
    return f"{label}: {item.purchased} of {item.listed} bought at {item.price}"


def text(value: object) -> str | None:
    """A field value as journal text: ISO times, yes/no, one-line addresses."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, RegistryAddress):
        parts = [value.first_name, value.last_name, value.company, value.address1]
        parts += [value.address2, value.city, value.state, value.zip_code, value.country]
        parts.append(value.phone)
        return ", ".join(part for part in parts if part) or None
    return str(value)
