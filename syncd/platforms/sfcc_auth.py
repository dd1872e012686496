"""SFCC OAuth client-credentials tokens: fetched lazily, refreshed before they expire.

The token endpoint takes HTTP Basic auth with the client id and secret and the form body
``grant_type=client_credentials``; it answers ``{access_token, expires_in, token_type}``.
A token is reused until ``margin`` seconds before its expiry (injected clock) and dropped
when the API answers 401 with it, so the next call fetches a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass

from syncd.errors import AuthError, BadPayload
from syncd.platforms import _wire
from syncd.platforms.http import Clock, HttpClient

DEFAULT_MARGIN = 60.0


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: float

    def __repr__(self) -> str:
        return f"_Token(expires_at={self.expires_at})"


class TokenProvider:
    """Bearer tokens for one SFCC store."""

    def __init__(
        self,
        http: HttpClient,
        *,
        auth_url: str,
        client_id: str,
        client_secret: str,
        clock: Clock,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self._http = http
        self._auth_url = auth_url
        pair = f"{client_id}:{client_secret}".encode()
        self._basic = "Basic " + base64.b64encode(pair).decode()
        self._secrets = (client_secret, self._basic)
        self._clock = clock
        self._margin = margin
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.fetches = 0

    def __repr__(self) -> str:
        return f"TokenProvider(auth_url={self._auth_url!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a message (the current token included)."""
        current = (self._token.value,) if self._token else ()
        return (*self._secrets, *current)

    async def token(self) -> str:
        """A token valid for at least ``margin`` more seconds."""
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:  # a lock is bound to the loop that first waits on it
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at - self._margin:
                token = self._token = await self._fetch()
            return token.value

    def invalidate(self, rejected: str) -> None:
        """The API refused ``rejected`` (401): forget it unless already replaced."""
        if self._token is not None and self._token.value == rejected:
            self._token = None

    async def _fetch(self) -> _Token:
        self.fetches += 1
        requested_at = self._clock()
        response = await self._http.request(
            "POST",
            self._auth_url,
            idempotent=True,  # asking for a token twice is harmless
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic},
        )
        store = self._http.store
        if response.status != 200:
            error = _wire.status_error(store, response, "fetch access token", "", self._secrets)
            if response.status in (400, 401, 403):
                raise AuthError(store, f"fetch access token: HTTP {response.status}") from error
            raise error
        body = _wire.parse_json(store, response, "fetch access token")
        value = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(value, str) or not isinstance(lifetime, int | float):
            raise BadPayload(store, "fetch access token: no access_token/expires_in in answer")
        return _Token(value, requested_at + float(lifetime))
