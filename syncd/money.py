"""Money: exact decimals quantised to a currency's minor unit, parsed once at the edge.

Never ``float``: a float that reaches :func:`parse_money` is converted through ``str`` so
that ``0.1`` stays ``Decimal("0.1")`` and not its binary approximation.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from syncd.limits import MONEY_MAX

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


def parse_listed_money(raw: object, currency: str) -> Decimal:
    """A store's money value (``"1000.0000"``, ``12.5``, ``7``) exactly, as :func:`parse_money`
    reads it but never rounded: ``MoneyError`` naming the value when it has more decimals than
    the currency's minor unit (beyond trailing zeros), is negative, or lies beyond what the
    ledger holds (:data:`syncd.limits.MONEY_MAX`). A negative zero is zero."""
    value = parse_money(raw, currency)  # raises for what is no number at all
    if isinstance(raw, float) and not -_EXACT_FLOAT < raw < _EXACT_FLOAT:
        raise MoneyError(f"not an exact amount of money: {raw!r}")
    exact = Decimal(repr(raw)) if isinstance(raw, float) else _decimal(raw)
    return check_listed(exact, value, raw, currency)


def check_listed(exact: Decimal, value: Decimal, raw: object, currency: str) -> Decimal:
    """``value`` (``exact`` quantised to ``currency``) when it is a store's exact, non-negative
    amount within the ledger's range; ``MoneyError`` naming ``raw`` otherwise. Text must be
    a plain decimal number (``Decimal`` would also read ``"1_000"`` and non-ASCII digits)."""
    if isinstance(raw, str) and not _NUMBER.fullmatch(raw):
        raise MoneyError(f"not an amount of money: {raw!r}")
    if value != exact:
        places = minor_units(currency)
        raise MoneyError(f"{raw!r} has more decimals than {currency} has ({places})")
    if value < 0:
        raise MoneyError(f"negative amount of money: {raw!r}")
    if value > MONEY_MAX:
        raise MoneyError(f"amount {raw!r} out of range (the ledger holds up to {MONEY_MAX})")
    return value if value else abs(value)


def _decimal(raw: object) -> Decimal:
    return raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())


_NUMBER = re.compile(r"\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*", re.ASCII)
_EXACT_FLOAT = 2.0**53  # beyond it a float cannot hold every whole number, let alone cents


def format_money(value: Decimal, currency: str) -> str:
    """Plain string with exactly the currency's minor digits (``"10.00"``), for wire formats."""
    return str(quantize(value, currency))
