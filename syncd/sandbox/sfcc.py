"""SFCC sandbox: OCAPI Data 23.2 gift certificates, the OAuth token endpoint, the Shop API
code look-up and the companion endpoint, for one site of one instance.

Routes (seed 003 and PLATFORMS.md are the specification; field rules: :mod:`.sfcc_state`):

* ``POST /dw/oauth2/access_token`` — Basic auth with the client id/secret, form
  ``grant_type=client_credentials``; tokens live ``token_lifetime_s`` on the injected clock.
  A missing, unknown or expired bearer token answers 401 fault ``InvalidAccessTokenException``.
* ``/s/-/dw/data/v23_2/sites/{site}/gift_certificates[/{merchant_id}]`` — list (``start``,
  ``count`` ≤ 200; above it 400 ``ValueOutOfRangeException``), create, get, PATCH, DELETE.
* ``POST /s/{site}/dw/shop/v23_2/gift_certificate`` — header ``x-dw-client-id`` (the shop
  client id), body ``{"gift_certificate_code"}`` → the Shop API document or 404.
* ``/s/-/dw/custom/giftcert-sync/v1`` — the companion (docs/companion.md).

An unknown site answers 404 ``SiteNotFoundException``; injected 429s are fault
``QuotaExceededException`` with ``Retry-After`` when the fault asks for wait headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from syncd.model import Status
from syncd.money import quantize
from syncd.sandbox import sfcc_companion
from syncd.sandbox.common import (
    SANDBOX_PREFIX,
    CertificateView,
    SeedCertificate,
    ShopperRefused,
    UnknownCode,
    add_admin_routes,
    sandbox_middleware,
)
from syncd.sandbox.sfcc_auth import AUTH_PATH, TOKENS_KEY, TokenStore, access_token, authenticate
from syncd.sandbox.sfcc_companion import (
    COMPANION_ONE_ROUTE,
    COMPANION_REVEAL_ROUTE,
    data_link,
    data_link_base,
    is_companion_path,
    json_object,
    problem_response,
)
from syncd.sandbox.sfcc_state import (
    API_VERSION,
    OcapiFault,
    SfccCertificate,
    Transaction,
    masked,
    money,
)
from syncd.sandbox.sfcc_store import STORE_KEY, SfccStore

DATA_BASE = "/s/-/dw/data/v23_2/sites/{site}/gift_certificates"
SHOP_PATH = "/s/{site}/dw/shop/v23_2/gift_certificate"
LIST_ROUTE = "sfcc-gift-certificates"
ONE_ROUTE = "sfcc-gift-certificate"


@dataclass
class SfccSandboxConfig:
    """One sandbox site. Credentials are fixed sandbox values unless overridden."""

    site_id: str = "SiteGenesis"
    client_id: str = "sandbox-sfcc-client"
    client_secret: str = field(default="sandbox-sfcc-client-secret", repr=False)
    shop_client_id: str = "sandbox-sfcc-shop-client"
    currency: str = "USD"
    token_lifetime_s: int = 1799
    default_count: int = 25
    max_count: int = 200
    max_amount: Decimal = Decimal(1_000_000)
    throttle_retry_after_s: int = 1  # Retry-After of injected 429s
    clock: Callable[[], float] = time.monotonic  # token expiry
    wall_clock: Callable[[], float] = time.time  # creation dates, transactions
    # Unknown on real instances: whether a deleted certificate's code can be used again at
    # once. On: a companion create of such a code is 409 code-not-reusable.
    refuse_deleted_code_reuse: bool = False
    # A real instance's Shop API look-up wants an application's bearer token besides the
    # client id (OCAPI ``oauth2_application``); on, the client id alone is answered 401.
    shop_requires_bearer: bool = False


CONFIG_KEY = web.AppKey("sfcc_config", SfccSandboxConfig)


def fault_response(fault: OcapiFault) -> web.Response:
    return web.json_response(fault.document(), status=fault.status)


class SfccHooks:
    """How SFCC answers injected faults (:class:`syncd.sandbox.common.PlatformHooks`)."""

    def __init__(self, store: SfccStore, config: SfccSandboxConfig) -> None:
        self._store = store
        self._config = config

    def error_response(self, status: int, message: str) -> web.Response:
        return fault_response(OcapiFault(status, "InternalServerErrorException", message))

    def throttle_response(self, with_headers: bool) -> web.Response:
        response = fault_response(
            OcapiFault(429, "QuotaExceededException", "The request quota has been exceeded.")
        )
        if with_headers:
            response.headers["Retry-After"] = str(self._config.throttle_retry_after_s)
        return response

    def is_list_route(self, request: web.Request) -> bool:
        return request.method == "GET" and request.match_info.route.name == LIST_ROUTE

    def single_read_code(self, request: web.Request) -> str | None:
        if request.method != "GET":
            return None
        name = request.match_info.route.name
        if name == COMPANION_ONE_ROUTE:
            return request.match_info["code"]
        if name in (ONE_ROUTE, COMPANION_REVEAL_ROUTE):
            record = self._store.records.get(request.match_info["merchant_id"])
            return record.code if record is not None else None
        return None


class SfccBackend:
    """The site as the shopper routes see it (:class:`syncd.sandbox.common.SandboxBackend`)."""

    def __init__(self, store: SfccStore) -> None:
        self._store = store

    def certificates(self) -> Iterable[CertificateView]:
        return [_view(self._store.records[m]) for m in self._store.order]

    def lookup(self, code: str) -> CertificateView | None:
        merchant_id = self._store.by_code.get(code)
        return _view(self._store.records[merchant_id]) if merchant_id is not None else None

    def issue(self, code: str | None, amount: Decimal, currency: str | None) -> CertificateView:
        if currency is not None and currency != self._store.currency:
            raise ValueError(f"currency {currency!r} is not the site currency")
        body: dict[str, Any] = {"amount": money(amount, self._store.currency)}
        if code is None:
            return _view(self._store.create(body))
        if code in self._store.by_code:
            raise ShopperRefused(f"code {code!r} already exists")
        try:
            return _view(self._store.create_with_code({**body, "code": code}))
        except OcapiFault as fault:
            raise ValueError(fault.message) from fault

    def redeem(self, code: str, amount: Decimal) -> CertificateView:
        merchant_id = self._store.by_code.get(code)
        if merchant_id is None:
            raise UnknownCode(code)
        record = self._store.records[merchant_id]
        if not record.enabled:
            raise ShopperRefused(f"certificate {record.merchant_id!r} is disabled")
        if amount > record.balance:
            raise ShopperRefused(f"balance {record.balance} is less than {amount}")
        self._store.redeem(record, amount)
        return _view(record)

    def reset(self) -> None:
        self._store.reset()


def _view(record: SfccCertificate) -> CertificateView:
    if not record.enabled:
        status = Status.DISABLED
    elif record.status == "pending":
        status = Status.PENDING
    else:
        status = Status.ACTIVE
    return CertificateView(
        record.code, record.merchant_id, record.currency, record.amount, record.balance, status
    )


def _platform_middleware(config: SfccSandboxConfig) -> Middleware:
    """Bearer-token auth on OCAPI and companion routes; faults become fault documents."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(SANDBOX_PREFIX):
            return await handler(request)
        try:
            if request.path.startswith("/s/-/dw/"):
                authenticate(request)
            _check_site(request, config)
            return await handler(request)
        except OcapiFault as fault:
            if is_companion_path(request.path):
                return problem_response(fault.status, fault.kind, fault.message, fault.arguments)
            return fault_response(fault)
        except web.HTTPException as err:  # unknown path or method
            if is_companion_path(request.path):
                return problem_response(err.status, "NotFoundException", err.reason, {})
            return fault_response(OcapiFault(err.status, "NotFoundException", err.reason))

    return middleware


