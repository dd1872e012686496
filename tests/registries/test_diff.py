"""The pure registry diff: one example per rule (DESIGN.md §4.12)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from syncd.registries.diff import RegistryChange, RegistryDiff, diff_registries
from syncd.registries.model import (
    LedgerRegistry,
    RegistryAddress,
    RegistryItem,
    RegistrySnapshot,
    RemoteRegistry,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = "main-3dcart"


def it(catalog_id: str, listed: int = 2, sold: int = 0, offline: int = 0) -> RegistryItem:
    return RegistryItem(catalog_id, f"SKU-{catalog_id}", f"Item {catalog_id}", listed,
                        Decimal("10.00"), sold, offline)  # fmt: skip


def reg(remote_id: str, *items: RegistryItem, **fields: object) -> RemoteRegistry:
    base = RemoteRegistry(S, remote_id, f"Registry {remote_id}", "USD", items=items)
    return replace(base, **fields)  # type: ignore[arg-type]


def known(*registries: RemoteRegistry, **flags: bool) -> dict[str, LedgerRegistry]:
    return {r.remote_id: LedgerRegistry(int(r.remote_id), "us", r, **flags) for r in registries}


def run(
    ledger: dict[str, LedgerRegistry], *seen: RemoteRegistry, complete: bool = True,
    now: datetime = NOW,
) -> RegistryDiff:  # fmt: skip
    return diff_registries("us", ledger, RegistrySnapshot(S, seen, complete), now)


def kinds(diff: RegistryDiff) -> list[str]:
    return [c.kind.value for c in diff.changes]


def only(diff: RegistryDiff, kind: str) -> RegistryChange:
    [change] = [c for c in diff.changes if c.kind.value == kind]
    return change


def test_a_new_registry_is_created_once_with_its_sales_as_the_baseline() -> None:
    diff = run({}, reg("1", it("5", sold=1), it("6")))
    assert kinds(diff) == ["created"]
    assert diff.changes[0].reason == "2 items"
    [state] = diff.states
    assert state.id is None
    assert state.registry.items_by_id["5"].sold == 1
    assert kinds(run({"1": state}, reg("1", it("5", sold=1), it("6")))) == []


def test_nothing_changed_means_no_rows_and_no_state() -> None:
    registry = reg("1", it("5"))
    diff = run(known(registry), registry)
    assert diff.changes == ()
    assert diff.states == ()


def test_last_update_alone_moves_the_state_but_journals_nothing() -> None:
    registry = reg("1", it("5"))
    diff = run(known(registry), replace(registry, updated_at=NOW))
    assert diff.changes == ()
    assert [s.registry.updated_at for s in diff.states] == [NOW]


def test_each_changed_field_is_one_row_with_old_and_new() -> None:
    old = reg("1", message="Hi")
    new = replace(
        old,
        name="Renamed",
        message=None,
        ship_to_address=True,
        event_at=NOW,
        address=RegistryAddress(first_name="Ann", city="Paris"),
    )
    diff = run(known(old), new)
    rows = {c.field: (c.old, c.new) for c in diff.changes}
    assert kinds(diff) == ["changed"] * 5
    assert rows == {
        "name": ("Registry 1", "Renamed"),
        "event_at": (None, NOW.isoformat()),
        "message": ("Hi", None),
        "ship_to_address": ("no", "yes"),
        "address": (None, "Ann, Paris"),
    }


def test_item_added_removed_and_changed() -> None:
    old = reg("1", it("5"), it("6"))
    new = reg("1", replace(it("5"), listed=4, price=Decimal("12.50")), it("7"))
    diff = run(known(old), new)
    assert kinds(diff) == ["item_changed", "item_changed", "item_removed", "item_added"]
    listed, price = diff.changes[:2]
    assert (listed.catalog_id, listed.field, listed.old, listed.new) == ("5", "listed", "2", "4")
    assert (price.field, price.old, price.new) == ("price", "10.00", "12.50")
    assert only(diff, "item_added").quantity == 2
    assert [i.catalog_id for i in diff.states[0].registry.items] == ["5", "7"]


def test_item_sold_counts_online_and_offline_sales() -> None:
    old = reg("1", it("5", listed=5, sold=1), it("6", listed=3))
    new = reg("1", it("5", listed=5, sold=3, offline=1), it("6", listed=3, offline=1))
    diff = run(known(old), new)
    assert kinds(diff) == ["item_sold", "item_sold"]
    first, second = diff.changes
    assert (first.catalog_id, first.quantity, first.old, first.new) == ("5", 3, "1", "4")
    assert first.reason == "2 online, 1 offline; 1 still wanted"
    assert (second.catalog_id, second.quantity) == ("6", 1)


def test_an_item_added_with_sales_reports_them() -> None:
    diff = run(known(reg("1")), reg("1", it("5", sold=1)))
    assert kinds(diff) == ["item_added", "item_sold"]
    assert only(diff, "item_sold").quantity == 1


def test_a_sale_reversed_is_a_change_not_a_negative_sale() -> None:
    diff = run(known(reg("1", it("5", sold=2))), reg("1", it("5", sold=1)))
    assert kinds(diff) == ["item_changed"]
    change = diff.changes[0]
    assert (change.field, change.old, change.new) == ("sold", "2", "1")


def test_fully_purchased_item_and_registry_once() -> None:
    old = reg("1", it("5", listed=2, sold=2), it("6", listed=1))
    new = reg("1", it("5", listed=2, sold=2), it("6", listed=1, offline=1))
    diff = run(known(old), new)
    assert kinds(diff) == ["item_sold", "item_fully_purchased", "fully_purchased"]
    assert kinds(run(known(new), new)) == []


def test_expired_is_reported_once_and_re_armed_when_extended() -> None:
    registry = reg("1", expires_at=NOW + timedelta(days=1))
    ledger = known(registry)
    assert kinds(run(ledger, registry)) == []
    later = NOW + timedelta(days=2)
    diff = run(ledger, registry, now=later)
    assert kinds(diff) == ["expired"]
    ledger = {"1": diff.states[0]}
    assert ledger["1"].expired_noted
    assert kinds(run(ledger, registry, now=later + timedelta(days=1))) == []
    extended = replace(registry, expires_at=later + timedelta(days=10))
    diff = run(ledger, extended, now=later)
    assert kinds(diff) == ["changed"]
    assert not diff.states[0].expired_noted
    diff = run({"1": diff.states[0]}, extended, now=later + timedelta(days=11))
    assert kinds(diff) == ["expired"]


def test_a_registry_first_seen_expired_is_created_and_expired() -> None:
    diff = run({}, reg("1", expires_at=NOW - timedelta(days=1)))
    assert kinds(diff) == ["created", "expired"]
    assert diff.states[0].expired_noted


def test_a_registry_missing_from_a_complete_listing_is_removed_once() -> None:
    ledger = known(reg("1"), reg("2"))
    diff = run(ledger, reg("1"))
    assert kinds(diff) == ["removed"]
    assert diff.changes[0].remote_id == "2"
    assert diff.states[0].removed
    ledger["2"] = diff.states[0]
    assert kinds(run(ledger, reg("1"))) == []
    back = run(ledger, reg("1"), reg("2"))
    assert kinds(back) == ["reappeared"]
    assert not back.states[0].removed


def test_an_incomplete_listing_removes_nothing_but_still_reports_sales() -> None:
    ledger = known(reg("1", it("5"), it("6")), reg("2"))
    diff = run(ledger, reg("1", it("5", sold=1)), complete=False)
    assert kinds(diff) == ["item_sold"]
    [state] = diff.states
    assert [i.catalog_id for i in state.registry.items] == ["5", "6"]  # 6 kept


def test_order_is_deterministic_by_numeric_id() -> None:
    diff = run({}, reg("10"), reg("9"), reg("100"))
    assert [c.remote_id for c in diff.changes] == ["9", "10", "100"]


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=6),
)
def test_units_sold_add_up_to_the_growth_of_purchases(
    before: list[tuple[int, int]], after: list[tuple[int, int]]
) -> None:
    """Σ item_sold quantities = Σ growth of Sold and SoldOffline, item by item."""
    pairs = list(zip(before, after, strict=False))
    old = reg("1", *(it(str(i), 9, s, o) for i, ((s, o), _) in enumerate(pairs)))
    new = reg("1", *(it(str(i), 9, s, o) for i, (_, (s, o)) in enumerate(pairs)))
    diff = run(known(old), new)
    sold = sum(c.quantity or 0 for c in diff.changes if c.kind.value == "item_sold")
    growth = sum(max(a[0] - b[0], 0) + max(a[1] - b[1], 0) for b, a in pairs)
    assert sold == growth
    assert kinds(run({"1": diff.states[0]} if diff.states else known(new), new)) == []
