"""The neutral gift-registry model (DESIGN.md §4.12): plain, frozen data.

A registry source (:mod:`syncd.registries.source`) translates a platform's registries into
these types; the pure diff (:mod:`syncd.registries.diff`) compares them with what the ledger
remembers; the ledger stores them. Money is ``Decimal`` quantised to the store's currency;
datetimes are timezone-aware UTC. Listings reuse :class:`syncd.model.ListingEnd` and
:class:`syncd.model.RecordProblem`, so a registry listing ends exactly like a certificate one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from syncd.model import ListingEnd, RecordProblem
from syncd.platforms.base import drain


@dataclass(frozen=True, slots=True)
class RegistryAddress:
    """Where gifts ship (3dcart ``CustomerAddressBook``). Any field may be unknown."""

    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None
    company: str | None = None
    phone: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


ADDRESS_FIELDS = tuple(RegistryAddress.__dataclass_fields__)
NO_ADDRESS = RegistryAddress()


@dataclass(frozen=True, slots=True)
class RegistryItem:
    """One product listed on a registry; ``catalog_id`` identifies it within the registry."""

    catalog_id: str
    sku: str | None
    name: str | None
    listed: int  # how many the registrant asked for
    price: Decimal
    sold: int = 0  # bought on the site
    sold_offline: int = 0  # recorded by the merchant as bought elsewhere

    @property
    def purchased(self) -> int:
        return self.sold + self.sold_offline

    @property
    def available(self) -> int:
        """Units still wanted (never negative: shoppers may buy more than listed)."""
        return max(self.listed - self.purchased, 0)

    @property
    def fully_purchased(self) -> bool:
        return self.listed > 0 and self.purchased >= self.listed


@dataclass(frozen=True, slots=True)
class RemoteRegistry:
    """One registry as one store holds it, with all its items, normalised."""

    store: str
    remote_id: str
    name: str | None
    currency: str
    created_at: datetime | None = None
    updated_at: datetime | None = None  # the platform's LastUpdate
    expires_at: datetime | None = None
    event_at: datetime | None = None
    message: str | None = None
    ship_to_address: bool = False
    address: RegistryAddress = NO_ADDRESS
    items: tuple[RegistryItem, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def items_by_id(self) -> dict[str, RegistryItem]:
        return {item.catalog_id: item for item in self.items}

    @property
    def fully_purchased(self) -> bool:
        """Every listed item bought (a registry without items is not "fully purchased")."""
        wanted = [item for item in self.items if item.listed > 0]
        return bool(wanted) and all(item.fully_purchased for item in wanted)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class LedgerRegistry:
    """A registry as the ledger remembers it: the merge base of the diff."""

    id: int | None  # the ledger's id; None for a registry first seen in this diff
    group: str
    registry: RemoteRegistry  # as last seen (items included)
    expired_noted: bool = False  # its expiry was journalled (reset when Expires moves out)
    removed: bool = False  # missing from a complete listing (kept, as history)


@dataclass(frozen=True, slots=True)
class RegistryListingPage:
    """One page of a registry listing: the registries understood (each with every item)
    and the ones skipped."""

    records: tuple[RemoteRegistry, ...]
    problems: tuple[RecordProblem, ...] = ()


RegistryListingItem = RegistryListingPage | ListingEnd


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """Everything one registry poll of one store returned. ``complete`` is False when any
    page or registry was skipped, cut short or failed: then nothing counts as removed."""

    store: str
    registries: tuple[RemoteRegistry, ...]
    complete: bool
    reason: str | None = None
    problems: tuple[RecordProblem, ...] = ()


async def collect_registries(
    store: str, listing: AsyncIterator[RegistryListingItem]
) -> RegistrySnapshot:
    """Drain a registry listing into one snapshot (a registry listed twice makes it
    incomplete: the listing shifted while it was read)."""
    done = await drain(
        store,
        listing,
        twice="registry listed twice",
        skipped=lambda n: f"{n} registr{'y' if n == 1 else 'ies'} skipped",
    )
    return RegistrySnapshot(store, done.records, done.complete, done.reason, done.problems)
