"""Fixtures for the sandbox tests: serve an app on loopback port 0, talk to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from syncd.sandbox.common import serve


@dataclass
class Served:
    """One app listening on 127.0.0.1: its base URL and a client session for it."""

    app: web.Application
    url: str
    http: aiohttp.ClientSession


ServeApp = Callable[[web.Application], Awaitable[Served]]


@pytest.fixture
async def serve_app() -> AsyncIterator[ServeApp]:
    """``served = await serve_app(app)``: the app on a free loopback port, stopped at the
    end of the test together with the client session."""
    runners: list[web.AppRunner] = []
    http = aiohttp.ClientSession()

    async def start(app: web.Application) -> Served:
        runner, url = await serve(app)
        runners.append(runner)
        return Served(app, url, http)

    yield start
    await http.close()
    for runner in runners:
        await runner.cleanup()
