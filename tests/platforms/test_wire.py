"""The wire-edge pieces listings lean on: JSON decoding (orjson, with the standard library
behind it), memoised money, shared People, and the fast RemoteCertificate builder."""

from __future__ import annotations

import dataclasses
import inspect
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.errors import BadPayload
from syncd.model import People, RemoteCertificate, Status
from syncd.money import parse_listed_money
from syncd.platforms import _wire
from syncd.platforms.http import Response

AWKWARD_FLOATS = ["0.1", "19.99", "1e-2", "123456789.12", "0.125", "0.135", "2.675", "1E3"]


def response(body: bytes) -> Response:
    return Response(200, {}, body)


# -- JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", AWKWARD_FLOATS)
def test_floats_decode_exactly_as_the_standard_library_does(text: str) -> None:
    body = f'[{text}, {{"value": {text}}}]'.encode()
    assert repr(_wire.decode_json(body)) == repr(json.loads(body))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_round_trips_like_the_standard_library(value: float) -> None:
    body = json.dumps([value]).encode()
    [decoded] = _wire.decode_json(body)
    assert type(decoded) is float
    assert repr(decoded) == repr(json.loads(body)[0])


@pytest.mark.parametrize("text", AWKWARD_FLOATS)
def test_money_sent_as_a_json_number_is_the_decimal_written(text: str) -> None:
    [number] = _wire.decode_json(f"[{text}]".encode())
    assert _wire.Money("KWD").parse(number) == Decimal(text)  # 3 decimals: all of them fit


@pytest.mark.parametrize(
    "body",
    [b"[NaN, Infinity, -Infinity]", b'\xef\xbb\xbf{"a": 1}', b'["\\ud800"]'],
    ids=["nan", "byte-order-mark", "lone-surrogate"],
)
def test_what_only_the_standard_library_reads_is_still_read(body: bytes) -> None:
    assert repr(_wire.decode_json(body)) == repr(json.loads(body))


def test_integers_beyond_64_bits_decode_as_floats_which_money_refuses() -> None:
    [big, fits] = _wire.decode_json(b"[18446744073709551616, 18446744073709551615]")
    assert (big, fits) == (float(2**64), 2**64 - 1)
    with pytest.raises(ValueError, match="not an exact amount"):
        _wire.Money("USD").parse(big)


@pytest.mark.parametrize("body", [b"", b"{", b"[1,]", b"<html>", b'"\xff"'])
def test_invalid_json_is_bad_payload_naming_what_was_asked(body: bytes) -> None:
    with pytest.raises(ValueError):
        _wire.decode_json(body)
    with pytest.raises(BadPayload, match="list page 3: answer is not valid JSON"):
        _wire.parse_json("store", response(body), "list page 3")


# -- money ---------------------------------------------------------------------------------


MONEY_VALUES = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**9).map(str),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["10.0000", " 12.5 ", "1e-2", "abc", "", "NaN", "12,x", None, True, [], {}]),
)


@given(st.lists(MONEY_VALUES, max_size=20), st.sampled_from(["USD", "JPY", "KWD"]))
def test_money_parses_as_parse_listed_money_does_hits_and_misses_alike(
    values: list[Any], currency: str
) -> None:
    money = _wire.Money(currency)
    for value in values * 2:  # the second time from the memo
        try:
            expected: Decimal | type[ValueError] = parse_listed_money(value, currency)
        except ValueError:
            expected = ValueError
        if expected is ValueError:
            with pytest.raises(ValueError):
                money.parse(value)
        else:
            got = money.parse(value)
            assert got == expected
            assert str(got) == str(expected) or not got  # zero: see the next test


def test_a_negative_zero_is_zero() -> None:
    money = _wire.Money("USD")
    assert str(money.parse(0.0)) == "0.00"
    assert str(money.parse(-0.0)) == "0.00"
    assert str(money.parse("-0.00")) == "0.00"
    with pytest.raises(ValueError, match="more decimals"):
        money.parse("-0.001")  # not rounded to zero: refused


