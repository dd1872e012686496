"""Registry polling end to end: the 3dcart sandbox over loopback → diff → ledger (SQLite and
PostgreSQL). Time is the injected clock; sales go through the sandbox's HTTP admin route."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry

from syncd.ledger import Ledger
from syncd.ledger.registries import RegistryJournalRecord, RegistryLedger
from syncd.metrics import Metrics
from syncd.platforms.shift4shop import Shift4ShopConnector
from syncd.registries.poll import RegistryPollOutcome, poll_registries
from tests.registries.conftest import Shop, item


async def poll(shop: Shop, ledger: Ledger, **kw: object) -> RegistryPollOutcome:
    [outcome] = await poll_registries(ledger, "us", [shop.connector], now=shop.now(), **kw)  # type: ignore[arg-type]
    return outcome


def journal(ledger: Ledger, remote_id: str) -> list[RegistryJournalRecord]:
    detail = RegistryLedger(ledger).find(remote_id)
    assert detail is not None
    return list(detail.journal)


def kinds(rows: list[RegistryJournalRecord]) -> list[str]:
    return [row.kind for row in rows]


async def test_first_poll_records_every_registry_with_all_items(shop: Shop, ledger: Ledger) -> None:
    ids = [shop.add(f"R{n}", [item(100 + i) for i in range(25)]) for n in range(7)]
    outcome = await poll(shop, ledger)
    assert (outcome.healthy, outcome.complete, outcome.listed) == (True, True, 7)
    assert outcome.changes == {"created": 7}
    book = RegistryLedger(ledger)
    summaries = book.summaries(group="us")
    assert [s.remote_id for s in summaries] == ids
    assert {(s.items, s.listed, s.available) for s in summaries} == {(25, 50, 50)}
    assert kinds(journal(ledger, ids[0])) == ["created"]
    again = await poll(shop, ledger)
    assert again.changes == {}


async def test_sales_on_the_sandbox_are_item_sold_rows_with_their_counts(
    shop: Shop, ledger: Ledger
) -> None:
    wedding = shop.add("Wedding", [item(11, listed=4), item(12, listed=1), item(13)])
    await poll(shop, ledger)
    await shop.sell(wedding, 11, 2)
    await shop.sell(wedding, 11, 1, offline=True)
    await shop.sell(wedding, 12, 1, offline=True)
    shop.now.now += timedelta(minutes=5)
    outcome = await poll(shop, ledger)
    assert outcome.changes == {"item_sold": 2, "item_fully_purchased": 1}
    rows = journal(ledger, wedding)
    sold = [(r.catalog_id, r.quantity, r.old, r.new) for r in rows if r.kind == "item_sold"]
    assert sold == [("11", 3, "0", "3"), ("12", 1, "0", "1")]
    assert rows[1].reason == "2 online, 1 offline; 1 still wanted"
    assert rows[1].observed_at == shop.now()
    detail = RegistryLedger(ledger).find(wedding)
    assert detail is not None
    pan = detail.state.registry.items_by_id["11"]
    assert (pan.sold, pan.sold_offline, pan.available) == (2, 1, 1)
    assert (await poll(shop, ledger)).changes == {}  # the same sales are not counted twice


async def test_an_expired_registry_is_reported_once(shop: Shop, ledger: Ledger) -> None:
    registry = shop.add("Party", [item(1)], Expires="03/02/2026 12:00")
    await poll(shop, ledger)
    shop.now.now += timedelta(days=2)
    assert (await poll(shop, ledger)).changes == {"expired": 1}
    shop.now.now += timedelta(days=1)
    assert (await poll(shop, ledger)).changes == {}
    assert kinds(journal(ledger, registry)) == ["created", "expired"]
    [summary] = RegistryLedger(ledger).summaries()
    assert summary.expired


async def test_a_failed_listing_removes_nothing(shop: Shop, ledger: Ledger) -> None:
    ids = [shop.add(f"R{n}", [item(1), item(2)]) for n in range(5)]
    shop.connector.registries = shop.connector.make_registries(page_size=2)
    await poll(shop, ledger)
    shop.faults(error_rate=1.0)
    failed = await poll(shop, ledger)
    assert (failed.healthy, failed.complete, failed.changes) == (True, False, {})
    shop.faults(error_rate=0.0)
    # Gone from the store: one registry, and an item of the next one. Then the listing
    # breaks off after its first page, which is read and still counts for its sales.
    shop.drop(ids[0])
    del shop.registry(ids[1]).items[2]
    await shop.sell(ids[2], 1, 1)
    shop.fail_from_offset(3)
    broken = await poll(shop, ledger)
    assert (broken.complete, broken.listed) == (False, 2)
    assert broken.changes == {"item_sold": 1}
    summaries = RegistryLedger(ledger).summaries()
    assert {s.remote_id: s.removed for s in summaries} == dict.fromkeys(ids, False)
    assert {s.remote_id: s.items for s in summaries} == dict.fromkeys(ids, 2)
    shop.fail_from_offset(None)
    complete = await poll(shop, ledger)
    assert complete.changes == {"removed": 1, "item_removed": 1}
    assert kinds(journal(ledger, ids[0])) == ["created", "removed"]


async def test_a_silently_truncated_listing_is_re_read_before_anything_is_removed(
    shop: Shop, ledger: Ledger
) -> None:
    ids = [shop.add(f"R{n}", [item(1)]) for n in range(6)]
    shop.connector.registries = shop.connector.make_registries(page_size=4)
    await poll(shop, ledger)
    shop.faults(truncate_rate=1.0, seed=1)  # every page loses its trailing half
    outcome = await poll(shop, ledger)
    assert (outcome.complete, outcome.listed, outcome.changes) == (True, 6, {})
    assert not any(s.removed for s in RegistryLedger(ledger).summaries())
    assert len(ids) == 6


async def test_refused_credentials_are_reported_and_nothing_recorded(
    shop: Shop, ledger: Ledger
) -> None:
    shop.add("R", [item(1)])
    bad = Shift4ShopConnector(
        "main-3dcart", base_url=shop.url, secure_url="https://x.example", private_key="k",
        token="not-the-token", currency="USD",
    )  # fmt: skip
    try:
        [outcome] = await poll_registries(ledger, "us", [bad], now=shop.now())
    finally:
        await bad.aclose()
    assert (outcome.healthy, outcome.complete) == (False, False)
    assert "credentials rejected" in (outcome.reason or "")
    assert "not-the-token" not in (outcome.reason or "")
    assert RegistryLedger(ledger).summaries() == []


async def test_a_dry_run_records_nothing(shop: Shop, ledger: Ledger) -> None:
    shop.add("R", [item(1)])
    outcome = await poll(shop, ledger, dry_run=True)
    assert outcome.changes == {"created": 1}
    assert outcome.diff is not None
    assert RegistryLedger(ledger).summaries() == []


async def test_metrics_after_a_poll(shop: Shop, ledger: Ledger) -> None:
    registry = shop.add("R", [item(1, listed=1), item(2), item(3)])
    shop.add("S", [item(1)])
    metrics = Metrics(CollectorRegistry())
    await poll(shop, ledger, metrics=metrics)
    await shop.sell(registry, 1, 1)
    await poll(shop, ledger, metrics=metrics)
    text = metrics.render().decode()
    assert 'syncd_registries{store="main-3dcart"} 2.0' in text
    assert 'syncd_registry_items{store="main-3dcart"} 4.0' in text
    assert 'syncd_registry_items_available{store="main-3dcart"} 3.0' in text
    assert 'syncd_registry_changes_total{kind="item_sold",store="main-3dcart"} 1.0' in text


async def test_an_unreadable_registry_raises_one_alert(shop: Shop, ledger: Ledger) -> None:
    registry = shop.add("R", [item(1)])
    shop.registry(registry).items[1].sold = -1
    await poll(shop, ledger)
    await poll(shop, ledger)
    [alert] = ledger.open_alerts("us")
    assert (alert.kind, alert.store, alert.key, alert.count) == (
        "malformed_record", "main-3dcart", f"registry {registry}", 2,
    )  # fmt: skip
    assert "Sold is not a quantity" in alert.message


async def test_registries_with_many_items_across_item_pages(cut_shop: Shop, ledger: Ledger) -> None:
    """The store lists two items inline; the rest come from ``/{id}/Items`` in pages."""
    ids = [cut_shop.add(f"R{n}", [item(1000 + i) for i in range(23)]) for n in range(5)]
    cut_shop.connector.registries = cut_shop.connector.make_registries(page_size=2)
    first = await poll(cut_shop, ledger)
    assert (first.complete, first.listed) == (True, 5)
    assert {s.items for s in RegistryLedger(ledger).summaries()} == {23}
    async with cut_shop.http.get(f"{cut_shop.url}/_sandbox/stats") as response:
        routes = (await response.json())["by_route"]
    assert sum(n for route, n in routes.items() if route.endswith("/Items")) == 5 * 12
    await cut_shop.sell(ids[4], 1022, 2)  # the last item of the last registry
    second = await poll(cut_shop, ledger)
    assert second.changes == {"item_sold": 1, "item_fully_purchased": 1}
    [sold] = [r for r in journal(ledger, ids[4]) if r.kind == "item_sold"]
    assert (sold.catalog_id, sold.quantity) == ("1022", 2)
