"""Machinery shared by the three sandbox stores: faults, stats, shopper routes, serving.

Each platform module builds an ``aiohttp.web.Application`` with
:func:`new_sandbox_app` (or by hand: ``sandbox_middleware(hooks)`` in its middlewares,
then :func:`add_admin_routes`). The platform supplies two small objects:

* :class:`PlatformHooks` — how the platform answers errors and throttling, and which of
  its routes are list pages / single-certificate reads (faults need to know);
* :class:`SandboxBackend` — the store's records as shopper routes see them (plain codes).

Faults apply to platform routes only; ``/_sandbox/*`` is never faulted nor counted, so a
test can always reconfigure or inspect a sandbox that is busy failing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from syncd.model import Status
from syncd.money import MoneyError, format_money, parse_money
from syncd.sandbox import hostile
from syncd.sandbox.faults import Faults, SandboxStats, Tampered

SANDBOX_PREFIX = "/_sandbox/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CORRUPT_MONEY = "12,x"  # what a bad record's balance looks like: not a number anywhere

__all__ = [  # Faults and SandboxStats live in .faults; they are part of this module's API
    "BACKEND_KEY",
    "FAULTS_KEY",
    "SHOPPER_LOG_KEY",
    "STATS_KEY",
    "TAMPERED_KEY",
    "CertificateView",
    "Faults",
    "PlatformHooks",
    "SandboxBackend",
    "SandboxStats",
    "SeedCertificate",
    "ShopperEvent",
    "ShopperLog",
    "ShopperRefused",
    "Tampered",
    "UnknownCode",
    "add_admin_routes",
    "new_sandbox_app",
    "parse_shopper_amount",
    "redeem",
    "sandbox_middleware",
    "serve",
]


@dataclass(frozen=True, slots=True)
class SeedCertificate:
    """One certificate to seed into a sandbox in-process (no HTTP)."""

    code: str
    amount: Decimal
    balance: Decimal
    currency: str = "USD"
    status: Status = Status.ACTIVE


@dataclass(frozen=True, slots=True)
class CertificateView:
    """A certificate as the shopper routes see it: plain code, neutral status."""

    code: str
    remote_id: str  # what the platform API calls it (3dcart code, BigCommerce id, SFCC merchant_id)
    currency: str
    amount: Decimal
    balance: Decimal
    status: Status

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "remote_id": self.remote_id,
            "currency": self.currency,
            "amount": format_money(self.amount, self.currency),
            "balance": format_money(self.balance, self.currency),
            "status": self.status.value,
        }


@dataclass(frozen=True, slots=True)
class ShopperEvent:
    """One shopper action: ``kind`` is "redeem" or "issue"; ``source`` is "shopper" for
    the /_sandbox/shopper routes and "redeem_on_read" for the fault."""

    kind: str
    code: str
    amount: Decimal
    balance: Decimal  # balance after the action
    currency: str
    source: str = "shopper"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "amount": format_money(self.amount, self.currency),
            "balance": format_money(self.balance, self.currency),
            "currency": self.currency,
            "source": self.source,
        }


class ShopperLog(list[ShopperEvent]):
    """Every shopper action on one sandbox, in order."""

    def total_redeemed(self, code: str | None = None) -> Decimal:
        return sum(
            (e.amount for e in self if e.kind == "redeem" and code in (None, e.code)),
            Decimal(0),
        )


class ShopperRefused(Exception):
    """A shopper action the store refuses (409): balance too low, certificate disabled,
    code already taken."""


class UnknownCode(Exception):
    """No certificate has this plain code (404)."""


class PlatformHooks(Protocol):
    """How one platform answers, for the fault middleware."""

    def error_response(self, status: int, message: str) -> web.Response:
        """An error in the platform's own shape (used for injected 500s)."""

    def throttle_response(self, with_headers: bool) -> web.Response:
        """A 429 in the platform's shape, with its wait headers when ``with_headers``."""

    def is_list_route(self, request: web.Request) -> bool:
        """Whether this request lists certificates (malformed/bad record/truncate apply)."""

    def single_read_code(self, request: web.Request) -> str | None:
        """The plain code of the certificate a single-certificate GET reads, else None
        (redeem_on_read applies to it). SFCC maps its merchant_id to the code."""


