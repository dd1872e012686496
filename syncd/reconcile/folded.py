"""Stores whose codes ignore case (3dcart's look-ups, probably): which creates would collide.

On such a store ``ABC`` and ``abc`` are one code: creating the one while the other is there
would be refused, or worse taken for it. So a create of a code that differs from one the
store holds only by case is a ``code_conflict`` there, never sent. What the store holds is
what its listing showed plus the certificates linked there (a quiet record is not listed),
plus the creates planned this cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from syncd.model import Capabilities, LedgerCertificate, LedgerLink, Snapshot
from syncd.reconcile import deletion


class FoldedCodes:
    """Per store whose codes ignore case: folded code → the codes held there.

    A store's index is built at its first :meth:`claim` (a cycle that plans no create there,
    the steady case, never pays for folding every code of the group)."""

    def __init__(
        self,
        certificates: Mapping[int, LedgerCertificate] | None = None,
        links: Iterable[LedgerLink] = (),
        snapshots: Mapping[str, Snapshot] | None = None,
        stores: Iterable[str] = (),
    ) -> None:
        self._certificates = certificates or {}
        self._links = links
        self._snapshots = snapshots or {}
        self._stores = frozenset(stores)
        self._held: dict[str, dict[str, set[str]]] = {}

    @classmethod
    def of(
        cls,
        certificates: Mapping[int, LedgerCertificate],
        links: Iterable[LedgerLink],
        snapshots: Mapping[str, Snapshot],
        capabilities: Mapping[str, Capabilities],
    ) -> FoldedCodes:
        stores = (s for s, caps in capabilities.items() if caps.case_insensitive_codes)
        return cls(certificates, links, snapshots, stores)

    def _index(self, store: str) -> dict[str, set[str]]:
        """What ``store`` holds, folded: its live links' codes and its listed codes."""
        codes: dict[str, set[str]] = {}
        for link in self._links:
            if link.store != store or not deletion.is_live(link):
                continue
            cert = self._certificates.get(link.certificate_id)
            if cert is not None and cert.code:
                codes.setdefault(cert.code.casefold(), set()).add(cert.code)
        snap = self._snapshots.get(store)
        for record in snap.certificates if snap is not None else ():
            if record.code:
                codes.setdefault(record.code.casefold(), set()).add(record.code)
        return codes

    def claim(self, store: str, code: str) -> bool:
        """Whether ``code`` may be created on ``store``: False when a code equal to it but
        for case is there; True (and it is held from now on) otherwise."""
        if store not in self._stores:
            return True
        codes = self._held.get(store)
        if codes is None:
            codes = self._held[store] = self._index(store)
        there = codes.setdefault(code.casefold(), set())
        if there - {code}:
            return False
        there.add(code)
        return True
