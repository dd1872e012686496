"""BigCommerce's documents: dates both ways, a listed or answered record read into a
:class:`~syncd.model.RemoteCertificate` (see :mod:`syncd.platforms.bigcommerce` for what is
accepted), and the message of an error answer."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from syncd.limits import shown_id
from syncd.model import ListingNote, ListingPage, RecordProblem, RemoteCertificate, Status
from syncd.platforms import _wire
from syncd.platforms.core import WireCore, read_records

MAX_CODE_LENGTH = 20
ID = re.compile(r"[1-9][0-9]{0,18}")
_ID_LIMIT = 10**19  # what ID matches: up to 19 digits
STATUSES = {s.value: s for s in (Status.ACTIVE, Status.PENDING, Status.DISABLED, Status.EXPIRED)}
STATUS_OUT = {status: value for value, status in STATUSES.items()}
NO_CURRENCY = "currency"  # the topic of records set aside for want of a currency
_SHOWN_STATUS = 40  # characters of an unknown status value kept and shown


def to_rfc2822(moment: datetime) -> str:
    """How BigCommerce wants dates written (``Mon, 19 Jan 1970 07:21:46 GMT``)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime: {moment!r}")
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def from_timestamp(raw: object) -> datetime | None:
    """How BigCommerce reads dates back: Unix seconds, in a string or not; 0 = none."""
    if type(raw) is str:
        return _from_text(raw)
    return _from_value(raw)


@functools.lru_cache(maxsize=4096)  # "0" (no expiry) and bulk-issued dates repeat
def _from_text(raw: str) -> datetime | None:
    return _from_value(raw)


def _from_value(raw: object) -> datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"not a Unix timestamp: {raw!r}")
    seconds = int(raw)
    if seconds == 0:
        return None
    try:
        return _utc_from_seconds(seconds)
    except (OverflowError, OSError) as err:  # a bad record, not a failed listing
        raise ValueError(f"Unix timestamp out of range: {raw!r}") from err


@functools.lru_cache(maxsize=4096)  # bulk-issued certificates share their timestamps
def _utc_from_seconds(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class NoCurrency(ValueError):
    """A record without ``currency_code`` on a store with no ``currency`` configured."""


class Records:
    """Reads one store's records (its name, money parsers and people from the wire core)."""

    def __init__(self, core: WireCore, *, currency: str | None) -> None:
        self._store, self._money, self._people_memo = core.store, core.money, core.people
        self._currency = currency  # the store's configured one, for records without any

    def page(self, raws: list[Any], page: int) -> ListingPage:
        """A listed page (number ``page``): its records, problems and notes."""
        records, problems = read_records(raws, self.parse, functools.partial(self._problem, page))
        notes = {_legacy_note(self._store, r.platform_status) for r in records if r.platform_status}
        return ListingPage(tuple(records), tuple(problems), tuple(sorted(notes, key=str)))

    def _problem(self, page: int, raw: Any, index: int, err: Exception) -> RecordProblem:
        key = str(raw.get("id")) if isinstance(raw, dict) and "id" in raw else None
        code = raw.get("code") if isinstance(raw, dict) else None
        label = key or f"page {page} item {index}"
        shown = code if isinstance(code, str) else None
        topic = NO_CURRENCY if isinstance(err, NoCurrency) else None
        return RecordProblem(self._store, label, str(err), code=shown, topic=topic)

    def parse(self, raw: Any) -> RemoteCertificate:
        """One record; a bad one raises ValueError (or TypeError, KeyError…) naming why."""
        # Runs once per listed record: optional text fields are read inline as
        # ``v if (v := get(key)) and isinstance(v, str) else None`` (_wire.optional_str
        # without a call per field).
        remote_id = _remote_id(raw["id"])
        get = raw.get
        code = get("code")
        if not isinstance(code, str):
            raise ValueError(f"code missing or not a string: {type(code).__name__}")
        message = v if (v := get("message")) and isinstance(v, str) else None
        _wire.check_keys(None, code, MAX_CODE_LENGTH, None, message)  # the id: _remote_id
        currency = get("currency_code") or self._currency
        if not isinstance(currency, str):
            raise NoCurrency(
                f"no currency_code, and store {self._store!r} has no currency configured: "
                f"set `currency` on store {self._store!r} to read such certificates"
            )
        raw_status = get("status")
        status = STATUSES.get(raw_status)
        word = None
        if status is None:  # a legacy value ("0" in live output): never a reason to skip
            status, word = Status.ACTIVE, _legacy_word(raw_status)
        money = self._money.money(currency)
        return _wire.certificate(
            self._store,
            remote_id,
            code,
            money.code,
            money.parse(get("amount")),
            money.parse(get("balance")),
            status,
            None,  # codes are shown in full
            self._people_memo(
                v if (v := get("to_name")) and isinstance(v, str) else None,
                v if (v := get("to_email")) and isinstance(v, str) else None,
                v if (v := get("from_name")) and isinstance(v, str) else None,
                v if (v := get("from_email")) and isinstance(v, str) else None,
            ),
            message,
            from_timestamp(get("expiry_date")),
            from_timestamp(get("purchase_date")),
            None,  # no concurrency token
            word,  # a status outside the documented four, as listed (read as active)
        )


def _legacy_word(raw: object) -> str:
    """An undocumented status value as kept (``platform_status``): its text, bounded."""
    word = raw if isinstance(raw, str) else repr(raw)
    return "".join(c if c.isprintable() else "?" for c in word[:_SHOWN_STATUS])


@functools.lru_cache(maxsize=256)
def _legacy_note(store: str, word: str) -> ListingNote:
    documented = "/".join(STATUSES)
    message = (
        f"status {word!r} is none of {documented}: such certificates are read as active "
        "(the value is kept as the platform status)"
    )
    return ListingNote(store, f"status:{word}", message)


def _remote_id(raw: object) -> str:
    """A listed id as the store's remote id: a positive integer (a JSON number, or its
    decimal digits in a string), exactly what ``BigCommerceConnector._item_url`` takes;
    anything else is a bad record, refused here and never addressed."""
    if type(raw) is int and 0 < raw < _ID_LIMIT:
        return str(raw)
    if type(raw) is str and ID.fullmatch(raw):
        return raw
    shown = shown_id(raw) if isinstance(raw, str) else repr(raw)[:40]
    raise ValueError(f"id {shown} is not a positive integer")


def error_message(body: Any) -> str:
    """BigCommerce errors are an array of ``{status, message}`` (a JSON error answer)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("message", ""))
    if isinstance(body, dict):
        return str(body.get("title") or body.get("message") or "")
    return ""
