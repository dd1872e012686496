"""The ledger's registry tables: round trips (SQLite and PostgreSQL), look-ups, the upgrade."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from syncd.ledger import Ledger, LedgerError
from syncd.ledger.engine import current_revision, make_engine, upgrade
from syncd.ledger.registries import RegistryLedger
from syncd.registries.diff import diff_registries
from syncd.registries.model import (
    RegistryAddress,
    RegistryItem,
    RegistrySnapshot,
    RemoteRegistry,
)
from tests.ledger.factories import add, cert

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def registry(store: str = "main-3dcart", remote_id: str = "7", **fields: object) -> RemoteRegistry:
    base = RemoteRegistry(
        store=store,
        remote_id=remote_id,
        name="Wedding",
        currency="JPY" if store == "jp" else "USD",
        created_at=T0 - timedelta(days=3),
        updated_at=T0,
        expires_at=datetime(2026, 12, 31, tzinfo=UTC),
        event_at=datetime(2026, 6, 20, 15, 0, tzinfo=UTC),
        message="Thank you",
        ship_to_address=True,
        address=RegistryAddress(first_name="Ann", city="Paris", zip_code="75001"),
        items=(
            RegistryItem("11", "PAN-1", "Pan", 2, Decimal("19.99"), 1, 0),
            RegistryItem("12", None, None, 6, Decimal("0.10"), 0, 2),
        ),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def record(ledger: Ledger, *registries: RemoteRegistry, store: str = "main-3dcart") -> int:
    book = RegistryLedger(ledger)
    snapshot = RegistrySnapshot(store, registries, complete=True)
    return book.apply(diff_registries("us", book.load(store), snapshot, T0))


def test_a_registry_round_trips_exactly(ledger: Ledger) -> None:
    original = registry()
    assert record(ledger, original) == 1
    [(remote_id, state)] = RegistryLedger(ledger).load("main-3dcart").items()
    assert remote_id == "7"
    assert state.registry == original
    assert state.registry.items[0].price == Decimal("19.99")
    assert state.registry.expires_at is not None
    assert state.registry.expires_at.tzinfo is not None
    assert (state.group, state.expired_noted, state.removed) == ("us", False, False)


def test_money_keeps_the_currency_minor_unit(ledger: Ledger) -> None:
    item = RegistryItem("1", None, None, 1, Decimal("1500"), 0, 0)
    record(ledger, registry("jp", items=(item,)), store="jp")
    [state] = RegistryLedger(ledger).load("jp").values()
    assert str(state.registry.items[0].price) == "1500"


def test_changes_replace_items_and_append_to_the_journal(ledger: Ledger) -> None:
    record(ledger, registry())
    sold = registry(items=(RegistryItem("11", "PAN-1", "Pan", 2, Decimal("19.99"), 2, 0),))
    # item 11 sold and fully purchased, item 12 removed: so the whole registry is bought
    assert record(ledger, sold) == 4
    detail = RegistryLedger(ledger).find("7")
    assert detail is not None
    assert [i.catalog_id for i in detail.state.registry.items] == ["11"]
    assert [r.kind for r in detail.journal] == [
        "created", "item_sold", "item_fully_purchased", "item_removed", "fully_purchased",
    ]  # fmt: skip
    assert [r.id for r in detail.journal] == sorted(r.id for r in detail.journal)


def test_summaries_and_stats(ledger: Ledger) -> None:
    record(ledger, registry(), registry(remote_id="8", items=()))
    [seven, eight] = RegistryLedger(ledger).summaries(group="us")
    assert (seven.items, seven.listed, seven.purchased, seven.available) == (2, 8, 3, 5)
    assert (eight.items, eight.available) == (0, 0)
    stats = RegistryLedger(ledger).stats()["main-3dcart"]
    assert (stats.registries, stats.items, stats.items_available) == (2, 2, 2)
    record(ledger, registry())  # 8 is gone from a complete listing: removed, not counted
    assert RegistryLedger(ledger).stats()["main-3dcart"].registries == 1


def test_the_same_id_on_two_stores_needs_the_store(ledger: Ledger) -> None:
    record(ledger, registry("a"), store="a")
    record(ledger, registry("b"), store="b")
    with pytest.raises(LedgerError, match=r"registry '7' exists on several stores \(a, b\)"):
        RegistryLedger(ledger).find("7")
    found = RegistryLedger(ledger).find("7", "b")
    assert found is not None
    assert found.state.registry.store == "b"
    assert RegistryLedger(ledger).find("7", "c") is None


def test_upgrade_from_0001_keeps_the_certificates(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with Ledger(engine) as old:
        add(old, cert("GC-KEEP"))
    with Ledger.open(ledger_url) as ledger:
        assert current_revision(ledger.engine) == "0003"
        assert [c.code for c in ledger.load_view("us").certificates.values()] == ["GC-KEEP"]
        record(ledger, registry())
        assert len(RegistryLedger(ledger).summaries()) == 1
