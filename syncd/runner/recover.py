"""Settle intents a crash (or a lost answer) left unfinished (DESIGN.md §5).

* ``pending`` — never sent (an intent is marked ``sent`` in its own transaction before the
  write): dropped without a read; the next plan re-decides it.
* ``sent`` — the write may or may not have happened: re-checked against the store. A create
  looks its code up (``find_by_code``; 3dcart by code, BigCommerce by listing filter, SFCC by
  companion or Shop API); a balance/status write reads the record; a delete checks it is gone.
  Seen to have taken effect: recorded ``done`` with the link it implies; otherwise ``dropped``.
  A store that cannot look codes up (SFCC without companion or Shop API) cannot have been
  asked to create either (it cannot choose codes); such a create, if ever found ``sent``, is
  dropped and the next complete listing links the record if it exists (the planner matches
  it by code, so it is never created twice).
* A store that cannot be reached keeps its ``sent`` intents for the next attempt; the cycle
  then looks codes up before creating on that store (``unresolved``).

The journal is never rewritten: recovery only moves intents on and updates links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import structlog

from syncd.errors import ConnectorError, Unsupported
from syncd.ledger import IntentRecord, IntentState, Ledger
from syncd.model import LedgerLink, RemoteCertificate
from syncd.platforms.base import Connector
from syncd.reconcile import Action, Create, Delete, SetBalance, SetStatus
from syncd.runner import persist
from syncd.runner.book import Book, LinkKey, created_link, written_link
from syncd.runner.codec import action_of, target_of
from syncd.runner.dbthread import LedgerThread

log = structlog.get_logger("syncd.runner")


@dataclass
class Recovered:
    done: int = 0
    dropped: int = 0
    unresolved: set[LinkKey] = field(default_factory=set)  # (cert, store) still ``sent``


class NotSettled(Exception):
    """The write's outcome could not be determined (the store did not answer)."""


async def recheck(
    conn: Connector, action: Action, cert_id: int, target: Decimal | None, book: Book,
    now: datetime,
) -> tuple[bool, LedgerLink | None]:  # fmt: skip
    """(took effect?, the link to record if it did). Raises NotSettled if the store fails."""
    try:
        if isinstance(action, Create):
            found = await conn.find_by_code(action.new.code)
            if found is None:
                return False, None
            return True, created_link(action, cert_id, found, now)
        current = await conn.get_certificate(action.remote_id)
    except Unsupported:
        return False, None
    except (ConnectorError, OSError, TimeoutError) as err:
        raise NotSettled(str(err)) from err
    if not _took_effect(action, current, target):
        return False, None
    return True, written_link(book, action, cert_id, now, _written(action, target))


def _written(action: Action, target: Decimal | None) -> Decimal | None:
    if isinstance(action, SetBalance):
        return action.balance if target is None else target
    return None


def _took_effect(action: Action, current: RemoteCertificate | None, target: Decimal | None) -> bool:
    if isinstance(action, Delete):
        return current is None
    if current is None:
        return False
    if isinstance(action, SetBalance):
        return current.balance == _written(action, target)
    assert isinstance(action, SetStatus)
    return current.status == action.status


async def recover_group(
    db: LedgerThread, group: str, connectors: Mapping[str, Connector], now: datetime
) -> Recovered:
    """Settle every unfinished intent of ``group``, oldest first."""
    ledger = db.ledger
    intents = await db(ledger.unfinished_intents, group)
    result = Recovered()
    if not intents:
        return result
    book = Book.of(await db(ledger.load_view, group))
    for intent in intents:
        await _settle(db, ledger, intent, connectors, book, now, result)
    log.info("recovery.finished", group=group, done=result.done, dropped=result.dropped,
             unresolved=len(result.unresolved))  # fmt: skip
    return result


async def _settle(
    db: LedgerThread, ledger: Ledger, intent: IntentRecord, connectors: Mapping[str, Connector],
    book: Book, now: datetime, result: Recovered,
) -> None:  # fmt: skip
    if intent.state == IntentState.PENDING.value or intent.store not in connectors:
        await db(persist.record_finished, ledger, intent.id, IntentState.DROPPED, "never sent")
        result.dropped += 1
        return
    action = action_of(intent)
    try:
        took, link = await recheck(
            connectors[intent.store], action, intent.certificate_id, target_of(intent), book, now
        )
    except NotSettled:
        result.unresolved.add((intent.certificate_id, intent.store))
        return
    if took:
        await db(persist.record_done, ledger, intent.id, link)
        result.done += 1
    else:
        await db(persist.record_finished, ledger, intent.id, IntentState.DROPPED, "not applied")
        result.dropped += 1
