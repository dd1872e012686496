"""The plan: plain, frozen data that one cycle decided on (DESIGN.md §3, §5).

A runner persists a plan in ONE transaction and only then executes its actions:

1. ``new_certificates`` — insert each :class:`CertificateDraft`; the ledger's id replaces the
   :class:`NewKey` placeholder (``NewKey(i)`` is ``new_certificates[i]``) everywhere below.
2. ``certificate_updates`` — write balance, status and code of existing certificates.
3. ``link_updates`` — upsert each (certificate, store) link: the merge base after this
   observation (what was *seen*; what gets *written* is recorded per action once it succeeds).
4. ``journal`` — append, in order. ``amount`` moves the ledger balance only for the kinds in
   :data:`MOVES_LEDGER`; Σ of those amounts per certificate is its ledger balance.
5. ``actions`` — store as intents (outbox), then execute in order. After a success the link
   becomes :func:`link_after_write` (balances: the value actually written, see
   :func:`syncd.reconcile.balances.fold_reread`).
6. ``alerts`` — raise (the ledger de-duplicates on ``(kind, store, cert, key)``).

A held plan (``hold`` set) carries only its alerts: nothing is recorded and nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from syncd.model import LedgerLink, NewCertificate, People, RemoteCertificate, Status


@dataclass(frozen=True, slots=True, order=True)
class NewKey:
    """A certificate first seen in this plan: index into ``Plan.new_certificates``."""

    index: int

    def __str__(self) -> str:
        return f"new#{self.index}"


CertRef = int | NewKey


class JournalKind(StrEnum):
    ISSUE = "issue"  # first seen: the ledger takes the balance
    REDEEM = "redeem"  # negative delta seen on a store
    RELOAD = "reload"  # positive delta seen on a store
    CORRECTION = "correction"  # ledger lowered to a lower copy found on a store (never raised)
    ADOPT = "adopt"  # a store's copy showed more than adopted; it is written down (no ledger move)
    OVERDRAFT = "overdraft"  # the ledger went negative; amount = the negative figure
    STATUS = "status"  # canonical status changed
    DELETE = "delete"  # vanished from a complete listing of ``store``
    RESTORE = "restore"  # will be re-created on ``store`` (on_delete = restore)
    # A balance set on ``store`` by deleting the certificate and creating it again under the
    # same code (no ledger move; the reason says the balance and any new remote id).
    RECREATE = "recreate"


MOVES_LEDGER = frozenset(
    {JournalKind.ISSUE, JournalKind.REDEEM, JournalKind.RELOAD, JournalKind.CORRECTION}
)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    cert: CertRef
    kind: JournalKind
    store: str | None
    amount: Decimal  # signed
    balance_after: Decimal  # ledger balance after this row
    currency: str
    reason: str
    observed_at: datetime
    status_from: Status | None = None
    status_to: Status | None = None

    @property
    def moves_ledger(self) -> bool:
        return self.kind in MOVES_LEDGER


@dataclass(frozen=True, slots=True)
class CertificateDraft:
    """Canonical state of a certificate first seen this cycle (insert into the ledger)."""

    key: NewKey
    code: str | None
    currency: str
    amount: Decimal
    balance: Decimal
    status: Status
    origin_store: str
    masked_code: str | None
    people: People
    message: str | None
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CertificateUpdate:
    """New canonical values of an existing certificate (all three are written)."""

    cert_id: int
    balance: Decimal
    status: Status
    code: str | None


@dataclass(frozen=True, slots=True)
class LinkUpdate:
    """What the link (cert, store) records after this observation."""

    cert: CertRef
    store: str
    remote_id: str
    last_balance: Decimal | None
    last_status: Status | None
    version: str | None
    deleted: bool
    unmirrorable: str | None
    seen_at: datetime

    def to_link(self, cert_id: int) -> LedgerLink:
        return LedgerLink(
            certificate_id=cert_id,
            store=self.store,
            remote_id=self.remote_id,
            last_balance=self.last_balance,
            last_status=self.last_status,
            version=self.version,
            last_seen_at=self.seen_at,
            deleted=self.deleted,
            unmirrorable=self.unmirrorable,
        )


# A link that records "this store cannot hold it" has no remote record; links are unique per
# (store, remote_id), so it gets this synthetic id (never sent to a store).
UNMIRRORABLE_PREFIX = "!unmirrorable:"


@dataclass(frozen=True, slots=True)
class Create:
    store: str
    cert: CertRef
    new: NewCertificate

    kind = "create"


@dataclass(frozen=True, slots=True)
class SetBalance:
    store: str
    cert: CertRef
    remote_id: str
    expected: Decimal  # as listed: the base of the re-read fold (§5)
    balance: Decimal  # target as planned (recomputed by fold_reread just before writing)
    zero: bool = False  # the store shows disabled/expired as balance 0 (has_status=False)
    # Stores that change a balance by re-creating the certificate: the status the new one
    # gets (the status write is part of the re-creation). None elsewhere.
    status: Status | None = None

    kind = "set_balance"


@dataclass(frozen=True, slots=True)
class SetStatus:
    store: str
    cert: CertRef
    remote_id: str
    expected: Status
    status: Status

    kind = "set_status"


@dataclass(frozen=True, slots=True)
class Delete:
    store: str
    cert: CertRef
    remote_id: str
    expected: Decimal  # as listed: re-read and fold before deleting, or a redemption is lost

    kind = "delete"


Action = Create | SetBalance | SetStatus | Delete


def link_after_write(
    action: Action,
    previous: LedgerLink | None,
    cert_id: int,
    now: datetime,
    *,
    result: RemoteCertificate | None = None,
    balance: Decimal | None = None,
) -> LedgerLink:
    """The link once ``action`` succeeded. ``result``: the record a create returned (required
    for creates); ``balance``: the value a SetBalance really wrote (after the re-read fold)."""
    if isinstance(action, Create):
        if result is None:
            raise ValueError(f"create on {action.store}: the created record is required")
        return LedgerLink(
            cert_id, action.store, result.remote_id, action.new.balance, result.status,
            version=result.version, last_seen_at=now,
        )  # fmt: skip
    if previous is None:
        raise ValueError(f"{action.kind} on {action.store}: no link to update for {cert_id}")
    if isinstance(action, SetBalance):
        written = action.balance if balance is None else balance
        return replace(previous, last_balance=written, last_seen_at=now)
    if isinstance(action, SetStatus):
        return replace(previous, last_status=action.status, last_seen_at=now)
    return replace(previous, deleted=True, last_seen_at=now)


class AlertKind(StrEnum):
    OVERDRAFT = "overdraft"
    DIVERGENCE = "divergence"
    UNMIRRORABLE = "unmirrorable"
    STATUS_CONFLICT = "status_conflict"
    HELD = "held"
    SFCC_STALE = "sfcc_stale"
    MALFORMED_RECORD = "malformed_record"
    DELETED = "deleted"
    AMBIGUOUS_WRITE = "ambiguous_write"
    CODE_CONFLICT = "code_conflict"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    store: str | None
    cert: CertRef | None
    key: str  # dedupe key: the same problem gets the same key every time
    message: str
    details: Mapping[str, str] | None = None  # figures a later action needs (ambiguous_write)


@dataclass(frozen=True, slots=True)
class HoldReason:
    """Why the safety brake held a plan (§4.11), per store that tripped it."""

    store: str
    changes: int  # certificates the plan would delete, disable or zero there
    linked: int  # certificates linked there before the cycle
    emptied: bool  # the store suddenly listed nothing while it had links
    withheld_actions: int  # actions of the whole plan that were not released

    @property
    def message(self) -> str:
        if self.emptied:
            what = f"{self.store} listed no certificate at all while {self.linked} were linked"
        else:
            what = (
                f"plan would delete, disable or zero {self.changes} of {self.linked} "
                f"certificates linked on {self.store}"
            )
        return f"{what}; {self.withheld_actions} action(s) held — check, then `syncd once --force`"


@dataclass(frozen=True, slots=True)
class Plan:
    new_certificates: tuple[CertificateDraft, ...] = ()
    certificate_updates: tuple[CertificateUpdate, ...] = ()
    link_updates: tuple[LinkUpdate, ...] = ()
    journal: tuple[JournalEntry, ...] = ()
    actions: tuple[Action, ...] = ()
    alerts: tuple[Alert, ...] = ()
    hold: tuple[HoldReason, ...] = ()  # empty: not held
    deferred: int = 0  # actions beyond policy.max_writes, left for the next cycle

    @property
    def held(self) -> bool:
        return bool(self.hold)

    @property
    def is_empty(self) -> bool:
        """Nothing to record, write or raise (a steady-state cycle)."""
        return not (
            self.new_certificates
            or self.certificate_updates
            or self.link_updates
            or self.journal
            or self.actions
            or self.alerts
            or self.hold
        )

    def describe(self) -> list[str]:
        from syncd.reconcile.render import describe

        return describe(self)

    def to_json(self) -> dict[str, Any]:
        from syncd.reconcile.render import to_json

        return to_json(self)
