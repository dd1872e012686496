"""The registry side of a connector: a :class:`RegistrySource` reads, and a platform with
writable registries will also be a :class:`RegistryWriter`, behind the same model.

A connector offers registries by declaring ``Capabilities.registries`` and exposing a
``registries`` attribute that implements :class:`RegistrySource`; :func:`registry_source`
finds it. Reading never needs to know whether writing is possible, and the diff speaks in
changes (:mod:`syncd.registries.diff`) that a future writer can be given as they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from syncd.registries.model import RegistryItem, RegistryListingItem, RemoteRegistry


@dataclass(frozen=True, slots=True)
class RegistryCapabilities:
    """What a store can do with registries. 3dcart today: read only."""

    read: bool = True
    create: bool = False
    update: bool = False  # name, dates, message, address, items listed
    record_sales: bool = False  # set Sold / SoldOffline
    delete: bool = False

    @property
    def writable(self) -> bool:
        return self.create or self.update or self.record_sales or self.delete


READ_ONLY = RegistryCapabilities()


@runtime_checkable
class RegistrySource(Protocol):
    """Registries of one store. Methods may raise :class:`syncd.errors.ConnectorError`."""

    @property
    def store(self) -> str: ...

    @property
    def registry_capabilities(self) -> RegistryCapabilities: ...

    def list_registries(self) -> AsyncIterator[RegistryListingItem]:
        """Every registry with every item, page by page; the last item is a
        :class:`syncd.model.ListingEnd`.

        A failure mid-listing does not raise (only an auth failure does): it ends the
        listing with ``complete=False``. A registry whose items could not all be read is
        skipped with a :class:`syncd.model.RecordProblem`, never listed with fewer items.
        """
        ...

    async def get_registry(self, remote_id: str) -> RemoteRegistry | None:
        """One registry with every item, None when the store has no such registry."""
        ...


@runtime_checkable
class RegistryWriter(RegistrySource, Protocol):
    """Writes, for a platform whose API has them (none of today's: 3dcart is read-only).

    Like certificate writes, each sets absolute values (safe to repeat) and returns the
    state read back from the store. Only what ``registry_capabilities`` allows is called.
    """

    async def create_registry(self, registry: RemoteRegistry) -> RemoteRegistry: ...

    async def update_registry(self, registry: RemoteRegistry) -> RemoteRegistry:
        """Make the store's registry ``registry.remote_id`` hold these fields and items."""
        ...

    async def set_item(self, remote_id: str, item: RegistryItem) -> RegistryItem: ...

    async def delete_registry(self, remote_id: str) -> None: ...


def registry_source(connector: object) -> RegistrySource | None:
    """The connector's registry source, or None when its store has no registries."""
    capabilities = getattr(connector, "capabilities", None)
    if capabilities is None or not getattr(capabilities, "registries", False):
        return None
    source = getattr(connector, "registries", None)
    return source if isinstance(source, RegistrySource) else None
