"""Build a connector from a store's settings (the only place connectors meet the config).

The connectors themselves take plain arguments so that they, and their tests, do not
depend on :mod:`syncd.config`; it is imported lazily here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from syncd.model import People
from syncd.platforms.base import Connector
from syncd.platforms.http import HttpOptions

if TYPE_CHECKING:
    from syncd.config import GroupDefaults, StoreSettings


def http_options(settings: Any) -> HttpOptions:
    """The HTTP limits of a store's settings (timeout, concurrency, rate ceiling, body size)."""
    return HttpOptions(
        timeout=float(settings.timeout),
        max_concurrency=int(settings.max_concurrency),
        max_requests_per_second=settings.max_requests_per_second,
        max_body_bytes=int(float(settings.max_response_mb) * 1024 * 1024),
    )


def people_defaults(defaults: GroupDefaults | None) -> People:
    if defaults is None:
        return People()
    return People(defaults.to_name, defaults.to_email, defaults.from_name, defaults.from_email)


def make_connector(store: StoreSettings, defaults: GroupDefaults | None = None) -> Connector:
    """The connector for ``store``; ``defaults`` fill fields a platform requires."""
    from syncd.config import BigCommerceStore, SfccStore, Shift4ShopStore

    if isinstance(store, Shift4ShopStore):
        return _shift4shop(store)
    if isinstance(store, BigCommerceStore):
        return _bigcommerce(store, defaults)
    if isinstance(store, SfccStore):
        return _sfcc(store)
    raise ValueError(f"store {store.name!r}: unknown platform {store.platform!r}")


def _shift4shop(store: Any) -> Connector:
    from syncd.platforms.shift4shop import Shift4ShopConnector

    return Shift4ShopConnector(
        store.name,
        base_url=store.base_url,
        secure_url=store.secure_url,
        private_key=store.private_key.get_secret_value(),
        token=store.token.get_secret_value(),
        currency=store.currency,
        timezone=store.timezone,
        options=http_options(store),
        page_size=store.page_size,
        max_certificates=store.max_certificates,
        recreate=store.balance_write == "recreate",
    )


def _bigcommerce(store: Any, defaults: GroupDefaults | None) -> Connector:
    from syncd.platforms.bigcommerce import BigCommerceConnector

    return BigCommerceConnector(
        store.name,
        base_url=store.base_url,
        store_hash=store.store_hash,
        access_token=store.access_token.get_secret_value(),
        defaults=people_defaults(defaults),
        currency=store.currency,
        options=replace(http_options(store), rate_limit_reserve=store.rate_limit_reserve),
        page_size=store.page_size,
        max_certificates=store.max_certificates,
    )


def _sfcc(store: Any) -> Connector:
    from syncd.platforms.sfcc import SfccConnector

    return SfccConnector(
        store.name,
        base_url=store.base_url,
        auth_url=store.auth_url,
        site_id=store.site_id,
        client_id=store.client_id,
        client_secret=store.client_secret.get_secret_value(),
        currency=store.currency,
        companion_url=store.companion_url,
        shop_client_id=store.shop_client_id,
        options=http_options(store),
        page_size=store.page_size,
        max_certificates=store.max_certificates,
    )
