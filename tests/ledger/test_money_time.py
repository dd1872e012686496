"""Money stays exact and times stay UTC, on every backend."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, select

from syncd.ledger import Ledger, LedgerError, NewAlert
from syncd.ledger import tables as t
from syncd.ledger.types import from_fixed, to_fixed
from syncd.money import parse_money
from tests.ledger.factories import T0, add, cert, journal, link


def test_point_one_plus_point_two_is_point_three(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A", balance=Decimal("0.10")))
    balance = ledger.load_view("us").certificates[a].balance + Decimal("0.20")
    with ledger.transaction() as tx:
        tx.update_certificate(a, balance=balance)
        tx.append_journal([journal(a, "0.20", str(balance), kind="reload")])
    after = ledger.load_view("us").certificates[a].balance
    assert after == Decimal("0.30")
    assert str(after) == "0.30"


def test_platform_string_in_currency_decimal_out(ledger: Ledger) -> None:
    """3dcart sends "1000.0000": it comes back as Decimal('1000.00') for USD."""
    [a] = add(ledger, cert("A", amount="1000.0000", balance=parse_money("1000.0000", "USD")))
    got = ledger.load_view("us").certificates[a]
    assert repr(got.amount) == "Decimal('1000.00')"
    assert repr(got.balance) == "Decimal('1000.00')"


@pytest.mark.parametrize(
    ("currency", "value", "shown"),
    [("JPY", "5000", "5000"), ("KWD", "1.234", "1.234"), ("USD", "7", "7.00")],
)
def test_minor_units_follow_the_currency(
    ledger: Ledger, currency: str, value: str, shown: str
) -> None:
    [a] = add(ledger, cert("A", currency=currency, amount=Decimal(value), balance=value))
    with ledger.transaction() as tx:
        tx.upsert_links([link(a, last_balance=Decimal(value))])
        tx.append_journal([journal(a, value, value, currency=currency, kind="issue")])
    detail = ledger.certificate_by_code("us", "A")
    assert detail is not None
    found = [detail.certificate.amount, detail.certificate.balance, detail.links[0].last_balance]
    found += [detail.journal[0].amount, detail.journal[0].balance_after]
    assert [str(x) for x in found] == [shown] * 5


def test_amount_not_exact_in_the_currency_is_refused(ledger: Ledger) -> None:
    cases = [
        (cert("A", currency="JPY", amount=Decimal("5000.5")), "amount Decimal"),
        (cert("A", balance=Decimal("0.005")), "balance Decimal"),
        (cert("A", balance=0.1), "not an exact amount of money: 0.1"),
        (cert("A", balance="ten"), "not an amount of money: 'ten'"),
        (cert("A", balance=Decimal("NaN")), "not an amount of money"),
        (cert("A", currency="US"), "not an ISO 4217 currency code: 'US'"),
    ]
    for new, message in cases:
        with pytest.raises(LedgerError, match=message):
            add(ledger, new)
    assert ledger.load_view("us").certificates == {}


def test_negative_balances_for_overdrafts(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A", balance=Decimal("10.00")))
    with ledger.transaction() as tx:
        tx.update_certificate(a, balance=Decimal("-12.34"))
        tx.append_journal([journal(a, "-22.34", "-12.34", kind="overdraft")])
        tx.upsert_links([link(a, last_balance=Decimal("0"))])
    detail = ledger.certificate_by_code("us", "A")
    assert detail is not None
    assert detail.certificate.balance == Decimal("-12.34")
    assert detail.journal[0].amount == Decimal("-22.34")
    assert detail.links[0].last_balance == Decimal("0.00")
    assert ledger.liability() == {}


def test_many_random_amounts_survive_exactly(ledger: Ledger) -> None:
    rng = random.Random(20260301)
    values = [Decimal(rng.randint(-(10**13), 10**13)).scaleb(-2) for _ in range(300)]
    values += [Decimal("92233720368547.58"), Decimal("-92233720368547.58"), Decimal("0.01")]
    ids = add(ledger, *(cert(f"C{i}", balance=v) for i, v in enumerate(values)))
    certs = ledger.load_view("us").certificates
    assert [certs[i].balance for i in ids] == values
    total = sum((v for v in values if v > 0), Decimal(0))
    assert ledger.liability() == {"USD": total}


def test_money_is_stored_as_an_exact_integer(ledger: Ledger) -> None:
    [a] = add(ledger, cert("A", balance=Decimal("0.30")))
    with ledger.engine.connect() as conn:
        raw = conn.execute(select(t.certificates.c.balance.cast(BigInteger))).scalar_one()
    assert (raw, a) == (3000, a)


@given(st.decimals(min_value=-(10**14), max_value=10**14, places=4, allow_nan=False))
def test_fixed_point_round_trip(value: Decimal) -> None:
    assert from_fixed(to_fixed(value)) == value


def test_fixed_point_refuses_what_is_not_exact() -> None:
    for bad, message in [
        (Decimal("0.00001"), "more than 4 decimal places"),
        (1.5, "not an exact amount of money"),
        (True, "not an exact amount of money"),
        (Decimal("Infinity"), "not an amount of money"),
    ]:
        with pytest.raises(LedgerError, match=message):
            to_fixed(bad)


def test_times_come_back_timezone_aware_utc(ledger: Ledger) -> None:
    plus_five = timezone(timedelta(hours=5))
    expires = datetime(2027, 1, 1, 5, 0, tzinfo=plus_five)
    [a] = add(ledger, cert("A", expires_at=expires, created_at=T0))
    got = ledger.load_view("us").certificates[a]
    assert got.expires_at == expires
    assert got.expires_at is not None
    assert got.expires_at.utcoffset() == timedelta(0)
    assert got.expires_at == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    assert got.created_at == T0
    assert got.created_at is not None
    assert got.created_at.tzinfo == UTC


def test_time_order_is_by_instant_not_by_local_clock(ledger: Ledger) -> None:
    """Stored in UTC, so 10:00+05:00 (05:00Z) sorts before 06:00Z."""
    early = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=5)))
    late = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    with ledger.transaction() as tx:
        late_id = tx.start_cycle("us", late)
        early_id = tx.start_cycle("us", early)
    assert [c.id for c in ledger.last_cycles()] == [late_id, early_id]
    assert ledger.last_cycles()[1].started_at == datetime(2026, 3, 1, 5, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(ledger: Ledger) -> None:
    naive = datetime(2026, 3, 1, 12, 0)
    with pytest.raises(LedgerError, match="not a timezone-aware datetime"):
        add(ledger, cert("A", expires_at=naive))
    with (
        pytest.raises(LedgerError, match="not a timezone-aware datetime"),
        ledger.transaction() as tx,
    ):
        tx.raise_alert(NewAlert(kind="auth", group="us", message="m"), naive)


def test_ledger_clock_stamps_bookkeeping_times(ledger_url: str) -> None:
    now = datetime(2030, 5, 5, 5, 5, 5, tzinfo=UTC)
    with Ledger.open(ledger_url, clock=lambda: now) as ledger:
        [a] = add(ledger, cert("A"))
        with ledger.transaction() as tx:
            tx.append_journal([journal(a, "1", "51", kind="reload")])
        detail = ledger.certificate_by_code("us", "A")
    assert detail is not None
    assert (detail.certificate.created_at, detail.updated_at) == (now, now)
    assert detail.journal[0].recorded_at == now
