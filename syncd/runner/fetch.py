"""Fetch every store of a group concurrently (DESIGN.md §3, §6).

A store whose credentials are refused, or that cannot be reached at all, yields no snapshot:
the planner leaves it alone. A listing cut short by an error still counts for the records it
showed, but is incomplete (no deletion is ever inferred from it) and marks the store failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field

from syncd.errors import AuthError, ConnectorError
from syncd.log import redact
from syncd.model import Snapshot
from syncd.platforms.base import Connector, collect_sieved
from syncd.reconcile.quiet import Sieve


@dataclass(frozen=True, slots=True)
class Fetched:
    """One store's poll: its snapshot (None: nothing usable) and whether the store is healthy."""

    store: str
    snapshot: Snapshot | None
    healthy: bool
    auth_failed: bool = False
    error: str | None = None  # scrubbed
    set_aside: dict[str, int] = field(default_factory=dict)  # quiet: remote id → certificate

    @property
    def listed(self) -> int:
        """Records the store listed (kept and set aside)."""
        kept = 0 if self.snapshot is None else len(self.snapshot.certificates)
        return kept + len(self.set_aside)


async def fetch_all(
    connectors: Mapping[str, Connector],
    stores: Sequence[str],
    seconds: float | None,
    sieves: Mapping[str, Sieve | Awaitable[Sieve | None]] | None = None,
) -> dict[str, Fetched]:
    """Poll ``stores`` at once; never raises for one store's failure. ``sieves``: per store,
    the quiet test whose records are set aside as they arrive (:mod:`syncd.reconcile.quiet`),
    or an awaitable of it (the listing starts without waiting for it)."""
    sieves = sieves or {}
    results = await asyncio.gather(*(_fetch(connectors[s], seconds, sieves.get(s)) for s in stores))
    return {f.store: f for f in results}


async def _fetch(
    connector: Connector, seconds: float | None, sieve: Sieve | Awaitable[Sieve | None] | None
) -> Fetched:
    store = connector.store
    try:
        async with asyncio.timeout(seconds):
            snapshot, aside = await collect_sieved(store, connector.list_certificates(), sieve)
    except AuthError as err:
        return Fetched(store, None, False, True, redact(str(err)))
    except (ConnectorError, OSError) as err:
        return Fetched(store, None, False, False, redact(str(err)))
    except TimeoutError:
        return Fetched(store, None, False, False, f"{store}: listing timed out after {seconds}s")
    if not snapshot.complete and not snapshot.problems:
        # Cut short by an error (not by a skipped record): what was read still counts.
        reason = redact(snapshot.reason or "listing incomplete")
        return Fetched(store, snapshot, False, False, f"{store}: {reason}", aside)
    return Fetched(store, snapshot, True, set_aside=aside)
