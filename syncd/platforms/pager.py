"""The guard every listing keeps: it ends a listing that would not end by itself.

A store can lie about its size, ignore the page it was asked for, or never stop sending
pages. The guard watches the pages of one listing and names the reason to stop:

* a count/total the store states above ``max_total`` (the store's ``max_certificates``);
* a page whose keys, in order, are those of an earlier page (a store ignoring the page
  asked for);
* the listing has moved past what the count/total promised plus a slack: two pages or
  10 % of the promise, whichever is larger;
* more records than ``max_total`` received.

The listing then ends as incomplete (no deletion is inferred from it). Memory is one
fingerprint per page, not per record.

A :class:`Pager` is what each listing (3dcart, BigCommerce, SFCC) is given besides its own
fetch and parse callables: the page size, the concurrency window, a fresh guard, and the
tally its :class:`~syncd.model.ListingEnd` reports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterable, Sequence
from typing import Any

from syncd.model import ListingEnd
from syncd.platforms import _wire
from syncd.platforms.base import ListingItem
from syncd.platforms.http_types import HttpStats

DEFAULT_MAX_CERTIFICATES = 5_000_000
SLACK_PAGES = 2
SLACK_RATIO = 0.1


class PageGuard:
    """One listing's bounds (see the module docstring)."""

    def __init__(self, *, page_size: int, max_total: int = DEFAULT_MAX_CERTIFICATES) -> None:
        self._page_size = max(1, page_size)
        self._max_total = max_total
        self._promised: int | None = None
        self._budget: int | None = None  # how far the listing may move, slack included
        self._moved = 0
        self._records = 0
        self._pages = 0
        self._seen: set[int] = set()

    def promise(self, total: int) -> str | None:
        """Note a count/total the store stated; the reason to stop when it is not believable."""
        if total > self._max_total:
            return (
                f"the store states {total} certificates, above the ceiling of "
                f"{self._max_total} (max_certificates)"
            )
        if self._promised is None or total > self._promised:
            self._promised = total
            slack = max(SLACK_PAGES * self._page_size, int(total * SLACK_RATIO))
            self._budget = total + slack
        return None

    def admit(self, keys: Sequence[Any], *, span: int | None = None) -> str | None:
        """Count one page (its records' keys, in order); ``span``: how far it moves the
        listing (default: its records). The reason to stop, or None to go on."""
        self._pages += 1
        self._records += len(keys)
        self._moved += len(keys) if span is None else span
        if self._records > self._max_total:
            return (
                f"more than {self._max_total} certificates received, the ceiling (max_certificates)"
            )
        if self._budget is not None and self._moved > self._budget:
            return (
                f"page {self._pages} goes past the {self._promised} certificates the store "
                "promised (slack included)"
            )
        fingerprint = hash(tuple(keys))  # an empty page too: a second one is a repeat
        if fingerprint in self._seen:
            return f"page {self._pages} repeats an earlier page"
        self._seen.add(fingerprint)
        return None


class Pager:
    """One listing pass's bookkeeping: ``size`` records asked per page, at most ``window``
    pages in flight, the :class:`PageGuard`, and the pages and requests it took."""

    __slots__ = ("_started", "_stats", "guard", "pages", "size", "window")

    def __init__(self, *, page_size: int, max_total: int, window: int, stats: HttpStats) -> None:
        self.size = page_size
        self.window = window
        self.guard = PageGuard(page_size=page_size, max_total=max_total)
        self.pages = 0  # pages handed out
        self._stats = stats
        self._started = stats.requests

    def end(self, complete: bool, reason: str | None = None) -> ListingEnd:
        """The listing's last item; ``reason`` is kept only when it is incomplete."""
        requests = self._stats.requests - self._started
        return ListingEnd(complete, None if complete else reason, self.pages, requests)

    async def closing(
        self, items: AsyncGenerator[ListingItem, None], inflight: Iterable[asyncio.Future[Any]]
    ) -> AsyncGenerator[ListingItem, None]:
        """``items``; then, however the pass ends (or is closed), ``items`` is closed and the
        page requests still ``inflight`` (read when it ends) are cancelled."""
        try:
            async with contextlib.aclosing(items):
                async for item in items:
                    yield item
        finally:
            await _wire.cancel_all(list(inflight))


def keys_of(records: Iterable[Any], field: str) -> list[str | int | None]:
    """Each record's ``field``, for :meth:`PageGuard.admit` (None for a record that is not
    an object; a value that is neither text nor a number as its repr)."""
    return [_key(r.get(field)) if isinstance(r, dict) else None for r in records]


def _key(value: Any) -> str | int | None:
    return value if value is None or isinstance(value, str | int) else repr(value)
