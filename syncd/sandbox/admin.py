"""The ``/_sandbox/`` routes shared by every sandbox: faults, stats, shopper actions.

No auth and never faulted: they are the test's hands, not part of any platform.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from syncd.money import normalise_currency
from syncd.sandbox.common import (
    BACKEND_KEY,
    FAULTS_KEY,
    SHOPPER_LOG_KEY,
    STATS_KEY,
    ShopperEvent,
    ShopperRefused,
    UnknownCode,
    parse_shopper_amount,
    redeem,
)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/_sandbox/faults", get_faults),
        web.put("/_sandbox/faults", put_faults),
        web.get("/_sandbox/stats", get_stats),
        web.post("/_sandbox/stats/reset", reset_stats),
        web.get("/_sandbox/certificates", list_certificates),
        web.post("/_sandbox/shopper/issue", shopper_issue),
        web.post("/_sandbox/shopper/redeem", shopper_redeem),
        web.get("/_sandbox/shopper/log", shopper_log),
        web.post("/_sandbox/reset", reset_all),
    ]


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as err:
        raise web.HTTPBadRequest(
            text='{"error": "body is not JSON"}', content_type="application/json"
        ) from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "body must be a JSON object"}', content_type="application/json"
        )
    return body


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAULTS_KEY].to_dict())


async def put_faults(request: web.Request) -> web.Response:
    faults = request.app[FAULTS_KEY]
    try:
        faults.update(await _json_object(request))
    except ValueError as err:
        return _problem(400, str(err))
    return web.json_response(faults.to_dict())


async def get_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATS_KEY].to_dict())


async def reset_stats(request: web.Request) -> web.Response:
    request.app[STATS_KEY].reset()
    return web.json_response(request.app[STATS_KEY].to_dict())


async def list_certificates(request: web.Request) -> web.Response:
    views = request.app[BACKEND_KEY].certificates()
    return web.json_response([view.to_json() for view in views])


async def shopper_issue(request: web.Request) -> web.Response:
    body = await _json_object(request)
    code = body.get("code")
    currency = body.get("currency")
    try:
        if code is not None and (not isinstance(code, str) or not code):
            raise ValueError(f"'code' must be a non-empty string, got {code!r}")
        if currency is not None:
            currency = normalise_currency(str(currency))
        amount = parse_shopper_amount(body.get("amount"), currency or "USD")
        view = request.app[BACKEND_KEY].issue(code, amount, currency)
    except ShopperRefused as err:
        return _problem(409, str(err))
    except ValueError as err:
        return _problem(400, str(err))
    request.app[SHOPPER_LOG_KEY].append(
        ShopperEvent("issue", view.code, view.amount, view.balance, view.currency)
    )
    return web.json_response(view.to_json(), status=201)


async def shopper_redeem(request: web.Request) -> web.Response:
    body = await _json_object(request)
    code = body.get("code")
    if not isinstance(code, str) or not code:
        return _problem(400, f"'code' must be a non-empty string, got {code!r}")
    view = request.app[BACKEND_KEY].lookup(code)
    if view is None:
        return _problem(404, f"no certificate with code {code!r}")
    try:
        amount = parse_shopper_amount(body.get("amount"), view.currency)
        view = redeem(request.app, code, amount)
    except UnknownCode:
        return _problem(404, f"no certificate with code {code!r}")
    except ShopperRefused as err:
        return _problem(409, str(err))
    except ValueError as err:
        return _problem(400, str(err))
    return web.json_response(view.to_json())


async def shopper_log(request: web.Request) -> web.Response:
    return web.json_response([event.to_json() for event in request.app[SHOPPER_LOG_KEY]])


async def reset_all(request: web.Request) -> web.Response:
    request.app[BACKEND_KEY].reset()
    request.app[STATS_KEY].reset()
    request.app[SHOPPER_LOG_KEY].clear()
    return web.json_response({"reset": True})
