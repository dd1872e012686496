"""Salesforce Commerce Cloud connector: OCAPI Data API 23.2 (PLATFORMS.md, seed 003), plus
the optional companion endpoint (docs/companion.md) and the Shop API code look-up.

* Identity is ``merchant_id``; OCAPI shows only masked codes, so listed records have
  ``code=None`` and ``masked_code`` set.
* Status: ``enabled=false`` ⇒ disabled; ``pending`` ⇒ pending; ``issued``,
  ``partially_redeemed``, ``redeemed`` ⇒ active (redeemed = active with nothing left).
* Writes through OCAPI are status only (PATCH with ``_resource_state``; a 409 re-reads and
  retries once) and deletes (DELETE with ``x-dw-resource-state``: the state of the last read
  of that certificate, so a change since is a 409). With a companion (docs/companion.md;
  every call carries ``siteId``) creates choose the code, plain codes are revealed by
  ``merchant_id``, and a balance is changed by re-issue — OCAPI DELETE, then a companion
  create of the same code with the new balance (a new ``merchant_id``), two steps the runner
  drives (``Capabilities.balance_write``); balance 0 is ``enabled = false`` (the Script API
  creates nothing of 0). Without one, the capabilities say none of this is possible.
* Tokens: :class:`~syncd.platforms.sfcc_auth.TokenProvider` (lazy, refreshed before
  expiry, and once on a 401).

Listing: ``start``/``count`` pages; the first answer's ``total`` gives every other start,
so those pages are fetched concurrently. The listing ends when ``start + count >= total``
(``ceil(N / 200)`` requests plus the token; :mod:`syncd.platforms.sfcc_listing`). A page
with fewer records than asked while more exist was cut: the listing ends incomplete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from syncd.errors import (
    BadPayload,
    Conflict,
    NotFound,
    Rejected,
    Unsupported,
)
from syncd.limits import code_problem, remote_id_problem
from syncd.model import (
    BalanceMode,
    Capabilities,
    NewCertificate,
    RemoteCertificate,
    Status,
)
from syncd.money import normalise_currency, parse_money
from syncd.platforms.base import ListingItem
from syncd.platforms.core import RECORD_ERRORS, WireCore
from syncd.platforms.http import (
    Clock,
    HttpClient,
    HttpOptions,
    Response,
    Sleep,
    _real_sleep,
)
from syncd.platforms.pager import DEFAULT_MAX_CERTIFICATES
from syncd.platforms.sfcc_auth import DEFAULT_MARGIN, TokenProvider
from syncd.platforms.sfcc_documents import (
    Records,
    create_body,
    fault_message,
    mask,
    status_patch,
)
from syncd.platforms.sfcc_listing import Listing

API_PATH = "/s/-/dw/data/v23_2"
SHOP_PATH = "/dw/shop/v23_2/gift_certificate"
MAX_PAGE_SIZE = 200


class SfccConnector:
    """One SFCC site."""

    def __init__(
        self,
        store: str,
        *,
        base_url: str,
        auth_url: str,
        site_id: str,
        client_id: str,
        client_secret: str,
        currency: str | None = None,
        companion_url: str | None = None,
        shop_client_id: str | None = None,
        options: HttpOptions | None = None,
        page_size: int | None = None,
        max_certificates: int = DEFAULT_MAX_CERTIFICATES,
        token_margin: float = DEFAULT_MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = _real_sleep,
        rng: random.Random | None = None,
    ) -> None:
        host = base_url.rstrip("/")
        self._root = f"{host}{API_PATH}/sites/{quote(site_id, safe='')}/gift_certificates"
        self._shop_url = f"{host}/s/{quote(site_id, safe='')}{SHOP_PATH}"
        self._companion = companion_url.rstrip("/") if companion_url else None
        self._shop_client_id = shop_client_id
        self._currency = normalise_currency(currency) if currency else None
        # merchant_id → plain code of certificates this process created or looked up;
        # OCAPI never shows codes, and a re-issue needs one (else the caller supplies it).
        self._codes: dict[str, str] = {}
        # merchant_id → _resource_state of its last read: a DELETE carries it.
        self._versions: dict[str, str] = {}
        self._site_params = {"siteId": site_id}
        self.http = HttpClient(
            store,
            options=options,
            headers={"Accept": "application/json"},
            clock=clock,
            sleep=sleep,
            rng=rng,
        )
        self.tokens = TokenProvider(
            self.http,
            auth_url=auth_url,
            client_id=client_id,
            client_secret=client_secret,
            clock=clock,
            margin=token_margin,
        )
        self._core = core = WireCore(
            store,
            kind="SfccConnector",
            url=self._root,
            http=self.http,
            fault=fault_message,
            page_size=min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE),
            max_total=max_certificates,
            secrets=lambda: self.tokens.secrets,
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
        peer = self._companion is not None
        return Capabilities(
            read_codes=False,  # listings show masked codes, companion or not
            choose_code=peer,
            set_balance=peer,
            has_expiry=False,
            currencies=frozenset({self._currency}) if self._currency else None,
            lookup_code=peer or self._shop_client_id is not None,
            reveal_codes=peer,
            balance_write=BalanceMode.RECREATE,
            holds_zero=False,
        )

    # -- wire ---------------------------------------------------------------------------

    def _item_url(self, merchant_id: str) -> str:
        """ONE certificate's URL: an id that would address another resource (blank, ``.``,
        ``..``, control characters) is refused, naming it."""
        problem = remote_id_problem(merchant_id)
        if problem is not None:
            raise Rejected(self.store, f"refusing to address a certificate: {problem}")
        return f"{self._root}/{quote(merchant_id, safe='')}"

    def _companion_url(self, code: str | None = None) -> str:
        if self._companion is None:
            raise Unsupported(self.store, "no companion endpoint configured")
        if code is None:
            return f"{self._companion}/gift_certificates"
        problem = code_problem(code)
        if problem is not None:
            raise Rejected(self.store, f"refusing to address a certificate: {problem}")
        return f"{self._companion}/gift_certificates/{quote(code, safe='')}"

    def _reveal_url(self, merchant_id: str) -> str:
        if self._companion is None:
            raise Unsupported(self.store, "no companion endpoint configured")
        problem = remote_id_problem(merchant_id)
        if problem is not None:
            raise Rejected(self.store, f"refusing to address a certificate: {problem}")
        quoted = quote(merchant_id, safe="")
        return f"{self._companion}/gift_certificates/by-merchant-id/{quoted}"

    async def _call(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One authenticated request; a 401 drops the token and retries once."""
        for attempt in (1, 2):
            token = await self.tokens.token()
            sent = {**(headers or {}), "Authorization": f"Bearer {token}"}
            response = await self.http.request(
                method, url, idempotent=idempotent, params=params, json_body=body, headers=sent
            )
            if response.status != 401 or attempt == 2:
                return response
            self.tokens.invalidate(token)
        raise AssertionError("unreachable")

    # -- listing ------------------------------------------------------------------------

    async def list_certificates(self) -> AsyncIterator[ListingItem]:
        """Every certificate; raises only AuthError (the store is unhealthy)."""
        listing = Listing(self._core.pager(), fetch=self._fetch_page, parse=self._parse_page)
        async with contextlib.aclosing(listing.run()) as items:
            async for item in items:
                yield item

    async def _fetch_page(self, start: int) -> tuple[int, list[Any], int]:
        """(start, records, total) of the page at ``start``."""
        params = {"start": str(start), "count": str(self.page_size)}
        response = await self._call("GET", self._root, idempotent=True, params=params)
        what = f"list certificates at start {start}"
        if response.status != 200:
            raise self._core.error(response, what)
        body = self._core.json(response, what)
        data = body.get("data", []) if isinstance(body, dict) else None
        total = body.get("total") if isinstance(body, dict) else None
        if not isinstance(data, list) or isinstance(total, bool) or not isinstance(total, int):
            raise BadPayload(self.store, f"{what}: no data/total in the answer")
        return start, data, total

    def _parse_one(
        self, response: Response, what: str, code: str | None = None
    ) -> RemoteCertificate:
        body = self._core.json(response, what)
        try:
            cert = self._parse(body, code)
        except RECORD_ERRORS as err:
            raise self._core.bad(what, err) from err
        if cert.version is not None:
            self._versions[cert.remote_id] = cert.version
        if cert.code is not None:
            self._codes[cert.remote_id] = cert.code
        elif cert.remote_id in self._codes:
            cert = dataclasses.replace(cert, code=self._codes[cert.remote_id])
        return cert

    # -- single records -----------------------------------------------------------------

    async def get_certificate(self, remote_id: str) -> RemoteCertificate | None:
        response = await self._call("GET", self._item_url(remote_id), idempotent=True)
        if response.status == 404:
            return None
        what = f"get certificate {remote_id!r}"
        if response.status != 200:
            raise self._core.error(response, what)
        return self._parse_one(response, what)

    async def find_by_code(self, code: str) -> RemoteCertificate | None:
        """Companion when configured, else the Shop API when configured, else Unsupported."""
        if self._companion is not None:
            url, params = self._companion_url(code), self._site_params
            response = await self._call("GET", url, idempotent=True, params=params)
            if response.status == 404:
                return None
            if response.status != 200:
                raise self._core.error(response, "look up a code (companion)")
            return self._parse_one(response, "look up a code (companion)", code)
        if self._shop_client_id is not None:
            return await self._shop_lookup(code)
        raise Unsupported(self.store, "looking codes up needs a companion or shop_client_id")

    async def _shop_lookup(self, code: str) -> RemoteCertificate | None:
        """The Shop API look-up, authenticated as an application (OCAPI's
        ``oauth2_application``): the client-credentials bearer token, plus the shop client
        id; a real instance refuses the client id alone (401)."""
        assert self._shop_client_id is not None
        response = await self._call(
            "POST",
            self._shop_url,
            idempotent=True,  # a look-up changes nothing
            body={"gift_certificate_code": code},
            headers={"x-dw-client-id": self._shop_client_id},
        )
        if response.status == 404:
            return None
        if response.status != 200:
            raise self._core.error(response, "look up a code (Shop API)")
        body = self._core.json(response, "look up a code (Shop API)")
        merchant_id = body.get("merchant_id") if isinstance(body, dict) else None
        if not isinstance(merchant_id, str) or not merchant_id:
            raise BadPayload(self.store, "look up a code (Shop API): no merchant_id")
        found = await self.get_certificate(merchant_id)
        return None if found is None else dataclasses.replace(found, code=code)

    async def reveal_code(self, remote_id: str) -> str | None:
        """The plain code of certificate ``remote_id`` (companion), None if it does not exist."""
        url = self._reveal_url(remote_id)
        response = await self._call("GET", url, idempotent=True, params=self._site_params)
        if response.status == 404:
            return None
        what = f"reveal the code of {remote_id!r}"
        if response.status != 200:
            raise self._core.error(response, what)
        found = self._parse_one(response, what)
        if found.remote_id != remote_id or found.code is None:
            raise BadPayload(self.store, f"{what}: the answer is another certificate")
        return found.code

    async def create_certificate(self, cert: NewCertificate) -> RemoteCertificate:
        """Through the companion only, with the balance as its amount (the Script API cannot
        set a balance); one POST, never retried blindly (409 = code taken or refused)."""
        if self._companion is None:
            raise Unsupported(self.store, "SFCC cannot create a certificate with a given code")
        currency = normalise_currency(cert.currency)
        if parse_money(cert.balance, currency) <= 0:
            raise Rejected(self.store, f"{mask(cert.code)}: SFCC cannot create a balance of 0")
        body = create_body(dataclasses.replace(cert, amount=cert.balance), currency)
        url, params = self._companion_url(), self._site_params
        response = await self._call("POST", url, idempotent=False, params=params, body=body)
        what = f"create certificate {mask(cert.code)}"
        if response.status not in (200, 201):
            raise self._core.error(response, what)
        return self._parse_one(response, what, cert.code)

    async def update_certificate(
        self,
        current: RemoteCertificate,
        *,
        balance: Decimal | None = None,
        status: Status | None = None,
    ) -> RemoteCertificate:
        """Status only: a balance is changed by re-issue (delete, then create the same code),
        which the runner drives step by step."""
        if balance is not None:
            why = "SFCC changes a balance by re-issue (delete, then create), not in place"
            raise Unsupported(self.store, why)
        if status is not None:
            return await self._patch_status(current, status)
        return current

    async def _patch_status(self, current: RemoteCertificate, status: Status) -> RemoteCertificate:
        version = current.version
        for attempt in (1, 2):
            if version is None or attempt == 2:
                fresh = await self.get_certificate(current.remote_id)
                if fresh is None:
                    raise NotFound(self.store, f"certificate {current.remote_id!r} not found")
                version, current = fresh.version, dataclasses.replace(fresh, code=current.code)
            body = {"_resource_state": version, **status_patch(current, status)}
            url = self._item_url(current.remote_id)
            response = await self._call("PATCH", url, idempotent=False, body=body)
            what = f"set status of {current.remote_id!r}"
            if response.status == 200:
                return self._parse_one(response, what, current.code)
            if response.status != 409:
                raise self._core.error(response, what)
        raise Conflict(self.store, f"set status of {current.remote_id!r}: changed twice")

    async def delete_certificate(self, remote_id: str) -> None:
        """DELETE with the ``_resource_state`` of the last read (read now if there was none):
        a certificate that changed since is not deleted (409, :class:`Conflict`). Never
        repeated blind: a lost answer is settled by reading."""
        url = self._item_url(remote_id)
        version = self._versions.get(remote_id)
        if version is None:
            current = await self.get_certificate(remote_id)
            if current is None:
                raise NotFound(self.store, f"certificate {remote_id!r} not found")
            version = current.version
        headers = {} if version is None else {"x-dw-resource-state": version}
        response = await self._call("DELETE", url, idempotent=False, headers=headers)
        if response.status == 409:
            raise Conflict(self.store, f"delete certificate {remote_id!r}: changed since read")
        if response.status not in (200, 204):
            raise self._core.error(response, f"delete certificate {remote_id!r}")
        self._versions.pop(remote_id, None)
        self._codes.pop(remote_id, None)
