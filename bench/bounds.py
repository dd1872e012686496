"""Lower bounds of one cycle: the fewest requests the platforms' APIs allow, and what they
cost in wall time under a per-request latency, the allowed concurrency and a rate limit.

Per store (page sizes are the platforms' maxima, see syncd/platforms/*):

* 3dcart: one ``countonly`` request, then ``ceil(N/200)`` pages (200: the page size a
  production integration uses), fetched concurrently; when N is a multiple of 200 the last
  page is full, and a count alone does not prove the end (it may be stale: syncd wants two
  signals that agree), so one more request meets the end answer.
* BigCommerce: ``ceil(N/250)`` pages; the API gives no total, so pages are sequential and,
  when N is a multiple of 250, one more request meets the end (204).
* SFCC: one OAuth token request, the first page (it gives the total), then the other
  ``ceil(N/200) - 1`` pages concurrently.

Writes: each needed balance write is at least one request (two on SFCC, which re-issues:
DELETE, then create); writes wait for every listing (the plan needs all stores) and run
``concurrency`` at a time per store.

``reread=True`` gives the bound of the design rather than of the APIs: DESIGN.md §5 requires
re-reading a certificate just before writing its balance (none of the platforms can debit;
a redemption between listing and write would be overwritten), so each write is a read and a
write, one after the other. Issue 8 defines the bound without it; the results show both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PAGE = {"shift4shop": 200, "bigcommerce": 250, "sfcc": 200}


@dataclass(frozen=True)
class Conditions:
    latency_s: float = 0.0
    concurrency: int = 4  # syncd's default max_concurrency per store
    bc_quota: int | None = None  # BigCommerce requests per window
    bc_window_s: float = 30.0


def list_requests(platform: str, n: int) -> int:
    pages = math.ceil(n / PAGE[platform])
    full_last_page = 1 if n % PAGE[platform] == 0 else 0
    if platform == "bigcommerce":
        return pages + full_last_page
    if platform == "shift4shop":
        return pages + full_last_page + 1  # + countonly
    return pages + 1  # SFCC token


def _rounds(platform: str, n: int, concurrency: int) -> int:
    """Round trips the listing needs at best (one latency each)."""
    pages = math.ceil(n / PAGE[platform])
    if platform == "bigcommerce":
        return list_requests(platform, n)
    if platform == "shift4shop":  # the end answer after a full last page comes after it
        return 1 + math.ceil(pages / concurrency) + (1 if n % PAGE[platform] == 0 else 0)
    return 2 + math.ceil(max(0, pages - 1) / concurrency)


# Requests one balance write takes: SFCC cannot change a balance in place; with its companion
# it re-issues the certificate (OCAPI DELETE, then a companion create of the same code).
BALANCE_WRITE_REQUESTS = {"shift4shop": 1, "bigcommerce": 1, "sfcc": 2}


def requests(n: int, writes: dict[str, int], *, reread: bool = False) -> dict[str, int]:
    """Requests per store for a listing of ``n`` and ``writes`` balance writes per store."""
    return {p: list_requests(p, n) + _per_write(p, reread) * writes.get(p, 0) for p in PAGE}


def _per_write(platform: str, reread: bool) -> int:
    return BALANCE_WRITE_REQUESTS[platform] + (1 if reread else 0)


def wall(n: int, writes: dict[str, int], cond: Conditions, *, reread: bool = False) -> float:
    """Seconds a cycle needs at least under ``cond`` (0 without latency or rate limit)."""
    lat, c = cond.latency_s, cond.concurrency
    listing = {p: _rounds(p, n, c) * lat for p in PAGE}
    writing = {p: math.ceil(writes.get(p, 0) / c) * lat * _per_write(p, reread) for p in PAGE}
    best = max(listing.values()) + max(writing.values())
    if cond.bc_quota:
        total = requests(n, writes, reread=reread)["bigcommerce"]
        windows = math.ceil(total / cond.bc_quota)
        # The last window opens (windows - 1) full windows after the first request.
        best = max(best, (windows - 1) * cond.bc_window_s + lat)
    return best
