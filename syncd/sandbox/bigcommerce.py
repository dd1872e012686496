"""BigCommerce v2 sandbox: ``/stores/{hash}/v2/gift_certificates`` for one store.

Seed 001 and PLATFORMS.md are the specification (field rules: :mod:`.bigcommerce_state`).
Every platform answer carries the four ``X-Rate-Limit-*`` headers; a configurable quota per
window (default generous, so ordinary tests are never throttled) answers 429 when spent.
Errors are JSON arrays of ``{status, message}``; an empty list page is 204 with no body.
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from syncd.model import Status
from syncd.sandbox.bigcommerce_state import (
    CODE_KEPT,
    FILTERS,
    BcCertificate,
    BcError,
    BcStore,
)
from syncd.sandbox.common import (
    SANDBOX_PREFIX,
    CertificateView,
    SeedCertificate,
    ShopperRefused,
    UnknownCode,
    add_admin_routes,
    sandbox_middleware,
)

LIST_ROUTE = "bc-gift-certificates"
ONE_ROUTE = "bc-gift-certificate"


@dataclass
class BigCommerceSandboxConfig:
    """One sandbox store. Credentials are fixed sandbox values unless overridden."""

    store_hash: str = "sandboxstore"
    access_token: str = field(default="sandbox-bc-access-token", repr=False)
    client_id: str = "sandbox-bc-client"  # sent by clients as X-Auth-Client; not checked
    currency: str = "USD"  # the store's default transactional currency
    currencies: frozenset[str] = frozenset()  # further currencies that exist in the store
    default_limit: int = 50
    max_limit: int = 250
    rate_quota: int = 10_000  # requests per window (real stores: 150 Standard/Plus, 450 Pro)
    rate_window_ms: int = 30_000
    clock: Callable[[], float] = time.monotonic  # rate-limit windows
    wall_clock: Callable[[], float] = time.time  # purchase dates (Unix seconds)
    # Who seeded and shopper-issued certificates are to/from: BigCommerce requires them.
    people: tuple[str, str, str, str] = (
        "Sandbox Recipient",
        "recipient@example.com",
        "Sandbox Shop",
        "shop@example.com",
    )
    # What a 429 carries: the X-Rate-Limit-* headers ("rate-limit", documented), nothing
    # ("none": a store shedding load), or only X-Retry-After ("x-retry-after", seconds, what
    # older clients read). Other answers carry the X-Rate-Limit-* headers whatever this is.
    throttle_style: str = "rate-limit"
    throttle_retry_after_s: int = 2  # X-Retry-After of "x-retry-after" 429s
    # Older stores' answers (live output of 2016): an active certificate's status shown as
    # this legacy value ("0"), and no currency_code at all. None / False: as documented.
    legacy_status: str | None = None
    omit_currency_code: bool = False


class RateLimiter:
    """A fixed window of ``quota`` requests that starts with the first request after the
    previous window ended (time from the injected clock)."""

    def __init__(self, quota: int, window_ms: int, clock: Callable[[], float]) -> None:
        self.quota = quota
        self.window_ms = window_ms
        self._clock = clock
        self._start: float | None = None
        self._used = 0

    def _roll(self) -> float:
        now = self._clock()
        if self._start is None or (now - self._start) * 1000 >= self.window_ms:
            self._start, self._used = now, 0
        return now

    def take(self) -> bool:
        """Spend one request of the quota; False when none is left."""
        self._roll()
        if self._used >= self.quota:
            return False
        self._used += 1
        return True

    def headers(self, exhausted: bool = False) -> dict[str, str]:
        now = self._roll()
        start = self._start if self._start is not None else now
        reset_ms = max(0, math.ceil(self.window_ms - (now - start) * 1000))
        left = 0 if exhausted else self.quota - self._used
        return {
            "X-Rate-Limit-Requests-Left": str(left),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
        }

    def reset(self) -> None:
        self._start, self._used = None, 0


BC_CONFIG_KEY = web.AppKey("bigcommerce_config", BigCommerceSandboxConfig)
BC_STORE_KEY = web.AppKey("bigcommerce_store", BcStore)
BC_LIMITER_KEY = web.AppKey("bigcommerce_limiter", RateLimiter)


def error_response(status: int, message: str) -> web.Response:
    """BigCommerce's error shape: an array of ``{status, message}``."""
    return web.json_response([{"status": status, "message": message}], status=status)


THROTTLE_STYLES = ("rate-limit", "none", "x-retry-after")


def throttle_headers(config: BigCommerceSandboxConfig, limiter: RateLimiter) -> dict[str, str]:
    """The headers of a 429 in the configured ``throttle_style``."""
    if config.throttle_style == "none":
        return {}
    if config.throttle_style == "x-retry-after":
        return {"X-Retry-After": str(config.throttle_retry_after_s)}
    if config.throttle_style != "rate-limit":
        raise ValueError(f"unknown throttle_style {config.throttle_style!r} ({THROTTLE_STYLES})")
    return limiter.headers(exhausted=True)


