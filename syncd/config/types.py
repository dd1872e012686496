"""Value types of the config: durations, URLs, names, currencies, listen addresses."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator

_DURATION = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_HINT = 'use forms like "30s", "5m", "1h" or "1h30m"'


def parse_duration(value: Any) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1h30m"`` (h, m, s in that order) -> timedelta, >= 1 s."""
    if isinstance(value, timedelta):
        delta = value
    elif isinstance(value, str):
        delta = _duration_from_text(value)
    else:
        raise ValueError(f"expected a duration string ({_HINT}), got {type(value).__name__}")
    if delta < timedelta(seconds=1):
        raise ValueError(f"{format_duration(delta)!r} is shorter than the minimum of 1s")
    return delta


def _duration_from_text(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration; {_HINT}")
    hours, minutes, seconds = (int(match.group(g) or 0) for g in "hms")
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration` for whole seconds: 5400 s -> ``"1h30m"``."""
    total = int(delta.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return "".join(parts) or "0s"


def check_url(value: str) -> str:
    """An absolute http(s) URL; the trailing slash is dropped so paths can be appended."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value.rstrip("/")


def check_host_or_url(value: str) -> str:
    """3dcart's SecureURL header: the store's URL or bare host name."""
    if "://" in value:
        return check_url(value)
    if not value or any(c.isspace() or c == "/" for c in value):
        raise ValueError(f"{value!r} is neither a host name nor an http(s) URL")
    return value


def check_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid name (lower-case letters, digits, '_' and '-')")
    return value


def check_currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code such as 'USD'")
    return value.upper()


def check_timezone(value: str) -> str:
    """An IANA time zone name (``UTC``, ``America/New_York``), checked to exist."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not a known IANA time zone (such as 'UTC' or 'America/New_York')"
        ) from None
    return value


def check_listen(value: str) -> str:
    """``host:port`` with an IPv6 host in brackets; port 0 (any free port) is allowed."""
    split_host_port(value)
    return value


def split_host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{value!r} is not host:port (for example '127.0.0.1:8787')")
    return host, int(port)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Url = Annotated[str, AfterValidator(check_url)]
HostOrUrl = Annotated[str, AfterValidator(check_host_or_url)]
Name = Annotated[str, AfterValidator(check_name)]
Currency = Annotated[str, AfterValidator(check_currency)]
Listen = Annotated[str, AfterValidator(check_listen)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
LowerCase = BeforeValidator(_lower)
