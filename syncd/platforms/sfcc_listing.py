"""The SFCC listing: the first page's ``total`` gives every other start; those pages are
fetched concurrently and handed out in order (see :mod:`syncd.platforms.sfcc`).

A :class:`~syncd.platforms.pager.PageGuard` ends it as incomplete when a ``total`` passes
the ceiling, a page repeats an earlier one, or the pages go past the total promised; an
empty page before the total ends it too (the store has nothing more to give)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from syncd.errors import AuthError, ConnectorError
from syncd.model import ListingEnd
from syncd.platforms import _wire
from syncd.platforms.base import ListingItem
from syncd.platforms.pager import PageGuard, keys_of

if TYPE_CHECKING:
    from syncd.platforms.sfcc import SfccConnector


class Listing:
    """One pass: the first page, then every other page concurrently, in order."""

    def __init__(self, connector: SfccConnector) -> None:
        self._c = connector
        self._size = connector._page_size
        self._window = max(1, connector.http.options.max_concurrency) * 2
        self._tasks: dict[int, asyncio.Task[tuple[int, list[Any], int]]] = {}
        self._next_start = 0
        self._total = 0
        self._pages = 0
        self._cut = False
        self._started = connector.http.stats.requests
        self._guard = PageGuard(page_size=self._size, max_total=connector._max_certificates)

    async def close(self) -> None:
        await _wire.cancel_all(list(self._tasks.values()))

    async def run(self) -> AsyncIterator[ListingItem]:
        start = 0
        while True:
            try:
                start, data, total = await self._page(start)
            except AuthError:
                raise
            except ConnectorError as err:
                yield self._end(False, str(err))
                return
            stop = self._guard.promise(total) or self._guard.admit(
                keys_of(data, "merchant_id"), span=self._size
            )
            if stop is None and not data and start < max(total, self._total):
                stop = f"page at start {start} is empty, short of the total {self._total}"
            if stop is not None:
                yield self._end(False, stop)
                return
            expected = min(self._size, max(total, self._total) - start)
            self._cut = self._cut or len(data) < expected
            self._total = max(self._total, total)
            self._pages += 1
            yield self._c._parse_page(start, data)
            start += self._size
            if start >= self._total:
                reason = "a page had fewer records than the total promised" if self._cut else None
                yield self._end(not self._cut, reason)
                return

    async def _page(self, start: int) -> tuple[int, list[Any], int]:
        task = self._tasks.pop(start, None)
        result = await task if task is not None else await self._c._fetch_page(start)
        if self._guard.promise(result[2]) is None:  # an unbelievable total plans nothing
            self._total = max(self._total, result[2])
            self._refill(start)
        return result

    def _refill(self, current: int) -> None:
        self._next_start = max(self._next_start, current + self._size)
        while self._next_start < self._total and len(self._tasks) < self._window:
            start = self._next_start
            self._tasks[start] = asyncio.ensure_future(self._c._fetch_page(start))
            self._next_start += self._size

    def _end(self, complete: bool, reason: str | None = None) -> ListingEnd:
        requests = self._c.http.stats.requests - self._started
        return ListingEnd(complete, None if complete else reason, self._pages, requests)