class BcHooks:
    """How BigCommerce answers injected faults (:class:`syncd.sandbox.common.PlatformHooks`)."""

    def __init__(
        self, store: BcStore, limiter: RateLimiter, config: BigCommerceSandboxConfig
    ) -> None:
        self._store = store
        self._limiter = limiter
        self._config = config

    def error_response(self, status: int, message: str) -> web.Response:
        response = error_response(status, message)
        response.headers.update(self._limiter.headers())
        return response

    def throttle_response(self, with_headers: bool) -> web.Response:
        response = error_response(429, "You have exceeded your request quota.")
        if with_headers:
            response.headers.update(throttle_headers(self._config, self._limiter))
        return response

    def is_list_route(self, request: web.Request) -> bool:
        return request.method == "GET" and request.match_info.route.name == LIST_ROUTE

    def single_read_code(self, request: web.Request) -> str | None:
        if request.method != "GET" or request.match_info.route.name != ONE_ROUTE:
            return None
        record = self._store.records.get(_int_or_zero(request.match_info["id"]))
        return record.code if record is not None else None


class BcBackend:
    """The store as the shopper routes see it (:class:`syncd.sandbox.common.SandboxBackend`)."""

    def __init__(self, store: BcStore, config: BigCommerceSandboxConfig, limiter: RateLimiter):
        self._store = store
        self._config = config
        self._limiter = limiter

    def certificates(self) -> Iterable[CertificateView]:
        return [_view(self._store.records[i]) for i in self._store.ids]

    def lookup(self, code: str) -> CertificateView | None:
        cert_id = self._store.by_code.get(code)
        return _view(self._store.records[cert_id]) if cert_id is not None else None

    def issue(self, code: str | None, amount: Decimal, currency: str | None) -> CertificateView:
        if code is not None and code[:CODE_KEPT] in self._store.by_code:
            raise ShopperRefused(f"code {code!r} already exists")
        to_name, to_email, from_name, from_email = self._config.people
        body: dict[str, Any] = {
            "to_name": to_name,
            "to_email": to_email,
            "from_name": from_name,
            "from_email": from_email,
            "amount": str(amount),
            "currency_code": currency or self._config.currency,
        }
        if code is not None:
            body["code"] = code
        try:
            return _view(self._store.create(body))
        except BcError as err:
            raise ValueError(err.message) from err

    def redeem(self, code: str, amount: Decimal) -> CertificateView:
        cert_id = self._store.by_code.get(code)
        if cert_id is None:
            raise UnknownCode(code)
        record = self._store.records[cert_id]
        if record.status in ("disabled", "expired"):
            raise ShopperRefused(f"certificate {code!r} is {record.status}")
        if amount > record.balance:
            raise ShopperRefused(f"balance {record.balance} is less than {amount}")
        record.balance -= amount
        return _view(record)

    def reset(self) -> None:
        self._store.delete_all()
        self._limiter.reset()


def _view(record: BcCertificate) -> CertificateView:
    return CertificateView(
        code=record.code,
        remote_id=str(record.id),
        currency=record.currency_code,
        amount=record.amount,
        balance=record.balance,
        status=Status(record.status),
    )


