"""The one protocol every platform connector implements.

A connector speaks HTTP to one store and translates to and from :mod:`syncd.model`.
It knows nothing of the ledger or the planner. Errors leave it as :mod:`syncd.errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, Protocol, TypeVar, runtime_checkable

from syncd.model import (
    Capabilities,
    ListingEnd,
    ListingNote,
    ListingPage,
    NewCertificate,
    RecordProblem,
    RemoteCertificate,
    Snapshot,
    Status,
)

ListingItem = ListingPage | ListingEnd


@runtime_checkable
class Connector(Protocol):
    """One store. Every method may raise a :class:`syncd.errors.ConnectorError`."""

    @property
    def store(self) -> str:
        """The store's configured name."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    def list_certificates(self) -> AsyncIterator[ListingItem]:
        """Every certificate of the store, page by page; the last item is a :class:`ListingEnd`.

        A failure mid-listing does not raise: it ends the listing with ``complete=False``
        and the reason, so the pages already read still count (but imply no deletion).
        """
        ...

    async def get_certificate(self, remote_id: str) -> RemoteCertificate | None:
        """One certificate by the store's own id, or None when it does not exist."""
        ...

    async def find_by_code(self, code: str) -> RemoteCertificate | None:
        """One certificate by plain code (used before re-trying a create), None if absent.

        Raises :class:`syncd.errors.Unsupported` where the platform cannot look codes up.
        """
        ...

    async def create_certificate(self, cert: NewCertificate) -> RemoteCertificate:
        """Create; never retried blindly (a lost answer is resolved by ``find_by_code``)."""
        ...

    async def update_certificate(
        self,
        current: RemoteCertificate,
        *,
        balance: Decimal | None = None,
        status: Status | None = None,
    ) -> RemoteCertificate:
        """Set absolute values (safe to repeat); returns the state read back from the store."""
        ...

    async def delete_certificate(self, remote_id: str) -> None:
        """Delete exactly one certificate. There is no way to delete many at once."""
        ...

    async def aclose(self) -> None:
        """Close the HTTP session."""
        ...


class _Keyed(Protocol):
    @property
    def remote_id(self) -> str: ...


R = TypeVar("R", bound=_Keyed)
R_co = TypeVar("R_co", bound=_Keyed, covariant=True)


class _Page(Protocol[R_co]):
    @property
    def records(self) -> tuple[R_co, ...]: ...

    @property
    def problems(self) -> tuple[RecordProblem, ...]: ...


@dataclass(frozen=True, slots=True)
class Drained(Generic[R]):
    """A whole listing: its records by remote id, and whether it may imply deletions.
    ``set_aside``: remote id → what the sieve said of each record it took (not kept)."""

    records: tuple[R, ...]
    complete: bool
    reason: str | None
    problems: tuple[RecordProblem, ...]
    set_aside: dict[str, int] = field(default_factory=dict)
    read_to_end: bool = False  # the end marker came and nothing was listed twice


async def drain(
    store: str,
    listing: AsyncIterator[_Page[R] | ListingEnd],
    *,
    twice: str,
    skipped: Callable[[int], str],
    sieve: Callable[[R], int | None] | Awaitable[Callable[[R], int | None] | None] | None = None,
) -> Drained[R]:
    """Drain any paged listing. A record listed twice (the listing shifted while it was read)
    or skipped makes it incomplete; so does a listing without its end marker. Listed twice,
    the later copy counts.

    ``sieve``: a record it answers for (not None) is set aside instead of kept — a cycle's
    quiet records (:mod:`syncd.reconcile.quiet`), so they never pile up in memory. It may
    be still on its way (an awaitable): the listing does not wait for it; the records read
    meanwhile are sieved as soon as it arrives (None: nothing is set aside)."""
    records: dict[str, R] = {}
    aside: dict[str, int] = {}
    problems: list[RecordProblem] = []
    end: ListingEnd | None = None
    shifted = False
    pending = None if sieve is None or callable(sieve) else asyncio.ensure_future(sieve)
    ready = sieve if callable(sieve) else None
    try:
        async for item in listing:
            if isinstance(item, ListingEnd):
                end = item
                break
            if pending is not None and pending.done():
                ready, pending = pending.result(), None
                _sweep(records, aside, ready)
            problems.extend(item.problems)
            for record in item.records:
                rid = record.remote_id
                if rid in records or rid in aside:
                    is_code = getattr(record, "code", None) == rid  # 3dcart: the code is the id
                    problems.append(RecordProblem(store, rid, twice, is_code))
                    shifted = True
                    records.pop(rid, None)
                    aside.pop(rid, None)
                mark = None if ready is None else ready(record)
                if mark is None:
                    records[rid] = record
                else:
                    aside[rid] = mark
        if pending is not None:
            ready, pending = await pending, None
            _sweep(records, aside, ready)
    finally:
        if pending is not None:
            pending.cancel()
    if end is None:
        end = ListingEnd(complete=False, reason="listing ended without an end marker")
    complete = end.complete and not problems
    reason = skipped(len(problems)) if end.complete and problems else end.reason
    return Drained(
        tuple(records.values()), complete, None if complete else reason, tuple(problems), aside,
        read_to_end=end.complete and not shifted,
    )  # fmt: skip


def _sweep(
    records: dict[str, R], aside: dict[str, int], sieve: Callable[[R], int | None] | None
) -> None:
    """Sieve the records kept before the sieve was there (as if it had been)."""
    if sieve is None:
        return
    for rid, record in list(records.items()):
        mark = sieve(record)
        if mark is not None:
            del records[rid]
            aside[rid] = mark


async def collect(store: str, listing: AsyncIterator[ListingItem]) -> Snapshot:
    """Drain a certificate listing into one :class:`Snapshot`."""
    snapshot, _ = await collect_sieved(store, listing, None)
    return snapshot


async def collect_sieved(
    store: str,
    listing: AsyncIterator[ListingItem],
    sieve: Callable[[RemoteCertificate], int | None]
    | Awaitable[Callable[[RemoteCertificate], int | None] | None]
    | None,
) -> tuple[Snapshot, dict[str, int]]:
    """Drain a certificate listing: a :class:`Snapshot` of the records kept, and the remote
    ids ``sieve`` set aside with what it said of each (see :func:`drain`)."""
    notes: dict[ListingNote, None] = {}
    done = await drain(
        store,
        _noting(listing, notes),
        twice="listed twice (listing shifted?)",
        skipped=lambda n: f"{n} record(s) skipped",
        sieve=sieve,
    )
    snapshot = Snapshot(
        store, done.records, done.complete, done.reason, done.problems, done.read_to_end,
        notes=tuple(notes),
    )  # fmt: skip
    return snapshot, done.set_aside


async def _noting(
    listing: AsyncIterator[ListingItem], notes: dict[ListingNote, None]
) -> AsyncIterator[ListingItem]:
    """``listing`` as it is, keeping each distinct note of its pages in ``notes``."""
    async for item in listing:
        if isinstance(item, ListingPage) and item.notes:
            notes.update(dict.fromkeys(item.notes))
        yield item
