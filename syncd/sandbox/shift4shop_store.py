"""The 3dcart / Shift4Shop sandbox's certificate records, and their shopper view.

Records live in an insertion-ordered dict (code → record) plus a cached list of codes,
so an unfiltered page is a slice: O(page), whatever the store size.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from syncd.model import Status
from syncd.sandbox.common import CertificateView, ShopperRefused, UnknownCode

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(slots=True)
class GiftCertificate:
    """One 3dcart certificate. The platform has no status and no currency; the
    invariant ``TotalSpent = Amount − Balance`` is kept by construction."""

    code: str
    amount: Decimal
    balance: Decimal
    notes: str
    created: datetime

    @property
    def total_spent(self) -> Decimal:
        return self.amount - self.balance


class CertificateStore:
    """The records of one 3dcart store."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._records: dict[str, GiftCertificate] = {}
        self._folded: dict[str, list[str]] = {}  # casefolded code → codes, oldest first
        self._order: list[str] = []
        self._order_stale = False  # a delete happened: rebuild the code list lazily

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[GiftCertificate]:
        return iter(self._records.values())

    def get(self, code: str, *, fold: bool = False) -> GiftCertificate | None:
        """The record of ``code``; ``fold``: or of the oldest code equal to it but for case
        (a store whose look-ups ignore case)."""
        record = self._records.get(code)
        if record is None and fold:
            same = self._folded.get(code.casefold())
            record = self._records[same[0]] if same else None
        return record

    def add(self, record: GiftCertificate) -> None:
        if record.code in self._records:
            raise KeyError(record.code)
        self._records[record.code] = record
        self._folded.setdefault(record.code.casefold(), []).append(record.code)
        if not self._order_stale:
            self._order.append(record.code)

    def delete(self, code: str) -> bool:
        if self._records.pop(code, None) is None:
            return False
        same = self._folded[code.casefold()]
        same.remove(code)
        if not same:
            del self._folded[code.casefold()]
        self._order_stale = True
        return True

    def clear(self) -> None:
        self._records.clear()
        self._folded.clear()
        self._order.clear()
        self._order_stale = False

    def page(
        self,
        start: int,
        limit: int,
        matches: Callable[[GiftCertificate], bool] | None = None,
    ) -> tuple[list[GiftCertificate], int]:
        """Records ``start .. start+limit-1`` (0-based) of those that match, and how
        many match in all. Without a filter this is a slice; with one, a scan."""
        if matches is None:
            order = self._codes()
            return [self._records[c] for c in order[start : start + limit]], len(order)
        selected = [r for r in self._records.values() if matches(r)]
        return selected[start : start + limit], len(selected)

    def count(self, matches: Callable[[GiftCertificate], bool] | None = None) -> int:
        if matches is None:
            return len(self._records)
        return sum(1 for r in self._records.values() if matches(r))

    def _codes(self) -> list[str]:
        if self._order_stale:
            self._order = list(self._records)
            self._order_stale = False
        return self._order


class Shift4ShopBackend:
    """:class:`~syncd.sandbox.common.SandboxBackend` over a :class:`CertificateStore`."""

    def __init__(self, store: CertificateStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self._now = now

    def _view(self, record: GiftCertificate) -> CertificateView:
        # 3dcart has no status: a spent or "disabled" certificate is one with balance 0.
        return CertificateView(
            code=record.code,
            remote_id=record.code,
            currency=self.store.currency,
            amount=record.amount,
            balance=record.balance,
            status=Status.ACTIVE,
        )

    def certificates(self) -> Iterable[CertificateView]:
        return [self._view(r) for r in self.store]

    def lookup(self, code: str) -> CertificateView | None:
        record = self.store.get(code)
        return None if record is None else self._view(record)

    def issue(self, code: str | None, amount: Decimal, currency: str | None) -> CertificateView:
        if currency is not None and currency != self.store.currency:
            raise ValueError(f"this store sells in {self.store.currency} only, not {currency!r}")
        code = code if code is not None else self._new_code()
        if self.store.get(code) is not None:
            raise ShopperRefused(f"certificate code {code!r} already exists")
        record = GiftCertificate(code, amount, amount, "", self._now())
        self.store.add(record)
        return self._view(record)

    def redeem(self, code: str, amount: Decimal) -> CertificateView:
        record = self.store.get(code)
        if record is None:
            raise UnknownCode(code)
        if amount > record.balance:
            raise ShopperRefused(f"balance {record.balance} of {code!r} is less than {amount}")
        record.balance -= amount
        return self._view(record)

    def reset(self) -> None:
        self.store.clear()

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
            if self.store.get(code) is None:
                return code
