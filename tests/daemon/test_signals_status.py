"""Signals (stop, exit-at-once, reload) and ``syncd status`` (daemon, then ledger)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.cli import main
from syncd.daemon.signals import SignalHandler
from syncd.ledger import Ledger, NewAlert
from tests.daemon.conftest import Running
from tests.daemon.fakes import SECRETS


async def test_first_stop_signal_stops_the_second_exits_at_once() -> None:
    exits: list[int] = []
    handler = SignalHandler(lambda: None, exit_now=exits.append)
    handler.on_stop_signal(signal.SIGTERM)
    assert handler.stop.is_set()
    assert exits == []
    handler.on_stop_signal(signal.SIGINT)
    assert exits == [130]


async def test_real_signals_reach_the_handler() -> None:
    reloads: list[bool] = []
    handler = SignalHandler(lambda: reloads.append(True), exit_now=lambda code: None)
    handler.install(asyncio.get_running_loop())
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        async with asyncio.timeout(5):
            await handler.stop.wait()
        assert reloads == [True]
        assert handler.stop_signal == signal.SIGTERM
    finally:
        handler.uninstall()


async def test_status_asks_the_running_daemon(
    running: Running, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    await running.daemon.run_group("us")
    args = ["status", "-c", str(running.path), "--url", str(running.daemon.url)]
    code = await asyncio.to_thread(main, args)
    out = capsys.readouterr().out
    assert "from the daemon at" in out
    assert "cycle 1: converged" in out
    assert "DOWN" in out  # the fake's ssf store
    assert code == 3
    code = await asyncio.to_thread(main, [*args, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == "daemon"
    for secret in SECRETS.values():
        assert secret not in json.dumps(doc)


def test_status_falls_back_to_the_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.daemon.fakes import config_text, write_settings

    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    path, settings = write_settings(tmp_path, config_text(f"sqlite:///{tmp_path / 'l.db'}"))
    with Ledger.open(settings.ledger.url) as ledger, ledger.transaction() as tx:
        now = datetime.now(UTC)
        cycle = tx.start_cycle("us", now)
        tx.finish_cycle(cycle, now, "converged", {"writes": 0}, "nothing to do")
        tx.raise_alert(NewAlert(kind="overdraft", group="us", message="overdraft 5.00"), now)
    # port 9 (discard) on loopback: nothing answers there
    code = main(["status", "-c", str(path), "--url", "http://127.0.0.1:9"])
    out = capsys.readouterr().out
    assert "from the ledger" in out
    assert "nothing to do" in out
    assert "overdraft 5.00" in out
    assert code == 1


def test_run_with_a_bad_config_exits_2_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "syncd.toml"
    path.write_text('[http]\nlisten = "nowhere"\n')
    path.chmod(0o600)
    assert main(["run", "-c", str(path)]) == 2
    assert "http.listen" in capsys.readouterr().err
