from decimal import Decimal

import pytest

from syncd.money import MoneyError, format_money, minor_units, parse_money, quantize


def test_decimal_string_from_the_wire_becomes_minor_units() -> None:
    assert parse_money("1000.0000", "USD") == Decimal("1000.00")
    assert str(parse_money("1000.0000", "USD")) == "1000.00"


def test_sums_are_exact() -> None:
    assert parse_money("0.10", "USD") + parse_money("0.20", "USD") == Decimal("0.30")
    assert parse_money(0.1, "USD") + parse_money(0.2, "USD") == Decimal("0.30")


def test_zero_decimal_currency() -> None:
    assert minor_units("jpy") == 0
    assert parse_money("1500.0", "JPY") == Decimal("1500")
    assert format_money(Decimal("12"), "USD") == "12.00"


def test_half_even_rounding() -> None:
    assert quantize(Decimal("0.125"), "USD") == Decimal("0.12")


@pytest.mark.parametrize("bad", [None, True, "abc", "NaN", "Infinity", [], "1,00"])
def test_not_money_is_named(bad: object) -> None:
    with pytest.raises(MoneyError, match="not an amount of money"):
        parse_money(bad, "USD")


def test_bad_currency_is_named() -> None:
    with pytest.raises(MoneyError, match="'US'"):
        minor_units("US")


@pytest.mark.parametrize("huge", ["1e30", "-99999999999999999999999999.9950", 10**40])
def test_an_amount_beyond_any_real_one_is_a_money_error_naming_it(huge: object) -> None:
    with pytest.raises(MoneyError, match="out of range"):
        parse_money(huge, "USD")
