"""3dcart / Shift4Shop gift registries (seed 002): read-only, behind
:class:`syncd.registries.source.RegistrySource`.

Listing: ``countonly`` first, then ``GiftRegistries`` pages (``limit``, 1-based ``offset``)
one after the other; the offset advances by the registries actually received, so a page
cut short is re-read from where it stopped, never skipped. The listing is complete on the
platform's end answer (404 / "Offset amount exceeds…") with the count reached, or when the
count is reached by a short page (two signals that agree). A store that shrank or repeats
a page ends it incomplete.

Items: each listed registry carries ``Items`` (how many) and ``GiftRegistryItemList``. The
inline list is used when it holds exactly ``Items`` entries; otherwise the registry's items
are paged from ``GiftRegistries/{id}/Items`` to its end answer. A registry whose items
cannot all be read is skipped with a problem (the listing is then incomplete), so a partial
item list never reads as "item removed".

Dates are ``MM/DD/YYYY HH:MM`` in store-local time without a zone: taken as UTC, like the
certificates' (PLATFORMS.md marks the zone a guess).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from syncd.errors import AuthError, BadPayload, ConnectorError, UnsafeOperation
from syncd.model import ListingEnd, RecordProblem
from syncd.platforms import _wire
from syncd.platforms.core import WireCore
from syncd.platforms.shift4shop_listing import count_of, is_offset_exceeded
from syncd.registries.model import (
    NO_ADDRESS,
    RegistryAddress,
    RegistryItem,
    RegistryListingItem,
    RegistryListingPage,
    RemoteRegistry,
)
from syncd.registries.source import READ_ONLY, RegistryCapabilities

MAX_PAGE_SIZE = 300  # as for certificates: undocumented upstream, what the sandbox serves
DEFAULT_PAGE_SIZE = 100  # registries carry their items inline: keep pages moderate
MAX_ITEM_PAGES = 1000  # a registry paging forever is a broken store, not a big registry
_DATE_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")
_ADDRESS_KEYS = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "address1": "Address1",
    "address2": "Address2",
    "city": "City",
    "state": "State",
    "zip_code": "ZipCode",
    "country": "Country",
    "company": "Company",
    "phone": "PhoneNumber",
}


class Shift4ShopRegistries:
    """The registries of one 3dcart store, read through its connector's wire core (``root``:
    the API root, ``currency``: the store's one currency)."""

    def __init__(
        self, core: WireCore, *, root: str, currency: str, page_size: int | None = None
    ) -> None:
        self._core = core
        self._currency = currency
        self._size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        self._root = root + "/GiftRegistries"

    def __repr__(self) -> str:
        return f"Shift4ShopRegistries(store={self.store!r})"

    @property
    def store(self) -> str:
        return self._core.store

    @property
    def registry_capabilities(self) -> RegistryCapabilities:
        return READ_ONLY  # seed 002 documents no write endpoint

    # -- listing ------------------------------------------------------------------------

    async def list_registries(self) -> AsyncIterator[RegistryListingItem]:
        """Every registry with every item (see the module docstring); raises only AuthError."""
        start = self._core.http.stats.requests
        pages = 0

        def end(complete: bool, reason: str | None = None) -> ListingEnd:
            requests = self._core.http.stats.requests - start
            return ListingEnd(complete, None if complete else reason, pages, requests)

        try:
            count = await self._count()
        except AuthError:
            raise
        except ConnectorError as err:
            yield end(False, f"count failed: {err}")
            return
        offset, previous_first = 1, None
        while True:
            try:
                records = await self._fetch_page(offset)
            except AuthError:
                raise
            except ConnectorError as err:
                yield end(False, str(err))
                return
            if records is None:  # the platform's end answer
                shrank = count is not None and offset <= count
                yield end(not shrank, "store shrank while listed" if shrank else None)
                return
            first = _registry_key(records[0], "") if records else None
            if first is not None and first == previous_first:
                yield end(False, f"registry page at offset {offset} repeats the previous page")
                return  # a store ignoring `offset` would otherwise never end
            previous_first = first
            pages += 1
            yield await self._parse_page(records, offset)
            offset += len(records)
            counted = count is not None and offset > count
            if not records:  # not the documented end answer: trust it only with the count
                yield end(counted, "empty page instead of the end answer")
                return
            if counted and len(records) < self._size:
                yield end(True)
                return

    async def _count(self) -> int | None:
        response = await self._core.http.request(
            "GET", self._root, idempotent=True, params={"countonly": "1"}
        )
        if response.status == 404:
            return 0
        if response.status in (401, 403, 429) or response.status >= 500:
            raise self._core.error(response, "count gift registries")
        if response.status != 200:
            return None  # the store will not count: page to the end answer
        try:
            return count_of(response.json())
        except ValueError:
            return None

    async def _fetch_page(self, offset: int) -> list[Any] | None:
        params = {"offset": str(offset), "limit": str(self._size)}
        return await self._get_list(self._root, params, f"list gift registries at offset {offset}")

    async def _get_list(self, url: str, params: dict[str, str], what: str) -> list[Any] | None:
        """One page: its records, or None for the end answer (404 / offset exceeds)."""
        response = await self._core.http.request("GET", url, idempotent=True, params=params)
        if response.status == 404 or is_offset_exceeded(response):
            return None
        if response.status != 200:
            raise self._core.error(response, what)
        body = _wire.parse_json(self.store, response, what)
        if not isinstance(body, list):
            raise BadPayload(self.store, f"{what}: expected an array, got {type(body).__name__}")
        return body

    async def _parse_page(self, records: list[Any], offset: int) -> RegistryListingPage:
        """Every registry of the page, items fetched concurrently where not inline."""
        keys = [_registry_key(raw, f"offset {offset + i}") for i, raw in enumerate(records)]
        outcomes = await asyncio.gather(
            *(self._registry(raw) for raw in records), return_exceptions=True
        )
        parsed: list[RemoteRegistry] = []
        problems: list[RecordProblem] = []
        for key, outcome in zip(keys, outcomes, strict=True):
            if isinstance(outcome, AuthError):
                raise outcome
            if isinstance(outcome, RemoteRegistry):
                parsed.append(outcome)
            elif isinstance(outcome, ConnectorError | ValueError | TypeError | AttributeError):
                problems.append(RecordProblem(self.store, key, _reason(outcome, self.store)))
            else:
                raise outcome  # a bug or a cancellation: not a record problem
        return RegistryListingPage(tuple(parsed), tuple(problems))

    async def _registry(self, raw: Any) -> RemoteRegistry:
        if not isinstance(raw, dict):
            raise ValueError(f"a registry must be an object, got {type(raw).__name__}")
        remote_id = _id_str(raw.get("GiftRegistryID"), "GiftRegistryID")
        inline = raw.get("GiftRegistryItemList")
        expected = raw.get("Items")
        expected = (
            expected if isinstance(expected, int) and not isinstance(expected, bool) else None
        )
        if isinstance(inline, list) and expected is not None and len(inline) == expected:
            items = inline
        else:
            items = await self._items(remote_id, expected)
        return self._parse(raw, remote_id, items)

    async def _items(self, remote_id: str, expected: int | None) -> list[Any]:
        """Every item of one registry from ``/{id}/Items``, paged to its end answer."""
        url = f"{self._url(remote_id)}/Items"
        collected: list[Any] = []
        previous_first: str | None = None
        for _ in range(MAX_ITEM_PAGES):
            params = {"offset": str(len(collected) + 1), "limit": str(self._size)}
            what = f"list items of registry {remote_id} at offset {len(collected) + 1}"
            page = await self._get_list(url, params, what)
            if not page:
                return collected
            first = _item_key(page[0])
            if first is not None and first == previous_first:
                raise BadPayload(self.store, f"{what}: the page repeats the previous one")
            previous_first = first
            collected.extend(page)
            if expected is not None and len(collected) >= expected and len(page) < self._size:
                return collected  # the count is reached and the store ran out: agreed
        raise BadPayload(self.store, f"registry {remote_id}: more than {MAX_ITEM_PAGES} item pages")

    # -- one registry -------------------------------------------------------------------

    async def get_registry(self, remote_id: str) -> RemoteRegistry | None:
        what = f"get gift registry {remote_id!r}"
        response = await self._core.http.request("GET", self._url(remote_id), idempotent=True)
        if response.status == 404:
            return None
        if response.status != 200:
            raise self._core.error(response, what)
        body = _wire.parse_json(self.store, response, what)
        if isinstance(body, list):  # 3dcart v2 wraps the one record in an array
            body = body[0] if len(body) == 1 else None
        try:
            return await self._registry(body)
        except (ValueError, TypeError, AttributeError) as err:
            raise BadPayload(self.store, f"{what}: {err}") from err

    def _url(self, remote_id: str) -> str:
        if not remote_id.strip():
            raise UnsafeOperation(f"{self.store}: empty registry id {remote_id!r}")
        return f"{self._root}/{quote(remote_id, safe='')}"

    # -- parsing ------------------------------------------------------------------------

    def _parse(self, raw: dict[str, Any], remote_id: str, items: list[Any]) -> RemoteRegistry:
        parsed = [self._item(item, remote_id) for item in items]
        ids = [item.catalog_id for item in parsed]
        if len(set(ids)) != len(ids):
            raise ValueError(f"registry {remote_id} lists a CatalogID twice")
        return RemoteRegistry(
            store=self.store,
            remote_id=remote_id,
            name=_wire.optional_str(raw, "Name"),
            currency=self._currency,
            created_at=parse_date(raw.get("Created"), "Created"),
            updated_at=parse_date(raw.get("LastUpdate"), "LastUpdate"),
            expires_at=parse_date(raw.get("Expires"), "Expires"),
            event_at=parse_date(raw.get("Event"), "Event"),
            message=_wire.optional_str(raw, "Message"),
            ship_to_address=_flag(raw.get("ShipToAddress")),
            address=_address(raw.get("CustomerAddressBook")),
            items=tuple(parsed),
            raw=raw,
        )

    def _item(self, raw: Any, remote_id: str) -> RegistryItem:
        if not isinstance(raw, dict):
            raise ValueError(f"registry {remote_id}: an item must be an object, got {raw!r}")
        return RegistryItem(
            catalog_id=_id_str(raw.get("CatalogID"), "CatalogID"),
            sku=_wire.optional_str(raw, "SKU"),
            name=_wire.optional_str(raw, "ItemName"),
            listed=_count(raw.get("Listed"), "Listed"),
            price=self._core.money.parse(raw.get("Price", 0), self._currency),
            sold=_count(raw.get("Sold"), "Sold"),
            sold_offline=_count(raw.get("SoldOffline"), "SoldOffline"),
        )