def test_json_types_are_kept_apart_and_booleans_are_not_money() -> None:
    money = _wire.Money("USD")
    assert money.parse(1) == money.parse(1.0) == money.parse("1") == Decimal("1.00")
    with pytest.raises(ValueError, match="True"):
        money.parse(True)  # True == 1, but it is no amount, memo or not


def test_equal_raw_values_share_one_decimal() -> None:
    money = _wire.Money("USD")
    assert money.parse("25.0000") is money.parse("25.0000")


@pytest.mark.parametrize("raw", ["1e30", 10**30, "9" * 40])
def test_too_many_digits_is_a_bad_value_not_a_decimal_exception(raw: object) -> None:
    with pytest.raises(ValueError, match="too many digits"):
        _wire.Money("USD").parse(raw)


@pytest.mark.parametrize("raw", [2.0**53, -1e16, 1e300])
def test_floats_too_big_to_be_exact_are_refused(raw: float) -> None:
    with pytest.raises(ValueError, match="not an exact amount"):
        _wire.Money("USD").parse(raw)


def test_the_memo_is_bounded() -> None:
    money = _wire.Money("USD")
    for cents in range(_wire.MEMO_LIMIT * 3):
        money.parse(f"{cents / 100:.2f}")
        money.parse(cents / 100)
    sizes = [len(memo) for memo in money._memos.values()]
    assert 0 < max(sizes) <= _wire.MEMO_LIMIT


def test_money_parsers_normalise_each_spelling_once() -> None:
    parsers = _wire.MoneyParsers()
    assert parsers.money("usd") is parsers.money("USD") is parsers.money(" USD ")
    assert parsers.currency("usd") == "USD"
    assert parsers.parse("1.000", "jpy") == Decimal("1")
    with pytest.raises(ValueError, match="more decimals than JPY has"):
        parsers.parse("1.005", "jpy")
    with pytest.raises(ValueError, match="ISO 4217"):
        parsers.money("dollars")
    for pad in range(_wire.MEMO_LIMIT * 2):
        assert parsers.money(" " * pad + "eur").code == "EUR"
    assert len(parsers._by_raw) <= _wire.MEMO_LIMIT
    assert len(parsers._by_code) == 3


# -- people and records --------------------------------------------------------------------


def test_people_are_shared_and_the_memo_is_bounded() -> None:
    memo = _wire.PeopleMemo()
    assert memo(None, None, None, None) is _wire.NO_PEOPLE
    first = memo("Ann", "ann@example.com", "Shop", None)
    assert first == People("Ann", "ann@example.com", "Shop", None)
    assert memo("Ann", "ann@example.com", "Shop", None) is first
    for n in range(_wire.MEMO_LIMIT * 2):
        memo(f"n{n}", None, None, None)
    assert len(memo._memo) <= _wire.MEMO_LIMIT


FIELDS = [field.name for field in dataclasses.fields(RemoteCertificate)]


def test_the_builder_takes_every_field_in_order() -> None:
    assert list(inspect.signature(_wire.certificate).parameters) == FIELDS


def test_the_builder_makes_what_the_constructor_makes() -> None:
    values: dict[str, Any] = {
        "store": "s",
        "remote_id": "42",
        "code": "GC-1",
        "currency": "USD",
        "amount": Decimal("50.00"),
        "balance": Decimal("12.34"),
        "status": Status.PENDING,
        "masked_code": "**-1",
        "people": People("Ann"),
        "message": "hi",
        "expires_at": datetime(2030, 1, 1, tzinfo=UTC),
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "version": "v1",
        "platform_status": "pending",
    }
    built = _wire.certificate(*values.values())
    expected = RemoteCertificate(**values)
    assert type(built) is RemoteCertificate
    assert built == expected
    assert hash(built) == hash(expected)
    assert repr(built) == repr(expected)
    assert {name: getattr(built, name) for name in FIELDS} == values  # every slot is set
    assert dataclasses.replace(built, balance=Decimal(0)).balance == Decimal(0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.balance = Decimal(1)  # type: ignore[misc]
