"""``GiftRegistries`` of the 3dcart sandbox (seed 002), plus sandbox-only admin routes.

The platform API is read-only: list (date, catalog id and SKU filters, ``limit``/
``offset``/``countonly``), by id, ``/{id}/Items``; 404 when none. Registries are made and
changed through ``/_sandbox/registries…`` (or the in-process functions below), the way a
shopper's activity would change them on a live store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from syncd.money import MoneyError, parse_money
from syncd.sandbox.shift4shop_wire import (
    WireError,
    flag_param,
    json_body,
    json_response,
    page_bounds,
    paged_list,
    query,
)

REGISTRIES = "/3dCartWebAPI/v2/GiftRegistries"
NONE_FOUND = "No Gift Registry record(s) found."
_DATE_OUT = "%m/%d/%Y %H:%M"  # seed 002: "03/06/2019 14:36"
_DATE_IN = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")  # filters: mm/dd/yyyy hh:mm:ss
_ADDRESS_FIELDS = (
    "FirstName", "LastName", "Address1", "Address2", "City", "State", "ZipCode", "Country",
    "Company", "PhoneNumber",
)  # fmt: skip


@dataclass(slots=True)
class RegistryItem:
    catalog_id: int
    sku: str
    name: str
    listed: int
    price: Decimal
    sold: int = 0
    sold_offline: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "CatalogID": self.catalog_id,
            "SKU": self.sku,
            "ItemName": self.name,
            "Listed": self.listed,
            "Price": self.price,
            "Subtotal": self.price * self.listed,
            "Sold": self.sold,
            "SoldOffline": self.sold_offline,
        }


@dataclass(slots=True)
class Registry:
    id: int
    name: str
    created: datetime
    last_update: datetime
    expires: datetime | None = None
    event: datetime | None = None
    message: str = ""
    ship_to_address: bool = False
    address: dict[str, Any] = field(default_factory=dict)
    items: dict[int, RegistryItem] = field(default_factory=dict)  # by CatalogID

    def to_json(self) -> dict[str, Any]:
        return {
            "CustomerAddressBook": {"CustomerAddressId": self.id, **self.address},
            "GiftRegistryID": self.id,
            "Name": self.name,
            "Created": _fmt(self.created),
            "LastUpdate": _fmt(self.last_update),
            "Expires": _fmt(self.expires),
            "Event": _fmt(self.event),
            "Message": self.message,
            "ShipToAddress": self.ship_to_address,
            # Units bought so far, on the site or recorded offline.
            "Sold": sum(i.sold + i.sold_offline for i in self.items.values()),
            "Items": len(self.items),
            "GiftRegistryItemList": [i.to_json() for i in self.items.values()],
        }


def _fmt(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime(_DATE_OUT)


class RegistryBook:
    """Every registry of one store, by id (insertion order = id order)."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.registries: dict[int, Registry] = {}
        self._next_id = 1

    def get(self, registry_id: int) -> Registry:
        try:
            return self.registries[registry_id]
        except KeyError:
            raise KeyError(f"no gift registry with id {registry_id}") from None

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


BOOK_KEY = web.AppKey("shift4shop_registries", RegistryBook)


# --- parsing (shared by the admin routes and the in-process functions) -----------------


def parse_date(raw: object, name: str) -> datetime:
    """A 3dcart date (``mm/dd/yyyy hh:mm[:ss]`` or ``mm/dd/yyyy``) or ISO 8601, as UTC."""
    if isinstance(raw, str):
        for fmt in _DATE_IN:
            try:
                return datetime.strptime(raw.strip(), fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"{name} is not a date (mm/dd/yyyy hh:mm:ss): {raw!r}")