class SandboxBackend(Protocol):
    """A store's records as the shopper/admin routes see them (by plain code)."""

    def certificates(self) -> Iterable[CertificateView]:
        """Every record, in the store's order."""

    def lookup(self, code: str) -> CertificateView | None: ...

    def issue(self, code: str | None, amount: Decimal, currency: str | None) -> CertificateView:
        """Create a certificate as a storefront sale would. Raises ShopperRefused if the
        code exists, ValueError naming a bad value (unknown currency...)."""

    def redeem(self, code: str, amount: Decimal) -> CertificateView:
        """Spend ``amount`` as a checkout would. Raises UnknownCode, or ShopperRefused when
        the balance is insufficient or the certificate unusable."""

    def reset(self) -> None:
        """Drop every record."""


FAULTS_KEY = web.AppKey("sandbox_faults", Faults)
STATS_KEY = web.AppKey("sandbox_stats", SandboxStats)
SHOPPER_LOG_KEY = web.AppKey("sandbox_shopper_log", ShopperLog)
BACKEND_KEY = web.AppKey("sandbox_backend", SandboxBackend)
TAMPERED_KEY = web.AppKey("sandbox_tampered", Tampered)


def sandbox_middleware(platform: PlatformHooks) -> Middleware:
    """Applies the app's :class:`Faults` to platform routes and counts them."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(SANDBOX_PREFIX):
            return await handler(request)
        stats = request.app[STATS_KEY]
        route = _route_name(request)
        try:
            response = await _faulted(request, handler, platform)
        except _Dropped as dropped:
            stats.record(route, dropped.outcome)
            return _drop(request)
        except web.HTTPException as exc:  # raised by a handler: still an answer to count
            stats.record(route, str(exc.status))
            raise
        stats.record(route, str(response.status))
        return response

    return middleware


class _Dropped(Exception):
    def __init__(self, outcome: str) -> None:
        self.outcome = outcome


async def _faulted(
    request: web.Request, handler: Handler, platform: PlatformHooks
) -> web.StreamResponse:
    faults = request.app[FAULTS_KEY]
    if faults.latency_ms > 0:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.roll(faults.drop_rate):
        raise _Dropped("dropped")
    if (moved := hostile.redirect(request, faults)) is not None:
        return moved
    if faults.throttle_next > 0:
        faults.throttle_next -= 1
        throttled = platform.throttle_response(faults.throttle_headers)
        hostile.restate(throttled, faults, is_list=False)
        return throttled
    if faults.roll(faults.error_rate):
        return platform.error_response(500, "Internal Server Error (sandbox fault)")
    if request.method == "GET" and faults.redeem_on_read_rate > 0:
        _maybe_redeem_on_read(request, platform, faults)
    is_list = platform.is_list_route(request)
    response = await handler(hostile.first_page(request, faults) if is_list else request)
    if request.method in WRITE_METHODS and faults.roll(faults.lost_response_rate):
        raise _Dropped("lost_response")
    if is_list and isinstance(response, web.Response):
        _tamper_list(response, request.app[TAMPERED_KEY])
        _corrupt_list(response, faults)
    hostile.restate(response, faults, is_list=is_list)
    return await hostile.trickle(request, response, faults)


def _drop(request: web.Request) -> web.Response:
    # Closing the transport makes the client see a disconnect with no answer; aiohttp
    # then fails to write the response below and ignores it as a client disconnection.
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    pattern = resource.canonical if resource is not None else "<unmatched>"
    return f"{request.method} {pattern}"


def _maybe_redeem_on_read(request: web.Request, platform: PlatformHooks, faults: Faults) -> None:
    code = platform.single_read_code(request)
    if code is None or not faults.roll(faults.redeem_on_read_rate):
        return
    backend = request.app[BACKEND_KEY]
    view = backend.lookup(code)
    if view is None or view.balance <= 0 or not view.status.usable:
        return
    # A random part of the balance, at least one minor unit: the race the connector must
    # survive is "the shopper spent some of it between our read and our write".
    amount = parse_money(view.balance * Decimal(str(faults.rng.uniform(0.05, 1.0))), view.currency)
    amount = max(amount, parse_money("0.01", view.currency))
    _redeem(request.app, code, min(amount, view.balance), source="redeem_on_read")


def _tamper_list(response: web.Response, tampered: Tampered) -> None:
    body = response.body
    if not tampered or response.status != 200 or not isinstance(body, bytes):
        return
    document = json.loads(body)
    records = _records_of(document)
    if records and tampered.apply(records):
        response.body = json.dumps(document).encode()


def _corrupt_list(response: web.Response, faults: Faults) -> None:
    if response.status != 200 or not faults.roll(
        faults.malformed_rate + faults.bad_record_rate + faults.truncate_rate
    ):
        return
    # One draw picks whether this page is faulted, a second picks which fault.
    pick = faults.rng.random() * (
        faults.malformed_rate + faults.bad_record_rate + faults.truncate_rate
    )
    body = response.body
    if not isinstance(body, bytes):
        return
    if pick < faults.malformed_rate:
        response.body = body[: max(1, len(body) // 2)] + b',"'
        return
    document = json.loads(body)
    records = _records_of(document)
    if not records:
        return
    if pick < faults.malformed_rate + faults.bad_record_rate:
        _corrupt_balance(records[faults.rng.randrange(len(records))])
    else:
        _truncate(document, records)
    response.body = json.dumps(document).encode()


def _records_of(document: Any) -> list[Any] | None:
    """The record list of a page: the body itself (3dcart, BigCommerce) or ``data`` (SFCC)."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        data: list[Any] = document["data"]
        return data
    return None


