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

Listing (:mod:`syncd.platforms.bigcommerce_listing`; records are read by
:mod:`syncd.platforms.bigcommerce_documents`): ``page``/``limit`` until the end. Nothing
tells how many pages exist, so the next page is requested as soon as a page arrives (while
it is parsed) but never speculatively further. The end is the 204 (an empty page), or a
short page once a full page has shown that the store honours ``limit``: a full listing is
``ceil(N / 250)`` requests, plus the 204 when N is a multiple of 250 or below it (a short
first page proves nothing: a store that capped ``limit`` would look the same, and taking it
for the end would make every record past the cap look deleted). A short page followed by a
non-empty one means records were cut: the listing ends incomplete.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

from syncd.errors import Rejected, UnsafeOperation
from syncd.model import Capabilities, NewCertificate, People, RemoteCertificate, Status
from syncd.money import format_money, normalise_currency
from syncd.platforms.base import ListingItem
from syncd.platforms.bigcommerce_documents import ID, MAX_CODE_LENGTH, STATUS_OUT, Records
from syncd.platforms.bigcommerce_documents import error_message as error_message
from syncd.platforms.bigcommerce_documents import from_timestamp as from_timestamp
from syncd.platforms.bigcommerce_documents import to_rfc2822 as to_rfc2822
from syncd.platforms.bigcommerce_listing import Listing
from syncd.platforms.core import RECORD_ERRORS, WireCore
from syncd.platforms.http import (
    Clock,
    HeaderRateLimiter,
    HttpClient,
    HttpOptions,
    Response,
    Sleep,
    _real_sleep,
)
from syncd.platforms.pager import DEFAULT_MAX_CERTIFICATES

MAX_PAGE_SIZE = 250
MAX_MESSAGE_LENGTH = 250
_ITEM_PATH = re.compile(r"/gift_certificates/[1-9][0-9]{0,18}$")
_PEOPLE_FIELDS = ("to_name", "to_email", "from_name", "from_email")


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
        root = f"{base_url.rstrip('/')}/stores/{store_hash}/v2/gift_certificates"
        self._root = root
        self._defaults = defaults or People()
        self._currency = normalise_currency(currency) if currency else None
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
        secrets = (access_token,)
        self._core = core = WireCore(
            store,
            kind="BigCommerceConnector",
            url=root,
            http=self.http,
            fault=error_message,
            page_size=min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE),
            max_total=max_certificates,
            secrets=lambda: secrets,
        )
        self.store, self.stats, self.page_size = store, core.stats, core.page_size
        self.aclose = core.aclose
        records = Records(core, currency=self._currency)
        self._parse = records.parse  # per listed record: the reader's own method, no layer
        self._parse_page = records.page

    def __repr__(self) -> str:
        return repr(self._core)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            requires_people=True,
            max_code_length=MAX_CODE_LENGTH,
            max_message_length=MAX_MESSAGE_LENGTH,
            currencies=frozenset({self._currency}) if self._currency else None,
        )

    # -- wire ---------------------------------------------------------------------------

    def _item_url(self, remote_id: str) -> str:
        """The URL of ONE certificate; anything but a positive integer id is a bug."""
        if not isinstance(remote_id, str) or not ID.fullmatch(remote_id):
            raise UnsafeOperation(
                f"{self.store}: refusing a gift-certificate URL for id {remote_id!r} "
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
            raise UnsafeOperation(f"{self.store}: refusing DELETE of a collection")
        return await self.http.request(
            method, url, idempotent=idempotent, params=params, json_body=body
        )

    # -- listing ------------------------------------------------------------------------

    async def list_certificates(self) -> AsyncIterator[ListingItem]:
        """Every certificate; raises only AuthError (the store is unhealthy)."""
        listing = Listing(self._core.pager(), fetch=self._fetch_page, parse=self._parse_page)
        async with contextlib.aclosing(listing.run()) as items:
            async for item in items:
                yield item

    async def _fetch_page(self, page: int) -> list[Any] | None:
        params = {"page": str(page), "limit": str(self.page_size)}
        response = await self._request("GET", self._root, idempotent=True, params=params)
        if response.status == 204:
            return None
        what = f"list certificates page {page}"
        if response.status != 200:
            raise self._core.error(response, what)
        return self._core.json_list(response, what)

    def _parse_one(self, response: Response, what: str) -> RemoteCertificate:
        body = self._core.json(response, what)
        try:
            return self._parse(body)
        except RECORD_ERRORS as err:
            raise self._core.bad(what, err) from err

    # -- single records -----------------------------------------------------------------

    async def get_certificate(self, remote_id: str) -> RemoteCertificate | None:
        url = self._item_url(remote_id)
        response = await self._request("GET", url, idempotent=True)
        if response.status == 404:
            return None
        what = f"get certificate {remote_id}"
        if response.status != 200:
            raise self._core.error(response, what)
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
            raise self._core.error(response, what)
        body = self._core.json(response, what)
        for raw in body if isinstance(body, list) else ():
            if isinstance(raw, dict) and raw.get("code") == code:
                try:
                    return self._parse(raw)
                except (ValueError, TypeError, KeyError) as err:
                    raise self._core.bad(what, err) from err
        return None

    async def create_certificate(self, cert: NewCertificate) -> RemoteCertificate:
        """POST once: a lost answer raises Transient and the caller uses find_by_code."""
        body = self._create_body(cert)
        response = await self._request("POST", self._root, idempotent=False, body=body)
        what = f"create certificate {cert.code!r}"
        if response.status not in (200, 201):
            raise self._core.error(response, what)
        return self._parse_one(response, what)

    def _create_body(self, cert: NewCertificate) -> dict[str, Any]:
        if len(cert.code) > MAX_CODE_LENGTH:
            raise Rejected(
                self.store,
                f"code {cert.code!r} is {len(cert.code)} characters; "
                f"BigCommerce keeps only {MAX_CODE_LENGTH}",
            )
        if cert.message and len(cert.message) > MAX_MESSAGE_LENGTH:
            raise Rejected(self.store, f"message of {cert.code!r} exceeds 250 characters")
        currency = normalise_currency(cert.currency)
        body: dict[str, Any] = {
            "code": cert.code,
            "amount": format_money(cert.amount, currency),
            "balance": format_money(cert.balance, currency),
            "status": STATUS_OUT[cert.status],
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
                self.store,
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
            body["status"] = STATUS_OUT[status]
        if not body:
            return current
        response = await self._request("PUT", url, idempotent=False, body=body)
        what = f"update certificate {current.remote_id}"
        if response.status != 200:
            raise self._core.error(response, what)
        return self._parse_one(response, what)

    async def delete_certificate(self, remote_id: str) -> None:
        url = self._item_url(remote_id)
        response = await self._request("DELETE", url, idempotent=True)
        if response.status not in (200, 204):
            raise self._core.error(response, f"delete certificate {remote_id}")
