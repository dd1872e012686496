"""What can be mirrored where (§4.2, §4.7, §4.10), and the record to create there."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

from syncd.model import Capabilities, LedgerCertificate, NewCertificate, People
from syncd.reconcile.policy import GroupPolicy

CODE_HIDDEN = "not mirrorable: code hidden"


def fill_people(people: People, defaults: People) -> People:
    """``people`` with every unknown field taken from the group defaults."""
    values = {f.name: getattr(people, f.name) or getattr(defaults, f.name) for f in fields(People)}
    return People(**values)


def unmirrorable_reason(
    cert: LedgerCertificate, caps: Capabilities, policy: GroupPolicy
) -> str | None:
    """Why ``cert`` cannot be created on a store with ``caps`` (None: it can)."""
    if cert.code is None:
        return CODE_HIDDEN
    if not caps.choose_code:
        return "store cannot create a certificate with a given code"
    if not caps.can_hold_currency(cert.currency):
        return f"store does not hold currency {cert.currency}"
    if caps.max_code_length is not None and len(cert.code) > caps.max_code_length:
        return f"code longer than the store's {caps.max_code_length} characters"
    if caps.code_rule is not None:
        refused = caps.code_rule.problem(cert.code)
        if refused is not None:
            return refused
    if caps.requires_people:
        people = fill_people(cert.people, policy.defaults)
        missing = [f.name for f in fields(People) if not getattr(people, f.name)]
        if missing:
            return f"required field(s) {', '.join(missing)} missing and no group default"
    return None


def new_certificate(
    cert: LedgerCertificate, caps: Capabilities, policy: GroupPolicy, balance: Decimal
) -> NewCertificate:
    """The record to create on a store that can hold ``cert`` (see :func:`unmirrorable_reason`)."""
    assert cert.code is not None
    people = fill_people(cert.people, policy.defaults) if caps.requires_people else cert.people
    message = cert.message
    if message is not None and caps.max_message_length is not None:
        # a greeting is not money: keeping the first N characters beats not mirroring at all
        message = message[: caps.max_message_length]
    return NewCertificate(
        code=cert.code,
        currency=cert.currency,
        amount=max(cert.amount, balance),
        balance=balance,
        status=cert.status,
        people=people,
        message=message,
        expires_at=cert.expires_at if caps.has_expiry else None,
    )


def without_id(cert: LedgerCertificate) -> LedgerCertificate:
    """A working copy for a certificate the ledger has not numbered yet."""
    return replace(cert, id=-1)
