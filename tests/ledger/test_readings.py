"""``Ledger.take_other_reading``: an ambiguous write's other reading, append-only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncd.ledger import Ledger, LedgerError, NewAlert
from tests.ledger.factories import T0, add, cert

D = Decimal


def _alert(ledger: Ledger, cert_id: int, **details: str) -> int:
    with ledger.transaction() as tx:
        return tx.raise_alert(
            NewAlert(kind="ambiguous_write", group="us", message="m", store="bc",
                     certificate_id=cert_id, key="intent 1", details=details or None),
            T0,
        )  # fmt: skip


def test_the_correction_moves_the_balance_even_below_zero(ledger: Ledger) -> None:
    [a] = add(ledger, cert("GC-1", balance=D("10.00")))
    alert = _alert(ledger, a, correction="-30.00", reading="applied")
    row = ledger.take_other_reading(alert)
    assert (row.kind, row.store, row.amount, row.balance_after) == (
        "correction", "bc", D("-30.00"), D("-20.00"),
    )  # fmt: skip
    detail = ledger.certificate_by_code("us", "GC-1")
    assert detail is not None
    assert detail.certificate.balance == D("-20.00")
    assert [j.amount for j in detail.journal][-1] == D("-30.00")
    assert ledger.open_alerts() == []


def test_an_alert_without_a_correction_changes_nothing(ledger: Ledger) -> None:
    [a] = add(ledger, cert("GC-1"))
    alert = _alert(ledger, a)
    with pytest.raises(LedgerError, match=f"alert {alert} carries no correction"):
        ledger.take_other_reading(alert)
    assert [x.id for x in ledger.open_alerts()] == [alert]
    detail = ledger.certificate_by_code("us", "GC-1")
    assert detail is not None
    assert detail.journal == ()
