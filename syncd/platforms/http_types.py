"""The plain data of the HTTP layer (:mod:`syncd.platforms.http`): a store's limits, its
traffic counters, and a complete answer."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The share of a header-announced quota left to the store's other apps (HeaderRateLimiter).
DEFAULT_RATE_LIMIT_RESERVE = 0.1
# No server-given wait is honoured beyond this (BigCommerce's windows are 30 s).
MAX_SERVER_WAIT = 60.0
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
# Answer headers worth keeping for a report (``syncd preflight``): none carries a credential.
SEEN_HEADERS = (
    "Date",
    "Retry-After",
    "X-Retry-After",
    "X-Rate-Limit-Requests-Left",
    "X-Rate-Limit-Requests-Quota",
    "X-Rate-Limit-Time-Window-Ms",
    "X-Rate-Limit-Time-Reset-Ms",
)


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """Per-store HTTP limits (from the store's config)."""

    timeout: float = 30.0  # total seconds per request: connect, headers and whole body
    connect_timeout: float | None = None  # None: min(timeout, 10)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # a larger answer is refused
    max_server_wait: float = MAX_SERVER_WAIT  # cap on Retry-After and rate-limit resets
    max_concurrency: int = 4
    max_requests_per_second: float | None = None  # the configured ceiling
    max_attempts: int = 5
    max_retry_time: float = 60.0  # total seconds one logical request may take with retries
    backoff_base: float = 0.25
    backoff_cap: float = 10.0
    rate_limit_reserve: float = DEFAULT_RATE_LIMIT_RESERVE  # see HeaderRateLimiter


@dataclass(slots=True)
class HttpStats:
    """What one store's HTTP traffic looked like (for metrics and tests)."""

    requests: int = 0
    by_status: Counter[str] = field(default_factory=Counter)  # "200", "429", "error"
    retries: int = 0
    rate_limit_wait_s: float = 0.0
    # The last value answered of each of SEEN_HEADERS (only those: others may carry cookies).
    headers: dict[str, str] = field(default_factory=dict)

    def note_headers(self, headers: Mapping[str, str]) -> None:
        for name in SEEN_HEADERS:
            value = headers.get(name)
            if value is not None:
                self.headers[name] = value

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": dict(self.by_status),
            "retries": self.retries,
            "rate_limit_wait_s": round(self.rate_limit_wait_s, 6),
        }


@dataclass(frozen=True, slots=True)
class Response:
    """A complete answer: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body)

    def text(self, limit: int = 300) -> str:
        return self.body[:limit].decode("utf-8", "replace")
