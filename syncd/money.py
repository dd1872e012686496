"""Money: exact decimals quantised to a currency's minor unit, parsed once at the edge.

Never ``float``: a float that reaches :func:`parse_money` is converted through ``str`` so
that ``0.1`` stays ``Decimal("0.1")`` and not its binary approximation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies merchants of these platforms use; any other
# three-letter code defaults to 2, which is right for the vast majority of currencies.
_MINOR_UNITS: dict[str, int] = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}
ZERO = Decimal(0)


class MoneyError(ValueError):
    """A value that is not an amount of money (names the value, never guesses)."""


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (ISO 4217), 2 when not listed."""
    return _MINOR_UNITS.get(normalise_currency(currency), 2)


def normalise_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"not an ISO 4217 currency code: {currency!r}")
    return code


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(value: Decimal, currency: str) -> Decimal:
    """``value`` rounded (half-even) to the minor unit of ``currency``."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def parse_money(raw: object, currency: str) -> Decimal:
    """Parse a platform money value (``"1000.0000"``, ``12.5``, ``7``) into a quantised Decimal."""
    if isinstance(raw, bool) or raw is None:
        raise MoneyError(f"not an amount of money: {raw!r}")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float | str):
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation as err:
            raise MoneyError(f"not an amount of money: {raw!r}") from err
    else:
        raise MoneyError(f"not an amount of money: {raw!r}")
    if not value.is_finite():
        raise MoneyError(f"not an amount of money: {raw!r}")
    try:
        return quantize(value, currency)
    except InvalidOperation as err:  # more digits than any real amount ("1e30")
        raise MoneyError(f"amount out of range: {raw!r}") from err


def format_money(value: Decimal, currency: str) -> str:
    """Plain string with exactly the currency's minor digits (``"10.00"``), for wire formats."""
    return str(quantize(value, currency))
