"""The BigCommerce listing: ``page``/``limit`` until the end (see
:mod:`syncd.platforms.bigcommerce` for the end rules). Nothing tells how many pages exist,
so the next page is requested as soon as a page arrives (while it is parsed), never
speculatively further. The pager's :class:`~syncd.platforms.pager.PageGuard` ends it as
incomplete when a page repeats an earlier one or the records pass the ceiling; pages are
sorted by id, so a page whose ids go back ends it too (a store ignoring ``page``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from syncd.errors import AuthError, ConnectorError
from syncd.model import ListingPage
from syncd.platforms.base import ListingItem
from syncd.platforms.pager import Pager, keys_of

FetchPage = Callable[[int], Awaitable[list[Any] | None]]  # page number; None: the 204 end
ParsePage = Callable[[list[Any], int], ListingPage]  # (records, page number)


class Listing:
    """One pass, page after page, the next one in flight while this one is parsed."""

    def __init__(self, pager: Pager, *, fetch: FetchPage, parse: ParsePage) -> None:
        self._pager = pager
        self._fetch = fetch
        self._parse = parse
        self._inflight: list[asyncio.Future[list[Any] | None]] = []  # the next page, once asked

    def run(self) -> AsyncGenerator[ListingItem, None]:
        return self._pager.closing(self._run(), self._inflight)

    def _ask(self, page_no: int) -> asyncio.Future[list[Any] | None]:
        self._inflight[:] = [asyncio.ensure_future(self._fetch(page_no))]
        return self._inflight[0]

    async def _run(self) -> AsyncGenerator[ListingItem, None]:
        pager, guard, size = self._pager, self._pager.guard, self._pager.size
        page_no, cut = 1, False
        previous_short = False
        limit_honoured = False  # a full page was seen: a short one is then the last
        last_id: int | None = None  # pages are sorted by id: each must start above it
        pending = self._ask(page_no)
        while True:
            try:
                records = await pending
            except AuthError:
                raise
            except ConnectorError as err:
                yield pager.end(False, str(err))
                return
            if records is None:  # 204: the end
                reason = "a short page was followed by more records" if cut else None
                yield pager.end(not cut, reason)
                return
            stop = guard.admit(keys_of(records, "id"))
            if stop is not None:
                yield pager.end(False, stop)
                return
            if _goes_back(records, last_id):  # a store ignoring `page` would loop forever
                reason = f"page {page_no} does not continue the previous one (ids go back)"
                yield pager.end(False, reason)
                return
            last_id = _last_id(records, last_id)
            short = len(records) < size
            cut = cut or (previous_short and bool(records))
            if short and limit_honoured and not cut:
                pager.pages += 1
                yield self._parse(records, page_no)
                yield pager.end(True)
                return
            page_no += 1
            pending = self._ask(page_no)
            limit_honoured = limit_honoured or not short
            previous_short = short
            pager.pages += 1
            yield self._parse(records, page_no - 1)


def _int_id(raw: Any) -> int | None:
    try:
        return int(raw["id"])
    except (TypeError, ValueError, KeyError):
        return None


def _goes_back(records: list[Any], last_id: int | None) -> bool:
    first = next((i for i in map(_int_id, records) if i is not None), None)
    return last_id is not None and first is not None and first <= last_id


def _last_id(records: list[Any], last_id: int | None) -> int | None:
    ids = [i for i in map(_int_id, records[-3:]) if i is not None]
    return max(ids) if ids else last_id
