"""The real ``syncd sandbox`` and ``syncd preflight`` as subprocesses, and the sandboxes'
full state (every certificate of every store) to compare before and after a run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from syncd.sandbox.server import PLATFORMS

LINE_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 90.0
PREFIX = "SYNCD-CANARY-"


@dataclass
class Sandbox:
    """A running ``syncd sandbox``: its URLs by platform and the config it wrote."""

    urls: dict[str, str]
    config: Path
    http: aiohttp.ClientSession

    async def state(self) -> dict[str, list[dict[str, Any]]]:
        """Every certificate of every store, as the sandboxes hold them."""
        out = {}
        for platform, url in self.urls.items():
            async with self.http.get(url + "/_sandbox/certificates") as response:
                out[platform] = sorted(await response.json(), key=lambda r: r["remote_id"])
        return out

    async def faults(self, platform: str, **changes: Any) -> None:
        async with self.http.put(self.urls[platform] + "/_sandbox/faults", json=changes) as r:
            assert r.status == 200, await r.text()


def canaries(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """The canary codes on each store."""
    return {
        p: [r["code"] for r in rows if r["code"].startswith(PREFIX)] for p, rows in state.items()
    }


StartSandbox = Callable[..., AbstractAsyncContextManager[Sandbox]]


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[StartSandbox]:
    """``async with sandbox("--seed", "20") as sb``: ``syncd sandbox`` with those arguments,
    its config written to ``tmp_path``; stopped by SIGTERM when the block ends."""
    async with aiohttp.ClientSession() as http:

        @asynccontextmanager
        async def start(*args: str) -> AsyncIterator[Sandbox]:
            config = tmp_path / "syncd.toml"
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "syncd", "sandbox", "--write-config", str(config), *args,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                urls = await _read_urls(proc)
                yield Sandbox(urls, config, http)
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), LINE_TIMEOUT_S)

        yield start


async def _read_urls(proc: asyncio.subprocess.Process) -> dict[str, str]:
    assert proc.stdout is not None
    urls: dict[str, str] = {}
    while True:
        raw = await asyncio.wait_for(proc.stdout.readline(), LINE_TIMEOUT_S)
        assert raw, "the sandbox exited before it was ready"
        word, _, rest = raw.decode().strip().partition(" ")
        if word in PLATFORMS:
            urls[word] = rest.split()[0]
        if word == "ready":
            return urls


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}


async def start_preflight(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd", "preflight", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env(),
    )  # fmt: skip


async def preflight(*args: str) -> Ran:
    """``syncd preflight ARGS`` run to its end."""
    proc = await start_preflight(*args)
    out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT_S)
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())
