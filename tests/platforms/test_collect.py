"""Draining a paged listing into a snapshot: when it may imply deletions, and when not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from decimal import Decimal

from syncd.model import ListingEnd, ListingPage, RecordProblem, RemoteCertificate, Status
from syncd.platforms.base import ListingItem, collect, collect_sieved
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
    twice = RecordProblem("s", "b", "listed twice (listing shifted?)", is_code=True)
    assert snap.problems == (twice,)  # its id is its code (as on 3dcart): shown masked
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


def _sieve(record: RemoteCertificate) -> int | None:
    """Sets aside records whose id starts with "q" (as a quiet sieve would)."""
    return ord(record.remote_id[-1]) if record.remote_id.startswith("q") else None


async def test_a_sieve_sets_records_aside_as_they_arrive_and_keeps_the_rest() -> None:
    pages = [
        ListingPage((cert("q1"), cert("a"))),
        ListingPage((cert("q2"),)),
        ListingEnd(True),
    ]
    snap, aside = await collect_sieved("s", listing(pages), _sieve)
    assert [r.remote_id for r in snap.certificates] == ["a"]
    assert aside == {"q1": ord("1"), "q2": ord("2")}
    assert snap.complete


async def test_listed_twice_the_later_copy_counts_whether_kept_or_set_aside() -> None:
    later_kept = [
        ListingPage((cert("q1"),)),
        ListingPage((replace(cert("q1"), remote_id="q1"),)),
        ListingEnd(True),
    ]
    snap, aside = await collect_sieved("s", listing(later_kept), _sieve)
    assert not snap.complete
    assert snap.problems[0].record_key == "q1"
    assert aside == {"q1": ord("1")}
    assert snap.certificates == ()

    def keep_second(record: RemoteCertificate) -> int | None:
        return None if record.balance == 7 else 1

    second = replace(cert("x"), balance=Decimal(7))
    pages = [ListingPage((cert("x"),)), ListingPage((second,)), ListingEnd(True)]
    snap, aside = await collect_sieved("s", listing(pages), keep_second)
    assert snap.certificates == (second,)
    assert aside == {}
    assert not snap.complete


async def test_a_sieve_still_on_its_way_sieves_what_was_read_meanwhile() -> None:
    arrived = asyncio.get_running_loop().create_future()

    async def slow_listing() -> AsyncIterator[ListingItem]:
        yield ListingPage((cert("q1"), cert("a")))
        yield ListingPage((cert("q1"),))  # listed twice before the sieve came: later counts
        arrived.set_result(_sieve)
        yield ListingPage((cert("q2"), cert("b")))
        yield ListingEnd(True)

    snap, aside = await collect_sieved("s", slow_listing(), arrived)
    assert sorted(r.remote_id for r in snap.certificates) == ["a", "b"]
    assert aside == {"q1": ord("1"), "q2": ord("2")}
    assert [p.record_key for p in snap.problems] == ["q1"]


async def test_a_sieve_that_comes_after_the_listing_still_sieves_it() -> None:
    async def late() -> object:
        await asyncio.sleep(0.01)
        return _sieve

    pages = [ListingPage((cert("q1"), cert("a"))), ListingEnd(True)]
    snap, aside = await collect_sieved("s", listing(pages), late())  # type: ignore[arg-type]
    assert [r.remote_id for r in snap.certificates] == ["a"]
    assert aside == {"q1": ord("1")}


async def test_a_sieve_that_never_comes_sets_nothing_aside() -> None:
    none: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    none.set_result(None)
    pages = [ListingPage((cert("q1"), cert("a"))), ListingEnd(True)]
    snap, aside = await collect_sieved("s", listing(pages), none)
    assert len(snap.certificates) == 2
    assert aside == {}
