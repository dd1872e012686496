"""Quirks: the platform behaviours nobody has settled, as switches on the sandboxes.

Where a platform's real behaviour is unknown, the sandbox plays either answer, so a test (or
a merchant rehearsing with ``syncd sandbox --quirks NAME,…``) can check that syncd notices a
wrong guess at run time. Each quirk names its platform and sets one field of that sandbox's
config before its application is created.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Quirk:
    """One switch: ``platform``'s sandbox config gets ``field = value``."""

    platform: str  # shift4shop | bigcommerce | sfcc
    field: str
    value: Any
    means: str  # what the store then does, for ``--help`` and errors


QUIRKS: dict[str, Quirk] = {
    "shift4shop-ignores-balance": Quirk(
        "shift4shop", "ignores_balance", True,
        "3dcart answers a PUT of Balance with success but leaves the balance as it was",
    ),
    "sfcc-refuses-deleted-code-reuse": Quirk(
        "sfcc", "refuse_deleted_code_reuse", True,
        "the SFCC companion refuses to create the code of a certificate deleted before "
        "(409 code-not-reusable): a re-issue's create fails until the platform lets it go",
    ),
    "shift4shop-offset-exceeds-404": Quirk(
        "shift4shop", "offset_exceeded_status", 404,
        '3dcart answers "Offset amount exceeds the total number of records" with HTTP 404',
    ),
    "shift4shop-offset-exceeds-200": Quirk(
        "shift4shop", "offset_exceeded_status", 200,
        '3dcart answers "Offset amount exceeds the total number of records" with HTTP 200',
    ),
    "sfcc-shop-api-bearer": Quirk(
        "sfcc", "shop_requires_bearer", True,
        "the SFCC Shop API code look-up refuses the client id alone: it wants a bearer token",
    ),
    "bigcommerce-429-no-headers": Quirk(
        "bigcommerce", "throttle_style", "none",
        "BigCommerce answers 429 without any rate-limit header (a store shedding load)",
    ),
    "bigcommerce-429-x-retry-after": Quirk(
        "bigcommerce", "throttle_style", "x-retry-after",
        "BigCommerce answers 429 with only X-Retry-After (seconds), no X-Rate-Limit-* headers",
    ),
    "bigcommerce-legacy-status": Quirk(
        "bigcommerce", "legacy_status", "0",
        'BigCommerce shows an active certificate\'s status as "0" (older stores\' live output)',
    ),
    "bigcommerce-no-currency-code": Quirk(
        "bigcommerce", "omit_currency_code", True,
        "BigCommerce answers certificates without currency_code (older stores)",
    ),
    "shift4shop-zoneless-dates": Quirk(
        "shift4shop", "date_format", "zoneless",
        "3dcart writes DateCreated as store-local time without a zone (America/New_York)",
    ),
    "shift4shop-us-dates": Quirk(
        "shift4shop", "date_format", "us",
        "3dcart writes DateCreated as MM/DD/YYYY hh:mm:ss, store-local (America/New_York)",
    ),
    "shift4shop-case-insensitive-codes": Quirk(
        "shift4shop", "case_insensitive_codes", True,
        '3dcart looks codes up ignoring case: "abc" reaches "ABC", and cannot be created beside it',
    ),
}  # fmt: skip


class UnknownQuirk(ValueError):
    """A quirk name that is not in :data:`QUIRKS` (the message lists the known ones)."""


def parse_quirks(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Quirk names from ``a,b`` (or a list), each checked; duplicates dropped, order kept."""
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    chosen: dict[str, None] = {}
    for name in (n.strip() for n in names):
        if not name:
            continue
        if name not in QUIRKS:
            known = ", ".join(sorted(QUIRKS))
            raise UnknownQuirk(f"unknown quirk {name!r} (known: {known})")
        chosen[name] = None
    return tuple(chosen)


def apply_quirks(names: Iterable[str], configs: dict[str, Any]) -> None:
    """Set each quirk's field on ``configs[platform]`` (the sandbox config objects)."""
    for name in names:
        quirk = QUIRKS[name]
        config = configs[quirk.platform]
        if not hasattr(config, quirk.field):
            raise AttributeError(f"{type(config).__name__} has no field {quirk.field!r}")
        setattr(config, quirk.field, quirk.value)
