"""The runner's working copy of a group's ledger during one cycle: canonical balances and
links after the plan, kept in step with every write (the database is written alongside)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from syncd.ledger import LedgerView
from syncd.model import LedgerLink, RemoteCertificate, mask_code
from syncd.reconcile import Action, Create, Plan, link_after_write
from syncd.runner.persist import Stored

LinkKey = tuple[int, str]


@dataclass
class Book:
    balances: dict[int, Decimal]
    currencies: dict[int, str]
    links: dict[LinkKey, LedgerLink]
    codes: dict[int, str]  # plain codes (SFCC re-reads show none, its balance writes need one)
    masked: dict[int, str] = field(default_factory=dict)  # masked codes of code-less certificates

    @classmethod
    def of(cls, view: LedgerView) -> Book:
        certs = view.certificates
        return cls(
            {i: c.balance for i, c in certs.items()},
            {i: c.currency for i, c in certs.items()},
            {(link.certificate_id, link.store): link for link in view.links},
            {i: c.code for i, c in certs.items() if c.code},
            {i: c.masked_code for i, c in certs.items() if c.masked_code and not c.code},
        )

    def apply(self, plan: Plan, stored: Stored) -> None:
        """The state once ``plan`` is stored."""
        for draft in plan.new_certificates:
            cert_id = stored.new_ids[draft.key]
            self.balances[cert_id] = draft.balance
            self.currencies[cert_id] = draft.currency
            if draft.code:
                self.codes[cert_id] = draft.code
            elif draft.masked_code:
                self.masked[cert_id] = draft.masked_code
        for update in plan.certificate_updates:
            self.balances[update.cert_id] = update.balance
            if update.code:
                self.codes[update.cert_id] = update.code
        for lu in plan.link_updates:
            link = lu.to_link(stored.resolve(lu.cert))
            self.links[(link.certificate_id, link.store)] = link

    def with_code(self, cert_id: int, record: RemoteCertificate) -> RemoteCertificate:
        """``record`` with its plain code filled in from the ledger if the store hid it."""
        code = self.codes.get(cert_id)
        return replace(record, code=code) if record.code is None and code else record

    def label(self, cert_id: int) -> str:
        """The certificate as messages show it: its code masked, never plain."""
        code = self.codes.get(cert_id)
        if code:
            return mask_code(code)
        return self.masked.get(cert_id, f"certificate #{cert_id}")

    def link(self, cert_id: int, store: str) -> LedgerLink | None:
        return self.links.get((cert_id, store))

    def set_link(self, link: LedgerLink) -> LedgerLink:
        self.links[(link.certificate_id, link.store)] = link
        return link


def created_link(
    action: Create, cert_id: int, found: RemoteCertificate, now: datetime
) -> LedgerLink:
    """The link of a certificate we created (or found after a lost answer).

    The base is what we wrote: any other figure read back is a shopper's movement since (a
    redemption or a reload) that the next listing must see as a delta. Only the face value
    itself is the base when the balance written differs: the create stopped half-way (3dcart
    creates at the face value, then sets the balance), and the next plan sets the balance.
    """
    link = link_after_write(action, None, cert_id, now, result=found)
    half_way = found.balance == action.new.amount != action.new.balance
    return replace(link, last_balance=found.balance if half_way else action.new.balance)


def written_link(
    book: Book, action: Action, cert_id: int, now: datetime, target: Decimal | None
) -> LedgerLink | None:
    """The link after a successful non-create write (None: there was no link to update)."""
    previous = book.link(cert_id, action.store)
    if previous is None:
        return None
    return book.set_link(link_after_write(action, previous, cert_id, now, balance=target))
