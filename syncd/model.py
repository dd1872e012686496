"""The neutral model: plain, frozen data shared by connectors, ledger and planner.

Connectors translate platform records into these types; the planner works only on
them; the ledger stores and loads them. Money is ``Decimal`` quantised to the
certificate's currency (:mod:`syncd.money`); datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    """Neutral certificate status (DESIGN.md §4.5)."""

    ACTIVE = "active"
    PENDING = "pending"
    DISABLED = "disabled"
    EXPIRED = "expired"

    @property
    def restrictiveness(self) -> int:
        """Higher wins when several stores changed status in one window."""
        return _RESTRICTIVENESS[self]

    @property
    def usable(self) -> bool:
        return self in (Status.ACTIVE, Status.PENDING)


_RESTRICTIVENESS = {Status.ACTIVE: 0, Status.PENDING: 1, Status.EXPIRED: 2, Status.DISABLED: 3}


def most_restrictive(statuses: Iterable[Status]) -> Status:
    return max(statuses, key=lambda s: s.restrictiveness)


@dataclass(frozen=True, slots=True)
class People:
    """Who the certificate is from and for. Any field may be unknown on a platform."""

    to_name: str | None = None
    to_email: str | None = None
    from_name: str | None = None
    from_email: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteCertificate:
    """One certificate as one store holds it, normalised (a snapshot record)."""

    store: str
    remote_id: str  # BigCommerce id, SFCC merchant_id, 3dcart code
    code: str | None  # plain code; None where the platform hides it (SFCC)
    currency: str
    amount: Decimal  # as issued
    balance: Decimal
    status: Status
    masked_code: str | None = None
    people: People = People()
    message: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    version: str | None = None  # optimistic-concurrency token (SFCC _resource_state)
    # The platform's own status word where the neutral one does not say it all (SFCC: a
    # disabled certificate may be "pending" underneath); not part of the record's identity.
    platform_status: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NewCertificate:
    """What to create on a store: the ledger's canonical state of one certificate."""

    code: str
    currency: str
    amount: Decimal
    balance: Decimal
    status: Status = Status.ACTIVE
    people: People = People()
    message: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record of a listing that could not be understood (it is skipped, with an alert)."""

    store: str
    record_key: str  # whatever identifies it best: id, code, or "page N item M"
    reason: str  # never holds a plain code (codes are masked: syncd.limits.shown_code)
    is_code: bool = False  # record_key is a plain code: alerts show it masked, never store it
    # What the record's code could be, as far as the store showed it: creates of such a code
    # on this store are held back (it may be that record). Both None: it could be any code.
    code: str | None = field(default=None, compare=False, repr=False)
    masked_code: str | None = field(default=None, compare=False, repr=False)
    # Set: the cause is the store's, not the record's (a key to configure); the records
    # sharing it make ONE alert about the store, whose text is ``reason``.
    topic: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ListingNote:
    """Something a listing read at a small cost that loses no record: a field it could not
    read (the record kept without it), a value it read as something else. Never makes a
    listing incomplete; one alert per store and ``topic``, whatever the number of records."""

    store: str
    topic: str  # the same every cycle for the same cause (a date format, a status value)
    message: str  # never holds a plain code


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a listing: the records understood, the ones skipped, and notes."""

    records: tuple[RemoteCertificate, ...]
    problems: tuple[RecordProblem, ...] = ()
    notes: tuple[ListingNote, ...] = ()


