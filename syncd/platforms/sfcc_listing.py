"""The SFCC listing: the first page's ``total`` gives every other start; those pages are
fetched concurrently and handed out in order (see :mod:`syncd.platforms.sfcc`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from syncd.errors import AuthError, ConnectorError
from syncd.model import ListingEnd
from syncd.platforms import _wire
from syncd.platforms.base import ListingItem

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
