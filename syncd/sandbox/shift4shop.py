"""3dcart / Shift4Shop REST API v2 sandbox: ``GiftCertificates`` and ``GiftRegistries``.

One store per application, under ``/3dCartWebAPI/v2/``, behaving as seeds 000 and 002
document and as clients of the live API observe (PLATFORMS.md):

* header auth (``SecureURL``, ``PrivateKey``, ``Token``) → 401 on any mismatch;
* lists: ``limit`` (default 10; the real maximum is undocumented, the sandbox clamps at
  ``max_limit``, 300 by default), ``offset`` a 1-based record index, filters
  ``notetext``, ``amountfrom/to``, ``balancefrom/to`` (inclusive bounds), ``countonly``
  answering ``{"TotalCount": n}``; an empty result is 404; an offset past the end is
  400 ``[{"Key": "offset", …, "Message": "Offset amount exceeds the total number of
  records"}]``;
* a single GET answers an array of one record, as 3dcart v2 does for every GET;
* writes answer arrays of ``{Key, Value, Status, Message}``; a bulk PUT answers one
  element per record and a bad record fails alone (HTTP 200 when any succeeded);
* ``Balance`` in a PUT sets the balance (PLATFORMS.md marks this a guess) and
  ``TotalSpent`` always equals ``Amount − Balance`` (it may go negative when a balance
  is set above the amount: the sandbox does not guess a clamp).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from syncd.money import MoneyError, normalise_currency, parse_money
from syncd.sandbox import shift4shop_registries as registries
from syncd.sandbox.common import Faults, SeedCertificate, new_sandbox_app
from syncd.sandbox.shift4shop_store import CertificateStore, GiftCertificate, Shift4ShopBackend
from syncd.sandbox.shift4shop_wire import (
    WireError,
    answer,
    error_response,
    flag_param,
    format_date,
    json_body,
    json_response,
    money_param,
    page_bounds,
    paged_list,
    query,
)

API_PREFIX = "/3dCartWebAPI/v2/"
CERTS = API_PREFIX + "GiftCertificates"
NOT_FOUND = "The gift certificate was not found."


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Shift4ShopSandboxConfig:
    """One sandbox store. Credentials are fixed sandbox defaults, not secrets."""

    secure_url: str = "https://sandbox-store.3dcartstores.com"
    private_key: str = field(default="sandbox-private-key", repr=False)
    token: str = field(default="sandbox-token", repr=False)
    currency: str = "USD"  # 3dcart reports no currency: the store has one
    default_limit: int = 10
    max_limit: int = 300  # the real maximum is undocumented; above it the sandbox clamps
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = _utcnow  # DateCreated, registry dates
    faults: Faults | None = None
    # No source says a PUT of ``Balance`` is applied: this plays "it is not" (the answer
    # still says "Updated successfully"; only a read shows the balance did not move).
    ignores_balance: bool = False
    # The HTTP status of "Offset amount exceeds the total number of records": clients match
    # the message and ignore the status, so 400, 404 and 200 are all played.
    offset_exceeded_status: int = 400
    # How DateCreated is written (shift4shop_wire.format_date): "iso-z" as in seed 000, or
    # store-local without a zone, ISO ("zoneless") or US ("us", MM/DD/YYYY hh:mm:ss), in
    # ``timezone`` (a US store's by default: clients shift 3dcart dates by -5 h).
    date_format: str = "iso-z"
    timezone: str = "America/New_York"
    # Codes equal but for case are one code (SQL Server look-ups, probably): a GET, PUT or
    # DELETE of "abc" reaches "ABC", and a create of "abc" while "ABC" exists is refused.
    case_insensitive_codes: bool = False


CONFIG_KEY = web.AppKey("shift4shop_config", Shift4ShopSandboxConfig)
STORE_KEY = web.AppKey("shift4shop_store", CertificateStore)


class Shift4ShopHooks:
    """How 3dcart answers, for the shared fault middleware."""

    def error_response(self, status: int, message: str) -> web.Response:
        return error_response(status, message)

    def throttle_response(self, with_headers: bool) -> web.Response:
        # 3dcart documents no rate limit; clients treat 429 as back-off and honour a
        # standard Retry-After when one is sent.
        headers = {"Retry-After": "1"} if with_headers else None
        return json_response([answer("Error", "", 429, "Too Many Requests")], 429, headers)

    def is_list_route(self, request: web.Request) -> bool:
        return request.method == "GET" and request.path in (CERTS, registries.REGISTRIES)

    def single_read_code(self, request: web.Request) -> str | None:
        if request.method == "GET" and request.match_info.route.name == "certificate":
            return request.match_info["code"]
        return None


def _auth_middleware(config: Shift4ShopSandboxConfig) -> Any:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(API_PREFIX) and not _authorised(request, config):
            return error_response(
                401,
                "Authentication failure. The PrivateKey/Token/SecureURL combination is invalid.",
            )
        return await handler(request)

    return auth


def _authorised(request: web.Request, config: Shift4ShopSandboxConfig) -> bool:
    headers = request.headers  # case-insensitive, as HTTP header names are
    url = headers.get("SecureURL", "").strip().rstrip("/").lower()
    key = headers.get("PrivateKey", "")
    token = headers.get("Token", "")
    url_ok = url == config.secure_url.rstrip("/").lower()
    key_ok = hmac.compare_digest(key.encode(), config.private_key.encode())
    token_ok = hmac.compare_digest(token.encode(), config.token.encode())
    return url_ok and key_ok and token_ok


def _wire(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except WireError as err:
            return err.response()

    return wrapped


def _record_json(record: GiftCertificate, config: Shift4ShopSandboxConfig) -> dict[str, Any]:
    return {
        "CertificateCode": record.code,
        "Amount": record.amount,
        "Balance": record.balance,
        "TotalSpent": record.total_spent,
        "DateCreated": format_date(record.created, config.date_format, config.timezone),
        "Notes": record.notes,
    }


def _filter(params: dict[str, str], currency: str) -> Callable[[GiftCertificate], bool] | None:
    notetext = params.get("notetext", "").lower()
    bounds = [money_param(params, name, currency) for name in _MONEY_FILTERS]
    if not notetext and all(b is None for b in bounds):
        return None
    amount_from, amount_to, balance_from, balance_to = bounds

    def matches(r: GiftCertificate) -> bool:
        return (
            notetext in r.notes.lower()
            and _within(r.amount, amount_from, amount_to)
            and _within(r.balance, balance_from, balance_to)
        )

    return matches


_MONEY_FILTERS = ("amountfrom", "amountto", "balancefrom", "balanceto")


def _within(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


async def list_certificates(request: web.Request) -> web.Response:
    config, store = request.app[CONFIG_KEY], request.app[STORE_KEY]
    params = query(request)
    matches = _filter(params, config.currency)
    if flag_param(params, "countonly"):
        return json_response({"TotalCount": store.count(matches)})
    start, limit = page_bounds(params, config.default_limit, config.max_limit)
    records, total = store.page(start, limit, matches)
    return paged_list(
        [_record_json(r, config) for r in records], start, total, "No gift certificates found.",
        config.offset_exceeded_status,
    )  # fmt: skip


def _find(app: web.Application, code: str) -> GiftCertificate | None:
    """The record a path or body code reaches (ignoring case when the store does)."""
    return app[STORE_KEY].get(code, fold=app[CONFIG_KEY].case_insensitive_codes)


async def get_certificate(request: web.Request) -> web.Response:
    record = _find(request.app, request.match_info["code"])
    if record is None:
        return error_response(404, NOT_FOUND)
    return json_response([_record_json(record, request.app[CONFIG_KEY])])


def _money_field(body: dict[str, Any], name: str, code: str, currency: str) -> Decimal | None:
    if name not in body or body[name] is None:
        return None
    try:
        return parse_money(body[name], currency)
    except MoneyError:
        raise WireError(400, name, str(body[name]), f"{name} of {code!r} is not a number") from None


def _text_field(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise WireError(400, name, str(value), f"{name} must be a string, got {value!r}")


def _create_one(app: web.Application, body: Any) -> dict[str, str]:
    store, config = app[STORE_KEY], app[CONFIG_KEY]
    if not isinstance(body, dict):
        raise WireError(400, "Body", "", "A gift certificate must be a JSON object")
    code = _text_field(body, "CertificateCode")
    if not code:
        raise WireError(400, "CertificateCode", "", "CertificateCode is required")
    amount = _money_field(body, "Amount", code, config.currency)
    if amount is None:
        raise WireError(400, "Amount", "", f"Amount of {code!r} is required")
    balance = _money_field(body, "Balance", code, config.currency)
    if _find(app, code) is not None:
        raise WireError(400, "CertificateCode", code, f"Certificate code {code!r} already exists")
    notes = _text_field(body, "Notes") or ""
    store.add(
        GiftCertificate(code, amount, amount if balance is None else balance, notes, config.now())
    )
    return answer("CertificateCode", code, 201, "Created successfully")


def _update_one(app: web.Application, code: str, body: Any) -> dict[str, str]:
    if not isinstance(body, dict):
        raise WireError(400, "Body", code, "A gift certificate must be a JSON object")
    record = _find(app, code)
    if record is None:
        raise WireError(404, "CertificateCode", code, NOT_FOUND)
    currency = app[CONFIG_KEY].currency
    # Parse everything before changing anything: a bad field leaves the record intact.
    amount = _money_field(body, "Amount", code, currency)
    balance = _money_field(body, "Balance", code, currency)
    notes = _text_field(body, "Notes")
    if amount is not None:
        record.amount = amount
    if balance is not None and not app[CONFIG_KEY].ignores_balance:
        record.balance = balance
    if notes is not None:
        record.notes = notes
    return answer("CertificateCode", code, 200, "Updated successfully")


def _each(action: Callable[[], dict[str, str]]) -> dict[str, str]:
    try:
        return action()
    except WireError as err:
        return answer(err.key, err.value, err.status, err.message)


def _batch_response(answers: list[dict[str, str]], ok_status: int) -> web.Response:
    """HTTP ``ok_status`` when any record succeeded, else the first failure's status."""
    if any(a["Status"] == str(ok_status) for a in answers) or not answers:
        return json_response(answers, ok_status)
    return json_response(answers, int(answers[0]["Status"]))


