"""The runner's hook: a group with ``registries = true`` polls them in the same cycle."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry

from syncd.config import load_settings
from syncd.ledger import Ledger
from syncd.ledger.registries import RegistryLedger
from syncd.metrics import Metrics
from syncd.runner.service import Syncer
from tests.registries.conftest import Shop, item


def config(shop: Shop, ledger_url: str, registries: bool) -> str:
    return f"""
[ledger]
url = "{ledger_url}"

[[stores]]
name = "main-3dcart"
platform = "shift4shop"
base_url = "{shop.url}"
secure_url = "https://sandbox-store.3dcartstores.com"
private_key = "sandbox-private-key"
token = "sandbox-token"
currency = "USD"

[[groups]]
name = "us"
stores = ["main-3dcart"]
interval = "5m"
registries = {"true" if registries else "false"}
"""


@asynccontextmanager
async def syncer(
    shop: Shop, tmp_path: Path, *, registries: bool = True
) -> AsyncIterator[tuple[Syncer, Ledger, Metrics]]:
    path = tmp_path / "syncd.toml"
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    path.write_text(config(shop, url, registries))
    os.chmod(path, 0o600)
    settings = load_settings(path, environ={})
    ledger = Ledger.open(url)
    metrics = Metrics(CollectorRegistry())
    running = Syncer(settings, ledger, metrics=metrics, clock=shop.now)
    try:
        yield running, ledger, metrics
    finally:
        await running.aclose()
        ledger.close()


async def test_registries_are_polled_in_the_group_cycle(shop: Shop, tmp_path: Path) -> None:
    wedding = shop.add("Wedding", [item(11, listed=2), item(12)])
    async with syncer(shop, tmp_path) as (running, ledger, metrics):
        first = await running.run_cycle("us")
        await shop.sell(wedding, 11, 2, offline=True)
        second = await running.run_cycle("us")
        detail = RegistryLedger(ledger).find(wedding)
    assert detail is not None
    rows = [(r.kind, r.catalog_id, r.quantity, r.cycle_id) for r in detail.journal]
    assert rows == [
        ("created", None, None, first.cycle_id),
        ("item_sold", "11", 2, second.cycle_id),
        ("item_fully_purchased", "11", None, second.cycle_id),
    ]
    assert 'syncd_registry_items_available{store="main-3dcart"} 1.0' in metrics.render().decode()


async def test_a_group_without_registries_does_not_poll_them(shop: Shop, tmp_path: Path) -> None:
    shop.add("Wedding", [item(11)])
    async with syncer(shop, tmp_path, registries=False) as (running, ledger, _):
        await running.run_cycle("us")
        assert RegistryLedger(ledger).summaries() == []
