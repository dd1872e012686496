"""The HTTP layer every connector shares: one session per store, timeouts, a concurrency
and request-rate ceiling, retries, a header-driven rate limiter, and request counting. The
waits themselves are :mod:`syncd.platforms.rate_limit`; the plain data (options, counters,
answers) :mod:`syncd.platforms.http_types`; both are importable from here.

Retries are a small loop of our own rather than ``stamina``/``tenacity`` because the
decision needs things those libraries keep at arm's length: the *response* (a 429 or 5xx
is an answer, not an exception), the server's own wait (``Retry-After``,
``X-Rate-Limit-Time-Reset-Ms``), whether the request may be repeated at all (creates are
never blindly retried, DESIGN.md §5), and an injected clock/sleep/random so tests never
wait for real backoff. The loop is bounded by attempts AND by total time.

What is retried: timeouts, connection errors, 429 and 5xx — for idempotent requests only
(GET, absolute PUT/PATCH, DELETE by id). A non-idempotent request (a create) is retried
only when it provably never reached the application: a refused connection or a 429.

The client never raises for an HTTP status: it returns the final :class:`Response` and
each connector maps statuses to :mod:`syncd.errors` in one place. Only a request that got
no answer at all raises :class:`~syncd.errors.Transient`. Headers are never logged nor put
in messages (they carry credentials).

Everything is bounded. ``timeout`` is a total deadline per request (connect, headers and
the whole body), a body larger than ``max_body_bytes`` is refused while it is read, a wait
the server asks for is capped (``max_server_wait``, and BigCommerce's own window), and no
wait (retry backoff, rate limiter, ceiling) may run past the cycle deadline the runner
sets (:func:`cycle_deadline`): a request that would have to is refused at once. Redirects
are never followed (they would carry the credentials to another origin): a 3xx is
:class:`~syncd.errors.Redirected`, naming the status and the target host.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
import structlog
from yarl import URL

from syncd.errors import RateLimited, Redirected, ResponseTooLarge, Transient
from syncd.platforms.http_types import DEFAULT_RATE_LIMIT_RESERVE as DEFAULT_RATE_LIMIT_RESERVE
from syncd.platforms.http_types import MAX_SERVER_WAIT as MAX_SERVER_WAIT
from syncd.platforms.http_types import HttpOptions as HttpOptions
from syncd.platforms.http_types import HttpStats as HttpStats
from syncd.platforms.http_types import Response as Response
from syncd.platforms.rate_limit import Clock as Clock
from syncd.platforms.rate_limit import HeaderRateLimiter as HeaderRateLimiter
from syncd.platforms.rate_limit import RateCeiling as RateCeiling
from syncd.platforms.rate_limit import header_float as header_float
from syncd.platforms.rate_limit import server_wait as server_wait

Sleep = Callable[[float], Awaitable[None]]

log = structlog.get_logger()

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The least wait after a 429 that names none (no rate-limit headers, no Retry-After).
THROTTLED_BACKOFF = 1.0
_CHUNK = 64 * 1024

# The monotonic instant (time.monotonic) the running cycle must end by; None: no cycle.
_deadline: ContextVar[float | None] = ContextVar("syncd_cycle_deadline", default=None)


@contextlib.contextmanager
def cycle_deadline(deadline: float | None) -> Iterator[None]:
    """Bound every wait of the HTTP layer in this context (and the tasks it starts) by
    ``deadline``, a ``time.monotonic()`` instant."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds until the cycle deadline (never negative); None outside a cycle."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


