"""The ledger's limits in one place, and the checks every connector applies at its edge:
whatever a store sends either validates to a value the ledger holds exactly, or yields a
reason naming it (codes masked); never another exception, never a rounded value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd import limits
from syncd.ledger import tables
from syncd.ledger.records import LedgerError
from syncd.ledger.types import from_fixed, to_fixed
from syncd.model import mask_code
from syncd.money import MoneyError, minor_units, parse_listed_money, parse_money
from syncd.platforms import _wire
from syncd.reconcile.plan import UNMIRRORABLE_PREFIX

CURRENCIES = st.sampled_from(["USD", "JPY", "KWD"])


def test_the_ledger_is_declared_with_the_limits() -> None:
    assert tables.certificates.c.code.type.length == limits.COLUMN_LENGTH  # type: ignore[attr-defined]
    assert tables.links.c.remote_id.type.length == limits.REMOTE_ID_LENGTH  # type: ignore[attr-defined]
    # the longest code still fits an unmirrorable link's remote id (marker + code)
    assert len(UNMIRRORABLE_PREFIX) + limits.CODE_LENGTH <= limits.COLUMN_LENGTH
    assert to_fixed(limits.MONEY_MAX) == limits.FIXED_MAX == 2**63 - 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "is blank"),
        ("   ", "is blank"),
        ("\u3000\t", "is blank"),
        (".", "is a path segment"),
        ("..", "is a path segment"),
        ("GIFT\x00CARD", "control characters"),
        ("GIFT\nCARD", "control characters"),
        ("GIFT\x85CARD", "control characters"),
        ("GIFT\u2028CARD", "control characters"),
        ("GIFT\ud800CARD", "control characters"),
        ("C" * (limits.CODE_LENGTH + 1), f"longer than the {limits.CODE_LENGTH} allowed"),
    ],
)
def test_codes_no_ledger_or_url_can_hold_are_refused_masked(code: str, reason: str) -> None:
    problem = limits.code_problem(code)
    assert problem is not None
    assert reason in problem
    if len(code) > 4:
        assert code not in problem
        assert mask_code(code)[-4:] in problem


def test_the_platform_limit_applies_when_below_the_ledger() -> None:
    assert limits.code_problem("C" * 20, 20) is None
    problem = limits.code_problem("C" * 17 + "TAIL", 20)
    assert problem == "code '*****************TAIL' is 21 characters, longer than the 20 allowed"
    assert limits.code_problem("C" * 180, 500) is None  # never above the ledger's
    assert limits.code_problem("C" * 181, 500) is not None


def test_ordinary_codes_and_ids_pass() -> None:
    for text in ("SBXABCDEF", "10R-5E2-BO4-RWT", "a.b", "...", " lead", "ünï", "x" * 180):
        assert limits.code_problem(text) is None, text
        assert limits.remote_id_problem(text) is None, text
    assert limits.remote_id_problem("gc-" + "9" * 197) is None
    assert limits.remote_id_problem("9" * 201) == (
        "id '999999999999999999999999'… (201 characters) is 201 characters, "
        "longer than the 200 allowed"
    )


@given(st.text(max_size=250), st.one_of(st.none(), st.integers(min_value=0, max_value=300)))
def test_any_text_is_a_code_or_has_a_reason(code: str, max_length: int | None) -> None:
    problem = limits.code_problem(code, max_length)
    if problem is None:
        limit = limits.CODE_LENGTH if max_length is None else min(max_length, limits.CODE_LENGTH)
        assert 0 < len(code) <= limit
        assert code.strip()
        assert code not in (".", "..")
        assert all(ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F for ch in code)
        code.encode("utf-8")  # no lone surrogate: every database encoding takes it
    elif len(code) >= 12:
        assert code not in problem  # masked


@given(st.text(max_size=250))
def test_any_text_is_a_remote_id_or_has_a_reason(remote_id: str) -> None:
    problem = limits.remote_id_problem(remote_id)
    assert problem is None or problem.startswith("id ")
    if len(remote_id) <= limits.CODE_LENGTH:  # the same rules as codes, but a longer limit
        assert (problem is None) == (limits.code_problem(remote_id) is None)


# -- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("10.555", "'10.555' has more decimals than USD has (2)"),
        (10.555, "10.555 has more decimals than USD has (2)"),
        ("10.5500001", "more decimals"),
        (-5, "negative amount of money: -5"),
        ("-0.01", "negative amount of money"),
        (1e15, "amount 1000000000000000.0 out of range"),
        ("922337203685477.59", "out of range"),
        ("1_000", "not an amount of money: '1_000'"),
        ("\u0661\u0660", "not an amount of money"),  # Arabic-Indic digits: Decimal reads 10
        (float("nan"), "not an amount of money"),
        ("Infinity", "not an amount of money"),
        (2.0**53, "not an exact amount of money"),
    ],
)
def test_listed_money_is_refused_not_rounded(raw: object, reason: str) -> None:
    for parse in (lambda r: parse_listed_money(r, "USD"), _wire.Money("USD").parse):
        with pytest.raises(MoneyError) as caught:
            parse(raw)
        assert reason in str(caught.value)


def test_listed_money_keeps_what_is_exact() -> None:
    money = _wire.Money("USD")
    assert money.parse("1000.0000") == Decimal("1000.00")
    assert money.parse(922337203685477.5) == Decimal("922337203685477.50")
    assert str(money.parse("922337203685477.58")) == "922337203685477.58"
    assert _wire.Money("KWD").parse("10.555") == Decimal("10.555")
    assert parse_money("10.555", "USD") == Decimal("10.56")  # config still rounds


def test_the_ledger_refuses_what_it_cannot_hold_with_its_own_error() -> None:
    with pytest.raises(LedgerError, match="out of range"):
        to_fixed(Decimal("1e15"))
    with pytest.raises(LedgerError, match="out of range"):
        to_fixed(-limits.MONEY_MAX - Decimal("0.0001"))
    assert from_fixed(to_fixed(-limits.MONEY_MAX)) == -limits.MONEY_MAX


RAW_MONEY = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\s?-?[0-9]{0,17}(\.[0-9]{0,6})?([eE]-?[0-9]{1,2})?\s?", fullmatch=True),
    st.floats(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(),
    st.sampled_from([None, True, [], {}, "1e999999999", "-0", "0e-30"]),
)


@given(RAW_MONEY, CURRENCIES)
def test_any_value_is_exact_money_or_a_reason_never_another_exception(
    raw: Any, currency: str
) -> None:
    try:
        value = parse_listed_money(raw, currency)
    except MoneyError:
        with pytest.raises(ValueError, match=r"\w"):  # a reason, from the memo's path too
            _wire.Money(currency).parse(raw)
        return
    exact = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
    assert value == exact  # not rounded
    assert value.as_tuple().exponent == -minor_units(currency)  # quantised to the currency
    assert Decimal(0) <= value <= limits.MONEY_MAX
    assert from_fixed(to_fixed(value)) == value  # the ledger holds it exactly
    assert _wire.Money(currency).parse(raw) == value
