"""The daemon's side door serves the registry routes (registered by syncd.daemon.sidedoor)."""

from __future__ import annotations

from types import SimpleNamespace

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from syncd.daemon.sidedoor import create_app
from syncd.ledger import Ledger
from syncd.registries.poll import poll_registries
from tests.registries.conftest import Shop, item


async def test_the_side_door_serves_registries(shop: Shop) -> None:
    registry = shop.add("Wedding", [item(11)], Message="Thanks!")
    with Ledger.open("sqlite://") as ledger:
        await poll_registries(ledger, "us", [shop.connector], now=shop.now())
        http = SimpleNamespace(admin_token=SecretStr("operator"))
        daemon = SimpleNamespace(ledger=ledger, settings=SimpleNamespace(http=http))
        app = create_app(daemon)  # type: ignore[arg-type]
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            listing = await (await client.get("/v1/registries")).json()
            assert [r["id"] for r in listing["registries"]] == [registry]
            plain = await (await client.get(f"/v1/registries/main-3dcart/{registry}")).json()
            assert "message" not in plain
            headers = {"Authorization": "Bearer operator"}
            full = await client.get(f"/v1/registries/main-3dcart/{registry}", headers=headers)
            assert (await full.json())["message"] == "Thanks!"
