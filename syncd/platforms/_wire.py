"""Small pieces every connector uses at its wire edge: status → typed error, JSON, dates."""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

import orjson

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
from syncd.fastbuild import slot_builder
from syncd.limits import (
    CODE_LENGTH,
    REMOTE_ID_LENGTH,
    Fits,
    code_limit,
    code_problem,
    fits,
    remote_id_problem,
)
from syncd.model import People, RemoteCertificate, Status
from syncd.money import (
    MoneyError,
    check_listed,
    normalise_currency,
    parse_listed_money,
    quantum,
)
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


def decode_json(body: bytes) -> Any:
    """``body`` parsed as JSON; ``ValueError`` when it is not JSON.

    orjson decodes listing pages 2–3× faster than the standard library into the same
    Python objects (floats are identical: both round correctly). What orjson refuses but
    the standard library reads (NaN/Infinity, a UTF-8 byte-order mark, lone surrogates) is
    read by the standard library, so every answer that decoded before still does, the same
    way. One difference remains: orjson reads an integer beyond 64 bits as a float, which
    money parsing refuses (:class:`Money`), so no amount is silently rounded.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def json_of(response: Response) -> Any:
    """The body of ``response`` as JSON (:func:`decode_json`); ``ValueError`` if it is not."""
    return decode_json(response.body)


def parse_json(store: str, response: Response, what: str) -> Any:
    """The body as JSON, or BadPayload naming what was asked."""
    try:
        return decode_json(response.body)
    except ValueError as err:
        raise BadPayload(store, f"{what}: answer is not valid JSON") from err


MEMO_LIMIT = 4096  # distinct raw values remembered per currency and JSON type
_EXACT_FLOAT = 2.0**53  # beyond it a float cannot hold every whole number, let alone cents


class Money:
    """Money of one currency, parsed from the wire exactly, with a memo.

    What :func:`syncd.money.parse_listed_money` accepts, and nothing else: a value with more
    decimals than the currency has is refused, never rounded; so is a negative one or one
    beyond the ledger's range (``ValueError`` naming the value). Balances repeat a lot (face
    values, untouched certificates), so each distinct raw value (per JSON type:
    ``"10.0000"``, ``10.0`` and ``10`` are kept apart) is checked once and its Decimal
    shared; a refused value is not remembered. The memo is emptied when it reaches
    :data:`MEMO_LIMIT`, so a store sending endless distinct values cannot grow it.
    """

    __slots__ = ("_memos", "_quantum", "_zero", "code")

    def __init__(self, code: str) -> None:
        self.code = code
        self._quantum = quantum(code)
        self._zero = Decimal(0).quantize(self._quantum)
        self._memos: dict[type, dict[Any, Decimal]] = {str: {}, int: {}, float: {}}

    def parse(self, raw: object) -> Decimal:
        """``raw`` as a Decimal quantised to the currency; ``ValueError`` if it is not
        exactly an amount the ledger holds."""
        memo = self._memos.get(type(raw))  # None for bool, None, dicts…: never remembered
        if memo is not None:
            known = memo.get(raw)
            if known is not None:
                return known
            value = self._new(raw)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[raw] = value
            return value
        return parse_listed_money(raw, self.code)

    def _new(self, raw: Any) -> Decimal:
        is_float = type(raw) is float
        try:
            exact = Decimal(repr(raw) if is_float else raw)
        except InvalidOperation:
            exact = _NAN
        if not exact.is_finite():
            return parse_listed_money(raw, self.code)  # raises, naming the value
        if is_float and not -_EXACT_FLOAT < raw < _EXACT_FLOAT:
            raise MoneyError(f"not an exact amount of money: {raw!r}")
        try:
            value = exact.quantize(self._quantum, rounding=ROUND_HALF_EVEN)
        except InvalidOperation as err:  # more digits than Decimal's precision
            raise MoneyError(f"not an amount of money: {raw!r} (too many digits)") from err
        value = check_listed(exact, value, raw, self.code)
        # One zero per currency: -0.0 and 0.0 are the same memo key, so a negative zero is
        # read as zero, whichever came first.
        return value if value else self._zero


_NAN = Decimal("NaN")


class MoneyParsers:
    """:class:`Money` per currency, found by the platform's own spelling of it."""

    def __init__(self) -> None:
        self._by_raw: dict[str, Money] = {}
        self._by_code: dict[str, Money] = {}

    def money(self, raw: str) -> Money:
        """The parser of currency ``raw`` (``MoneyError`` if it is no currency code)."""
        known = self._by_raw.get(raw)
        if known is None:
            code = normalise_currency(raw)
            known = self._by_code.get(code)
            if known is None:
                known = self._by_code[code] = Money(code)
            if len(self._by_raw) >= MEMO_LIMIT:  # " usd", "  usd", …: spellings are endless
                self._by_raw.clear()
            self._by_raw[raw] = known
        return known

    def currency(self, raw: str) -> str:
        """``raw`` normalised (upper-case ISO code), cached."""
        return self.money(raw).code

    def parse(self, raw: object, currency: str) -> Decimal:
        return self.money(currency).parse(raw)


