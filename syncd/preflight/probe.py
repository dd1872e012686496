"""Read-only measurements of one store: one full listing, as a cycle reads it, and what the
store's answers said about itself (rate-limit headers, its clock). Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable

from syncd.errors import AuthError
from syncd.model import ListingEnd, RemoteCertificate
from syncd.platforms.base import Connector
from syncd.platforms.http import HttpStats
from syncd.preflight.model import (
    Credentials,
    Finding,
    ListingFacts,
    RateLimitFacts,
    Severity,
    StoreReport,
)
from syncd.preflight.strategies import capability_rows, strategy_rows

# A clock difference below this is network and rounding, not a time zone.
ZONE_STEP = timedelta(minutes=15)
ZONELESS_PLATFORMS = frozenset({"shift4shop"})  # dates carry no zone: `timezone` applies


@runtime_checkable
class Measured(Protocol):
    """What the connectors show of their traffic besides the :class:`Connector` protocol."""

    @property
    def stats(self) -> HttpStats: ...

    @property
    def page_size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Probe:
    """The report so far, and the records listed (the canary looks for leftovers there)."""

    report: StoreReport
    records: tuple[RemoteCertificate, ...]


async def probe(connector: Connector, *, platform: str, settings: Any, group: Any | None) -> Probe:
    """Measure one store. ``settings``: its store settings; ``group``: its first group."""
    base = StoreReport(connector.store, platform, Credentials.UNKNOWN)
    try:
        records, facts = await _list(connector)
    except AuthError as err:
        return Probe(_with(base, credentials=Credentials.REFUSED, error=str(err)), ())
    if facts.pages == 0 and not facts.complete:
        return Probe(_with(base, error=f"unreachable: {facts.reason}"), ())
    caps = connector.capabilities
    currency, currency_findings = _currency(records, getattr(settings, "currency", None), platform)
    timezone, zone_findings = guess_zone(platform, records, server_date(connector))
    report = _with(
        base,
        credentials=Credentials.ACCEPTED,
        listing=facts,
        rate_limit=_rate_limit(connector),
        currency=currency,
        timezone=timezone,
        capabilities=capability_rows(caps),
        strategies=strategy_rows(platform, caps, settings, group),
        findings=(*_listing_findings(facts), *currency_findings, *zone_findings),
    )
    return Probe(report, tuple(records))


def _with(report: StoreReport, **changes: Any) -> StoreReport:
    return replace(report, **changes)


async def _list(connector: Connector) -> tuple[list[RemoteCertificate], ListingFacts]:
    records: list[RemoteCertificate] = []
    skipped = 0
    first: int | None = None
    end = ListingEnd(complete=False, reason="listing ended without an end marker")
    async for item in connector.list_certificates():
        if isinstance(item, ListingEnd):
            end = item
            break
        if first is None:
            first = len(item.records) + len(item.problems)
        records.extend(item.records)
        skipped += len(item.problems)
    asked = connector.page_size if isinstance(connector, Measured) else None
    facts = ListingFacts(
        count=len(records),
        skipped=skipped,
        complete=end.complete,
        reason=end.reason,
        pages=end.pages,
        requests=end.requests,
        page_size_asked=asked,
        first_page=first,
        page_size_honoured=_honoured(asked, first, len(records) + skipped),
    )
    return records, facts


def _honoured(asked: int | None, first: int | None, total: int) -> bool | None:
    """A first page as long as asked honours the size; a shorter one while more records
    exist does not; a store with fewer records than a page cannot tell."""
    if asked is None or first is None:
        return None
    if first >= asked:
        return True
    return False if total > first else None


def _listing_findings(facts: ListingFacts) -> list[Finding]:
    found = []
    if facts.page_size_honoured is False:
        found.append(
            Finding(
                "page_size_capped",
                Severity.CONFIG,
                f"asked for {facts.page_size_asked} records per page, the store answered "
                f"{facts.first_page}",
                f"page_size = {facts.first_page}",
            )
        )
    if not facts.complete:
        found.append(
            Finding(
                "listing_incomplete",
                Severity.FAILURE,
                f"the listing did not complete ({facts.reason}): a cycle would imply no "
                "deletion from it",
            )
        )
    elif facts.skipped:
        found.append(
            Finding(
                "records_skipped",
                Severity.NOTE,
                f"{facts.skipped} record(s) could not be read: a cycle sets each aside with "
                "an alert",
            )
        )
    return found


def _rate_limit(connector: Connector) -> RateLimitFacts | None:
    if not isinstance(connector, Measured):
        return None
    stats = connector.stats
    headers = stats.headers
    return RateLimitFacts(
        quota=_int(headers.get("X-Rate-Limit-Requests-Quota")),
        left=_int(headers.get("X-Rate-Limit-Requests-Left")),
        window_ms=_int(headers.get("X-Rate-Limit-Time-Window-Ms")),
        throttled=stats.by_status.get("429", 0),
        waited_s=round(stats.rate_limit_wait_s, 3),
    )


def _int(raw: str | None) -> int | None:
    try:
        return None if raw is None else int(float(raw))
    except ValueError:
        return None


def _currency(
    records: list[RemoteCertificate], configured: str | None, platform: str
) -> tuple[str | None, list[Finding]]:
    seen = sorted({r.currency for r in records})
    if platform == "shift4shop":  # no currency on the wire: the configured one is all there is
        return configured, []
    if not seen:
        if configured:
            return configured, []
        note = "no certificate shows the store's currency and none is configured"
        return None, [Finding("currency_unknown", Severity.NOTE, note, 'currency = "…"')]
    if len(seen) > 1:
        note = f"certificates in several currencies: {', '.join(seen)}"
        return ", ".join(seen), [Finding("currencies", Severity.NOTE, note)]
    if configured and configured != seen[0]:
        text = f"the store's certificates are in {seen[0]}, the config says {configured}"
        return seen[0], [
            Finding("currency_mismatch", Severity.CONFIG, text, f'currency = "{seen[0]}"')
        ]
    return seen[0], []


def server_date(connector: Connector) -> datetime | None:
    """The store's clock: the ``Date`` header of its last answer."""
    if not isinstance(connector, Measured):
        return None
    raw = connector.stats.headers.get("Date")
    if raw is None:
        return None
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def guess_zone(
    platform: str, records: list[RemoteCertificate], now: datetime | None
) -> tuple[str, list[Finding]]:
    """Without a canary: a newest record dated after the server's clock shows the zone-less
    dates are read too early; anything else proves nothing."""
    if platform not in ZONELESS_PLATFORMS:
        return "dates carry their zone", []
    dated = [r.created_at for r in records if r.created_at is not None]
    if not dated or now is None:
        return "unknown (no dated record; --canary measures it)", []
    ahead = max(dated) - now
    if ahead < ZONE_STEP:
        return "unknown (--canary measures it)", []
    return zone_finding(ahead)


def zone_finding(offset: timedelta) -> tuple[str, list[Finding]]:
    """The finding for zone-less dates read ``offset`` after the server's clock."""
    shown = format_offset(round_offset(offset))
    text = (
        f"dates read {shown} from the server's clock: they are local time of a zone at UTC{shown}"
    )
    return f"UTC{shown}", [
        Finding("timezone", Severity.CONFIG, text, 'timezone = "<the store\'s IANA zone>"')
    ]


def round_offset(offset: timedelta) -> timedelta:
    steps = round(offset / ZONE_STEP)
    return steps * ZONE_STEP


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"
