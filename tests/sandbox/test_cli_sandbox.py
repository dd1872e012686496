"""``syncd sandbox`` and the ``Sandboxes`` runner: the real subprocess and the Python API."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from syncd.cli import EXIT_USAGE, main
from syncd.config import load_settings
from syncd.sandbox.common import FAULTS_KEY
from syncd.sandbox.server import PLATFORMS, Sandboxes, seed_certificates, write_private

STARTUP_LIMIT_S = 5.0
LINE_TIMEOUT_S = 30.0  # a hung child fails the test instead of hanging the suite


async def start_cli(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd", "sandbox", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def read_until_ready(proc: asyncio.subprocess.Process) -> dict[str, str]:
    """The printed lines, by first word, up to and including ``ready``."""
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    while "ready" not in lines:
        raw = await asyncio.wait_for(proc.stdout.readline(), LINE_TIMEOUT_S)
        assert raw, "the sandbox exited before it was ready"
        word, _, rest = raw.decode().strip().partition(" ")
        lines[word] = rest
    return lines


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def certificates(http: aiohttp.ClientSession, url: str) -> list[tuple[str, str]]:
    async with http.get(url + "/_sandbox/certificates") as response:
        return [(r["code"], r["balance"]) for r in await response.json()]


async def test_cli_seeds_1000_in_under_5s_writes_config_and_stops_on_sigterm(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    config = tmp_path / "syncd.toml"
    started = time.monotonic()
    proc = await start_cli("--seed", "1000", "--write-config", str(config))
    try:
        lines = await read_until_ready(proc)
        elapsed = time.monotonic() - started
        urls = {p: lines[p].split()[0] for p in PLATFORMS}
        seen = [await certificates(http, urls[p]) for p in PLATFORMS]
    finally:
        proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), LINE_TIMEOUT_S) == 0
    assert elapsed < STARTUP_LIMIT_S
    assert all(u.startswith("http://127.0.0.1:") for u in urls.values())
    assert lines["ready"] == "seed=1000"
    assert len(seen[0]) == 1000
    assert seen[0] == seen[1] == seen[2]  # the same codes and balances everywhere
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    settings = load_settings(config, environ={})
    assert {s.platform: s.base_url for s in settings.stores} == urls


async def test_cli_stops_cleanly_on_sigint() -> None:
    proc = await start_cli()
    try:
        lines = await read_until_ready(proc)
    finally:
        proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), LINE_TIMEOUT_S) == 0
    assert lines["ready"] == "seed=0"


def free_port_triple() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port > 65533:
            continue
        try:
            socks = [socket.socket() for _ in range(3)]
            for offset, sock in enumerate(socks):
                sock.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return port
    pytest.skip("no three consecutive free ports")


async def test_cli_port_places_the_sandboxes_on_p_p1_p2() -> None:
    port = free_port_triple()
    proc = await start_cli("--port", str(port))
    try:
        lines = await read_until_ready(proc)
    finally:
        proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), LINE_TIMEOUT_S) == 0
    assert [lines[p].split()[0] for p in PLATFORMS] == [
        f"http://127.0.0.1:{port + i}" for i in range(3)
    ]


async def test_cli_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = await start_cli("--port", str(busy.getsockname()[1]))
        _, err = await asyncio.wait_for(proc.communicate(), LINE_TIMEOUT_S)
    assert proc.returncode == EXIT_USAGE
    assert b"cannot listen" in err


def test_cli_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--host", "0.0.0.0"]) == EXIT_USAGE
    assert "loopback" in capsys.readouterr().err


def test_cli_unwritable_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "c.toml"
    assert main(["sandbox", "--write-config", str(target)]) == EXIT_USAGE
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--seed", "-1"], ["--port", "70000"], ["--seed", "x"]])
def test_cli_rejects_bad_numbers(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", *args])
    assert exit_info.value.code == EXIT_USAGE


# --- the Python API -------------------------------------------------------------------------


async def test_sandboxes_start_serves_apps_and_writes_a_loadable_config(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    async with Sandboxes.start(seed=5) as sb:
        assert set(sb.urls) == set(sb.apps) == set(PLATFORMS)
        listed = [await certificates(http, sb.urls[p]) for p in PLATFORMS]
        assert listed[0] == listed[1] == listed[2]
        assert len(listed[0]) == 5
        sb.apps["bigcommerce"][FAULTS_KEY].update({"error_rate": 1})  # apps are the live ones
        async with http.get(sb.urls["bigcommerce"] + "/stores/sandboxstore/v2/time") as r:
            assert r.status == 500
        path = tmp_path / "c.toml"
        write_private(path, sb.config_toml("sqlite:///" + str(tmp_path / "l.db")))
        settings = load_settings(path, environ={})
    group = settings.groups[0]
    assert group.name == "sandbox"
    assert group.stores == [s.name for s in settings.stores]
    assert group.defaults.to_email == "giftcards@example.com"
    sfcc = settings.store("sandbox-sfcc")
    assert sfcc.platform == "sfcc"
    assert sfcc.companion_url == sb.urls["sfcc"] + "/s/-/dw/custom/giftcert-sync/v1"
    assert sfcc.shop_client_id
    assert settings.store("sandbox-3dcart").currency == "USD"
    assert settings.ledger.url.endswith("l.db")


def test_write_private_narrows_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_private(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_seed_certificates_are_reproducible_and_fit_every_platform() -> None:
    first = seed_certificates(500)
    assert first == seed_certificates(500)
    assert len({c.code for c in first}) == 500
    assert all(len(c.code) <= 20 for c in first)  # BigCommerce keeps 20 characters
    assert all(Decimal(0) <= c.balance <= c.amount for c in first)
    assert any(c.balance < c.amount for c in first)
