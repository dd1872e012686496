"""The 3dcart listing: a count first, then pages at known offsets fetched concurrently.

See :mod:`syncd.platforms.shift4shop` for the end rules; the offset always advances by the
records actually received, so a short page is re-read from where it stopped. The planned
offsets are produced lazily (a count is only a claim), and the pager's
:class:`~syncd.platforms.pager.PageGuard` ends the listing as incomplete when the count
passes the ceiling, a page repeats an earlier one, or the records go past the count.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from syncd.errors import AuthError, ConnectorError
from syncd.model import ListingPage
from syncd.platforms import _wire
from syncd.platforms.base import ListingItem
from syncd.platforms.http import Response
from syncd.platforms.pager import Pager, keys_of


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int
    records: list[Any] | None = None  # None: the end answer (404 / offset exceeds)


Count = Callable[[], Awaitable[int | None]]  # how many records the store says it holds
FetchPage = Callable[[int, int], Awaitable[Page]]  # (offset, limit)
ParsePage = Callable[[Page], ListingPage]


class Listing:
    """One pass over the store's certificates (see the module docstring)."""

    def __init__(self, pager: Pager, *, count: Count, fetch: FetchPage, parse: ParsePage) -> None:
        self._pager = pager
        self._count = count
        self._fetch = fetch
        self._parse = parse
        self._size = pager.size
        self._planned: Iterator[int] = iter(())
        self._tasks: dict[int, asyncio.Task[Page]] = {}
        self._guard = pager.guard
        self._end = pager.end

    def run(self) -> AsyncGenerator[ListingItem, None]:
        return self._pager.closing(self._run(), self._tasks.values())

    async def _run(self) -> AsyncGenerator[ListingItem, None]:
        try:
            count = await self._count()
        except AuthError:
            raise
        except ConnectorError as err:
            yield self._end(False, f"count failed: {err}")
            return
        if count == 0:
            yield self._end(True)
            return
        if count is not None:
            stop = self._guard.promise(count)
            if stop is not None:
                yield self._end(False, stop)
                return
            self._planned = iter(range(1, count + 1, self._size))
        async for item in self._pages_from(count):
            yield item

    async def _pages_from(self, count: int | None) -> AsyncGenerator[ListingItem, None]:
        offset = 1
        while True:
            self._refill()
            try:
                page = await self._next_page(offset)
            except AuthError:
                raise
            except ConnectorError as err:
                yield self._end(False, str(err))
                return
            if page.records is None:
                shrank = count is not None and offset <= count
                yield self._end(not shrank, "store shrank while listed" if shrank else None)
                return
            stop = self._guard.admit(keys_of(page.records, "CertificateCode"))
            if stop is not None:  # a store ignoring `offset` would otherwise never end
                yield self._end(False, f"at offset {offset}: {stop}")
                return
            self._pager.pages += 1
            yield self._parse(page)
            received = len(page.records)
            offset += received
            counted = count is not None and offset > count
            if received == 0:  # not the documented end answer: trust it only with the count
                yield self._end(counted, "empty page instead of the end answer")
                return
            if counted and received < page.limit:
                yield self._end(True)  # the count is reached and the store ran out: agreed
                return

    async def _next_page(self, offset: int) -> Page:
        task = self._tasks.pop(offset, None)
        if task is not None:
            return await task
        # A gap left by a short page: read exactly up to the next prefetched offset.
        ahead = [o for o in self._tasks if o > offset]
        limit = min(self._size, min(ahead) - offset) if ahead else self._size
        return await self._fetch(offset, limit)

    def _refill(self) -> None:
        while len(self._tasks) < self._pager.window:
            offset = next(self._planned, None)
            if offset is None:
                return
            self._tasks[offset] = asyncio.ensure_future(self._fetch(offset, self._size))


def count_of(body: Any) -> int | None:
    """The number in a ``countonly`` answer, whatever its wrapping."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if isinstance(body, bool):
        return None
    if isinstance(body, int):
        return body
    if isinstance(body, dict):
        for key, value in body.items():
            if "count" in key.lower() and isinstance(value, int | str):
                try:
                    return int(value)
                except ValueError:
                    return None
    return None


OFFSET_EXCEEDED = "exceeds the total number of records"


def is_offset_exceeded(response: Response) -> bool:
    """The answer is 3dcart's "Offset amount exceeds the total number of records", known by
    its message whatever the HTTP status (400 is what clients see; nothing settles it): the
    first element of the answer array, or the answer object, carries it as ``Message``."""
    if OFFSET_EXCEEDED.encode() not in response.body.lower():
        return False  # the cheap test first: a page of records almost never holds the text
    try:
        body = _wire.json_of(response)
    except ValueError:
        return False
    first = body[0] if isinstance(body, list) and body else body
    if not isinstance(first, dict) or "CertificateCode" in first:
        return False  # a record whose notes quote the message is still a record
    return OFFSET_EXCEEDED in str(first.get("Message", "")).lower()