def _int(raw: object, name: str, minimum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return raw


def _str(raw: object, name: str) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{name} must be a string, got {raw!r}")
    return raw


def _apply_fields(registry: Registry, fields: Mapping[str, Any]) -> None:
    setters: dict[str, Callable[[Any], None]] = {
        "Name": lambda v: setattr(registry, "name", _str(v, "Name")),
        "Message": lambda v: setattr(registry, "message", _str(v, "Message")),
        "ShipToAddress": lambda v: setattr(registry, "ship_to_address", bool(v)),
        "Created": lambda v: setattr(registry, "created", parse_date(v, "Created")),
        "Event": lambda v: setattr(registry, "event", parse_date(v, "Event")),
        "Expires": lambda v: setattr(registry, "expires", parse_date(v, "Expires")),
        "CustomerAddressBook": lambda v: setattr(registry, "address", _address(v)),
    }
    unknown = sorted(set(fields) - set(setters) - {"Items"})
    if unknown:
        raise ValueError(f"unknown registry field(s): {', '.join(unknown)}")
    for key, value in fields.items():
        if key in setters:
            setters[key](value)


def _address(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"CustomerAddressBook must be an object, got {raw!r}")
    return {name: str(raw.get(name, "")) for name in _ADDRESS_FIELDS}


def _item(fields: Mapping[str, Any]) -> RegistryItem:
    try:
        price = parse_money(fields.get("Price"), "USD")
    except MoneyError as err:
        raise ValueError(f"Price is not an amount: {fields.get('Price')!r}") from err
    return RegistryItem(
        catalog_id=_int(fields.get("CatalogID"), "CatalogID", 1),
        sku=_str(fields.get("SKU", ""), "SKU"),
        name=_str(fields.get("ItemName", ""), "ItemName"),
        listed=_int(fields.get("Listed", 1), "Listed", 0),
        price=price,
    )


# --- in-process equivalents of the admin routes (for tests) -------------------------------


def add_registry(app: web.Application, fields: Mapping[str, Any]) -> Registry:
    """Create a registry (3dcart field names; ``Items`` may list items). ValueError names
    a bad field."""
    book = app[BOOK_KEY]
    now = book.now()
    registry = Registry(id=0, name="", created=now, last_update=now, address=_address({}))
    _apply_fields(registry, fields)
    items = [_item(i) for i in fields.get("Items", [])]
    registry.id = book.new_id()
    registry.items = {i.catalog_id: i for i in items}
    book.registries[registry.id] = registry
    return registry


def modify_registry(app: web.Application, registry_id: int, fields: Mapping[str, Any]) -> Registry:
    registry = app[BOOK_KEY].get(registry_id)
    if "Items" in fields:
        raise ValueError("items are added with add_registry_item, not modified here")
    _apply_fields(registry, fields)
    registry.last_update = app[BOOK_KEY].now()
    return registry


def add_registry_item(
    app: web.Application, registry_id: int, fields: Mapping[str, Any]
) -> RegistryItem:
    registry = app[BOOK_KEY].get(registry_id)
    item = _item(fields)
    if item.catalog_id in registry.items:
        raise ValueError(f"registry {registry_id} already lists CatalogID {item.catalog_id}")
    registry.items[item.catalog_id] = item
    registry.last_update = app[BOOK_KEY].now()
    return item


def sell_registry_item(
    app: web.Application, registry_id: int, catalog_id: int, quantity: int, offline: bool = False
) -> RegistryItem:
    """Record a sale: ``Sold`` (or ``SoldOffline``) of the item grows by ``quantity``."""
    registry = app[BOOK_KEY].get(registry_id)
    item = registry.items.get(catalog_id)
    if item is None:
        raise KeyError(f"registry {registry_id} has no item with CatalogID {catalog_id}")
    quantity = _int(quantity, "quantity", 1)
    if offline:
        item.sold_offline += quantity
    else:
        item.sold += quantity
    registry.last_update = app[BOOK_KEY].now()
    return item


# --- the platform API -------------------------------------------------------------------


_DATE_FILTERS = (
    ("datestartcreated", "dateendcreated", "created"),
    ("datestartevent", "dateendevent", "event"),
    ("datestartexpiration", "dateendexpiration", "expires"),
)


def _filter_param(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        return parse_date(raw, name)
    except ValueError as err:
        raise WireError(400, name, raw, str(err)) from None


def _matcher(params: Mapping[str, str]) -> Callable[[Registry], bool]:
    ranges = [
        (attr, _filter_param(params, start), _filter_param(params, end))
        for start, end, attr in _DATE_FILTERS
    ]
    catalog_id, sku = params.get("catalogid", ""), params.get("sku", "").lower()

    def matches(r: Registry) -> bool:
        for attr, low, high in ranges:
            moment = getattr(r, attr)
            if (low or high) and (
                moment is None or (low and moment < low) or (high and moment > high)
            ):
                return False
        items = r.items.values()
        return (not catalog_id or any(str(i.catalog_id) == catalog_id for i in items)) and (
            not sku or any(i.sku.lower() == sku for i in items)
        )

    return matches


async def list_registries(request: web.Request) -> web.Response:
    params = query(request)
    matches = _matcher(params)
    selected = [r for r in request.app[BOOK_KEY].registries.values() if matches(r)]
    if flag_param(params, "countonly"):
        return json_response({"TotalCount": len(selected)})
    start, limit = page_bounds(params, 10, 300)
    page = [r.to_json() for r in selected[start : start + limit]]
    return paged_list(page, start, len(selected), NONE_FOUND)


def _registry_of(request: web.Request) -> Registry:
    raw = request.match_info["id"]
    try:
        return request.app[BOOK_KEY].get(int(raw))
    except ValueError:
        raise WireError(400, "giftregistryid", raw, f"not a registry id: {raw!r}") from None
    except KeyError:
        raise WireError(404, "giftregistryid", raw, NONE_FOUND) from None


async def get_registry(request: web.Request) -> web.Response:
    return json_response([_registry_of(request).to_json()])


async def list_items(request: web.Request) -> web.Response:
    items = list(_registry_of(request).items.values())
    start, limit = page_bounds(query(request), 10, 300)
    page = [i.to_json() for i in items[start : start + limit]]
    return paged_list(page, start, len(items), NONE_FOUND + " or the Gift Registry has no items.")


# --- sandbox-only admin routes ------------------------------------------------------------


def _admin(action: Callable[[web.Request, Any], Any], status: int = 200) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            body = await json_body(request)
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            return json_response(action(request, body).to_json(), status)
        except WireError as err:
            return json_response({"error": err.message}, err.status)
        except KeyError as err:
            return json_response({"error": str(err.args[0])}, 404)
        except ValueError as err:
            return json_response({"error": str(err)}, 400)

    return handler


def _path_int(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise KeyError(f"not an id: {raw!r}")
    return int(raw)


def _sell(request: web.Request, body: dict[str, Any]) -> RegistryItem:
    return sell_registry_item(
        request.app,
        _path_int(request, "id"),
        _path_int(request, "catalog_id"),
        body.get("quantity", 1),
        offline=bool(body.get("offline", False)),
    )


def install(
    app: web.Application, now: Callable[[], datetime], wire: Callable[[Handler], Handler]
) -> None:
    """Registry state, the platform routes and the admin routes."""
    app[BOOK_KEY] = RegistryBook(now)
    app.router.add_get(REGISTRIES, wire(list_registries), name="registries")
    app.router.add_get(REGISTRIES + "/{id}", wire(get_registry))
    app.router.add_get(REGISTRIES + "/{id}/Items", wire(list_items))
    admin = "/_sandbox/registries"
    app.router.add_post(admin, _admin(lambda r, b: add_registry(r.app, b), 201))
    app.router.add_patch(
        admin + "/{id}", _admin(lambda r, b: modify_registry(r.app, _path_int(r, "id"), b))
    )
    app.router.add_post(
        admin + "/{id}/items",
        _admin(lambda r, b: add_registry_item(r.app, _path_int(r, "id"), b), 201),
    )
    app.router.add_post(admin + "/{id}/items/{catalog_id}/sell", _admin(_sell))


__all__ = [
    "add_registry",
    "add_registry_item",
    "modify_registry",
    "sell_registry_item",
]
