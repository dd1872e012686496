"""What the ledger can hold, in one place: the ledger declares its columns with these
limits, and connectors check every listed record against them before it goes any further
(a record beyond them is set aside, never stored cut short, rounded or crashed on).

* Text keys (group, store, code, remote id) are ``VARCHAR(COLUMN_LENGTH)``. A code must
  leave room for the marker an unmirrorable link puts before it in its remote id
  (``!unmirrorable:`` + code, :data:`syncd.reconcile.plan.UNMIRRORABLE_PREFIX`).
* Money is a fixed-point BIGINT: the amount × 10^MONEY_SCALE, so it holds amounts up to
  :data:`MONEY_MAX` either way.
* A code or remote id also ends up in a URL path: one that is blank, holds control
  characters (or lone surrogates, which no database encoding takes) or is a dot segment
  (``.``/``..``, which URL normalisation turns into the collection or its parent) addresses
  the wrong resource or none.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal

from syncd.model import mask_code

COLUMN_LENGTH = 200
MARKER_ROOM = 20  # room for the unmirrorable marker (14 characters) before a code
CODE_LENGTH = COLUMN_LENGTH - MARKER_ROOM
REMOTE_ID_LENGTH = COLUMN_LENGTH

MONEY_SCALE = 4
FIXED_MAX = 2**63 - 1  # BIGINT
MONEY_MAX = Decimal(FIXED_MAX).scaleb(-MONEY_SCALE)  # 922337203685477.5807

_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"  # Cc, line breaks, surrogates
_CLEAN = re.compile(f"[^{_CONTROL}]*")
_DOT_SEGMENTS = frozenset({".", ".."})
SHOWN_LENGTH = 24  # a longer code or id is shown shortened in messages


def shown_code(code: str) -> str:
    """A code fit for a message: masked (:func:`syncd.model.mask_code`), shortened when long."""
    masked = mask_code(code)
    if len(code) <= SHOWN_LENGTH:
        return repr(masked)
    return f"'****…{masked[-4:]}' ({len(code)} characters)"


def shown_id(remote_id: str) -> str:
    """A remote id fit for a message (quoted, so control characters show escaped)."""
    if len(remote_id) <= SHOWN_LENGTH:
        return repr(remote_id)
    return f"{remote_id[:SHOWN_LENGTH]!r}… ({len(remote_id)} characters)"


Fits = Callable[[str], re.Match[str] | None]


@functools.cache
def fits(limit: int) -> Fits:
    """A test (``fullmatch``) for text of at most ``limit`` characters the ledger holds and
    a URL path addresses exactly: not blank, not a dot segment, no control character. One
    compiled pattern per limit: listings run it on every record."""
    if limit < 1:
        return re.compile("(?!)").fullmatch  # nothing fits
    return re.compile(rf"(?!\.\.?\Z)(?=\s*\S)[^{_CONTROL}]{{1,{limit}}}").fullmatch


def code_limit(max_length: int | None = None) -> int:
    """The longest code allowed: the ledger's, or the platform's ``max_length`` when below."""
    return CODE_LENGTH if max_length is None else min(max_length, CODE_LENGTH)


def code_problem(code: str, max_length: int | None = None) -> str | None:
    """Why ``code`` cannot be held or addressed exactly (the code shown masked), or None.
    ``max_length``: the platform's own limit, when below the ledger's."""
    limit = code_limit(max_length)
    return None if fits(limit)(code) else _problem("code", shown_code(code), code, limit)


def remote_id_problem(remote_id: str) -> str | None:
    """Why ``remote_id`` cannot be held or addressed exactly (shown quoted), or None."""
    if fits(REMOTE_ID_LENGTH)(remote_id):
        return None
    return _problem("id", shown_id(remote_id), remote_id, REMOTE_ID_LENGTH)


def money_problem(value: Decimal) -> str | None:
    """Why ``value`` lies outside what the ledger holds, or None."""
    if value.is_finite() and -MONEY_MAX <= value <= MONEY_MAX:
        return None
    return f"amount {value} out of range (the ledger holds up to {MONEY_MAX})"


def _problem(what: str, shown: str, text: str, limit: int) -> str:
    if not text or text.isspace():
        return f"{what} {shown} is blank"
    if text in _DOT_SEGMENTS:
        return f"{what} {shown} is a path segment ('.' or '..'), not a name"
    if not _CLEAN.fullmatch(text):
        return f"{what} {shown} holds control characters"
    return f"{what} {shown} is {len(text)} characters, longer than the {limit} allowed"