def _check_site(request: web.Request, config: SfccSandboxConfig) -> None:
    site = request.match_info.get("site", config.site_id)
    if site != config.site_id:
        raise OcapiFault(
            404, "SiteNotFoundException", f"No site with ID '{site}' was found.", {"siteId": site}
        )


def _query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise OcapiFault(
            400,
            "ValueOutOfRangeException",
            f"The value {raw!r} of query parameter '{name}' is out of range [{low}, {high}].",
            {"parameter": name, "value": raw},
        )
    return value


async def list_certificates(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    store = request.app[STORE_KEY]
    start = _query_int(request, "start", 0, 0, 2**31 - 1)
    count = _query_int(request, "count", config.default_count, 1, config.max_count)
    records = store.page(start, count)
    base = data_link_base(request, store)
    document: dict[str, Any] = {
        "_v": API_VERSION,
        "count": len(records),
        "data": [
            r.document(base + quote(r.merchant_id, safe=""), with_state=False) for r in records
        ],
        "start": start,
        "total": len(store.order),
    }
    if "select" in request.query:
        document["select"] = request.query["select"]  # accepted and echoed, not applied
    return web.json_response(document)


def _single(request: web.Request, record: SfccCertificate, status: int = 200) -> web.Response:
    link = data_link(request, request.app[STORE_KEY], record.merchant_id)
    return web.json_response(record.document(link), status=status)


async def create_certificate(request: web.Request) -> web.Response:
    record = request.app[STORE_KEY].create(await json_object(request))
    return _single(request, record)  # the seed's create answers 200


async def get_certificate(request: web.Request) -> web.Response:
    return _single(request, request.app[STORE_KEY].get(request.match_info["merchant_id"]))


async def patch_certificate(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    merchant_id = request.match_info["merchant_id"]
    store.get(merchant_id)  # 404 before looking at the body
    return _single(request, store.patch(merchant_id, await json_object(request)))


async def delete_certificate(request: web.Request) -> web.Response:
    state = request.headers.get("x-dw-resource-state")
    request.app[STORE_KEY].delete(request.match_info["merchant_id"], state)
    return web.Response(status=204)


async def shop_lookup(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    if config.shop_requires_bearer:
        authenticate(request)  # OCAPI's oauth2_application: a client-credentials token
    client_id = request.headers.get("x-dw-client-id")
    if client_id != config.shop_client_id:
        kind = "MissingClientIdException" if client_id is None else "InvalidClientIdException"
        raise OcapiFault(401, kind, "The client id in header 'x-dw-client-id' is not valid.")
    code = (await json_object(request)).get("gift_certificate_code")
    if not isinstance(code, str) or not code:
        raise OcapiFault(400, "MissingParameterException", "'gift_certificate_code' is missing.")
    return web.json_response(_shop_document(request.app[STORE_KEY].get_by_code(code)))


def _shop_document(record: SfccCertificate) -> dict[str, Any]:
    """The Shop API's gift certificate: money as plain numbers, code masked."""
    document: dict[str, Any] = {
        "_v": API_VERSION,
        "_type": "gift_certificate",
        "amount": float(record.amount),
        "balance": float(record.balance),
        "enabled": record.enabled,
        "masked_gift_certificate_code": masked(record.code),
        "merchant_id": record.merchant_id,
        "status": record.status,
    }
    for name in ("description", "message", "recipient_email", "recipient_name", "sender_name"):
        if getattr(record, name) is not None:
            document[name] = getattr(record, name)
    return document


def _routes(config: SfccSandboxConfig) -> list[web.RouteDef]:
    one = DATA_BASE + "/{merchant_id}"
    return [
        web.post(AUTH_PATH, access_token),
        web.get(DATA_BASE, list_certificates, name=LIST_ROUTE, allow_head=False),
        web.post(DATA_BASE, create_certificate),
        web.get(one, get_certificate, name=ONE_ROUTE, allow_head=False),
        web.patch(one, patch_certificate),
        web.delete(one, delete_certificate),
        web.post(SHOP_PATH, shop_lookup),
        *sfcc_companion.routes(),
    ]


def create_app(config: SfccSandboxConfig | None = None) -> web.Application:
    """An SFCC sandbox serving one site (``config.site_id``)."""
    config = config or SfccSandboxConfig()
    store = SfccStore(
        config.site_id,
        config.currency.upper(),
        config.max_amount,
        config.wall_clock,
        refuse_deleted_code_reuse=config.refuse_deleted_code_reuse,
    )
    app = web.Application(
        middlewares=[sandbox_middleware(SfccHooks(store, config)), _platform_middleware(config)]
    )
    app[CONFIG_KEY] = config
    app[STORE_KEY] = store
    app[TOKENS_KEY] = TokenStore(
        config.client_id, config.client_secret, config.token_lifetime_s, config.clock
    )
    app.router.add_routes(_routes(config))
    add_admin_routes(app, SfccBackend(store))
    return app


def seed(app: web.Application, certificates: Iterable[SeedCertificate]) -> None:
    """Add certificates in-process with their plain codes known to the sandbox (as if issued
    through the companion). Codes must be new; the currency must be the site's."""
    store = app[STORE_KEY]
    now = app[CONFIG_KEY].wall_clock()
    for cert in certificates:
        if cert.code in store.by_code or not cert.code:
            raise ValueError(f"seed code {cert.code!r} is empty or already exists")
        if cert.currency != store.currency:
            raise ValueError(f"seed currency {cert.currency!r} is not the site currency")
        store.add(_seeded(store, cert, now))


# SFCC has no "expired": an expired or disabled certificate is one turned off.
_TURNED_OFF = frozenset({Status.DISABLED, Status.EXPIRED})


def _seeded(store: SfccStore, cert: SeedCertificate, now: float) -> SfccCertificate:
    amount = quantize(cert.amount, cert.currency)
    balance = quantize(cert.balance, cert.currency)
    transactions = [Transaction("create", amount, now)]
    if balance != amount:
        transactions.append(Transaction("redeem", amount - balance, now))
    record = SfccCertificate(
        store.next_merchant_id(),
        cert.code,
        cert.currency,
        amount,
        balance,
        now,
        now,
        "pending" if cert.status == "pending" else "issued",
        cert.status not in _TURNED_OFF,
        transactions=transactions,
    )
    record.settle_status()
    return record
