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
    """Per store whose codes ignore case: folded code → the codes held there."""

    def __init__(self, stores: Iterable[str] = ()) -> None:
        self._held: dict[str, dict[str, set[str]]] = {s: {} for s in stores}

    @classmethod
    def of(
        cls,
        certificates: Mapping[int, LedgerCertificate],
        links: Iterable[LedgerLink],
        snapshots: Mapping[str, Snapshot],
        capabilities: Mapping[str, Capabilities],
    ) -> FoldedCodes:
        folded = cls(s for s, caps in capabilities.items() if caps.case_insensitive_codes)
        if not folded._held:
            return folded
        for link in links:
            cert = certificates.get(link.certificate_id)
            if cert is not None and cert.code and deletion.is_live(link):
                folded._hold(link.store, cert.code)
        for store, snap in snapshots.items():
            if store in folded._held:
                for record in snap.certificates:
                    if record.code:
                        folded._hold(store, record.code)
        return folded

    def _hold(self, store: str, code: str) -> None:
        codes = self._held.get(store)
        if codes is not None:
            codes.setdefault(code.casefold(), set()).add(code)

    def claim(self, store: str, code: str) -> bool:
        """Whether ``code`` may be created on ``store``: False when a code equal to it but
        for case is there; True (and it is held from now on) otherwise."""
        codes = self._held.get(store)
        if codes is None:
            return True
        there = codes.setdefault(code.casefold(), set())
        if there - {code}:
            return False
        there.add(code)
        return True
