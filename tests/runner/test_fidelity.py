"""What the platforms really do, through the real runner: codes 3dcart cannot take in a URL
path or cannot tell apart by case, BigCommerce's legacy status, 3dcart dates syncd cannot
read — each one alert, the rest of the group synced (sandbox quirks on and off)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from syncd.ledger import AlertKind
from syncd.ledger.records import AlertRecord
from syncd.runner.result import Outcome
from syncd.sandbox import bigcommerce, sfcc, shift4shop
from syncd.sandbox.quirks import apply_quirks
from syncd.sandbox.server import Sandboxes
from tests.runner.world import GROUP, STORES, World, seed_on, tamper_on, world

S3D = STORES["shift4shop"]
SBC = STORES["bigcommerce"]


def quirks(*names: str) -> Callable[[Sandboxes], None]:
    def switch(sb: Sandboxes) -> None:
        configs = {
            "shift4shop": sb.apps["shift4shop"][shift4shop.CONFIG_KEY],
            "bigcommerce": sb.apps["bigcommerce"][bigcommerce.BC_CONFIG_KEY],
            "sfcc": sb.apps["sfcc"][sfcc.CONFIG_KEY],
        }
        apply_quirks(names, configs)

    return switch


def alerts_of(w: World, kind: AlertKind) -> list[AlertRecord]:
    return [a for a in w.ledger.open_alerts(GROUP) if a.kind == kind.value]


async def posts_to(w: World, platform: str) -> int:
    routes = (await w.stats(platform))["by_route"]
    return sum(n for route, n in routes.items() if route.startswith("POST "))


@pytest.mark.parametrize("code", ["GIFT+PLUS01", "GIFT%PCT01", "GIFT#HASH01", "GIFTDOT01."])
async def test_a_code_iis_refuses_in_a_path_is_unmirrorable_to_3dcart(
    tmp_path: Path, ledger_url: str, code: str
) -> None:
    async with world(tmp_path, ledger_url) as w:
        await w.issue("bigcommerce", code, "30.00")
        await w.issue("bigcommerce", "PLAINGIFT01", "20.00")
        first = await w.cycle()
        assert first.outcome is Outcome.ALERTS, first.summary
        second = await w.cycle()
        three = await w.balances("shift4shop")
        [alert] = alerts_of(w, AlertKind.UNMIRRORABLE)
        stats = await w.stats("shift4shop")
    assert code not in three  # never sent
    assert three["PLAINGIFT01"] == 20  # the rest of the group synced
    assert alert.store == S3D
    assert "3dcart (IIS) refuses in a URL path" in alert.message
    assert code not in alert.message  # masked
    assert alert.count == 1  # one alert, not one per cycle
    assert second.outcome is Outcome.CONVERGED, second.summary
    assert stats["by_route"].get("POST /3dCartWebAPI/v2/GiftCertificates") == 1  # the plain one


@pytest.mark.parametrize("quirk", [(), ("shift4shop-case-insensitive-codes",)])
async def test_a_code_equal_but_for_case_to_a_3dcart_code_is_a_conflict_there(
    tmp_path: Path, ledger_url: str, quirk: Sequence[str]
) -> None:
    async with world(tmp_path, ledger_url, before=quirks(*quirk)) as w:
        seed_on(w.sb, "shift4shop", ("casegift0001", "15.00"))
        seed_on(w.sb, "bigcommerce", ("CASEGIFT0001", "25.00"))
        first = await w.cycle()
        again = await w.cycle()
        three = await w.balances("shift4shop")
        bc = await w.balances("bigcommerce")
        [conflict] = alerts_of(w, AlertKind.CODE_CONFLICT)
        posts = await posts_to(w, "shift4shop")
    assert first.outcome is Outcome.ALERTS, first.summary
    assert again.outcome is Outcome.ALERTS, again.summary  # the conflict is still there
    assert three == {"casegift0001": 15}  # never created beside it
    assert bc == {"CASEGIFT0001": 25, "casegift0001": 15}  # BigCommerce tells them apart
    assert posts == 0
    assert conflict.store == S3D
    assert "CASEGIFT0001" not in conflict.message
    assert "by case" in conflict.message
    assert conflict.count == 2  # the same alert, seen again


@pytest.mark.parametrize("quirk", [(), ("bigcommerce-legacy-status",)])
async def test_a_legacy_bigcommerce_status_is_one_alert_and_the_certificate_syncs(
    tmp_path: Path, ledger_url: str, quirk: Sequence[str]
) -> None:
    async with world(tmp_path, ledger_url, before=quirks(*quirk)) as w:
        seed_on(w.sb, "bigcommerce", ("LEGACYGIFT01", "40.00"), ("LEGACYGIFT02", "10.00"))
        first = await w.cycle()
        await w.redeem("bigcommerce", "LEGACYGIFT01", "15.00")
        second = await w.cycle()
        three = await w.balances("shift4shop")
        notes = [a for a in alerts_of(w, AlertKind.MALFORMED_RECORD) if "status" in a.message]
    assert three == {"LEGACYGIFT01": 25, "LEGACYGIFT02": 10}  # never skipped
    [listing] = [s for s in second.stores if s.store == SBC]
    assert listing.complete, listing
    if not quirk:
        assert notes == []
        assert first.outcome is Outcome.CONVERGED, first.summary
        return
    [alert] = notes  # one per value and store, not per record or cycle
    assert alert.store == SBC
    assert "'0'" in alert.message
    assert alert.count == 2


async def test_an_unreadable_3dcart_date_is_one_alert_and_costs_nothing_else(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url) as w:
        seed_on(w.sb, "shift4shop", ("DATEGIFT0001", "30.00"), ("DATEGIFT0002", "12.00"))
        tamper_on(w.sb, "shift4shop", "DATEGIFT0001", {"DateCreated": "27.11.2019 17:51"})
        tamper_on(w.sb, "shift4shop", "DATEGIFT0002", {"DateCreated": "01.12.2019 08:00"})
        result = await w.cycle()
        bc = await w.balances("bigcommerce")
        dates = [a for a in alerts_of(w, AlertKind.MALFORMED_RECORD) if "DateCreated" in a.message]
    [listing] = [s for s in result.stores if s.store == S3D]
    assert listing.complete, listing  # a date problem never makes the listing incomplete
    assert bc == {"DATEGIFT0001": 30, "DATEGIFT0002": 12}
    [alert] = dates  # one per store and format
    assert alert.store == S3D
    assert "99.99.9999 99:99" in alert.message