@dataclass(frozen=True, slots=True)
class ListingEnd:
    """Always the last item of a listing. ``complete`` is False when anything was
    skipped, cut short, throttled or failed: such a listing never implies a deletion."""

    complete: bool
    reason: str | None = None
    pages: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one poll of one store returned (collected from a listing)."""

    store: str
    certificates: tuple[RemoteCertificate, ...]
    complete: bool
    reason: str | None = None
    problems: tuple[RecordProblem, ...] = ()
    # The listing reached its end and did not shift: every record was read, though some may
    # have been set aside (``problems``). Such a listing implies no deletion, but a create of
    # a code none of the set-aside records can be is safe there.
    read_to_end: bool = False
    notes: tuple[ListingNote, ...] = ()  # distinct notes of the listing (ListingNote)


@dataclass(frozen=True, slots=True)
class CodeRule:
    """The codes a store cannot address: characters it refuses, a trailing ``.``, control
    characters (3dcart: the code travels in a URL path, which IIS refuses them in)."""

    refused: frozenset[str] = frozenset()
    trailing_dot: bool = False  # a code may not end with "."
    controls: bool = False  # a code may not hold a control character
    where: str = "the store refuses it"  # completes "code holds '+', which …"

    def problem(self, code: str) -> str | None:
        """Why the store cannot take ``code`` (never the code itself), None if it can."""
        bad = next((c for c in code if c in self.refused), None)
        if bad is not None:
            return f"code holds {bad!r}, which {self.where}"
        if self.controls and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in code):
            return f"code holds a control character, which {self.where}"
        if self.trailing_dot and code.endswith("."):
            return f"code ends with '.', which {self.where}"
        return None


class BalanceMode(StrEnum):
    """How a store changes a balance (DESIGN.md §4.10, §5)."""

    IN_PLACE = "in_place"  # one write of the new balance
    # Delete the certificate, then create it again under the same code with the new balance
    # as its amount: two steps, one intent (the runner persists the step between them).
    RECREATE = "recreate"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a store can do (DESIGN.md §4.10). The planner never plans past these."""

    read_codes: bool = True
    choose_code: bool = True
    set_balance: bool = True
    set_status: bool = True
    delete: bool = True
    has_status: bool = True  # False: disabled/expired are represented as balance 0 (3dcart)
    has_expiry: bool = True
    requires_people: bool = False  # BigCommerce: to/from names and emails are required
    max_code_length: int | None = None
    max_message_length: int | None = None
    currencies: frozenset[str] | None = None  # None: any currency the store is configured for
    registries: bool = False
    lookup_code: bool = False  # can find a certificate by plain code (SFCC Shop API)
    reveal_codes: bool = False  # can show the plain code of a listed record by its remote id
    balance_write: BalanceMode = BalanceMode.IN_PLACE
    # False: the store cannot hold a balance of 0 (SFCC's create needs an amount above 0);
    # a certificate with nothing left is disabled there instead.
    holds_zero: bool = True
    code_rule: CodeRule | None = None  # codes the store cannot address are not mirrored there
    # Codes equal but for case are one code there (3dcart look-ups, probably): a code that
    # differs from a listed one only by case is a conflict on that store, never created.
    case_insensitive_codes: bool = False

    def can_hold_currency(self, currency: str) -> bool:
        return self.currencies is None or currency in self.currencies


@dataclass(frozen=True, slots=True)
class LedgerCertificate:
    """Canonical state of one certificate, as the ledger knows it (planner input)."""

    id: int
    code: str | None  # None only for certificates whose code no store shows (SFCC-issued)
    currency: str
    amount: Decimal
    balance: Decimal  # may be negative: a recorded overdraft
    status: Status
    masked_code: str | None = None
    people: People = People()
    message: str | None = None
    expires_at: datetime | None = None
    origin_store: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LedgerLink:
    """A certificate as it exists on one store: the merge base for deltas (DESIGN.md §4.3)."""

    certificate_id: int
    store: str
    remote_id: str
    last_balance: Decimal | None  # last seen or written there
    last_status: Status | None
    version: str | None = None
    last_seen_at: datetime | None = None
    deleted: bool = False
    unmirrorable: str | None = None  # why this store cannot hold it, if it cannot


def mask_code(code: str) -> str:
    """A code fit for messages, status pages and logs: all but the last 4 characters hidden
    (a code of 4 or fewer characters is hidden whole)."""
    return "*" * len(code) if len(code) <= 4 else "*" * (len(code) - 4) + code[-4:]
