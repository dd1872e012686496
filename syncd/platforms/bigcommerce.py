"""BigCommerce REST API v2 connector (PLATFORMS.md, seed 001).

* ``DELETE /gift_certificates`` without an id deletes EVERY certificate of the store. No
  method here can send it: every per-certificate URL comes from :meth:`_item_url`, which
  accepts only a positive integer id, and :meth:`_request` refuses a DELETE whose URL is
  not such an item URL (raising :class:`~syncd.errors.UnsafeOperation`, a bug, not a race).
* Money arrives as decimal strings (lists) or numbers (single objects): both accepted.
  Dates are written as RFC-2822 and read as Unix timestamps in strings (``"0"`` = none).
* Only the first 20 characters of a code are kept: ``max_code_length=20``; a longer code
  is refused before sending. The to/from names and emails are required on create: taken
  from the certificate, else from the group defaults, else refused before sending.
* Rate limits: the ``X-Rate-Limit-*`` headers drive a limiter
  (:class:`~syncd.platforms.http.HeaderRateLimiter`) that sends at once while more than a
  reserve of the window's quota is left (``rate_limit_reserve``, 10 % by default, kept for
  the store's other apps), then spreads the rest evenly to the reset, and with nothing left
  waits for it; a 429 waits ``Time-Reset-Ms``, else ``Retry-After``/``X-Retry-After``, else
  (a store shedding load) backs off exponentially from at least 1 s.
* A ``status`` outside the documented four (older stores show ``"0"``) is read as active,
  the value kept as ``platform_status``, with one note per value. A record without
  ``currency_code`` takes the store's configured ``currency``; without one it is set aside,
  with one alert naming the key to set.

Listing: ``page``/``limit`` until the end. Nothing tells how many pages exist, so the next
page is requested as soon as a page arrives (while it is parsed) but never speculatively
further. The end is the 204 (an empty page), or a short page once a full page has shown
that the store honours ``limit``: a full listing is ``ceil(N / 250)`` requests, plus the 204
when N is a multiple of 250 or below it (a short first page proves nothing: a store that
capped ``limit`` would look the same, and taking it for the end would make every record
past the cap look deleted). A short page followed by a non-empty one means records were
cut: the listing ends incomplete.
"""

from __future__ import annotations

import asyncio
import functools
import random
import re
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

from syncd.errors import (
    AuthError,
    BadPayload,
    ConnectorError,
    Rejected,
    UnsafeOperation,
)
from syncd.limits import shown_id
from syncd.model import (
    Capabilities,
    ListingEnd,
    ListingNote,
    ListingPage,
    NewCertificate,
    People,
    RecordProblem,
    RemoteCertificate,
    Status,
)
from syncd.money import format_money, normalise_currency
from syncd.platforms import _wire
from syncd.platforms.base import ListingItem
from syncd.platforms.http import (
    Clock,
    HeaderRateLimiter,
    HttpClient,
    HttpOptions,
    HttpStats,
    Response,
    Sleep,
    _real_sleep,
)
from syncd.platforms.pager import DEFAULT_MAX_CERTIFICATES, PageGuard, keys_of

MAX_PAGE_SIZE = 250
MAX_CODE_LENGTH = 20
MAX_MESSAGE_LENGTH = 250
_ID = re.compile(r"[1-9][0-9]{0,18}")
_ID_LIMIT = 10**19  # what _ID matches: up to 19 digits
_ITEM_PATH = re.compile(r"/gift_certificates/[1-9][0-9]{0,18}$")
_STATUSES = {s.value: s for s in (Status.ACTIVE, Status.PENDING, Status.DISABLED, Status.EXPIRED)}
_PEOPLE_FIELDS = ("to_name", "to_email", "from_name", "from_email")


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


