"""Fetch every store of a group concurrently (DESIGN.md §3, §6).

A store whose credentials are refused, or that cannot be reached at all, yields no snapshot:
the planner leaves it alone. A listing cut short by an error still counts for the records it
showed, but is incomplete (no deletion is ever inferred from it) and marks the store failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncd.errors import AuthError, ConnectorError
from syncd.log import redact
from syncd.model import Snapshot
from syncd.platforms.base import Connector, collect


@dataclass(frozen=True, slots=True)
class Fetched:
    """One store's poll: its snapshot (None: nothing usable) and whether the store is healthy."""

    store: str
    snapshot: Snapshot | None
    healthy: bool
    auth_failed: bool = False
    error: str | None = None  # scrubbed


async def fetch_all(
    connectors: Mapping[str, Connector], stores: Sequence[str], seconds: float | None
) -> dict[str, Fetched]:
    """Poll ``stores`` at once; never raises for one store's failure."""
    results = await asyncio.gather(*(_fetch(connectors[s], seconds) for s in stores))
    return {f.store: f for f in results}


async def _fetch(connector: Connector, seconds: float | None) -> Fetched:
    store = connector.store
    try:
        async with asyncio.timeout(seconds):
            snapshot = await collect(store, connector.list_certificates())
    except AuthError as err:
        return Fetched(store, None, False, True, redact(str(err)))
    except (ConnectorError, OSError) as err:
        return Fetched(store, None, False, False, redact(str(err)))
    except TimeoutError:
        return Fetched(store, None, False, False, f"{store}: listing timed out after {seconds}s")
    if not snapshot.complete and not snapshot.problems:
        # Cut short by an error (not by a skipped record): what was read still counts.
        reason = redact(snapshot.reason or "listing incomplete")
        return Fetched(store, snapshot, False, False, f"{store}: {reason}")
    return Fetched(store, snapshot, True)
