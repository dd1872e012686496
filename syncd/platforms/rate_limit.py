"""Waits a store's answers ask for: ``Retry-After``-style headers, the configured request-rate
ceiling, and a limiter that spends a quota announced in ``X-Rate-Limit-*`` headers
(BigCommerce). Used by :class:`~syncd.platforms.http.HttpClient`; nothing here sends."""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from syncd.platforms.http_types import DEFAULT_RATE_LIMIT_RESERVE, MAX_SERVER_WAIT, Response

Clock = Callable[[], float]


def header_float(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header (names are case-insensitive on the wire), None if absent/bad."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def server_wait(response: Response, cap: float = MAX_SERVER_WAIT) -> float | None:
    """Seconds the server asked us to wait, if it said (BigCommerce's reset, Retry-After or
    X-Retry-After), at most ``cap`` and at most the window the answer itself states."""
    headers = response.headers
    reset_ms = header_float(headers, "X-Rate-Limit-Time-Reset-Ms")
    if reset_ms is not None:
        window_ms = header_float(headers, "X-Rate-Limit-Time-Window-Ms")
        if window_ms is not None and window_ms > 0:
            cap = min(cap, window_ms / 1000)
        return min(max(reset_ms, 0.0) / 1000, cap)
    retry_after = _retry_after(headers, "Retry-After")
    if retry_after is None:
        retry_after = _retry_after(headers, "X-Retry-After")
    return None if retry_after is None else min(max(retry_after, 0.0), cap)


def _retry_after(headers: Mapping[str, str], name: str) -> float | None:
    """A ``Retry-After``-style header: seconds, or an HTTP date (seconds from now)."""
    seconds = header_float(headers, name)
    if seconds is not None or name not in headers:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(headers[name])
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return (when - datetime.now(UTC)).total_seconds()


class RateCeiling:
    """At most ``rate`` request starts per second, spaced evenly (slots are reserved
    before sleeping so concurrent callers never share a slot)."""

    def __init__(self, rate: float | None, clock: Clock) -> None:
        self._interval = 0.0 if not rate else 1.0 / rate
        self._clock = clock
        self._next = 0.0

    def reserve(self) -> float:
        """Reserve the next slot; returns how long to wait for it."""
        if not self._interval:
            return 0.0
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._interval
        return slot - now


class HeaderRateLimiter:
    """Spends a platform's quota from its ``X-Rate-Limit-*`` headers (BigCommerce).

    After each answer we know the requests left in the window and the time to its reset.
    While more than a *reserve* is left, requests go out at once: a cycle that needs fewer
    requests than the quota is never slowed down. The reserve (``reserve`` x the window's
    quota, from ``X-Rate-Limit-Requests-Quota``, else the largest ``left`` seen + 1) is
    left for the merchant's other apps, which share the store's quota: once at or below
    it, the units left are spread evenly over what remains of the window (each start
    ``time_to_reset / requests_left`` after the previous one), and with nothing left we
    wait for the reset.

    Every request counts against the quota locally when it is reserved, so concurrent
    callers do not all spend the same unit. Within a window an answer can only lower that
    count (another app spent some): the server has not yet seen the requests still in
    flight or waiting for their slot, so its ``left`` is too high by those. A new window
    (its reset passed, or the reset moved on by more than half a window) takes the
    answer's count, less the requests sent since the reset that are still unanswered.
    """

    def __init__(
        self,
        clock: Clock,
        reserve: float = DEFAULT_RATE_LIMIT_RESERVE,
        max_wait: float = MAX_SERVER_WAIT,
    ) -> None:
        if not 0 <= reserve < 1:
            raise ValueError(f"rate limit reserve must be >= 0 and < 1, got {reserve!r}")
        self._clock = clock
        self._reserve = reserve
        self._max_wait = max_wait  # no reset is believed further away than this
        self._quota = 0.0  # the window's size in requests, once known
        self._window_s = 0.0  # ... and in seconds
        self._left: float | None = None
        self._window_end = 0.0
        self._next = 0.0
        self._blind = 0  # requests sent since the last known window ended

    def update(self, headers: Mapping[str, str]) -> None:
        left = header_float(headers, "X-Rate-Limit-Requests-Left")
        reset_ms = header_float(headers, "X-Rate-Limit-Time-Reset-Ms")
        if left is None or reset_ms is None:
            return
        quota = header_float(headers, "X-Rate-Limit-Requests-Quota")
        window_ms = header_float(headers, "X-Rate-Limit-Time-Window-Ms")
        cap = self._max_wait
        if window_ms is not None and window_ms > 0:
            cap = min(cap, window_ms / 1000)
        reset = min(max(reset_ms, 0.0) / 1000, cap)
        self._quota = quota if quota is not None else max(self._quota, left + 1)
        window = cap if window_ms is not None and window_ms > 0 else max(self._window_s, reset)
        self._window_s = window
        now = self._clock()
        end = now + reset
        if self._left is None or now >= self._window_end or end > self._new_window_after():
            # this answer's request is one of the blind ones, and the server counted it
            self._left = left - max(self._blind - 1, 0)
            self._blind = 0
        else:
            self._left = min(self._left, left)
        self._window_end = end

    def _new_window_after(self) -> float:
        """A reset later than this belongs to the next window, not to a slower answer."""
        return self._window_end + self._window_s / 2

    def reserve(self) -> float:
        """Reserve the next start; returns how long to wait before sending."""
        now = self._clock()
        if self._left is None or now >= self._window_end:
            self._blind += 1
            return 0.0  # nothing known, or the window has reset: no reason to wait
        if self._left <= 0:
            self._blind += 1  # it will go out in the next window, before we know it
            return self._window_end - now
        if self._left > self._reserve * self._quota:
            slot = now  # burst: the quota allows it and the reserve stays untouched
        else:
            # pace: the units left split what remains of the window evenly from this slot
            slot = max(now, self._next)
            self._next = slot + max(self._window_end - slot, 0.0) / self._left
        self._left -= 1
        return slot - now
