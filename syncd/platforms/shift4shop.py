"""3dcart / Shift4Shop REST API v2 connector (PLATFORMS.md, seed 000).

The certificate code is the key (no numeric id, no status, no currency: the store's one
currency comes from config). Writes answer an array of ``{Key, Value, Status, Message}``,
one per record; a failed element is that record's failure. Balance writes are an
undocumented guess (``Balance`` in a PUT body), so every one is read back and a mismatch
raises :class:`~syncd.errors.WriteNotApplied`. With ``recreate`` the capabilities say that
a balance is changed by re-creating instead (DELETE, then POST of the same code with the new
balance as ``Amount`` and the same ``Notes``; the runner drives the two steps).

The code travels in URL paths, which IIS refuses some characters in (:data:`PATH_CODES`):
such a code is never sent, and the capabilities make it unmirrorable here. Codes are taken
to ignore case on look-up (``case_insensitive_codes``). Dates are store-local
(:mod:`syncd.platforms.shift4shop_dates`); one that cannot be read costs only the date.

Listing: a ``countonly`` request first tells how many records exist, so the pages'
offsets are known up front and fetched concurrently. The offset advances by the records
actually received (a short page is re-read from where it stopped, never skipped). The
listing is complete on the platform's end answer (404 / "Offset amount exceeds…") or
when the count is reached by a page that came back shorter than asked (two signals that
agree); a store that shrank while listed ends incomplete. That makes a full listing
``1 + ceil(N / page)`` requests. Without a usable count it pages sequentially to the 404
(:mod:`syncd.platforms.shift4shop_listing`; records: :mod:`syncd.platforms.shift4shop_documents`).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from urllib.parse import quote

from syncd.errors import (
    NotFound,
    Rejected,
    Unsupported,
    WriteNotApplied,
)
from syncd.limits import code_problem
from syncd.model import (
    BalanceMode,
    Capabilities,
    CodeRule,
    NewCertificate,
    RemoteCertificate,
    Status,
    mask_code,
)
from syncd.money import format_money, normalise_currency, parse_money
from syncd.platforms import _wire
from syncd.platforms.base import ListingItem
from syncd.platforms.core import WireCore
from syncd.platforms.http import (
    Clock,
    HttpClient,
    HttpOptions,
    Response,
    Sleep,
    _real_sleep,
)
from syncd.platforms.pager import DEFAULT_MAX_CERTIFICATES
from syncd.platforms.shift4shop_dates import StoreDates
from syncd.platforms.shift4shop_documents import BalanceWrite as BalanceWrite
from syncd.platforms.shift4shop_documents import Records, answer_message, outcomes
from syncd.platforms.shift4shop_documents import WriteOutcome as WriteOutcome
from syncd.platforms.shift4shop_listing import Listing, Page, count_of, is_offset_exceeded
from syncd.platforms.shift4shop_registries import Shift4ShopRegistries

API_PATH = "/3dCartWebAPI/v2"
# The API is ASP.NET on IIS, and the code is a URL path segment: IIS refuses these there
# (encoded or not), a trailing "." and control characters. Such a code is never sent.
PATH_CODES = CodeRule(
    refused=frozenset("+%&:*\\/?#"),
    trailing_dot=True,
    controls=True,
    where="3dcart (IIS) refuses in a URL path",
)
# The maximum is undocumented; a production integration pages by 200 (another client by 100).
# A store that serves fewer than asked is read correctly all the same (short pages re-read).
DEFAULT_PAGE_SIZE = 200


class Shift4ShopConnector:
    """One 3dcart / Shift4Shop store."""

    def __init__(
        self,
        store: str,
        *,
        base_url: str,
        secure_url: str,
        private_key: str,
        token: str,
        currency: str,
        timezone: str = "UTC",
        options: HttpOptions | None = None,
        page_size: int | None = None,
        max_certificates: int = DEFAULT_MAX_CERTIFICATES,
        recreate: bool = False,
        clock: Clock = time.monotonic,
        sleep: Sleep = _real_sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._root = base_url.rstrip("/") + API_PATH
        self._currency = normalise_currency(currency)
        self._dates = StoreDates(store, timezone)  # zone-less dates are the store's local time
        self._balance_write = BalanceMode.RECREATE if recreate else BalanceMode.IN_PLACE
        headers = {
            "SecureURL": secure_url,
            "PrivateKey": private_key,
            "Token": token,
            "Accept": "application/json",
        }
        self.http = HttpClient(
            store, options=options, headers=headers, clock=clock, sleep=sleep, rng=rng
        )
        secrets = (private_key, token)
        self._core = core = WireCore(
            store,
            kind="Shift4ShopConnector",
            url=self._root,
            http=self.http,
            fault=answer_message,
            page_size=page_size or DEFAULT_PAGE_SIZE,
            max_total=max_certificates,
            secrets=lambda: secrets,
        )
        self.store, self.stats, self.page_size = store, core.stats, core.page_size
        self.aclose = core.aclose
        money = core.money.money(self._currency)  # the store's one currency
        records = Records(store, money=money, dates=self._dates)
        self._parse = records.parse  # per listed record: the reader's own method, no layer
        self._parse_page = records.page
        # Gift registries (seed 002, read-only): syncd.registries.source.registry_source.
        self.registries = self.make_registries()

    def __repr__(self) -> str:
        return repr(self._core)

    def make_registries(self, page_size: int | None = None) -> Shift4ShopRegistries:
        """A reader of this store's gift registries (``page_size``: its default if None)."""
        return Shift4ShopRegistries(
            self._core, root=self._root, currency=self._currency, page_size=page_size
        )

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            set_status=False,
            has_status=False,
            has_expiry=False,
            currencies=frozenset({self._currency}),
            registries=True,
            lookup_code=True,
            balance_write=self._balance_write,
            code_rule=PATH_CODES,
            case_insensitive_codes=True,  # SQL Server look-ups, probably: the safe guess
        )

    # -- wire ---------------------------------------------------------------------------

    def _url(self, code: str | None = None) -> str:
        """The collection, or ONE certificate: a code URL normalisation would turn into
        another resource (``.`` is the collection, ``..`` the API root) or that no record
        could have (blank, control characters) is refused, naming the code masked."""
        if code is None:
            return f"{self._root}/GiftCertificates"
        problem = code_problem(code)
        if problem is None and (refused := PATH_CODES.problem(code)) is not None:
            problem = f"{mask_code(code)}: {refused}"
        if problem is not None:
            raise Rejected(self.store, f"refusing to address a certificate: {problem}")
        return f"{self._root}/GiftCertificates/{quote(code, safe='')}"

    # -- listing ------------------------------------------------------------------------

    async def list_certificates(self) -> AsyncIterator[ListingItem]:
        """Every certificate; raises only AuthError (the store is unhealthy)."""
        pager = self._core.pager()
        listing = Listing(pager, count=self._count, fetch=self._fetch_page, parse=self._parse_page)
        async with contextlib.aclosing(listing.run()) as items:
            async for item in items:
                yield item

    async def _count(self) -> int | None:
        """How many certificates the store holds (``countonly``), None if it won't say."""
        response = await self.http.request(
            "GET", self._url(), idempotent=True, params={"countonly": "1"}
        )
        if response.status == 404:
            return 0
        if response.status in (401, 403) or response.status == 429 or response.status >= 500:
            raise self._core.error(response, "count certificates")
        if response.status != 200:
            return None  # the store will not count: page sequentially to the end answer
        try:
            return count_of(_wire.json_of(response))
        except ValueError:
            return None

    async def _fetch_page(self, offset: int, limit: int) -> Page:
        params = {"offset": str(offset), "limit": str(limit)}
        response = await self.http.request("GET", self._url(), idempotent=True, params=params)
        if response.status == 404 or is_offset_exceeded(response):
            return Page(offset, limit, None)
        what = f"list certificates at offset {offset}"
        if response.status != 200:
            raise self._core.error(response, what)
        return Page(offset, limit, self._core.json_list(response, what))

    # -- single records -----------------------------------------------------------------

    async def get_certificate(self, remote_id: str) -> RemoteCertificate | None:
        response = await self.http.request("GET", self._url(remote_id), idempotent=True)
        if response.status == 404:
            return None
        what = f"get certificate {remote_id!r}"
        if response.status != 200:
            raise self._core.error(response, what)
        body = self._core.json(response, what)
        if isinstance(body, list):  # some versions wrap the one record in an array
            body = body[0] if len(body) == 1 else None
        try:
            return self._parse(body)
        except (ValueError, TypeError, AttributeError) as err:
            raise self._core.bad(what, err) from err

    async def find_by_code(self, code: str) -> RemoteCertificate | None:
        """The certificate of exactly ``code``: a store that looks codes up ignoring case
        may answer another one (``abc`` for ``ABC``), which is not it."""
        found = await self.get_certificate(code)
        return found if found is not None and found.code == code else None

    async def create_certificate(self, cert: NewCertificate) -> RemoteCertificate:
        """POST (never retried blindly), then the balance if it differs from the amount."""
        self._check_currency(cert.currency)
        body = {
            "CertificateCode": cert.code,
            "Amount": _wire.json_number(self._quantize(cert.amount)),
            "Notes": cert.message or "",
        }
        response = await self.http.request("POST", self._url(), idempotent=False, json_body=body)
        self._check_write(response, f"create certificate {cert.code!r}", cert.code)
        if parse_money(cert.balance, self._currency) != parse_money(cert.amount, self._currency):
            return await self._set_balance(cert.code, cert.balance)
        created = await self.get_certificate(cert.code)
        if created is None:
            raise NotFound(self.store, f"certificate {cert.code!r} missing right after create")
        return created

    async def update_certificate(
        self,
        current: RemoteCertificate,
        *,
        balance: Decimal | None = None,
        status: Status | None = None,
    ) -> RemoteCertificate:
        if status is not None:
            raise Unsupported(self.store, f"3dcart has no status (asked {status.value!r})")
        if balance is None:
            return current
        return await self._set_balance(current.remote_id, balance)

    async def update_balances(self, writes: Sequence[BalanceWrite]) -> list[WriteOutcome]:
        """One bulk PUT; an outcome per write, in order. Never repeated blind: a spend landing
        between two PUTs would be overwritten (an unknown outcome is settled by re-reading)."""
        if not writes:
            return []
        body = [
            {"CertificateCode": w.code, "Balance": _wire.json_number(self._quantize(w.balance))}
            for w in writes
        ]
        response = await self.http.request("PUT", self._url(), idempotent=False, json_body=body)
        if response.status in (401, 403) or response.status >= 500 or response.status == 429:
            raise self._core.error(response, f"update {len(writes)} certificate(s)")
        return outcomes(writes, response)

    async def _set_balance(self, code: str, balance: Decimal) -> RemoteCertificate:
        wanted = self._quantize(balance)
        [outcome] = await self.update_balances([BalanceWrite(code, wanted)])
        if not outcome.ok:
            cls = NotFound if outcome.status == 404 else Rejected
            raise cls(self.store, f"balance of {code!r}: {outcome.message}")
        seen = await self.get_certificate(code)
        if seen is None:
            raise NotFound(self.store, f"certificate {code!r} vanished after a balance write")
        if seen.balance != wanted:
            raise WriteNotApplied(
                self.store,
                f"balance of {code!r}: wrote {format_money(wanted, self._currency)}, "
                f"read back {format_money(seen.balance, self._currency)}",
            )
        return seen

    async def delete_certificate(self, remote_id: str) -> None:
        """One DELETE, never repeated blind: after a lost answer a repeat would be 404 and
        read as "it was gone" (the caller settles an unknown outcome by reading)."""
        response = await self.http.request("DELETE", self._url(remote_id), idempotent=False)
        self._check_write(response, f"delete certificate {remote_id!r}", remote_id)

    # -- helpers ------------------------------------------------------------------------

    def _quantize(self, value: Decimal) -> Decimal:
        return parse_money(value, self._currency)

    def _check_currency(self, currency: str) -> None:
        if normalise_currency(currency) != self._currency:
            raise Rejected(self.store, f"store sells in {self._currency} only, not {currency!r}")

    def _check_write(self, response: Response, what: str, code: str) -> None:
        """A write answer: the HTTP status, then the record's own ``Status``."""
        if not 200 <= response.status < 300:
            raise self._core.error(response, what)
        answered = outcomes([BalanceWrite(code, Decimal(0))], response)
        if answered and not answered[0].ok:
            raise Rejected(self.store, f"{what}: {answered[0].message}")
