"""3dcart dates: store-local times in more than one shape, read as aware UTC.

3dcart writes times in the store's own zone, mostly without saying which: ISO-8601 with or
without a ``Z``/offset (``2019-11-27T17:51:30.494Z``, ``2019-11-27T17:51:30``) and US
``MM/DD/YYYY hh:mm[:ss]`` (24-hour, or 12-hour with AM/PM). A time that names its offset is
taken as given; a zone-less one is read in the store's ``timezone`` (an IANA name, UTC by
default). A value in none of these shapes raises :class:`UnreadDate`, whose ``shape`` (digits
as ``9``, letters as ``a``) names the format without the value, so a listing can keep the
record without its date and say so once per format.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.model import ListingNote

_US_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
)
_SHAPE_LENGTH = 40


class UnreadDate(ValueError):
    """A date in no shape 3dcart is known to use; ``shape`` names its format."""

    def __init__(self, shape: str) -> None:
        super().__init__(f"date in an unknown format (like {shape!r})")
        self.shape = shape


def zone_of(name: str) -> tzinfo:
    """The IANA zone ``name``; ``ValueError`` naming it when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known IANA time zone (such as 'UTC' or 'America/New_York')"
        ) from None


class StoreDates:
    """The dates of one store, read in its zone."""

    def __init__(self, store: str, zone: str = "UTC") -> None:
        self._store = store
        self._zone = zone_of(zone)

    def read(self, raw: object) -> datetime | None:
        """``raw`` as aware UTC; None when empty; :class:`UnreadDate` when unreadable."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise UnreadDate(type(raw).__name__)
        return _read(raw.strip(), self._zone)

    def note(self, err: UnreadDate) -> ListingNote:
        """The one note of a listing about every date of ``err``'s format."""
        message = (
            f"DateCreated in a format syncd does not read (like {err.shape!r}): such "
            "certificates are kept without a creation date"
        )
        return ListingNote(self._store, f"date:{err.shape}", message)


@functools.lru_cache(maxsize=4096)  # bulk-issued certificates share their timestamps
def _read(raw: str, zone: tzinfo) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = _us(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _us(raw: str) -> datetime:
    for fmt in _US_FORMATS:
        try:
            return datetime.strptime(raw, fmt)  # noqa: DTZ007 - zone-less by nature, see _read
        except ValueError:
            continue
    raise UnreadDate(shape_of(raw))


def shape_of(raw: str) -> str:
    """``raw``'s format without its value: digits as ``9``, letters as ``a``, bounded."""
    shape = _LETTER.sub("a", _DIGIT.sub("9", raw[:_SHAPE_LENGTH]))
    return "".join(c if c.isprintable() else "?" for c in shape)


_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