def parse_date(raw: object, name: str) -> datetime | None:
    """A 3dcart registry date (``MM/DD/YYYY HH:MM``; ISO 8601 accepted) as UTC; None if empty."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError(f"{name} is not a date: {raw!r}")
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        return _wire.utc_from_iso(text)
    except ValueError:
        raise ValueError(f"{name} is not a date (MM/DD/YYYY HH:MM): {raw!r}") from None


def _id_str(raw: object, name: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    raise ValueError(f"{name} missing or not an id: {raw!r}")


def _count(raw: object, name: str) -> int:
    """A quantity: absent means 0; a negative or fractional one is refused."""
    if raw is None:
        return 0
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    raise ValueError(f"{name} is not a quantity: {raw!r}")


def _flag(raw: object) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "yes")
    return bool(raw)


def _address(raw: object) -> RegistryAddress:
    if not isinstance(raw, dict):
        return NO_ADDRESS
    values = {name: _wire.optional_str(raw, key) for name, key in _ADDRESS_KEYS.items()}
    return RegistryAddress(**values) if any(values.values()) else NO_ADDRESS


def _registry_key(raw: Any, fallback: str) -> str:
    value = raw.get("GiftRegistryID") if isinstance(raw, dict) else None
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else fallback


def _item_key(raw: Any) -> str | None:
    value = raw.get("CatalogID") if isinstance(raw, dict) else None
    return None if value is None else str(value)


def _reason(err: BaseException, store: str) -> str:
    text = str(err)
    prefix = f"{store}: "  # ConnectorError messages start with the store; the problem has it
    return text[len(prefix) :] if text.startswith(prefix) else text
