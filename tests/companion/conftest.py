"""The two companions the contract suite runs against, behind one interface.

* ``sandbox`` — the SFCC sandbox (syncd/sandbox/sfcc_companion.py) in-process on loopback,
  exactly the contract of docs/companion.md.
* ``cartridge`` — companion/sfcc's script.js on the Node harness (bin/harness.js, the dw.*
  fakes behind the SCAPI paths), a ``node`` subprocess on 127.0.0.1 port 0.

Each offers the same calls to the companion (``call``) and the same stand-ins for what
happens outside it: a certificate the platform issues with its own code, OCAPI's DELETE, and
the "deleted code re-use refused" switch.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import pytest

from syncd.sandbox.common import serve
from syncd.sandbox.sfcc import SfccSandboxConfig, create_app
from syncd.sandbox.sfcc_companion import COMPANION_BASE
from syncd.sandbox.sfcc_store import STORE_KEY

SITE = "SiteGenesis"
CARTRIDGE_DIR = Path(__file__).resolve().parents[2] / "companion" / "sfcc"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Outside(Protocol):
    """What happens to a site outside the companion."""

    async def issue(self, amount: str) -> tuple[str, str]:
        """A certificate whose code the platform generated: (code, merchant_id)."""

    async def ocapi_delete(self, merchant_id: str) -> None: ...

    async def refuse_deleted_code_reuse(self, on: bool) -> None: ...


@dataclass
class Companion:
    """One companion under test: its base URL, a valid token and the world around it."""

    name: str
    url: str  # companion_url
    token: str
    http: aiohttp.ClientSession
    outside: Outside

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        site: str | None = SITE,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, str]:
        """(status, parsed body or None, content type) of ``method {url}/{path}``; ``path``
        is sent as given (already percent-encoded)."""
        sent = {"Authorization": f"Bearer {self.token if token is None else token}"}
        if headers is not None:
            sent = headers
        params = {"siteId": site} if site is not None else None
        kwargs: dict[str, Any] = {"headers": sent, "params": params}
        if json_body is not None:
            kwargs["json"] = json_body
        if data is not None:
            kwargs["data"] = data
        url = f"{self.url}/{path}"
        async with self.http.request(method, aiohttp.client.URL(url, encoded=True), **kwargs) as r:
            text = await r.text()
            body = json.loads(text) if text else None
            return r.status, body, r.content_type


class SandboxOutside:
    def __init__(self, companion_app: Any, base: str, http: aiohttp.ClientSession) -> None:
        self._app = companion_app
        self._base = base
        self._http = http
        self.token = ""

    async def issue(self, amount: str) -> tuple[str, str]:
        async with self._http.post(
            f"{self._base}/_sandbox/shopper/issue", json={"amount": amount}
        ) as r:
            assert r.status == 201, await r.text()
            body = await r.json()
        return str(body["code"]), str(body["remote_id"])

    async def ocapi_delete(self, merchant_id: str) -> None:
        url = f"{self._base}/s/-/dw/data/v23_2/sites/{SITE}/gift_certificates/{merchant_id}"
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self._http.delete(url, headers=headers) as r:
            assert r.status == 204, await r.text()

    async def refuse_deleted_code_reuse(self, on: bool) -> None:
        self._app[STORE_KEY].refuse_deleted_code_reuse = on


class HarnessOutside:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self._base = base
        self._http = http

    async def issue(self, amount: str) -> tuple[str, str]:
        async with self._http.post(
            f"{self._base}/_fake/issue", json={"amount": float(amount)}
        ) as r:
            assert r.status == 201, await r.text()
            body = await r.json()
        return str(body["code"]), str(body["merchant_id"])

    async def ocapi_delete(self, merchant_id: str) -> None:
        async with self._http.delete(f"{self._base}/_fake/gift_certificates/{merchant_id}") as r:
            assert r.status == 204, await r.text()

    async def refuse_deleted_code_reuse(self, on: bool) -> None:
        body = {"refuse_deleted_code_reuse": on}
        async with self._http.put(f"{self._base}/_fake/options", json=body) as r:
            assert r.status == 200, await r.text()


@dataclass
class Harness:
    url: str
    companion_url: str
    token: str


@pytest.fixture(scope="module")
def node_harness() -> Iterator[Harness]:
    """companion/sfcc/bin/harness.js on a free loopback port, for the whole module."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the cartridge harness needs Node.js 20+")
    token = secrets.token_urlsafe(18)
    process = subprocess.Popen(
        [node, "bin/harness.js", "--port", "0", "--token", token, "--site", f"{SITE}:USD"],
        cwd=CARTRIDGE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            stderr = process.stderr.read() if process.stderr else ""
            pytest.fail(f"the cartridge harness did not start: {stderr}")
        started = json.loads(line)
        yield Harness(started["url"], started["companion_url"], started["token"])
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["sandbox", "cartridge"])
async def companion(request: pytest.FixtureRequest) -> AsyncIterator[Companion]:
    http = aiohttp.ClientSession()
    try:
        if request.param == "sandbox":
            config = SfccSandboxConfig(site_id=SITE)
            app = create_app(config)
            runner, base = await serve(app)
            outside = SandboxOutside(app, base, http)
            async with http.post(
                f"{base}/dw/oauth2/access_token",
                headers={"Authorization": _basic(config.client_id, config.client_secret)},
                data={"grant_type": "client_credentials"},
            ) as r:
                outside.token = str((await r.json())["access_token"])
            try:
                yield Companion("sandbox", base + COMPANION_BASE, outside.token, http, outside)
            finally:
                await runner.cleanup()
        else:
            harness: Harness = request.getfixturevalue("node_harness")
            async with http.post(f"{harness.url}/_fake/reset") as r:
                assert r.status == 204
            yield Companion(
                "cartridge",
                harness.companion_url,
                harness.token,
                http,
                HarnessOutside(harness.url, http),
            )
    finally:
        await http.close()
