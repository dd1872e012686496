"""SFCC OAuth: the client-credentials token endpoint and bearer-token checks.

``POST /dw/oauth2/access_token`` with ``Authorization: Basic base64(client_id:secret)`` and the
form ``grant_type=client_credentials`` answers ``{access_token, expires_in, token_type,
scope}``. Tokens expire after the configured lifetime on the injected clock.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Callable

from aiohttp import web

from syncd.sandbox.sfcc_state import OcapiFault

AUTH_PATH = "/dw/oauth2/access_token"


class TokenStore:
    """Bearer tokens issued by the token endpoint, each valid ``lifetime`` seconds."""

    def __init__(
        self, client_id: str, client_secret: str, lifetime: int, clock: Callable[[], float]
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.lifetime = lifetime
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        now = self._clock()
        self._expiry = {t: e for t, e in self._expiry.items() if e > now}
        token = secrets.token_urlsafe(24)
        self._expiry[token] = now + self.lifetime
        return token

    def valid(self, token: str) -> bool:
        expiry = self._expiry.get(token)
        return expiry is not None and self._clock() < expiry

    def client_authenticated(self, header: str) -> bool:
        """Whether an ``Authorization: Basic`` header carries this instance's client."""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(encoded.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return client_id == self.client_id and hmac.compare_digest(
            secret.encode(), self._client_secret.encode()
        )


TOKENS_KEY = web.AppKey("sfcc_tokens", TokenStore)


def authenticate(request: web.Request) -> None:
    """401 ``InvalidAccessTokenException`` unless a live bearer token is sent."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not request.app[TOKENS_KEY].valid(token.strip()):
        raise OcapiFault(
            401,
            "InvalidAccessTokenException",
            "The request is unauthorized: the access token is missing, invalid or expired.",
        )


async def access_token(request: web.Request) -> web.Response:
    tokens = request.app[TOKENS_KEY]
    if not tokens.client_authenticated(request.headers.get("Authorization", "")):
        return web.json_response(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status=401,
        )
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return web.json_response(
            {"error": "unsupported_grant_type", "error_description": "Use client_credentials."},
            status=400,
        )
    return web.json_response(
        {
            "access_token": tokens.issue(),
            "scope": "mail tenantFilter profile",
            "token_type": "Bearer",
            "expires_in": tokens.lifetime,
        }
    )
