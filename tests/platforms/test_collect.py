"""Draining a paged listing into a snapshot: when it may imply deletions, and when not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

from syncd.model import ListingEnd, ListingPage, RecordProblem, RemoteCertificate, Status
from syncd.platforms.base import ListingItem, collect
from syncd.registries.model import (
    RegistryListingItem,
    RegistryListingPage,
    RemoteRegistry,
    collect_registries,
)


def cert(remote_id: str) -> RemoteCertificate:
    return RemoteCertificate(
        "s", remote_id, remote_id, "USD", Decimal(10), Decimal(5), Status.ACTIVE
    )


def registry(remote_id: str) -> RemoteRegistry:
    return RemoteRegistry("s", remote_id, f"registry {remote_id}", "USD")


async def listing(items: Sequence[ListingItem]) -> AsyncIterator[ListingItem]:
    for item in items:
        yield item


async def registry_listing(
    items: Sequence[RegistryListingItem],
) -> AsyncIterator[RegistryListingItem]:
    for item in items:
        yield item


async def test_a_full_listing_is_complete_and_keeps_every_record_in_order() -> None:
    pages = [ListingPage((cert("a"), cert("b"))), ListingPage((cert("c"),)), ListingEnd(True)]
    snap = await collect("s", listing(pages))
    assert snap.complete
    assert snap.reason is None
    assert [c.remote_id for c in snap.certificates] == ["a", "b", "c"]


async def test_a_record_listed_twice_makes_the_listing_incomplete() -> None:
    pages = [ListingPage((cert("a"), cert("b"))), ListingPage((cert("b"),)), ListingEnd(True)]
    snap = await collect("s", listing(pages))
    assert not snap.complete
    assert snap.problems == (RecordProblem("s", "b", "listed twice (listing shifted?)"),)
    assert snap.reason == "1 record(s) skipped"
    assert [c.remote_id for c in snap.certificates] == ["a", "b"]


async def test_skipped_records_make_a_complete_end_incomplete() -> None:
    bad = (RecordProblem("s", "page 1 item 2", "balance 'x'"),)
    snap = await collect("s", listing([ListingPage((cert("a"),), bad), ListingEnd(True)]))
    assert not snap.complete
    assert snap.reason == "1 record(s) skipped"


async def test_the_end_markers_own_reason_wins_when_it_was_incomplete() -> None:
    pages = [ListingPage((cert("a"),)), ListingEnd(False, reason="HTTP 500 on page 2")]
    snap = await collect("s", listing(pages))
    assert not snap.complete
    assert snap.reason == "HTTP 500 on page 2"


async def test_a_listing_without_an_end_marker_is_incomplete() -> None:
    snap = await collect("s", listing([ListingPage((cert("a"),))]))
    assert not snap.complete
    assert snap.reason == "listing ended without an end marker"


async def test_registries_drain_by_the_same_rules_with_their_own_words() -> None:
    pages: list[RegistryListingItem] = [
        RegistryListingPage((registry("1"), registry("2"))),
        RegistryListingPage((registry("2"),), (RecordProblem("s", "9", "bad date"),)),
        ListingEnd(True),
    ]
    snap = await collect_registries("s", registry_listing(pages))
    assert not snap.complete
    assert RecordProblem("s", "2", "registry listed twice") in snap.problems
    assert snap.reason == "2 registries skipped"
    one = [
        RegistryListingPage((registry("1"),), (RecordProblem("s", "9", "bad"),)),
        ListingEnd(True),
    ]
    assert (await collect_registries("s", registry_listing(one))).reason == "1 registry skipped"
    clean = [RegistryListingPage((registry("1"),)), ListingEnd(True)]
    done = await collect_registries("s", registry_listing(clean))
    assert done.complete
    assert [r.remote_id for r in done.registries] == ["1"]
