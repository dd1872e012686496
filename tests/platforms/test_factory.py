"""make_connector maps each store's settings to its connector, secrets unwrapped inside."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.config import BigCommerceStore, GroupDefaults, SfccStore, Shift4ShopStore
from syncd.model import People
from syncd.platforms.base import Connector
from syncd.platforms.bigcommerce import BigCommerceConnector
from syncd.platforms.factory import make_connector
from syncd.platforms.sfcc import SfccConnector
from syncd.platforms.shift4shop import Shift4ShopConnector

COMMON = {"base_url": "http://127.0.0.1:8080", "timeout": 7, "max_concurrency": 3}
STORES: list[tuple[type[Any], dict[str, Any], type[Any]]] = [
    (
        Shift4ShopStore,
        {
            "name": "main-3dcart",
            "platform": "shift4shop",
            "secure_url": "https://shop.example.com",
            "private_key": "PK-SECRET-1",
            "token": "TOKEN-SECRET-2",
            "currency": "USD",
        },
        Shift4ShopConnector,
    ),
    (
        BigCommerceStore,
        {
            "name": "outlet-bc",
            "platform": "bigcommerce",
            "store_hash": "abc123",
            "access_token": "BC-SECRET-3",
            "max_requests_per_second": 5,
        },
        BigCommerceConnector,
    ),
    (
        SfccStore,
        {
            "name": "flagship-sfcc",
            "platform": "sfcc",
            "auth_url": "http://127.0.0.1:8080/dw/oauth2/access_token",
            "site_id": "SiteGenesis",
            "client_id": "client",
            "client_secret": "SFCC-SECRET-4",
            "companion_url": "http://127.0.0.1:8080/s/-/dw/custom/giftcert-sync/v1",
        },
        SfccConnector,
    ),
]


@pytest.mark.parametrize(("model", "fields", "expected"), STORES)
async def test_settings_become_the_platform_connector(
    model: type[Any], fields: dict[str, Any], expected: type[Any]
) -> None:
    settings = model.model_validate({**COMMON, **fields})
    defaults = GroupDefaults(
        to_name="R", to_email="r@example.com", from_name="S", from_email="s@x.y"
    )
    connector = make_connector(settings, defaults)
    try:
        assert isinstance(connector, expected)
        assert isinstance(connector, Connector)
        assert connector.store == fields["name"]
        http = connector.http  # type: ignore[attr-defined]
        assert http.options.timeout == 7
        assert http.options.max_concurrency == 3
        assert http.options.max_requests_per_second == fields.get("max_requests_per_second")
        assert "SECRET" not in repr(connector)
        if isinstance(connector, BigCommerceConnector):
            assert connector._defaults == People("R", "r@example.com", "S", "s@x.y")
        if isinstance(connector, SfccConnector):
            assert connector.capabilities.choose_code  # companion configured
    finally:
        await connector.aclose()