def _corrupt_balance(record: Any) -> None:
    if not isinstance(record, dict):
        return
    for key, value in record.items():
        if key.lower() == "balance":
            if isinstance(value, dict) and "value" in value:
                value["value"] = CORRUPT_MONEY  # SFCC Money object
            else:
                record[key] = CORRUPT_MONEY
            return


def _truncate(document: Any, records: list[Any]) -> None:
    del records[(len(records) + 1) // 2 :]
    # "Silently": a page that says how many records it holds (SFCC ``count``) agrees with
    # what it now holds; only ``total`` still reveals that more exist.
    if isinstance(document, dict) and "count" in document:
        document["count"] = len(records)


def _redeem(app: web.Application, code: str, amount: Decimal, source: str) -> CertificateView:
    view = app[BACKEND_KEY].redeem(code, amount)
    app[SHOPPER_LOG_KEY].append(
        ShopperEvent("redeem", code, amount, view.balance, view.currency, source)
    )
    return view


def install_state(app: web.Application, backend: SandboxBackend, faults: Faults | None) -> None:
    """Put faults, stats, shopper log and backend into ``app`` (done by add_admin_routes)."""
    app[FAULTS_KEY] = faults if faults is not None else Faults()
    app[STATS_KEY] = SandboxStats()
    app[SHOPPER_LOG_KEY] = ShopperLog()
    app[BACKEND_KEY] = backend
    app[TAMPERED_KEY] = Tampered()


def add_admin_routes(
    app: web.Application, backend: SandboxBackend, faults: Faults | None = None
) -> None:
    """The ``/_sandbox/`` routes, the same on every sandbox; also installs app state."""
    install_state(app, backend, faults)
    from syncd.sandbox import admin  # here: admin imports this module

    app.router.add_routes(admin.routes())


def new_sandbox_app(
    hooks: PlatformHooks,
    backend: SandboxBackend,
    faults: Faults | None = None,
    middlewares: Iterable[Middleware] = (),
) -> web.Application:
    """An application with the fault middleware (outermost, so faults come before the
    platform's own ``middlewares`` such as auth) and the admin routes in place."""
    app = web.Application(middlewares=[sandbox_middleware(hooks), *middlewares])
    add_admin_routes(app, backend, faults)
    return app


async def serve(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start ``app`` on ``host:port`` (0 = a free port); returns the runner and base URL.
    Stop it with ``await runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}"


def parse_shopper_amount(raw: object, currency: str) -> Decimal:
    """A positive amount from a shopper request; ValueError names the bad value."""
    try:
        amount = parse_money(raw, currency)
    except MoneyError as err:
        raise ValueError(f"'amount' is not an amount of money: {raw!r}") from err
    if amount <= 0:
        raise ValueError(f"'amount' must be positive, got {raw!r}")
    return amount


def redeem(app: web.Application, code: str, amount: Decimal) -> CertificateView:
    """In-process shopper redemption (logged like the HTTP route)."""
    return _redeem(app, code, amount, source="shopper")
