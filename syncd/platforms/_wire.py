"""Small pieces every connector uses at its wire edge: status → typed error, JSON, dates."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

from syncd.errors import (
    AuthError,
    BadPayload,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from syncd.model import People
from syncd.money import normalise_currency, parse_money, quantum
from syncd.platforms.http import Response, server_wait

T = TypeVar("T")


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced (a platform might echo what it was sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def status_error(
    store: str, response: Response, what: str, detail: str, secrets: Iterable[str] = ()
) -> ConnectorError:
    """The typed error for a non-success answer; ``detail`` is the platform's own message."""
    status = response.status
    detail = scrub(detail, secrets)[:300]
    message = f"{what}: HTTP {status}" + (f" ({detail})" if detail else "")
    if status in (401, 403):
        return AuthError(store, f"{what}: HTTP {status}, credentials rejected")
    if status == 404:
        return NotFound(store, message)
    if status == 409:
        return Conflict(store, message)
    if status == 429:
        return RateLimited(store, message, retry_after=server_wait(response))
    if status >= 500:
        return Transient(store, message)
    return Rejected(store, message)


def json_number(value: Decimal) -> float:
    """A money value as a JSON number (3dcart, OCAPI). The float only carries the text:
    its shortest repr equals the decimal for any amount with up to 15 significant digits,
    which the check guards, so the wire sees exactly the decimal."""
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"amount not exactly representable as a JSON number: {value}")
    return number


def parse_json(store: str, response: Response, what: str) -> Any:
    """The body as JSON, or BadPayload naming what was asked."""
    try:
        return response.json()
    except ValueError as err:
        raise BadPayload(store, f"{what}: answer is not valid JSON") from err


class MoneyParsers:
    """Fast money parsing for listings: one quantum per currency, computed once.

    The common wire shapes (a decimal string, an int, a float) take a short path; anything
    else, or anything that fails there, goes through :func:`syncd.money.parse_money`,
    which raises naming the bad value.
    """

    def __init__(self) -> None:
        self._quanta: dict[str, tuple[str, Decimal]] = {}

    def currency(self, raw: str) -> str:
        """``raw`` normalised (upper-case ISO code), cached."""
        known = self._quanta.get(raw)
        if known is None:
            code = normalise_currency(raw)
            known = self._quanta[raw] = (code, quantum(code))
        return known[0]

    def parse(self, raw: object, currency: str) -> Decimal:
        known = self._quanta.get(currency)
        if known is None:
            self.currency(currency)
            known = self._quanta[currency]
        kind = type(raw)
        if kind is str or kind is int or kind is float:
            try:
                value = Decimal(repr(raw) if kind is float else raw)  # type: ignore[arg-type]
            except InvalidOperation:
                return parse_money(raw, currency)
            if value.is_finite():
                return value.quantize(known[1], rounding=ROUND_HALF_EVEN)
        return parse_money(raw, currency)


def utc_from_iso(raw: object) -> datetime | None:
    """An ISO-8601 timestamp as aware UTC (no offset: taken as UTC), None when empty."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError(f"not a timestamp: {raw!r}")
    return _utc_from_iso(raw)


@functools.lru_cache(maxsize=4096)  # bulk-issued certificates share their timestamps
def _utc_from_iso(raw: str) -> datetime:
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def required_str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} missing or not a string: {value!r}")
    return value


NO_PEOPLE = People()


def people(*fields: str | None) -> People:
    """People from (to_name, to_email, from_name, from_email); the shared empty value
    when none is known (most listed records), which saves an object per record."""
    return People(*fields) if any(fields) else NO_PEOPLE


def optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value else None


def prefetch(coro_factory: Callable[[], Any]) -> asyncio.Task[Any]:
    """Start a request now so it overlaps with parsing the previous page."""
    return asyncio.ensure_future(coro_factory())


async def cancel_all(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel prefetches a listing no longer needs and wait for them to finish."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # consumed: no "exception was never retrieved" warnings
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
