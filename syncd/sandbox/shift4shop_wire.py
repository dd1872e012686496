"""Wire helpers of the 3dcart / Shift4Shop sandbox: JSON bodies, answers, query params.

3dcart answers writes and errors alike with an ARRAY of ``{Key, Value, Status, Message}``
(seed 000), ``Status`` being the HTTP status as a string.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from syncd.money import MoneyError, parse_money

OFFSET_EXCEEDS = "Offset amount exceeds the total number of records"


class WireError(Exception):
    """A request the sandbox refuses; becomes an answer array with this status."""

    def __init__(self, status: int, key: str, value: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.key = key
        self.value = value
        self.message = message

    def response(self) -> web.Response:
        return json_response([answer(self.key, self.value, self.status, self.message)], self.status)


def _default(value: object) -> object:
    # Money goes out as a JSON number, as 3dcart sends it; Decimal → float is exact for
    # every amount with two decimals below 2**53 cents.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(data, default=_default).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def answer(key: str, value: str, status: int, message: str) -> dict[str, str]:
    return {"Key": key, "Value": value, "Status": str(status), "Message": message}


def error_response(status: int, message: str) -> web.Response:
    return json_response([answer("Error", "", status, message)], status)


DATE_FORMATS = ("iso-z", "zoneless", "us")


def format_date(moment: datetime, style: str = "iso-z", zone: str = "UTC") -> str:
    """``moment`` as 3dcart may write it: ``iso-z`` ``2019-11-27T17:51:30.494Z`` (the shape
    of seed 000, milliseconds and a ``Z``); ``zoneless`` ``2019-11-27T17:51:30.494`` and
    ``us`` ``11/27/2019 17:51:30``, both the local time of ``zone`` without saying so."""
    if style == "iso-z":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    local = moment.astimezone(ZoneInfo(zone))
    if style == "zoneless":
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    if style == "us":
        return local.strftime("%m/%d/%Y %H:%M:%S")
    raise ValueError(f"unknown date format {style!r} (one of {', '.join(DATE_FORMATS)})")


def query(request: web.Request) -> dict[str, str]:
    """Query parameters with lower-cased names: 3dcart (ASP.NET) binds them
    case-insensitively, so ``countOnly`` and ``countonly`` are the same parameter."""
    return {key.lower(): value for key, value in request.query.items()}


def int_param(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise WireError(400, name, raw, f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise WireError(400, name, raw, f"{name} must be at least {minimum}, got {raw!r}")
    return value


def money_param(params: Mapping[str, str], name: str, currency: str) -> Decimal | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        return parse_money(raw, currency)
    except MoneyError:
        raise WireError(400, name, raw, f"{name} must be a number, got {raw!r}") from None


def flag_param(params: Mapping[str, str], name: str) -> bool:
    return params.get(name, "").strip().lower() in ("1", "true", "yes")


async def json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise WireError(400, "Body", "", "The request body is not valid JSON") from None


def page_bounds(params: Mapping[str, str], default_limit: int, max_limit: int) -> tuple[int, int]:
    """(0-based start, limit) from 3dcart's ``offset`` (1-based record index) and
    ``limit``. Above ``max_limit`` the sandbox clamps (the real maximum is undocumented)."""
    limit = min(int_param(params, "limit", default_limit, 1), max_limit)
    # offset=0 is read as "from the start", like offset=1: clients send both.
    offset = int_param(params, "offset", 1, 0)
    return max(offset, 1) - 1, limit


def paged_list(
    records: list[Any], start: int, total: int, empty_message: str, exceeded_status: int = 400
) -> web.Response:
    """The answer to a list request: the page, 404 when nothing matches, "Offset amount
    exceeds…" past the end under ``exceeded_status`` (400 as clients of the live API see
    it; its status is not settled, only its message)."""
    if total == 0:
        return error_response(404, empty_message)
    if start >= total:
        exceeded = answer("offset", str(start + 1), exceeded_status, OFFSET_EXCEEDS)
        return json_response([exceeded], exceeded_status)
    return json_response(records)
