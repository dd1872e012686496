"""Settle intents a crash (or a lost answer) left unfinished (DESIGN.md §5).

* ``pending`` — never sent (an intent is marked ``sent`` in its own transaction before the
  write): dropped without a read; the next plan re-decides it.
* ``sent`` — the write may or may not have happened: re-checked against the store. A create
  looks its code up (``find_by_code``; 3dcart by code, BigCommerce by listing filter, SFCC by
  companion or Shop API); a status write reads the record; a delete checks it is gone. Seen
  to have taken effect: recorded ``done`` with the link it implies; otherwise ``dropped``.
* A balance write is never judged by "shows the target or not": it is settled
  (:func:`syncd.reconcile.settle.settle_write`) from its base, its target and the balance the
  store shows now. The shopper's movement under the reading taken is journalled on that
  store, the store's merge base becomes what it shows, and an ambiguous reading raises an
  ``ambiguous_write`` alert; applied → ``done``, not applied → ``dropped`` (re-planned).
* A store that cannot look codes up (SFCC without companion or Shop API) cannot have been
  asked to create either (it cannot choose codes); such a create, if ever found ``sent``, is
  dropped and the next complete listing links the record if it exists (the planner matches
  it by code, so it is never created twice).
* A two-step balance write (:mod:`syncd.runner.recreate`) is completed from the step it
  reached: the old record still there at step ``delete`` — dropped (nothing was written);
  otherwise the code is looked up and, if missing, created again (step ``create`` recorded
  first). A code is never missing longer than one cycle, and never created twice.
* A store that cannot be reached keeps its ``sent`` intents for the next attempt; the cycle
  then looks codes up before creating on that store (``unresolved``). Any other failure
  while settling one intent costs that intent only: it stays as it is, alerted and logged.

The journal is never rewritten: recovery only appends, moves intents on and updates links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import structlog

from syncd.errors import ConnectorError, Unsupported
from syncd.ledger import AlertKind, IntentRecord, IntentState, NewAlert
from syncd.log import redact
from syncd.model import BalanceMode, NewCertificate, RemoteCertificate
from syncd.platforms.base import Connector
from syncd.reconcile import Action, Create, Delete, OnAmbiguous, SetBalance, SetStatus
from syncd.reconcile.settle import Reading, fold_settlement, settle_write
from syncd.runner import persist
from syncd.runner.book import Book, LinkKey, created_link, written_link
from syncd.runner.codec import Step, action_of, base_of, step_of, step_payload, target_of
from syncd.runner.dbthread import LedgerThread
from syncd.runner.persist import Ending
from syncd.runner.recreate import (
    CodeRefused,
    create_again,
    is_refusal,
    recreated,
    refused_alert,
)

log = structlog.get_logger("syncd.runner")


@dataclass
class Recovered:
    done: int = 0
    dropped: int = 0
    unresolved: set[LinkKey] = field(default_factory=set)  # (cert, store) still ``sent``


class NotSettled(Exception):
    """The write's outcome could not be determined (the store did not answer)."""


@dataclass(frozen=True, slots=True)
class Written:
    """A balance write as sent: the store's balance it was computed on, and the value."""

    base: Decimal
    target: Decimal


@dataclass(frozen=True, slots=True)
class RecheckContext:
    """What settling one write needs besides the store: the runner's book, the group's
    ``on_ambiguous`` policy, the time, and a key naming the intent in alerts."""

    book: Book
    on_ambiguous: OnAmbiguous
    now: datetime
    key: str


async def recheck(
    conn: Connector, action: Action, cert_id: int, written: Written | None, how: RecheckContext
) -> Ending:
    """How an intent of unknown outcome ends, from what the store shows now. The book is
    updated (balance, link) before returning: persist the ending at once. Raises NotSettled
    if the store fails."""
    try:
        if isinstance(action, Create):
            found = await conn.find_by_code(action.new.code)
            if found is None:
                return Ending(cert_id, IntentState.DROPPED, None, "not applied")
            return Ending(cert_id, IntentState.DONE, created_link(action, cert_id, found, how.now))
        current = await conn.get_certificate(action.remote_id)
    except Unsupported:
        return Ending(cert_id, IntentState.DROPPED, None, "cannot be re-checked")
    except (ConnectorError, OSError, TimeoutError) as err:
        raise NotSettled(str(err)) from err
    if isinstance(action, SetBalance) and current is not None:
        sent = written or Written(action.expected, action.balance)  # as planned
        return _settle_balance(action, cert_id, current, sent, how)
    if not _took_effect(action, current):
        return Ending(cert_id, IntentState.DROPPED, None, "not applied")
    return Ending(cert_id, IntentState.DONE, written_link(how.book, action, cert_id, how.now, None))


def _took_effect(action: Action, current: RemoteCertificate | None) -> bool:
    if isinstance(action, Delete):
        return current is None
    if current is None:
        return False
    assert isinstance(action, SetStatus)
    return current.status == action.status


def _settle_balance(
    action: SetBalance,
    cert_id: int,
    current: RemoteCertificate,
    written: Written,
    how: RecheckContext,
) -> Ending:
    book, seen = how.book, current.balance
    settled = settle_write(
        base=written.base, target=written.target, seen=seen, on_ambiguous=how.on_ambiguous
    )
    fold = fold_settlement(
        settled, cert=cert_id, store=action.store, currency=book.currencies[cert_id],
        canonical=book.balances[cert_id], label=book.label(cert_id), key=how.key, now=how.now,
    )  # fmt: skip
    book.balances[cert_id] = fold.canonical  # no await until persisted: folds stay ordered
    link = written_link(book, action, cert_id, how.now, seen)  # what it shows is accounted for
    if settled.reading is Reading.APPLIED:
        return Ending(cert_id, IntentState.DONE, link, None, fold)
    why = "assumed not applied (ambiguous)" if settled.ambiguous else "not applied"
    return Ending(cert_id, IntentState.DROPPED, link, why, fold)