async def _real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class HttpClient:
    """One store's HTTP session with every limit and the retry policy applied."""

    def __init__(
        self,
        store: str,
        *,
        options: HttpOptions | None = None,
        headers: Mapping[str, str] | None = None,
        limiter: HeaderRateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = _real_sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.options = options or HttpOptions()
        self.stats = HttpStats()
        self._headers = dict(headers or {})
        self._limiter = limiter
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._ceiling = RateCeiling(self.options.max_requests_per_second, clock)
        self._semaphore = asyncio.Semaphore(max(1, self.options.max_concurrency))
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"HttpClient(store={self.store!r})"

    def _session_for_loop(self) -> aiohttp.ClientSession:
        """The session (and concurrency gate) of the running event loop: a connector used
        from a new loop (one ``asyncio.run`` per command) gets fresh ones."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._loop = loop
            self._semaphore = asyncio.Semaphore(max(1, self.options.max_concurrency))
            opts = self.options
            connect = opts.connect_timeout or min(opts.timeout, 10.0)
            # ``total`` bounds the whole request, body included (a body trickling one byte at
            # a time would restart a ``sock_read`` timer on every byte); _send adds its own
            # asyncio.timeout around the same span so no part of it escapes the bound.
            timeout = aiohttp.ClientTimeout(total=opts.timeout, connect=connect)
            connector = aiohttp.TCPConnector(limit=max(1, opts.max_concurrency))
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=timeout, connector=connector
            )
            # aiohttp by itself repeats an idempotent method (PUT too) once when a reused
            # connection drops; whether to repeat is decided here alone (never a balance PUT).
            self._session._retry_connection = False
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send with retries; returns the final answer, raises Transient if none came."""
        sent = {"params": params, "json": json_body, "data": data, "headers": headers}
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            failure: str | None = None
            response: Response | None = None
            try:
                response = await self._send(method, url, sent)
            except (TimeoutError, aiohttp.ClientError) as err:
                failure = _describe(err)
                retryable = idempotent or isinstance(err, aiohttp.ClientConnectorError)
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                retryable = idempotent or response.status == 429
                failure = f"HTTP {response.status}"
            delay = self._delay(attempt, response)
            spent = self._clock() - started
            if not retryable or attempt >= self.options.max_attempts:
                return self._give_up(method, url, response, failure, attempt)
            if spent + delay > self.options.max_retry_time:
                return self._give_up(method, url, response, failure, attempt)
            left = time_left()
            if left is not None and delay > left:
                failure = f"{failure}; a retry in {delay:.3g}s would pass the cycle deadline"
                log.info("http.deadline", store=self.store, method=method, path=_path_of(url),
                         wait=round(delay, 3), left=round(left, 3))  # fmt: skip
                return self._give_up(method, url, response, failure, attempt)
            await self._wait_before_retry(method, url, attempt, delay, response, failure)

    async def _wait_before_retry(
        self,
        method: str,
        url: str,
        attempt: int,
        delay: float,
        response: Response | None,
        failure: str | None,
    ) -> None:
        self.stats.retries += 1
        path = _path_of(url)
        if response is not None and response.status == 429:
            self.stats.rate_limit_wait_s += delay
            log.info("http.rate_limited", store=self.store, method=method, path=path, wait=delay)
        else:
            log.info(
                "http.retry",
                store=self.store,
                method=method,
                path=path,
                attempt=attempt,
                wait=round(delay, 3),
                failure=failure,
            )
        await self._sleep(delay)

    def _give_up(
        self, method: str, url: str, response: Response | None, failure: str | None, attempt: int
    ) -> Response:
        if response is not None:
            return response  # the connector turns the status into its typed error
        log.warning(
            "http.failed", store=self.store, method=method, path=_path_of(url), failure=failure
        )
        raise Transient(
            self.store, f"{method} {_path_of(url)}: {failure} (after {attempt} attempt(s))"
        )

    def _delay(self, attempt: int, response: Response | None) -> float:
        """The server's own wait when it gave one, else jittered exponential backoff: from
        ``backoff_base``, or from :data:`THROTTLED_BACKOFF` for a 429 that names no wait (a
        store shedding load sends those; retrying it at once only adds to the load)."""
        opts = self.options
        base = opts.backoff_base
        if response is not None:
            asked = server_wait(response, opts.max_server_wait)
            if asked is not None:
                return asked
            if response.status == 429:
                base = max(base, THROTTLED_BACKOFF)
        ceiling: float = min(max(opts.backoff_cap, base), base * 2.0 ** (attempt - 1))
        delay = ceiling * (0.5 + self._rng.random() / 2)
        return max(delay, base) if response is not None and response.status == 429 else delay

    async def _send(self, method: str, url: str, sent: Mapping[str, Any]) -> Response:
        """One attempt; ``sent``: the ``params``, ``json``, ``data`` and ``headers`` of the
        aiohttp request."""
        session = self._session_for_loop()
        async with self._semaphore:
            await self._pace(method, url)
            self.stats.requests += 1
            try:
                async with asyncio.timeout(self.options.timeout):
                    answer = await self._exchange(session, method, url, sent)
            except (TimeoutError, aiohttp.ClientError):
                self.stats.by_status["error"] += 1
                raise
        self.stats.by_status[str(answer.status)] += 1
        self.stats.note_headers(answer.headers)
        if self._limiter is not None:
            self._limiter.update(answer.headers)
        if 300 <= answer.status < 400:
            raise self._redirected(method, url, answer)
        log.debug(
            "http.request",
            store=self.store,
            method=method,
            path=_path_of(url),
            status=answer.status,
        )
        return answer

    async def _exchange(
        self, session: aiohttp.ClientSession, method: str, url: str, sent: Mapping[str, Any]
    ) -> Response:
        """One request and its whole answer, redirects NOT followed."""
        async with session.request(method, url, allow_redirects=False, **sent) as resp:
            body = await self._read_body(method, url, resp)
            return Response(resp.status, resp.headers, body)

    async def _read_body(self, method: str, url: str, resp: aiohttp.ClientResponse) -> bytes:
        """The body, read in chunks and refused once it passes ``max_body_bytes``."""
        cap = self.options.max_body_bytes
        announced = resp.content_length
        if announced is not None and announced > cap:
            raise self._too_large(method, url)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise self._too_large(method, url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, method: str, url: str) -> ResponseTooLarge:
        self.stats.by_status["too_large"] += 1
        limit = self.options.max_body_bytes
        return ResponseTooLarge(
            self.store,
            f"{method} {_path_of(url)}: answer larger than the {_size(limit)} limit "
            "(max_response_mb)",
        )

    def _redirected(self, method: str, url: str, answer: Response) -> Redirected:
        location = answer.headers.get("Location")
        host = URL(url).join(URL(location)).host if location else None
        target = f"to host {host}" if host else "without a Location"
        log.warning(
            "http.redirect_refused",
            store=self.store,
            method=method,
            path=_path_of(url),
            status=answer.status,
            host=host,
        )
        return Redirected(
            self.store,
            f"{method} {_path_of(url)}: HTTP {answer.status} redirect {target}, not followed "
            "(a redirect would carry the credentials)",
            status=answer.status,
            host=host,
        )

    async def _pace(self, method: str, url: str) -> None:
        wait = self._ceiling.reserve()
        if self._limiter is not None:
            wait = max(wait, self._limiter.reserve())
        if wait <= 0:
            return
        left = time_left()
        if left is not None and wait > left:
            raise RateLimited(
                self.store,
                f"{method} {_path_of(url)}: the rate limit asks for a {wait:.3g}s wait, "
                f"past the cycle deadline ({left:.3g}s left); not sent",
                retry_after=wait,
            )
        self.stats.rate_limit_wait_s += wait
        await self._sleep(wait)


def _size(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{limit} bytes"


def _path_of(url: str) -> str:
    """The path of a URL, for logs and messages (no query string, no host)."""
    return URL(url).path


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, aiohttp.ClientConnectorError):
        return "connection refused or unreachable"
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return "connection closed before an answer"
    return f"connection error ({type(err).__name__})"
