"""Execute a stored plan's intents against the stores (DESIGN.md §5).

Per intent: mark ``sent`` (own transaction) → write → record the outcome (link + ``done``) in
one transaction. A balance write (and a delete) first re-reads the certificate; a movement
since the listing is folded in (:func:`syncd.reconcile.fold_reread`) and persisted — journal,
ledger balance, link base, and the intent superseded by one carrying the new target — before
the write. Stores run concurrently, each with at most its ``max_concurrency`` writes in flight.

A write whose answer never came (timeout, dropped connection, an unreadable answer) is never
sent again: the store is read and the write settled (:func:`syncd.runner.recover.recheck`).
Any other failure of one intent — whatever its type, the ledger's included — is contained to
it (:meth:`Executor._contain`); every other intent goes on.

A store that re-creates to change a balance (``Capabilities.balance_write``) gets the two
steps of :mod:`syncd.runner.recreate`, each recorded on the intent before it is sent; once
the delete may have happened, any failure leaves the intent ``sent`` for recovery, which
completes it at the start of the next cycle.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

import structlog

from syncd.errors import (
    AuthError,
    BadPayload,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    Transient,
    Unsupported,
    WriteNotApplied,
)
from syncd.ledger import AlertKind, IntentState, NewAlert
from syncd.log import redact
from syncd.metrics import Metrics
from syncd.model import BalanceMode, LedgerLink, RemoteCertificate
from syncd.money import ZERO
from syncd.platforms.base import Connector
from syncd.reconcile import (
    Action,
    Create,
    Delete,
    OnAmbiguous,
    RereadFold,
    SetBalance,
    SetStatus,
    fold_reread,
)
from syncd.runner import persist
from syncd.runner.book import Book, LinkKey, created_link, written_link
from syncd.runner.codec import Step, intent_of, step_payload
from syncd.runner.dbthread import LedgerThread
from syncd.runner.persist import Ending
from syncd.runner.recover import NotSettled, RecheckContext, Written, recheck
from syncd.runner.recreate import (
    CodeRefused,
    create_again,
    is_refusal,
    recreated,
    recreation,
    refused_alert,
)

log = structlog.get_logger("syncd.runner")


@dataclass(frozen=True, slots=True)
class Item:
    intent_id: int
    cert_id: int
    action: Action  # its ``cert`` resolved to ``cert_id``


@dataclass
class Flight:
    """One item on its way: the intent standing for it now (a re-read fold supersedes the
    planned one) and whether a write left for the store, and which (balance writes)."""

    item: Item
    sent: bool = False
    written: Written | None = None
    two_step: bool = False  # a re-creation under way: an unknown outcome is left to recovery


@dataclass
class Tally:
    """What the writes of one cycle did, per store."""

    writes: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    corrections: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    left: int = 0  # not started: the deadline passed
    alerts: int = 0
    store_errors: dict[str, str] = field(default_factory=dict)  # store → error (scrubbed)


@dataclass
class Executor:
    group: str
    cycle_id: int
    db: LedgerThread
    connectors: Mapping[str, Connector]
    concurrency: Mapping[str, int]
    book: Book
    now: datetime
    deadline: float  # time.monotonic() value
    metrics: Metrics | None
    unresolved: set[LinkKey]
    on_ambiguous: OnAmbiguous = OnAmbiguous.ASSUME_APPLIED
    tally: Tally = field(default_factory=Tally)

    async def run(self, items: Sequence[Item]) -> Tally:
        by_store: dict[str, list[Item]] = {}
        for item in items:
            by_store.setdefault(item.action.store, []).append(item)
        await asyncio.gather(*(self._store(s, its) for s, its in by_store.items()))
        return self.tally

    async def _store(self, store: str, items: list[Item]) -> None:
        queue = iter(items)  # workers take the next item in plan order
        workers = max(1, self.concurrency.get(store, 1))
        await asyncio.gather(*(self._worker(queue) for _ in range(workers)))

    async def _worker(self, queue: Iterator[Item]) -> None:
        for item in queue:
            if time.monotonic() >= self.deadline or item.action.store in self.tally.store_errors:
                self.tally.left += 1  # stays pending: dropped and re-planned next cycle
                continue
            await self._one(item)

    async def _one(self, item: Item) -> None:
        flight = Flight(item)
        try:
            await self._attempt(flight)
        except Exception as err:  # never BaseException: a cancelled cycle must stop
            await self._contain(flight, err)

    async def _attempt(self, flight: Flight) -> None:
        item = flight.item
        await self.db(persist.mark_sent, self.db.ledger, item.intent_id)
        try:
            await self._send(flight)
        except (ConnectorError, OSError, TimeoutError) as err:
            store = item.action.store
            log.warning(
                "write.failed", store=store, action=item.action.kind, error=redact(str(err))
            )
            await self._error(flight, err)

    async def _send(self, flight: Flight) -> None:
        action = flight.item.action
        if isinstance(action, Create):
            await self._create(flight, action)
        elif isinstance(action, SetStatus):
            await self._set_status(flight, action)
        else:
            await self._balance(flight, action)

    # -- the three kinds of write ---------------------------------------------------------

    async def _create(self, flight: Flight, action: Create) -> None:
        item = flight.item
        conn, cert_id = self.connectors[action.store], item.cert_id
        if (cert_id, action.store) in self.unresolved:  # an earlier create may have landed
            found = await _find(conn, action.new.code)
            if found is not None:
                return await self._done(item, created_link(action, cert_id, found, self.now))
        try:
            flight.sent = True
            created = await conn.create_certificate(action.new)
        except Conflict:  # the code exists there already: link it, never create twice
            found = await _find(conn, action.new.code)
            if found is None:
                raise
            created = found
        self.book.set_link(link := created_link(action, cert_id, created, self.now))
        await self._done(item, link, wrote=True)
        return None

    async def _set_status(self, flight: Flight, action: SetStatus) -> None:
        item = flight.item
        conn, cert_id = self.connectors[action.store], item.cert_id
        current = await conn.get_certificate(action.remote_id)
        if current is None:
            return await self._gone(item)
        current = self.book.with_code(cert_id, current)
        wrote = current.status != action.status
        if wrote:
            flight.sent = True
            await conn.update_certificate(current, status=action.status)
        await self._done(item, written_link(self.book, action, cert_id, self.now, None), wrote)
        return None

    async def _balance(self, flight: Flight, action: SetBalance | Delete) -> None:
        """§5: re-read, fold what moved since the listing, persist it, then write."""
        conn, cert_id = self.connectors[action.store], flight.item.cert_id
        current = await conn.get_certificate(action.remote_id)
        if current is None:
            return await self._gone(flight.item)
        current = self.book.with_code(cert_id, current)
        canonical = self.book.balances[cert_id]
        currency = self.book.currencies[cert_id]
        fold = fold_reread(action, current.balance, canonical, currency, self.now)
        planned = ZERO if isinstance(action, Delete) else action.balance
        if fold.journal or fold.target != planned:
            flight.item = await self._refold(flight.item, action, fold, current.balance)
        if isinstance(action, Delete):
            flight.sent = True
            await conn.delete_certificate(action.remote_id)
        elif fold.write and conn.capabilities.balance_write is BalanceMode.RECREATE:
            if fold.target == ZERO and not conn.capabilities.holds_zero:
                # Spent to nothing meanwhile, and 0 cannot be created there: the next plan
                # disables it instead (the movement is already journalled).
                why = "nothing left: disabled by the next plan"
                return await self._record(flight.item, None, IntentState.DROPPED, why, "dropped")
            return await self._recreate(flight, action, current, fold.target)
        elif fold.write:
            flight.sent, flight.written = True, Written(current.balance, fold.target)
            try:
                await conn.update_certificate(current, balance=fold.target)
            except WriteNotApplied as err:
                assert isinstance(action, SetBalance)
                return await self._readback_differs(flight.item, action, fold.target, err)
        link = written_link(self.book, action, cert_id, self.now, fold.target)
        await self._done(flight.item, link, wrote=isinstance(action, Delete) or fold.write)
        return None

    async def _recreate(
        self, flight: Flight, action: SetBalance, current: RemoteCertificate, target: Decimal
    ) -> None:
        """Delete, then create again under the same code with ``target``; each step is
        recorded on the intent before it is sent."""
        item, conn, ledger = flight.item, self.connectors[action.store], self.db.ledger
        new = recreation(current, target, action.status)
        await self.db(persist.record_step, ledger, item.intent_id, step_payload(Step.DELETE, new))
        flight.sent, flight.two_step = True, True
        await conn.delete_certificate(action.remote_id)
        await self.db(persist.record_step, ledger, item.intent_id, step_payload(Step.CREATE, new))
        try:
            created = await create_again(conn, new)
        except (CodeRefused, ConnectorError, OSError, TimeoutError) as err:
            return await self._left_open(item, err)
        link, fold = recreated(self.book, action, item.cert_id, created, self.now, target)
        ending = Ending(item.cert_id, IntentState.DONE, link, None, fold)
        await self.db(
            persist.record_ending, ledger, self.group, item.intent_id, ending, self.cycle_id,
            self.now,
        )  # fmt: skip
        self._count(item, "ok")
        return None

    async def _left_open(self, item: Item, err: BaseException) -> None:
        """Deleted, not yet created again: the intent stays ``sent`` and recovery creates it
        at the next cycle's start (a refusal is alerted, once per store and certificate)."""
        store = item.action.store
        log.warning("write.recreate_pending", store=store, error=type(err).__name__)
        self.unresolved.add((item.cert_id, store))
        self.tally.failures[store] += 1
        if is_refusal(err):
            label = self.book.label(item.cert_id)
            alert = refused_alert(self.group, store, item.cert_id, label, err)
            await self.db(persist.raise_alert, self.db.ledger, alert, self.now)
            self.tally.alerts += 1

    async def _refold(
        self, item: Item, action: SetBalance | Delete, fold: RereadFold, reread: Decimal
    ) -> Item:
        """Persist the fold before writing; the intent is superseded by the retargeted one."""
        cert_id, store = item.cert_id, action.store
        self.book.balances[cert_id] = fold.canonical  # before any await: folds stay ordered
        link = self.book.link(cert_id, store)
        if fold.journal and link is not None:
            link = self.book.set_link(replace(link, last_balance=reread))
        record = persist.Fold(
            cert_id, fold.canonical, bool(fold.journal),
            persist.journal_records(fold.journal, lambda _ref: cert_id, self.cycle_id),
            fold.alerts, link,
            intent_of(action, self.group, cert_id, self.cycle_id, fold.target, base=reread),
        )  # fmt: skip
        new_id = await self.db(
            persist.record_fold, self.db.ledger, self.group, item.intent_id, record, self.now
        )
        if fold.journal:
            self.tally.corrections[store] += 1
            if self.metrics is not None:
                self.metrics.reread_corrections.labels(store=store).inc()
            log.info("write.reread_correction", store=store, delta=str(fold.delta))
        self.tally.alerts += len(fold.alerts)
        return Item(new_id, cert_id, action)

    async def _readback_differs(
        self, item: Item, action: SetBalance, target: Decimal, err: WriteNotApplied
    ) -> None:
        """The store took the write but shows another figure (3dcart reads back). Lower: a
        shopper spent after our write — the base stays what we wrote, so the next listing
        sees the spend. Higher: the write was ignored — the base is what the store shows (no
        invented money) and a human is told."""
        conn, cert_id = self.connectors[action.store], item.cert_id
        current = await conn.get_certificate(action.remote_id)
        if current is None:
            return await self._gone(item)
        link = written_link(self.book, action, cert_id, self.now, target)
        if current.balance > target and link is not None:
            link = self.book.set_link(replace(link, last_balance=current.balance))
            await self._alert(action.store, cert_id, f"readback:{action.store}", str(err))
            await self._record(item, link, IntentState.FAILED, redact(str(err)), "failed")
            return None
        await self._done(item, link, wrote=True)
        return None

    # -- outcomes -------------------------------------------------------------------------

    async def _done(self, item: Item, link: LedgerLink | None, wrote: bool = False) -> None:
        await self._record(item, link, IntentState.DONE, None, "ok" if wrote else "noop")

    async def _record(
        self, item: Item, link: LedgerLink | None, state: IntentState, error: str | None,
        result: str,
    ) -> None:  # fmt: skip
        await self.db(persist.record_outcome, self.db.ledger, item.intent_id, link, state, error)
        self._count(item, result)

    def _count(self, item: Item, result: str) -> None:
        store = item.action.store
        if result == "ok":
            self.tally.writes[store] += 1
        elif result in ("failed", "error"):
            self.tally.failures[store] += 1
        elif result == "dropped":
            self.tally.dropped[store] += 1
        if self.metrics is not None and result != "noop":
            self.metrics.writes.labels(store=store, action=item.action.kind, result=result).inc()

    async def _gone(self, item: Item) -> None:
        """The record vanished since the listing: the next listing decides what that means."""
        await self._record(item, None, IntentState.DROPPED, "gone since the listing", "dropped")

    async def _error(self, flight: Flight, err: BaseException) -> None:
        item = flight.item
        store, message = item.action.store, redact(str(err))
        if isinstance(err, AuthError | RateLimited):
            self.tally.store_errors[store] = message  # not applied; the store is unhealthy
            await self._record(item, None, IntentState.DROPPED, message, "error")
        elif isinstance(err, NotFound | Conflict):
            await self._record(item, None, IntentState.DROPPED, message, "dropped")
        elif isinstance(err, Transient | BadPayload | OSError | TimeoutError):
            self.tally.store_errors[store] = message
            if flight.sent:
                await self._unknown_outcome(flight, message)
            else:  # a read before the write failed: nothing was written
                await self._record(item, None, IntentState.DROPPED, message, "error")
        else:  # Rejected, Unsupported: retrying will not help — a human must look
            cert_id = item.cert_id
            key = f"{item.action.kind}:{item.action.store}"
            await self._alert(store, cert_id, key, f"{item.action.kind} refused: {message}")
            await self._record(item, None, IntentState.FAILED, message, "failed")

    async def _unknown_outcome(self, flight: Flight, message: str) -> None:
        """The write may or may not have landed: read the store to find out (§5); a balance
        write is settled from its base, its target and what the store shows."""
        item = flight.item
        action, store = item.action, item.action.store
        if flight.two_step:  # settled by recovery, which completes it from the step it reached
            self.unresolved.add((item.cert_id, store))
            self.tally.failures[store] += 1
            return
        how = RecheckContext(self.book, self.on_ambiguous, self.now, f"intent {item.intent_id}")
        try:
            ending = await recheck(
                self.connectors[store], action, item.cert_id, flight.written, how
            )
        except NotSettled:
            self.unresolved.add((item.cert_id, store))
            self.tally.failures[store] += 1  # stays ``sent``: settled at the next start
            return
        ending = replace(ending, error=ending.error and f"{ending.error}: {message}")
        await self.db(
            persist.record_ending, self.db.ledger, self.group, item.intent_id, ending,
            self.cycle_id, self.now,
        )  # fmt: skip
        if ending.settled is not None:
            self.tally.alerts += len(ending.settled.alerts)
        self._count(item, "ok" if ending.state is IntentState.DONE else "error")

    async def _contain(self, flight: Flight, err: Exception) -> None:
        """Any other failure costs this intent only: logged and alerted. A write that may
        have reached the store stays ``sent`` (recovery settles it); one that cannot have is
        recorded ``failed``. The ledger may be what failed: then only the log knows."""
        item = flight.item
        store, kind = item.action.store, item.action.kind
        message = redact(f"{type(err).__name__}: {err}")
        log.error("write.crashed", store=store, action=kind, error=message, sent=flight.sent)
        self.tally.failures[store] += 1
        try:
            await self._alert(store, item.cert_id, f"{kind}:{store}", f"{kind} failed: {message}")
            if flight.sent:
                self.unresolved.add((item.cert_id, store))
            else:
                ledger = self.db.ledger
                await self.db(persist.record_finished, ledger, item.intent_id,
                              IntentState.FAILED, message)  # fmt: skip
        except Exception as again:
            log.error("write.unrecorded", store=store, action=kind, error=redact(str(again)))

    async def _alert(self, store: str, cert_id: int | None, key: str, message: str) -> None:
        alert = NewAlert(kind=AlertKind.WRITE_FAILED.value, group=self.group, message=message,
                         store=store, certificate_id=cert_id, key=key)  # fmt: skip
        await self.db(persist.raise_alert, self.db.ledger, alert, self.now)
        self.tally.alerts += 1


async def _find(conn: Connector, code: str) -> RemoteCertificate | None:
    try:
        return await conn.find_by_code(code)
    except Unsupported:
        return None  # resolved by the next complete listing (see syncd.runner.recover)
