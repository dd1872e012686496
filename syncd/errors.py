"""Typed errors. Connectors map every wire outcome onto these in one place.

Messages name the store and what went wrong; they never carry a secret (credentials
are not in URLs, and headers are never included in a message).
"""

from __future__ import annotations


class SyncdError(Exception):
    """Base class of every error syncd raises on purpose."""


class ConfigError(SyncdError):
    """The configuration is invalid; ``problems`` lists every problem, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ConnectorError(SyncdError):
    """Something went wrong talking to one store."""

    def __init__(self, store: str, message: str) -> None:
        self.store = store
        super().__init__(f"{store}: {message}")


class AuthError(ConnectorError):
    """401/403: credentials rejected. The store is marked unhealthy; others go on."""


class RateLimited(ConnectorError):
    """429 (or 503 used as a back-off signal); ``retry_after`` seconds if the server said."""

    def __init__(self, store: str, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(store, message)


class NotFound(ConnectorError):
    """The record does not exist on the store."""


class Conflict(ConnectorError):
    """The write lost an optimistic-concurrency race (SFCC 409) or the id already exists."""


class Transient(ConnectorError):
    """Timeout, dropped connection or 5xx: safe to retry when the request is idempotent."""


class BadPayload(ConnectorError):
    """The store answered something we cannot understand (malformed JSON, missing fields)."""


class Rejected(ConnectorError):
    """The store refused a write as invalid (4xx with a reason): retrying will not help."""


class Unsupported(ConnectorError):
    """The operation is beyond this store's capabilities (the planner should never ask)."""


class UnsafeOperation(SyncdError):
    """A bug, not a race: code asked for something that must never be sent
    (for example BigCommerce ``DELETE /gift_certificates`` without an id)."""


class WriteNotApplied(ConnectorError):
    """The store accepted a write but reading it back shows another value (3dcart balance
    writes are an undocumented guess, PLATFORMS.md): the write must not count as done."""


class Redirected(ConnectorError):
    """The store answered a 3xx. Redirects are never followed (the request's credentials
    would go with it): ``host`` is the target's host only, never the full URL."""

    def __init__(self, store: str, message: str, *, status: int, host: str | None) -> None:
        self.status = status
        self.host = host
        super().__init__(store, message)


class ResponseTooLarge(ConnectorError):
    """An answer's body passed the store's size limit; it was not read further."""
