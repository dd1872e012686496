"""Deletion (§4.6): only a complete, successful listing can show that a certificate is gone."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from syncd.model import LedgerLink, RemoteCertificate, Status, most_restrictive
from syncd.reconcile.policy import OnDelete


def is_live(link: LedgerLink | None) -> bool:
    """A link to a record that exists on the store (as far as syncd knows)."""
    return link is not None and not link.deleted and link.unmirrorable is None


def vanished(
    links: Mapping[str, LedgerLink],
    seen: Mapping[str, RemoteCertificate],
    complete: Collection[str],
) -> list[str]:
    """Stores whose complete listing no longer shows a certificate linked there."""
    return [s for s in sorted(links) if is_live(links[s]) and s in complete and s not in seen]


def status_after_delete(policy: OnDelete, status: Status) -> Status:
    """``disable`` and ``propagate`` make the certificate unusable everywhere; ``restore`` not."""
    if policy is OnDelete.RESTORE:
        return status
    return most_restrictive((status, Status.DISABLED))


def deleted_somewhere(links: Mapping[str, LedgerLink]) -> bool:
    return any(link.deleted for link in links.values())
