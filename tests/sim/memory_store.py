"""An in-memory store that implements :class:`syncd.platforms.base.Connector` for real.

It is both the store (what shoppers and merchants change) and syncd's connector to it, like
vdirsyncer's memory storage: real code, no HTTP. Its :class:`Capabilities` make it play a
3dcart-like store (no status: disabled is balance 0, the code is the id), a BigCommerce-like
one (20-character codes, required people, integer ids), an SFCC-like one without companion
(no code choice, no balance writes, masked codes, look-up by code) or one with a companion
(a balance changed by re-issue: delete, then create the same code under a new id).

Every method awaits :class:`Steps` first (and a write awaits it again once applied): the one
scheduler of a simulation, which may crash the process there or let a shopper act there.
Faults queued on a store are consumed by its next writes.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from syncd.errors import BadPayload, Conflict, NotFound, Rejected, Transient, Unsupported
from syncd.model import (
    BalanceMode,
    Capabilities,
    ListingEnd,
    ListingPage,
    NewCertificate,
    RecordProblem,
    RemoteCertificate,
    Status,
    mask_code,
)
from syncd.money import parse_listed_money
from syncd.platforms._wire import check_keys
from syncd.platforms.base import ListingItem

THREEDCART = Capabilities(has_status=False, set_status=False, has_expiry=False)
BIGCOMMERCE = Capabilities(max_code_length=20, requires_people=True, max_message_length=250)
SFCC = Capabilities(
    read_codes=False, choose_code=False, set_balance=False, has_expiry=False, lookup_code=True
)
# SFCC with a companion as syncd.platforms.sfcc declares it: a balance changes by re-issue
# (delete, then create the same code: a new remote id), and nothing of 0 can be created.
SFCC_COMPANION = Capabilities(
    has_expiry=False, balance_write=BalanceMode.RECREATE, holds_zero=False
)


class Crash(BaseException):
    """The process died here (``kill -9``): nothing of syncd may catch it."""


class Fault(StrEnum):
    """What the next write of a store does instead of answering normally."""

    TIMEOUT = "timeout"  # times out before the store applied it
    LOST = "lost"  # applied; the answer is lost (connection dropped)
    APPLIED_ERROR = "applied_error"  # applied; the answer cannot be understood
    CRASH_AFTER = "crash_after"  # applied; the process dies before it sees the answer


class Hostile(StrEnum):
    """A record or a page no well-behaved platform sends (DESIGN.md §4.13)."""

    BLANK_CODE = "blank_code"
    NEGATIVE = "negative"
    FRACTION = "fraction"  # more decimals than the currency has
    HUGE = "huge"  # beyond the ledger's fixed-point range
    REPEATED_PAGE = "repeated_page"  # a page sent twice


@dataclass
class Steps:
    """Every await point of every memory store, numbered in the order they are reached.

    ``crash_at``: the step at which the process dies (a :class:`Crash` raised there, and at
    every later step, and ``victim`` cancelled). ``between``: called at every step with its
    number, before anything else happens there (a shopper acting between two steps)."""

    count: int = 0
    crash_at: int | None = None
    victim: asyncio.Task[object] | None = None
    between: Callable[[int], None] | None = None
    dead: bool = False

    async def __call__(self) -> None:
        self.count += 1
        if self.dead or self.count == self.crash_at:
            self.die()
        if self.between is not None:
            self.between(self.count)
        await asyncio.sleep(0)

    def die(self) -> None:
        self.dead = True
        if self.victim is not None and self.victim is not asyncio.current_task():
            self.victim.cancel()
        raise Crash(f"killed at step {self.count}")


@dataclass(frozen=True, slots=True)
class Write:
    """One write that reached the store (applied or not)."""

    op: str  # create | update | delete
    remote_id: str
    code: str
    applied: bool


@dataclass
class MemoryStore:
    """One store's records and the connector to it. Plain codes are kept even where the
    platform hides them (``codes``), so a test can tell which certificate a record is."""

    name: str
    caps: Capabilities
    steps: Steps = field(default_factory=Steps)
    code_is_id: bool = False  # 3dcart: the code is the remote id
    integer_ids: bool = False  # BigCommerce: ids are 1, 2, 3 …
    case_insensitive: bool = False  # how the platform compares codes in a look-up
    currency: str = "USD"
    page_size: int = 3
    records: dict[str, RemoteCertificate] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # remote id → plain code (ever)
    faults: list[Fault] = field(default_factory=list)  # consumed by the next writes
    hostile: list[Hostile] = field(default_factory=list)  # consumed by the next listing
    # Hostile records listed in cycles that did not die: (record key, key is the code) → the
    # number of listings that carried it (a listing counts a record once, as its alert does).
    sent_hostile: Counter[tuple[str, bool]] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)  # creates applied, by code key
    removed: Counter[str] = field(default_factory=Counter)  # deletions of any kind, by code key
    writes: list[Write] = field(default_factory=list)
    # Remote ids syncd has read and not yet written: a shopper's move there would fall in the
    # one-round-trip window DESIGN.md §5 accepts (an absolute write overwrites it).
    reading: set[str] = field(default_factory=set)
    _next_id: int = 1

    # -- the Connector protocol ------------------------------------------------------------

    @property
    def store(self) -> str:
        return self.name

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    async def list_certificates(self) -> AsyncIterator[ListingItem]:
        ids = sorted(self.records, key=self._order)
        pages = [ids[i : i + self.page_size] for i in range(0, len(ids), self.page_size)]
        hostile, self.hostile = self.hostile, []
        for n, page in enumerate(pages):
            await self.steps()
            shown = [self._shown(self.records[r]) for r in page if r in self.records]
            yield self._page(shown)
            if n == 0 and Hostile.REPEATED_PAGE in hostile:
                yield self._page(shown)
        carried: set[tuple[str, bool]] = set()
        for kind in hostile:
            if kind is not Hostile.REPEATED_PAGE:
                record = self._hostile_record(kind)
                carried.add((record.remote_id, record.code == record.remote_id))
                yield self._page([record])
        self.sent_hostile.update(carried)
        await self.steps()
        yield ListingEnd(complete=True, pages=len(pages), requests=len(pages) + 1)

    async def get_certificate(self, remote_id: str) -> RemoteCertificate | None:
        await self.steps()
        record = self.records.get(remote_id)
        if record is None:
            return None
        self.reading.add(remote_id)
        return self._shown(record)

    async def find_by_code(self, code: str) -> RemoteCertificate | None:
        await self.steps()
        if not (self.caps.read_codes or self.caps.lookup_code):
            raise Unsupported(self.name, "cannot look codes up")
        remote_id = self.remote_id_of(code)
        if remote_id is None:
            return None
        return self._shown(self.records[remote_id])

    async def create_certificate(self, cert: NewCertificate) -> RemoteCertificate:
        await self.steps()
        self._check_new(cert)
        if self.remote_id_of(cert.code) is not None:
            raise Conflict(self.name, f"code {mask_code(cert.code)} exists")
        fault = self._fault()
        amount = cert.amount
        if self.caps.balance_write is BalanceMode.RECREATE:  # SFCC: the balance is the amount
            amount = cert.balance
        remote_id = self._add(cert.code, amount, cert.balance, cert.currency, cert.status)
        self.created[self._key(cert.code)] += 1
        answer = self._shown(self.records[remote_id])  # the state the store applied
        await self._answer(fault, Write("create", remote_id, cert.code, True))
        return answer

    async def update_certificate(
        self,
        current: RemoteCertificate,
        *,
        balance: Decimal | None = None,
        status: Status | None = None,
    ) -> RemoteCertificate:
        await self.steps()
        if balance is not None and not self.caps.set_balance:
            raise Unsupported(self.name, "cannot set a balance")
        if balance is not None and self.caps.balance_write is BalanceMode.RECREATE:
            raise Unsupported(self.name, "changes a balance by re-issue, not in place")
        if status is not None and not (self.caps.has_status and self.caps.set_status):
            raise Unsupported(self.name, "cannot set a status")
        remote_id = current.remote_id
        record = self.records.get(remote_id)
        if record is None:
            raise NotFound(self.name, f"no certificate {remote_id}")
        fault = self._fault()
        if balance is not None:
            record = replace(record, balance=balance, amount=max(record.amount, balance))
        if status is not None:
            record = replace(record, status=status)
        self.records[remote_id] = record
        self.reading.discard(remote_id)
        answer = self._shown(record)  # the state the store applied
        await self._answer(fault, Write("update", remote_id, self.codes[remote_id], True))
        return answer

    async def delete_certificate(self, remote_id: str) -> None:
        await self.steps()
        if not self.caps.delete:
            raise Unsupported(self.name, "cannot delete")
        if remote_id not in self.records:
            raise NotFound(self.name, f"no certificate {remote_id}")
        fault = self._fault()
        self.remove(remote_id)
        await self._answer(fault, Write("delete", remote_id, self.codes[remote_id], True))

    async def aclose(self) -> None:
        """Nothing to close (no HTTP session)."""

    # -- what shoppers and merchants do on the store itself --------------------------------

    def issue(self, code: str | None, amount: Decimal) -> str:
        """A sale on this store; returns the remote id (the platform picks the code where
        syncd cannot choose one, or when ``code`` is None)."""
        if code is None or not self.caps.choose_code:
            code = f"SF{self._next_id:08d}X"
        if self.caps.max_code_length is not None:
            code = code[: self.caps.max_code_length]
        return self._add(code, amount, amount, self.currency, Status.ACTIVE)

    def set(
        self, remote_id: str, *, balance: Decimal | None = None, status: Status | None = None
    ) -> None:
        """A change made on the store (checkout, admin)."""
        record = self.records[remote_id]
        if balance is not None:
            record = replace(record, balance=balance, amount=max(record.amount, balance))
        if status is not None:
            record = replace(record, status=status)
        self.records[remote_id] = record

    def remove(self, remote_id: str) -> None:
        del self.records[remote_id]
        self.reading.discard(remote_id)
        self.removed[self._key(self.codes[remote_id])] += 1

    def remote_id_of(self, code: str) -> str | None:
        key = self._key(code)
        return next((r for r in self.records if self._key(self.codes[r]) == key), None)

    def key(self, code: str) -> str:
        """How this store compares codes."""
        return self._key(code)

    # -- internals ---------------------------------------------------------------------------

    def _key(self, code: str) -> str:
        return code.casefold() if self.case_insensitive else code

    def _order(self, remote_id: str) -> tuple[int, str]:
        return (int(remote_id), "") if self.integer_ids else (0, remote_id)

    def _check_new(self, cert: NewCertificate) -> None:
        if not self.caps.choose_code:
            raise Unsupported(self.name, "cannot create with a given code")
        limit = self.caps.max_code_length
        if limit is not None and len(cert.code) > limit:
            raise Rejected(self.name, f"code longer than {limit} characters")
        if cert.currency != self.currency:
            raise Rejected(self.name, f"currency {cert.currency} is not {self.currency}")
        if not self.caps.holds_zero and cert.balance <= 0:
            raise Rejected(self.name, "cannot create a balance of 0")
        p = cert.people
        if self.caps.requires_people and not (p.to_name and p.to_email and p.from_name):
            raise Rejected(self.name, "to/from names and emails are required")

    def _fault(self) -> Fault | None:
        fault = self.faults.pop(0) if self.faults else None
        if fault is Fault.TIMEOUT:
            self.writes.append(Write("timeout", "", "", False))
            raise Transient(self.name, "request timed out")
        return fault

    async def _answer(self, fault: Fault | None, write: Write) -> None:
        """The way back from an applied write: logged, then the fault (if any) strikes."""
        self.writes.append(write)
        if fault is Fault.CRASH_AFTER:
            self.steps.die()
        await self.steps()  # the answer travels back: a shopper may act meanwhile
        if fault is Fault.LOST:
            raise Transient(self.name, "connection dropped after the request was sent")
        if fault is Fault.APPLIED_ERROR:
            raise BadPayload(self.name, "answer is not JSON")

    def _add(
        self, code: str, amount: Decimal, balance: Decimal, currency: str, status: Status
    ) -> str:
        if self.code_is_id:
            remote_id = code
        elif self.integer_ids:
            remote_id = str(self._next_id)
        else:
            remote_id = f"{self.name}-{self._next_id:06d}"
        self._next_id += 1
        if not self.caps.has_status:  # no status field: disabled is a balance of 0
            balance = balance if status.usable else Decimal(0)
            status = Status.ACTIVE
        self.records[remote_id] = RemoteCertificate(
            store=self.name,
            remote_id=remote_id,
            code=code,
            currency=currency,
            amount=max(amount, balance),
            balance=balance,
            status=status,
            masked_code=mask_code(code),
        )
        self.codes[remote_id] = code
        return remote_id

    def _page(self, records: list[RemoteCertificate]) -> ListingPage:
        """A listing page as a connector hands it on: every record checked at the edge as the
        platform connectors check theirs (:func:`syncd.platforms._wire.check_keys`, listed
        money exact), a record that fails set aside as a :class:`RecordProblem`."""
        kept: list[RemoteCertificate] = []
        problems: list[RecordProblem] = []
        for record in records:
            try:
                check_keys(
                    record.remote_id, record.code, self.caps.max_code_length,
                    record.masked_code, record.message,
                )  # fmt: skip
                for value in (record.amount, record.balance):
                    parse_listed_money(format(value, "f"), record.currency)
            except ValueError as err:
                is_code = record.code == record.remote_id
                shown = {"code": record.code, "masked_code": record.masked_code}
                problems.append(
                    RecordProblem(self.name, record.remote_id, str(err), is_code, **shown)
                )
            else:
                kept.append(record)
        return ListingPage(tuple(kept), tuple(problems))

    def _shown(self, record: RemoteCertificate) -> RemoteCertificate:
        return record if self.caps.read_codes else replace(record, code=None)

    def _hostile_record(self, kind: Hostile) -> RemoteCertificate:
        code, balance = f"HOSTILE{self._next_id:04d}", Decimal("10.00")
        if kind is Hostile.BLANK_CODE:
            code = "   "
        elif kind is Hostile.NEGATIVE:
            balance = Decimal("-5.00")
        elif kind is Hostile.FRACTION:
            balance = Decimal("10.555")
        elif kind is Hostile.HUGE:
            balance = Decimal("1e15")
        self._next_id += 1
        rid = code if self.code_is_id else f"{self.name}-hostile-{self._next_id}"
        return RemoteCertificate(
            self.name, rid, code, self.currency, max(balance, Decimal(0)), balance, Status.ACTIVE
        )


def four_stores(steps: Steps, *, case_insensitive: bool = False) -> dict[str, MemoryStore]:
    """The simulation's group: 3dcart-like, BigCommerce-like, SFCC-like with and without a
    companion, all sharing one scheduler."""
    stores = [
        MemoryStore("cart", THREEDCART, steps, code_is_id=True),
        MemoryStore("bc", BIGCOMMERCE, steps, integer_ids=True),
        MemoryStore("sfcc", SFCC, steps),
        MemoryStore("sfcx", SFCC_COMPANION, steps),
    ]
    for store in stores:
        store.case_insensitive = case_insensitive
    return {store.name: store for store in stores}
