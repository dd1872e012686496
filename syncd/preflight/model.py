"""What ``syncd preflight`` found on one store: plain, frozen data for the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding asks of the merchant."""

    CONFIG = "config"  # syncd needs a config change before it runs against this store
    FAILURE = "failure"  # a check could not finish; a human should look (the message says)
    NOTE = "note"  # worth knowing; nothing to set


class Credentials(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNKNOWN = "unknown"  # the store did not answer at all


class StepOutcome(StrEnum):
    OK = "ok"
    FINDING = "finding"  # the step ran and showed something syncd must be told
    SKIPPED = "skipped"  # the store cannot do it (the detail says why)
    FAILED = "failed"  # the step raised; the detail names the error


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing seen; ``config`` is the line to set (TOML), where one fixes it, in the
    store's ``[[stores]]`` table or (``on_group``) in its group's."""

    kind: str
    severity: Severity
    message: str
    config: str | None = None
    on_group: bool = False


@dataclass(frozen=True, slots=True)
class ListingFacts:
    """One full listing, read as a cycle reads it."""

    count: int  # records understood
    skipped: int  # records the connector could not understand
    complete: bool
    reason: str | None
    pages: int
    requests: int
    page_size_asked: int | None
    first_page: int | None  # records (understood or not) on the first page
    page_size_honoured: bool | None  # None: too few records to tell


@dataclass(frozen=True, slots=True)
class RateLimitFacts:
    """What the store said about its request quota, if anything."""

    quota: int | None
    left: int | None
    window_ms: int | None
    throttled: int  # 429 answers seen
    waited_s: float  # time spent waiting for the quota or a 429


@dataclass(frozen=True, slots=True)
class CanaryStep:
    name: str  # sweep, create, read back, case, balance, status, delete, re-use code, cleanup
    outcome: StepOutcome
    detail: str


@dataclass(frozen=True, slots=True)
class CanaryReport:
    code: str  # masked
    steps: tuple[CanaryStep, ...]
    left_behind: bool  # the canary may still exist on the store (the next run removes it)


@dataclass(frozen=True, slots=True)
class StoreReport:
    store: str
    platform: str
    credentials: Credentials
    error: str | None = None  # why the store could not be measured
    listing: ListingFacts | None = None
    rate_limit: RateLimitFacts | None = None
    currency: str | None = None  # what the store's records are in, or the configured one
    timezone: str = "unknown"
    capabilities: tuple[tuple[str, str], ...] = ()
    strategies: tuple[tuple[str, str], ...] = ()
    canary: CanaryReport | None = None
    findings: tuple[Finding, ...] = field(default=())

    @property
    def reachable(self) -> bool:
        return self.credentials is Credentials.ACCEPTED