class BigCommerceConnector:
    """One BigCommerce store."""

    def __init__(
        self,
        store: str,
        *,
        base_url: str,
        store_hash: str,
        access_token: str,
        defaults: People | None = None,
        currency: str | None = None,
        options: HttpOptions | None = None,
        page_size: int | None = None,
        max_certificates: int = DEFAULT_MAX_CERTIFICATES,
        clock: Clock = time.monotonic,
        sleep: Sleep = _real_sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._root = f"{base_url.rstrip('/')}/stores/{store_hash}/v2/gift_certificates"
        self._defaults = defaults or People()
        self._currency = normalise_currency(currency) if currency else None
        self._money = _wire.MoneyParsers()
        self._people_memo = _wire.PeopleMemo()
        self._page_size = min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        self._max_certificates = max_certificates  # a count/total above it is not believed
        self._secrets = (access_token,)
        headers = {
            "X-Auth-Token": access_token,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        options = options or HttpOptions()
        self.limiter = HeaderRateLimiter(
            clock, reserve=options.rate_limit_reserve, max_wait=options.max_server_wait
        )
        self.http = HttpClient(
            store,
            options=options,
            headers=headers,
            limiter=self.limiter,
            clock=clock,
            sleep=sleep,
            rng=rng,
        )

    def __repr__(self) -> str:
        return f"BigCommerceConnector(store={self._store!r}, url={self._root!r})"

    @property
    def store(self) -> str:
        return self._store

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            requires_people=True,
            max_code_length=MAX_CODE_LENGTH,
            max_message_length=MAX_MESSAGE_LENGTH,
            currencies=frozenset({self._currency}) if self._currency else None,
        )

    @property
    def page_size(self) -> int:
        """The records asked for per listing page."""
        return self._page_size

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def stats(self) -> HttpStats:
        """This store's HTTP counters (requests by status, retries, rate-limit waits)."""
        return self.http.stats

    # -- wire ---------------------------------------------------------------------------

    def _item_url(self, remote_id: str) -> str:
        """The URL of ONE certificate; anything but a positive integer id is a bug."""
        if not isinstance(remote_id, str) or not _ID.fullmatch(remote_id):
            raise UnsafeOperation(
                f"{self._store}: refusing a gift-certificate URL for id {remote_id!r} "
                "(only a positive integer id may address a certificate)"
            )
        return f"{self._root}/{remote_id}"

    async def _request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Response:
        if method == "DELETE" and not _ITEM_PATH.search(url):
            raise UnsafeOperation(f"{self._store}: refusing DELETE of a collection")
        return await self.http.request(
            method, url, idempotent=idempotent, params=params, json_body=body
        )

    def _error(self, response: Response, what: str) -> ConnectorError:
        return _wire.status_error(
            self._store, response, what, _error_message(response), self._secrets
        )

    # -- listing ------------------------------------------------------------------------

    async def list_certificates(self) -> AsyncIterator[ListingItem]:
        """Every certificate; raises only AuthError (the store is unhealthy)."""
        started = self.http.stats.requests
        page_no, pages, cut = 1, 0, False
        previous_short = False
        limit_honoured = False  # a full page was seen: a short one is then the last
        last_id: int | None = None  # pages are sorted by id: each must start above it
        guard = PageGuard(page_size=self._page_size, max_total=self._max_certificates)
        pending = asyncio.ensure_future(self._fetch_page(page_no))
        try:
            while True:
                try:
                    records = await pending
                except AuthError:
                    raise
                except ConnectorError as err:
                    yield self._end(False, str(err), pages, started)
                    return
                if records is None:  # 204: the end
                    reason = "a short page was followed by more records" if cut else None
                    yield self._end(not cut, reason, pages, started)
                    return
                stop = guard.admit(keys_of(records, "id"))
                if stop is not None:
                    yield self._end(False, stop, pages, started)
                    return
                if _goes_back(records, last_id):  # a store ignoring `page` would loop forever
                    reason = f"page {page_no} does not continue the previous one (ids go back)"
                    yield self._end(False, reason, pages, started)
                    return
                last_id = _last_id(records, last_id)
                short = len(records) < self._page_size
                cut = cut or (previous_short and bool(records))
                if short and limit_honoured and not cut:
                    pages += 1
                    yield self._parse_page(records, page_no)
                    yield self._end(True, None, pages, started)
                    return
                page_no += 1
                pending = asyncio.ensure_future(self._fetch_page(page_no))
                limit_honoured = limit_honoured or not short
                previous_short = short
                pages += 1
                yield self._parse_page(records, page_no - 1)
        finally:
            await _wire.cancel_all([pending])

    def _end(self, complete: bool, reason: str | None, pages: int, started: int) -> ListingEnd:
        requests = self.http.stats.requests - started
        return ListingEnd(complete, None if complete else reason, pages, requests)

    async def _fetch_page(self, page: int) -> list[Any] | None:
        params = {"page": str(page), "limit": str(self._page_size)}
        response = await self._request("GET", self._root, idempotent=True, params=params)
        if response.status == 204:
            return None
        what = f"list certificates page {page}"
        if response.status != 200:
            raise self._error(response, what)
        body = _wire.parse_json(self._store, response, what)
        if not isinstance(body, list):
            raise BadPayload(self._store, f"{what}: expected an array, got {type(body).__name__}")
        return body

    def _parse_page(self, raws: list[Any], page: int) -> ListingPage:
        records: list[RemoteCertificate] = []
        problems: list[RecordProblem] = []
        for index, raw in enumerate(raws):
            try:
                records.append(self._parse(raw))
            except (ValueError, TypeError, AttributeError, KeyError) as err:
                key = str(raw.get("id")) if isinstance(raw, dict) and "id" in raw else None
                code = raw.get("code") if isinstance(raw, dict) else None
                label = key or f"page {page} item {index}"
                shown = code if isinstance(code, str) else None
                topic = _NO_CURRENCY if isinstance(err, NoCurrency) else None
                problems.append(
                    RecordProblem(self._store, label, str(err), code=shown, topic=topic)
                )
        notes = {_legacy_note(self._store, r.platform_status) for r in records if r.platform_status}
        return ListingPage(tuple(records), tuple(problems), tuple(sorted(notes, key=str)))

    def _parse(self, raw: Any) -> RemoteCertificate:
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
        status = _STATUSES.get(raw_status)
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

    def _parse_one(self, response: Response, what: str) -> RemoteCertificate:
        body = _wire.parse_json(self._store, response, what)
        try:
            return self._parse(body)
        except (ValueError, TypeError, AttributeError, KeyError) as err:
            raise BadPayload(self._store, f"{what}: {err}") from err

    # -- single records -----------------------------------------------------------------

    async def get_certificate(self, remote_id: str) -> RemoteCertificate | None:
        url = self._item_url(remote_id)
        response = await self._request("GET", url, idempotent=True)
        if response.status == 404:
            return None
        what = f"get certificate {remote_id}"
        if response.status != 200:
            raise self._error(response, what)
        return self._parse_one(response, what)

    async def find_by_code(self, code: str) -> RemoteCertificate | None:
        if not code or len(code) > MAX_CODE_LENGTH:
            return None  # the store cannot hold it, so it does not
        params = {"code": code}
        response = await self._request("GET", self._root, idempotent=True, params=params)
        what = f"find certificate by code {code!r}"
        if response.status in (204, 404):
            return None
        if response.status != 200:
            raise self._error(response, what)
        body = _wire.parse_json(self._store, response, what)
        for raw in body if isinstance(body, list) else ():
            if isinstance(raw, dict) and raw.get("code") == code:
                try:
                    return self._parse(raw)
                except (ValueError, TypeError, KeyError) as err:
                    raise BadPayload(self._store, f"{what}: {err}") from err
        return None

    async def create_certificate(self, cert: NewCertificate) -> RemoteCertificate:
        """POST once: a lost answer raises Transient and the caller uses find_by_code."""
        body = self._create_body(cert)
        response = await self._request("POST", self._root, idempotent=False, body=body)
        what = f"create certificate {cert.code!r}"
        if response.status not in (200, 201):
            raise self._error(response, what)
        return self._parse_one(response, what)

    def _create_body(self, cert: NewCertificate) -> dict[str, Any]:
        if len(cert.code) > MAX_CODE_LENGTH:
            raise Rejected(
                self._store,
                f"code {cert.code!r} is {len(cert.code)} characters; "
                f"BigCommerce keeps only {MAX_CODE_LENGTH}",
            )
        if cert.message and len(cert.message) > MAX_MESSAGE_LENGTH:
            raise Rejected(self._store, f"message of {cert.code!r} exceeds 250 characters")
        currency = normalise_currency(cert.currency)
        body: dict[str, Any] = {
            "code": cert.code,
            "amount": format_money(cert.amount, currency),
            "balance": format_money(cert.balance, currency),
            "status": _STATUS_OUT[cert.status],
            "currency_code": currency,
            **self._people(cert),
        }
        if cert.message:
            body["message"] = cert.message
        if cert.expires_at is not None:
            body["expiry_date"] = to_rfc2822(cert.expires_at)
        return body

    def _people(self, cert: NewCertificate) -> dict[str, str]:
        """The four required people fields: the certificate's, else the group defaults."""
        people: dict[str, str] = {}
        missing = []
        for name in _PEOPLE_FIELDS:
            value = getattr(cert.people, name) or getattr(self._defaults, name)
            if value:
                people[name] = value
            else:
                missing.append(name)
        if missing:
            raise Rejected(
                self._store,
                f"certificate {cert.code!r} lacks {', '.join(missing)} and the group "
                "defaults give none (BigCommerce requires them)",
            )
        return people

    async def update_certificate(
        self,
        current: RemoteCertificate,
        *,
        balance: Decimal | None = None,
        status: Status | None = None,
    ) -> RemoteCertificate:
        """PUT absolute values; returns the record the store answered. Never repeated blind
        (``idempotent=False``): a spend landing between two PUTs would be overwritten; an
        unknown outcome is settled by re-reading (syncd.runner.recover)."""
        url = self._item_url(current.remote_id)
        body: dict[str, Any] = {}
        if balance is not None:
            body["balance"] = format_money(balance, current.currency)
        if status is not None:
            body["status"] = _STATUS_OUT[status]
        if not body:
            return current
        response = await self._request("PUT", url, idempotent=False, body=body)
        what = f"update certificate {current.remote_id}"
        if response.status != 200:
            raise self._error(response, what)
        return self._parse_one(response, what)

    async def delete_certificate(self, remote_id: str) -> None:
        url = self._item_url(remote_id)
        response = await self._request("DELETE", url, idempotent=True)
        if response.status not in (200, 204):
            raise self._error(response, f"delete certificate {remote_id}")


_STATUS_OUT = {status: value for value, status in _STATUSES.items()}
_NO_CURRENCY = "currency"  # the topic of records set aside for want of a currency
_SHOWN_STATUS = 40  # characters of an unknown status value kept and shown


class NoCurrency(ValueError):
    """A record without ``currency_code`` on a store with no ``currency`` configured."""


def _legacy_word(raw: object) -> str:
    """An undocumented status value as kept (``platform_status``): its text, bounded."""
    word = raw if isinstance(raw, str) else repr(raw)
    return "".join(c if c.isprintable() else "?" for c in word[:_SHOWN_STATUS])


@functools.lru_cache(maxsize=256)
def _legacy_note(store: str, word: str) -> ListingNote:
    documented = "/".join(_STATUSES)
    message = (
        f"status {word!r} is none of {documented}: such certificates are read as active "
        "(the value is kept as the platform status)"
    )
    return ListingNote(store, f"status:{word}", message)


def _remote_id(raw: object) -> str:
    """A listed id as the store's remote id: a positive integer (a JSON number, or its
    decimal digits in a string), exactly what :meth:`BigCommerceConnector._item_url` takes;
    anything else is a bad record, refused here and never addressed."""
    if type(raw) is int and 0 < raw < _ID_LIMIT:
        return str(raw)
    if type(raw) is str and _ID.fullmatch(raw):
        return raw
    shown = shown_id(raw) if isinstance(raw, str) else repr(raw)[:40]
    raise ValueError(f"id {shown} is not a positive integer")


def _int_id(raw: Any) -> int | None:
    try:
        return int(raw["id"])
    except (TypeError, ValueError, KeyError):
        return None


def _goes_back(records: list[Any], last_id: int | None) -> bool:
    first = next((i for i in map(_int_id, records) if i is not None), None)
    return last_id is not None and first is not None and first <= last_id


def _last_id(records: list[Any], last_id: int | None) -> int | None:
    ids = [i for i in map(_int_id, records[-3:]) if i is not None]
    return max(ids) if ids else last_id


def _error_message(response: Response) -> str:
    """BigCommerce errors are an array of ``{status, message}``."""
    try:
        body = _wire.json_of(response)
    except ValueError:
        return response.text(200)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("message", ""))
    if isinstance(body, dict):
        return str(body.get("title") or body.get("message") or "")
    return ""
