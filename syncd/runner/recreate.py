"""The pieces of a two-step balance write (DESIGN.md §5): a store that cannot set a balance
in place (3dcart ``balance_write = "recreate"``, SFCC with a companion) deletes the
certificate and creates it again under the same code, with the new balance as its amount.

It is one intent whose payload records the step reached (:class:`syncd.runner.codec.Step`)
before each step is sent, so the executor and recovery complete it from either step:

* the old record still there at step ``delete`` — the delete did not happen: dropped, and
  the next plan re-decides;
* otherwise the delete happened: the code is looked up, and created (step ``create``
  recorded first) unless it is there already — never created twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from syncd.errors import Conflict, Rejected, Unsupported
from syncd.ledger import AlertKind, NewAlert
from syncd.model import LedgerLink, NewCertificate, RemoteCertificate, Status
from syncd.money import ZERO
from syncd.platforms.base import Connector
from syncd.reconcile import JournalEntry, JournalKind, SetBalance
from syncd.reconcile.settle import SettledFold
from syncd.runner.book import Book


class CodeRefused(Exception):
    """The store refused the code on re-creation although no certificate has it (SFCC may
    keep a deleted certificate's code): the intent stays open, retried next cycle."""


def recreation(
    current: RemoteCertificate, balance: Decimal, status: Status | None
) -> NewCertificate:
    """The certificate to create again: ``current``'s code, people, message and expiry, with
    ``balance`` as amount and balance, and ``status`` (None: the status it has)."""
    if current.code is None:
        raise ValueError(f"{current.store}: the plain code of {current.remote_id!r} is unknown")
    return NewCertificate(
        code=current.code,
        currency=current.currency,
        amount=balance,
        balance=balance,
        status=current.status if status is None else status,
        people=current.people,
        message=current.message,
        expires_at=current.expires_at,
    )


async def create_again(conn: Connector, new: NewCertificate) -> RemoteCertificate:
    """Step 2: create ``new``; a code that exists already is that certificate (an earlier
    attempt landed), one that exists nowhere yet is refused raises :class:`CodeRefused`."""
    try:
        return await conn.create_certificate(new)
    except Conflict as err:
        found = await conn.find_by_code(new.code)
        if found is None:
            raise CodeRefused(str(err)) from err
        return found


def recreated(
    book: Book, action: SetBalance, cert_id: int, created: RemoteCertificate, now: datetime,
    balance: Decimal,
) -> tuple[LedgerLink, SettledFold]:  # fmt: skip
    """The link once re-created with ``balance`` (its new remote id; that balance is the
    base, so a spend since shows as a delta) and the journal row that says how the balance
    was set."""
    previous = book.link(cert_id, action.store)
    fresh = LedgerLink(cert_id, action.store, created.remote_id, balance, created.status)
    base = fresh if previous is None else previous
    link = book.set_link(
        replace(
            base, remote_id=created.remote_id, last_balance=balance,
            last_status=created.status, version=created.version, last_seen_at=now, deleted=False,
        )
    )  # fmt: skip
    moved = "" if created.remote_id == action.remote_id else (
        f"; remote id {action.remote_id} → {created.remote_id}"
    )  # fmt: skip
    why = (
        f"balance {balance} set on {action.store} by recreate (deleted, then created again "
        f"under the same code){moved}"
    )
    canonical = book.balances[cert_id]
    row = JournalEntry(
        cert_id, JournalKind.RECREATE, action.store, ZERO, canonical,
        book.currencies[cert_id], why, now,
    )  # fmt: skip
    return link, SettledFold(canonical, (row,), ())


def is_refusal(err: BaseException) -> bool:
    """The store said no (a human must look), as opposed to not answering or throttling."""
    return isinstance(err, CodeRefused | Rejected | Unsupported)


def refused_alert(group: str, store: str, cert_id: int, label: str, err: BaseException) -> NewAlert:
    """One alert per store and certificate: deleted for re-creation, not created again."""
    why = "the store refused the code again" if isinstance(err, CodeRefused) else (
        f"the create failed ({type(err).__name__})"
    )  # fmt: skip
    message = (
        f"{label} on {store}: deleted to set its balance, but {why}; the create is retried "
        "every cycle under the same code (shoppers hold it), which stays missing there until then"
    )
    return NewAlert(
        kind=AlertKind.WRITE_FAILED.value, group=group, message=message, store=store,
        certificate_id=cert_id, key=f"recreate:{store}",
    )  # fmt: skip
