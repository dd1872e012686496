"""The SFCC listing: the first page's ``total`` gives every other start; those pages are
fetched concurrently and handed out in order (see :mod:`syncd.platforms.sfcc`).

The pager's :class:`~syncd.platforms.pager.PageGuard` ends it as incomplete when a
``total`` passes the ceiling, a page repeats an earlier one, or the pages go past the total
promised; an empty page before the total ends it too (the store has nothing more to give)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from syncd.errors import AuthError, ConnectorError
from syncd.model import ListingPage
from syncd.platforms.base import ListingItem
from syncd.platforms.pager import Pager, keys_of

Fetched = tuple[int, list[Any], int]  # (start, records, total)
FetchPage = Callable[[int], Awaitable[Fetched]]  # the page at a start
ParsePage = Callable[[int, list[Any]], ListingPage]  # (start, records)


class Listing:
    """One pass: the first page, then every other page concurrently, in order."""

    def __init__(self, pager: Pager, *, fetch: FetchPage, parse: ParsePage) -> None:
        self._pager = pager
        self._fetch = fetch
        self._parse = parse
        self._size = pager.size
        self._tasks: dict[int, asyncio.Task[Fetched]] = {}
        self._next_start = 0
        self._total = 0
        self._cut = False

    def run(self) -> AsyncGenerator[ListingItem, None]:
        return self._pager.closing(self._run(), self._tasks.values())

    async def _run(self) -> AsyncGenerator[ListingItem, None]:
        pager, guard = self._pager, self._pager.guard
        start = 0
        while True:
            try:
                start, data, total = await self._page(start)
            except AuthError:
                raise
            except ConnectorError as err:
                yield pager.end(False, str(err))
                return
            stop = guard.promise(total) or guard.admit(
                keys_of(data, "merchant_id"), span=self._size
            )
            if stop is None and not data and start < max(total, self._total):
                stop = f"page at start {start} is empty, short of the total {self._total}"
            if stop is not None:
                yield pager.end(False, stop)
                return
            expected = min(self._size, max(total, self._total) - start)
            self._cut = self._cut or len(data) < expected
            self._total = max(self._total, total)
            pager.pages += 1
            yield self._parse(start, data)
            start += self._size
            if start >= self._total:
                reason = "a page had fewer records than the total promised" if self._cut else None
                yield pager.end(not self._cut, reason)
                return

    async def _page(self, start: int) -> Fetched:
        task = self._tasks.pop(start, None)
        result = await task if task is not None else await self._fetch(start)
        if self._pager.guard.promise(result[2]) is None:  # an unbelievable total plans nothing
            self._total = max(self._total, result[2])
            self._refill(start)
        return result

    def _refill(self, current: int) -> None:
        self._next_start = max(self._next_start, current + self._size)
        while self._next_start < self._total and len(self._tasks) < self._pager.window:
            start = self._next_start
            self._tasks[start] = asyncio.ensure_future(self._fetch(start))
            self._next_start += self._size
