"""Status merge (§4.5): neutral statuses, one-sided changes propagate, conflicts go restrictive.

A change is a store whose listed status differs from the status its link last recorded (what
syncd saw or wrote there). Stores without a status field (3dcart) never report a change: they
show disabled/expired as balance 0, which :func:`syncd.reconcile.balances.target_balance`
handles, and the link remembers that 0 was our write, so it is not mistaken for a redemption.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncd.model import Capabilities, LedgerLink, RemoteCertificate, Status, most_restrictive


@dataclass(frozen=True, slots=True)
class StatusMerge:
    status: Status  # canonical status after this cycle
    changes: tuple[tuple[str, Status, Status], ...]  # (store, from, to), by store
    conflict: bool  # several different new statuses were seen

    @property
    def origin(self) -> str | None:
        """The first store (by name) that showed the winning status."""
        return next((s for s, _, to in self.changes if to == self.status), None)


def status_changes(
    links: Mapping[str, LedgerLink],
    seen: Mapping[str, RemoteCertificate],
    capabilities: Mapping[str, Capabilities],
) -> tuple[tuple[str, Status, Status], ...]:
    changes = []
    for store in sorted(seen):
        link = links.get(store)
        if link is None or link.deleted or link.last_status is None:
            continue
        if capabilities[store].has_status and seen[store].status != link.last_status:
            changes.append((store, link.last_status, seen[store].status))
    return tuple(changes)


def merge_status(
    current: Status,
    links: Mapping[str, LedgerLink],
    seen: Mapping[str, RemoteCertificate],
    capabilities: Mapping[str, Capabilities],
) -> StatusMerge:
    changes = status_changes(links, seen, capabilities)
    new = {to for _, _, to in changes}
    if not new:
        return StatusMerge(current, changes, conflict=False)
    return StatusMerge(most_restrictive(new), changes, conflict=len(new) > 1)


def merge_first_seen(
    seen: Mapping[str, RemoteCertificate], capabilities: Mapping[str, Capabilities]
) -> StatusMerge:
    """A certificate first seen on several stores: the most restrictive of their statuses."""
    shown = {s: r.status for s, r in seen.items() if capabilities[s].has_status}
    if not shown:
        return StatusMerge(Status.ACTIVE, (), conflict=False)
    return StatusMerge(most_restrictive(shown.values()), (), conflict=len(set(shown.values())) > 1)
