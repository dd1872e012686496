"""Canary codes: a prefix plus random characters, and how a canary of an earlier run is
recognised among a store's records."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from syncd.model import RemoteCertificate
from syncd.money import quantum

DEFAULT_PREFIX = "SYNCD-CANARY-"
CANARY_MESSAGE = "syncd preflight canary: safe to delete"
CODE_LENGTH = 20  # BigCommerce keeps 20 characters
MIN_RANDOM = 6
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PREFIX = re.compile(rf"[A-Z0-9][A-Z0-9-]{{3,{CODE_LENGTH - MIN_RANDOM - 1}}}")


def check_prefix(prefix: str) -> str:
    """The prefix, or ValueError naming it: upper-case letters, digits and ``-``, 4 to 14
    characters (at least 6 random ones follow)."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"canary prefix {prefix!r}: 4 to {CODE_LENGTH - MIN_RANDOM} characters of A-Z, "
            "0-9 and '-', starting with a letter or digit"
        )
    return prefix


def canary_code(prefix: str, choice: Callable[[str], str] = secrets.choice) -> str:
    return prefix + "".join(choice(_ALPHABET) for _ in range(CODE_LENGTH - len(prefix)))


def is_canary(record: RemoteCertificate, prefix: str) -> bool:
    """A canary of an earlier run: its code has the prefix, or (codes hidden: SFCC) it
    carries the canary message and is worth one minor unit."""
    if record.code is not None:
        return record.code.upper().startswith(prefix.upper())
    return record.message == CANARY_MESSAGE and record.amount == quantum(record.currency)