async def create_certificates(request: web.Request) -> web.Response:
    body = await json_body(request)
    if isinstance(body, list):  # the v2 API takes one object or an array of them
        answers = [_each(partial(_create_one, request.app, item)) for item in body]
        return _batch_response(answers, 201)
    return json_response([_create_one(request.app, body)], 201)


async def update_certificates(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, list):
        raise WireError(400, "Body", "", "A bulk update takes a JSON array of gift certificates")
    answers = [_each(partial(_update_keyed, request.app, item)) for item in body]
    return _batch_response(answers, 200)


def _update_keyed(app: web.Application, item: Any) -> dict[str, str]:
    code = item.get("CertificateCode") if isinstance(item, dict) else None
    if not isinstance(code, str) or not code:
        raise WireError(400, "CertificateCode", "", "CertificateCode is required")
    return _update_one(app, code, item)


async def update_certificate(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    return json_response([_update_one(request.app, code, await json_body(request))])


async def delete_certificate(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    record = _find(request.app, code)
    if record is None or not request.app[STORE_KEY].delete(record.code):
        raise WireError(404, "CertificateCode", code, NOT_FOUND)
    return json_response([answer("CertificateCode", code, 200, "Deleted successfully")])


def create_app(config: Shift4ShopSandboxConfig | None = None) -> web.Application:
    """A 3dcart sandbox store (see the module docstring for what it does)."""
    config = config if config is not None else Shift4ShopSandboxConfig()
    config.currency = normalise_currency(config.currency)
    store = CertificateStore(config.currency)
    app = new_sandbox_app(
        Shift4ShopHooks(),
        Shift4ShopBackend(store, config.now),
        config.faults,
        middlewares=[_auth_middleware(config)],
    )
    app[CONFIG_KEY] = config
    app[STORE_KEY] = store
    app.router.add_get(CERTS, _wire(list_certificates), name="certificates")
    app.router.add_post(CERTS, _wire(create_certificates))
    app.router.add_put(CERTS, _wire(update_certificates))
    item = CERTS + "/{code}"
    app.router.add_get(item, _wire(get_certificate), name="certificate")
    app.router.add_put(item, _wire(update_certificate))
    app.router.add_delete(item, _wire(delete_certificate))
    registries.install(app, config.now, _wire)
    return app


def seed(app: web.Application, certificates: Iterable[SeedCertificate]) -> None:
    """Add records in-process (no HTTP). 3dcart has no status: a certificate seeded
    disabled or expired is stored with balance 0, as syncd represents it there."""
    store, config = app[STORE_KEY], app[CONFIG_KEY]
    now = config.now()
    for cert in certificates:
        if cert.currency != config.currency:
            raise ValueError(
                f"certificate {cert.code!r} is in {cert.currency}; this store sells in "
                f"{config.currency}"
            )
        balance = cert.balance if cert.status.usable else Decimal(0)
        store.add(GiftCertificate(cert.code, cert.amount, balance, "", now))


__all__ = [
    "CONFIG_KEY",
    "STORE_KEY",
    "Shift4ShopSandboxConfig",
    "create_app",
    "seed",
]