def check_keys(
    remote_id: str | None,
    code: str | None,
    max_code_length: int | None = None,
    masked_code: str | None = None,
    message: str | None = None,
) -> None:
    """The one check of a listed record's identity on every platform: ``ValueError`` naming
    the value (codes masked) when the ledger could not hold it exactly or a URL could not
    address it (:mod:`syncd.limits`), or when its ``message`` could not be stored at all.
    ``remote_id`` None: the platform's own rule checked it (stricter); ``max_code_length``:
    the platform's own limit. People are checked by :class:`PeopleMemo`."""
    if code is not None:
        code_fits = _CODE_FITS.get(max_code_length) or _code_fits(max_code_length)
        if not code_fits(code):
            raise ValueError(code_problem(code, max_code_length))
    if remote_id is not None and remote_id is not code and not _ID_FITS(remote_id):
        raise ValueError(remote_id_problem(remote_id))
    if masked_code is not None:
        if len(masked_code) > CODE_LENGTH:
            raise ValueError(
                f"masked code is {len(masked_code)} characters (at most {CODE_LENGTH})"
            )
        check_storable("masked code", masked_code)
    if message is not None:
        check_storable("message", message)


def check_storable(field: str, text: str) -> None:
    """``ValueError`` naming ``field`` (not its text) when no ledger could store ``text``."""
    if _UNSTORABLE(text):
        raise ValueError(f"{field} holds characters no database stores (NUL, lone surrogate)")


# PostgreSQL text holds no NUL; a lone surrogate has no encoding at all (SQLite neither).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]").search


_ID_FITS = fits(REMOTE_ID_LENGTH)
_CODE_FITS: dict[int | None, Fits] = {None: fits(CODE_LENGTH)}


def _code_fits(max_code_length: int | None) -> Fits:
    found = _CODE_FITS[max_code_length] = fits(code_limit(max_code_length))
    return found


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


def optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value else None


NO_PEOPLE = People()
_PEOPLE = ("to_name", "to_email", "from_name", "from_email")


class PeopleMemo:
    """People values shared between the records of a store: most records carry none (the
    one empty value) or the same few senders. Bounded like :class:`Money`'s memo. Text no
    database stores raises ``ValueError`` naming the field (checked once per new value)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str | None, ...], People] = {}

    def __call__(
        self,
        to_name: str | None,
        to_email: str | None,
        from_name: str | None,
        from_email: str | None,
    ) -> People:
        if not (to_name or to_email or from_name or from_email):
            return NO_PEOPLE
        key = (to_name, to_email, from_name, from_email)
        known = self._memo.get(key)
        if known is None:
            for field, text in zip(_PEOPLE, key, strict=True):
                if text is not None:
                    check_storable(field, text)
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            known = self._memo[key] = People(to_name, to_email, from_name, from_email)
        return known


# RemoteCertificate(store, remote_id, …) in field order, about a fifth of the constructor's
# time: listings build 300k of them per cycle at 100k certificates (see syncd/fastbuild.py).
certificate: Callable[
    [
        str,  # store
        str,  # remote_id
        str | None,  # code
        str,  # currency
        Decimal,  # amount
        Decimal,  # balance
        Status,  # status
        str | None,  # masked_code
        People,  # people
        str | None,  # message
        datetime | None,  # expires_at
        datetime | None,  # created_at
        str | None,  # version
        str | None,  # platform_status
    ],
    RemoteCertificate,
] = slot_builder(RemoteCertificate)


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