def written_of(intent: IntentRecord, action: Action) -> Written | None:
    """The base and target of a balance write intent (None for other intents)."""
    base = base_of(intent)
    if not isinstance(action, SetBalance) or base is None:
        return None
    target = target_of(intent)
    return Written(base, action.balance if target is None else target)


async def recover_group(
    db: LedgerThread, group: str, connectors: Mapping[str, Connector], now: datetime,
    on_ambiguous: OnAmbiguous = OnAmbiguous.ASSUME_APPLIED,
) -> Recovered:  # fmt: skip
    """Settle every unfinished intent of ``group``, oldest first; a failure settling one
    intent leaves that one as it is (alerted) and the others go on."""
    ledger = db.ledger
    intents = await db(ledger.unfinished_intents, group)
    result = Recovered()
    if not intents:
        return result
    book = Book.of(await db(ledger.load_view, group))
    for intent in intents:
        how = RecheckContext(book, on_ambiguous, now, f"intent {intent.id}")
        try:
            await _settle(db, group, intent, connectors, how, result)
        except Exception as err:  # never BaseException: a cancelled recovery must stop
            await _contain(db, group, intent, err, now, result)
    log.info("recovery.finished", group=group, done=result.done, dropped=result.dropped,
             unresolved=len(result.unresolved))  # fmt: skip
    return result


async def _settle(
    db: LedgerThread, group: str, intent: IntentRecord, connectors: Mapping[str, Connector],
    how: RecheckContext, result: Recovered,
) -> None:  # fmt: skip
    ledger = db.ledger
    if intent.state == IntentState.PENDING.value or intent.store not in connectors:
        await db(persist.record_finished, ledger, intent.id, IntentState.DROPPED, "never sent")
        result.dropped += 1
        return
    action = action_of(intent)
    conn, cert_id = connectors[intent.store], intent.certificate_id
    if isinstance(action, SetBalance) and (
        step_of(intent) is not None or conn.capabilities.balance_write is BalanceMode.RECREATE
    ):
        await _complete_recreate(db, group, intent, action, conn, how, result)
        return
    try:
        ending = await recheck(conn, action, cert_id, written_of(intent, action), how)
    except NotSettled:
        result.unresolved.add((cert_id, intent.store))
        return
    await db(persist.record_ending, ledger, group, intent.id, ending, None, how.now)
    if ending.state is IntentState.DONE:
        result.done += 1
    else:
        result.dropped += 1


async def _complete_recreate(
    db: LedgerThread, group: str, intent: IntentRecord, action: SetBalance, conn: Connector,
    how: RecheckContext, result: Recovered,
) -> None:  # fmt: skip
    """Complete a two-step write from the step it reached; a store that fails or refuses
    leaves it ``sent`` (a refusal alerted) for the next attempt."""
    cert_id, store, reached = intent.certificate_id, intent.store, step_of(intent)
    try:
        old = await conn.get_certificate(action.remote_id)
        if reached is None or (reached[0] is Step.DELETE and old is not None):
            ending = Ending(cert_id, IntentState.DROPPED, None, "not applied (not deleted)")
        else:
            new = reached[1]
            found = await _created(db, intent.id, conn, new)
            link, fold = recreated(how.book, action, cert_id, found, how.now, new.balance)
            ending = Ending(cert_id, IntentState.DONE, link, None, fold)
    except (CodeRefused, ConnectorError, OSError, TimeoutError) as err:
        result.unresolved.add((cert_id, store))
        if is_refusal(err):
            alert = refused_alert(group, store, cert_id, how.book.label(cert_id), err)
            await db(persist.raise_alert, db.ledger, alert, how.now)
        return
    await db(persist.record_ending, db.ledger, group, intent.id, ending, None, how.now)
    if ending.state is IntentState.DONE:
        result.done += 1
    else:
        result.dropped += 1


async def _created(
    db: LedgerThread, intent_id: int, conn: Connector, new: NewCertificate
) -> RemoteCertificate:
    """The re-created certificate: found by its code, else created now (step recorded)."""
    found = await conn.find_by_code(new.code)
    if found is not None:
        return found
    await db(persist.record_step, db.ledger, intent_id, step_payload(Step.CREATE, new))
    return await create_again(conn, new)


async def _contain(
    db: LedgerThread, group: str, intent: IntentRecord, err: Exception, now: datetime,
    result: Recovered,
) -> None:  # fmt: skip
    """The intent stays as it is (a ``sent`` one is re-checked at the next attempt)."""
    message = redact(f"{type(err).__name__}: {err}")
    log.error("recovery.intent_failed", intent=intent.id, store=intent.store, error=message)
    result.unresolved.add((intent.certificate_id, intent.store))
    alert = NewAlert(
        kind=AlertKind.WRITE_FAILED.value, group=group, store=intent.store,
        certificate_id=intent.certificate_id, key=f"recover:{intent.store}",
        message=f"re-checking intent {intent.id} ({intent.action}) failed: {message}",
    )  # fmt: skip
    try:
        await db(persist.raise_alert, db.ledger, alert, now)
    except Exception as again:  # the ledger itself may be what failed
        log.error("recovery.alert_failed", intent=intent.id, error=redact(str(again)))
