"""The page guard every listing keeps: ceiling, repeats, pages past the promise."""

from __future__ import annotations

from syncd.platforms.pager import PageGuard, keys_of


def test_a_total_above_the_ceiling_is_not_believed() -> None:
    guard = PageGuard(page_size=100, max_total=1000)
    assert guard.promise(1000) is None
    assert guard.promise(1001) == (
        "the store states 1001 certificates, above the ceiling of 1000 (max_certificates)"
    )


def test_a_page_that_repeats_any_earlier_page_stops_the_listing() -> None:
    guard = PageGuard(page_size=2)
    assert guard.admit(["a", "b"]) is None
    assert guard.admit(["c", "d"]) is None
    assert guard.admit(["a", "b"]) == "page 3 repeats an earlier page"


def test_overlapping_pages_are_not_repeats() -> None:
    guard = PageGuard(page_size=2)
    assert guard.admit(["a", "b"]) is None
    assert guard.admit(["b", "c"]) is None  # a record deleted meanwhile shifts the pages
    assert guard.admit(["b"]) is None


def test_pages_past_the_promise_plus_two_pages_stop_the_listing() -> None:
    guard = PageGuard(page_size=10)
    guard.promise(20)  # 2 pages promised; the slack is 2 pages (10 % of 20 is less)
    for page in range(4):
        assert guard.admit([f"{page}-{i}" for i in range(10)]) is None
    assert guard.admit([f"x{i}" for i in range(10)]) == (
        "page 5 goes past the 20 certificates the store promised (slack included)"
    )


def test_the_slack_is_ten_percent_of_a_large_promise() -> None:
    guard = PageGuard(page_size=10)
    guard.promise(1000)  # slack 100 records: 110 pages of 10 in all
    for page in range(110):
        assert guard.admit([f"{page}-{i}" for i in range(10)]) is None
    assert guard.admit(["last"]) is not None


def test_a_page_may_move_the_listing_by_its_size_not_its_records() -> None:
    guard = PageGuard(page_size=10)
    guard.promise(10)
    for page in range(3):
        assert guard.admit([f"r{page}"], span=10) is None
    assert guard.admit(["r3"], span=10) is not None


def test_more_records_than_the_ceiling_stop_a_listing_without_a_count() -> None:
    guard = PageGuard(page_size=2, max_total=3)
    assert guard.admit(["a", "b"]) is None
    assert guard.admit(["c", "d"]) == (
        "more than 3 certificates received, the ceiling (max_certificates)"
    )


def test_keys_of_hostile_records_are_hashable() -> None:
    keys = keys_of([{"id": 1}, {"id": [1]}, "junk", {"id": {"a": 1}}], "id")
    assert keys == [1, "[1]", None, "{'a': 1}"]
    assert PageGuard(page_size=4).admit(keys) is None
