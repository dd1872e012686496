"""Plain records the ledger takes and gives (frozen dataclasses), and its vocabularies.

Certificates and links reuse :class:`syncd.model.LedgerCertificate` and
:class:`syncd.model.LedgerLink`. Vocabularies (journal kinds, intent actions and states,
alert kinds, cycle outcomes) are stored as plain strings and checked here, in Python, so that
adding a value never needs a migration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from syncd.errors import SyncdError
from syncd.model import LedgerCertificate, LedgerLink, People, Status

_E = TypeVar("_E", bound=StrEnum)


class LedgerError(SyncdError):
    """The ledger refused a value or an operation; the message names the value."""


class JournalKind(StrEnum):
    ISSUE = "issue"
    REDEEM = "redeem"
    RELOAD = "reload"
    ADOPT = "adopt"
    OVERDRAFT = "overdraft"
    STATUS = "status"
    DELETE = "delete"
    RESTORE = "restore"
    CORRECTION = "correction"
    CREATE = "create"
    RECREATE = "recreate"


class IntentAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SET_STATUS = "set_status"
    DELETE = "delete"


class IntentState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"
    DROPPED = "dropped"

    @property
    def finished(self) -> bool:
        return self in (IntentState.DONE, IntentState.FAILED, IntentState.DROPPED)


class AlertKind(StrEnum):
    OVERDRAFT = "overdraft"
    DIVERGENCE = "divergence"
    UNMIRRORABLE = "unmirrorable"
    AUTH = "auth"
    HELD = "held"
    STATUS_CONFLICT = "status_conflict"
    MALFORMED_RECORD = "malformed_record"
    STORE_DOWN = "store_down"
    SFCC_STALE = "sfcc_stale"
    DELETED = "deleted"
    WRITE_FAILED = "write_failed"
    CODE_CONFLICT = "code_conflict"
    CURRENCY_MISMATCH = "currency_mismatch"
    AMBIGUOUS_WRITE = "ambiguous_write"


class CycleOutcome(StrEnum):
    CONVERGED = "converged"
    ALERTS = "alerts"
    HELD = "held"
    STORE_FAILED = "store_failed"
    DRY_RUN = "dry_run"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


def checked(enum: type[_E], value: str, what: str) -> _E:
    """``value`` as a member of ``enum``, or a LedgerError naming the value and the choices."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        raise LedgerError(f"unknown {what} {value!r} (expected one of: {choices})") from None


@dataclass(frozen=True, slots=True)
class LedgerView:
    """What the planner needs of one sync group: canonical state and the merge base."""

    certificates: Mapping[int, LedgerCertificate]
    links: tuple[LedgerLink, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewLedgerCertificate:
    """A certificate to add to the ledger. Money must be exact in the currency's minor unit."""

    code: str | None
    currency: str
    amount: Decimal
    balance: Decimal
    status: Status = Status.ACTIVE
    masked_code: str | None = None
    people: People = field(default_factory=People)
    message: str | None = None
    expires_at: datetime | None = None
    origin_store: str | None = None
    created_at: datetime | None = None  # None: the ledger's clock


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalRecord:
    """One movement of money or status. ``id``/``recorded_at`` are set by the ledger."""

    certificate_id: int
    kind: str  # a JournalKind value
    store: str | None
    currency: str
    amount: Decimal  # signed: redemptions are negative
    balance_after: Decimal  # canonical balance after this row (may be negative)
    observed_at: datetime
    status_from: Status | None = None
    status_to: Status | None = None
    reason: str | None = None
    cycle_id: int | None = None
    recorded_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewIntent:
    """A planned remote write (outbox row). Decimals, datetimes, enums and dataclasses in
    ``payload`` are stored as strings / objects; read back, they come out as strings."""

    group: str
    store: str
    certificate_id: int
    action: str  # an IntentAction value
    payload: Mapping[str, Any] = field(default_factory=dict)
    cycle_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentRecord:
    id: int
    group: str
    store: str
    certificate_id: int
    action: str
    payload: Mapping[str, Any]
    state: str
    attempts: int
    last_error: str | None
    cycle_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAlert:
    """An alert to raise; an open alert with the same (kind, group, store, certificate, key)
    is counted again instead of duplicated."""

    kind: str  # an AlertKind value
    group: str
    message: str
    store: str | None = None
    certificate_id: int | None = None
    key: str = ""
    details: Mapping[str, str] | None = None  # figures a later action needs (plain strings)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRecord:
    id: int
    kind: str
    group: str
    store: str | None
    certificate_id: int | None
    key: str
    message: str
    first_seen: datetime
    last_seen: datetime
    count: int
    resolved_at: datetime | None
    details: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleRecord:
    id: int
    group: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    counts: Mapping[str, int]
    summary: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateDetail:
    """Everything the ledger knows of one certificate (``syncd ledger show/history``)."""

    group: str
    certificate: LedgerCertificate
    updated_at: datetime
    links: tuple[LedgerLink, ...]
    journal: tuple[JournalRecord, ...]