def _platform_middleware(config: BigCommerceSandboxConfig) -> Middleware:
    """Auth, rate limit and the X-Rate-Limit-* headers on every platform answer."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(SANDBOX_PREFIX):
            return await handler(request)
        limiter = request.app[BC_LIMITER_KEY]
        try:
            response = await _limited(request, handler, config, limiter)
        except BcError as err:
            response = error_response(err.status, err.message)
        except web.HTTPException as err:  # unknown path or method
            response = error_response(err.status, err.reason)
        if response.status == 429:
            response.headers.update(throttle_headers(config, limiter))
        else:
            response.headers.update(limiter.headers())
        return response

    return middleware


async def _limited(
    request: web.Request,
    handler: Handler,
    config: BigCommerceSandboxConfig,
    limiter: RateLimiter,
) -> web.StreamResponse:
    if request.match_info.get("store_hash", config.store_hash) != config.store_hash:
        raise BcError(404, "Store not found.")
    token = request.headers.get("X-Auth-Token", "")
    if not hmac.compare_digest(token.encode(), config.access_token.encode()):
        raise BcError(401, "You are not authorized to access this store: bad X-Auth-Token.")
    if not limiter.take():
        raise BcError(429, "You have exceeded your request quota.")
    return await handler(request)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as err:
        raise BcError(400, "The request body is not valid JSON.") from err
    if not isinstance(body, dict):
        raise BcError(400, "The request body must be a JSON object.")
    return body


def _int_or_zero(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0


def _query_int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise BcError(400, f"The parameter '{name}' must be an integer, got {raw!r}.") from err
    if value < 1:
        raise BcError(400, f"The parameter '{name}' must be at least 1, got {raw!r}.")
    return value


def _shown(request: web.Request, record: BcCertificate) -> dict[str, Any]:
    """A record as the store answers it: as documented, or as older stores did."""
    config = request.app[BC_CONFIG_KEY]
    shown = record.to_json()
    if config.legacy_status is not None and record.status == "active":
        shown["status"] = config.legacy_status
    if config.omit_currency_code:
        del shown["currency_code"]
    return shown


async def list_certificates(request: web.Request) -> web.StreamResponse:
    config = request.app[BC_CONFIG_KEY]
    page = _query_int(request, "page", 1)
    limit = _query_int(request, "limit", config.default_limit)
    if limit > config.max_limit:
        raise BcError(413, f"The limit {limit} is above the maximum of {config.max_limit}.")
    filters = {name: request.query[name] for name in FILTERS if name in request.query}
    records = request.app[BC_STORE_KEY].page(page, limit, filters)
    if not records:
        return web.Response(status=204)  # an empty page has no body at all
    return web.json_response([_shown(request, record) for record in records])


async def create_certificate(request: web.Request) -> web.Response:
    record = request.app[BC_STORE_KEY].create(await _json_object(request))
    return web.json_response(_shown(request, record), status=201)


async def get_certificate(request: web.Request) -> web.Response:
    record = request.app[BC_STORE_KEY].get(_int_or_zero(request.match_info["id"]))
    return web.json_response(_shown(request, record))


async def update_certificate(request: web.Request) -> web.Response:
    cert_id = _int_or_zero(request.match_info["id"])
    store = request.app[BC_STORE_KEY]
    store.get(cert_id)  # 404 before looking at the body, as the platform does
    record = store.update(cert_id, await _json_object(request))
    return web.json_response(_shown(request, record))


async def delete_certificate(request: web.Request) -> web.Response:
    request.app[BC_STORE_KEY].delete(_int_or_zero(request.match_info["id"]))
    return web.Response(status=204)


async def delete_all_certificates(request: web.Request) -> web.Response:
    # The dangerous one, served as documented: every certificate of the store goes.
    request.app[BC_STORE_KEY].delete_all()
    return web.json_response({})


def _routes() -> list[web.RouteDef]:
    base = "/stores/{store_hash}/v2/gift_certificates"
    one = base + "/{id}"
    return [
        web.get(base, list_certificates, name=LIST_ROUTE, allow_head=False),
        web.post(base, create_certificate),
        web.delete(base, delete_all_certificates),
        web.get(one, get_certificate, name=ONE_ROUTE, allow_head=False),
        web.put(one, update_certificate),
        web.delete(one, delete_certificate),
    ]


def create_app(config: BigCommerceSandboxConfig | None = None) -> web.Application:
    """A BigCommerce sandbox serving one store (``config.store_hash``)."""
    config = config or BigCommerceSandboxConfig()
    store = BcStore(config.currency.upper(), config.currencies, config.wall_clock)
    limiter = RateLimiter(config.rate_quota, config.rate_window_ms, config.clock)
    hooks = BcHooks(store, limiter, config)
    # Fault middleware outermost: its injected answers are counted in stats and carry
    # rate headers through the hooks; the platform middleware authenticates and limits.
    app = web.Application(middlewares=[sandbox_middleware(hooks), _platform_middleware(config)])
    app[BC_CONFIG_KEY] = config
    app[BC_STORE_KEY] = store
    app[BC_LIMITER_KEY] = limiter
    app.router.add_routes(_routes())
    add_admin_routes(app, BcBackend(store, config, limiter))
    return app


def seed(app: web.Application, certificates: Iterable[SeedCertificate]) -> None:
    """Add certificates in-process (no HTTP, no rate limit). Codes must fit 20 characters
    and be new; currencies must exist in the store (ValueError names the bad value)."""
    store = app[BC_STORE_KEY]
    config = app[BC_CONFIG_KEY]
    purchased = int(config.wall_clock())
    to_name, to_email, from_name, from_email = config.people
    for cert in certificates:
        _check_seed(store, cert)
        store.add(
            BcCertificate(
                id=store.next_id,
                code=cert.code,
                to_name=to_name,
                to_email=to_email,
                from_name=from_name,
                from_email=from_email,
                amount=cert.amount.quantize(Decimal("0.0001")),
                balance=cert.balance.quantize(Decimal("0.0001")),
                currency_code=cert.currency,
                purchase_date=purchased,
                status=cert.status.value,
            )
        )


def _check_seed(store: BcStore, cert: SeedCertificate) -> None:
    if len(cert.code) > CODE_KEPT or not cert.code:
        raise ValueError(f"seed code {cert.code!r} does not fit BigCommerce's 20 characters")
    if cert.code in store.by_code:
        raise ValueError(f"seed code {cert.code!r} already exists")
    if cert.currency not in store.currencies:
        raise ValueError(f"seed currency {cert.currency!r} does not exist in the store")
