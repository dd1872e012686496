"""An in-process daemon with a fake Syncer, a real SQLite ledger, a real side door on a free
loopback port and a real sd_notify socket."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncd.config import Settings
from syncd.daemon import Daemon
from syncd.ledger import Ledger
from syncd.sdnotify import Notifier
from tests.daemon.fakes import SECRETS, FakeSyncer, config_text, write_settings


class NotifySocket:
    """The receiving end of sd_notify: a unix datagram socket drained by a background task,
    so that the daemon's (non-blocking) sends never find it full."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.seen: list[str] = []
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.sock, 4096)
            self.seen.append(data.decode())
            self._arrived.set()

    async def wait_for(self, needle: str, start: int = 0, within: float = 10) -> str:
        """The first datagram from ``seen[start]`` on that contains ``needle``."""
        async with asyncio.timeout(within):
            index = start
            while True:
                while index < len(self.seen):
                    if needle in self.seen[index]:
                        return self.seen[index]
                    index += 1
                self._arrived.clear()
                await self._arrived.wait()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self.sock.close()


@pytest.fixture
async def notify_socket(tmp_path: Path) -> AsyncIterator[NotifySocket]:
    listener = NotifySocket(tmp_path / "notify.sock")
    listener.start()
    yield listener
    await listener.close()


@dataclass
class Running:
    daemon: Daemon
    settings: Settings
    ledger: Ledger
    path: Path
    notify: NotifySocket

    @property
    def syncer(self) -> FakeSyncer:
        syncer = self.daemon.syncer
        assert isinstance(syncer, FakeSyncer)
        return syncer


def make_daemon(tmp_path: Path, notify: NotifySocket, **kwargs: object) -> Running:
    text = config_text(f"sqlite:///{tmp_path / 'ledger.db'}", **kwargs)  # type: ignore[arg-type]
    path, settings = write_settings(tmp_path, text)
    ledger = Ledger.open(settings.ledger.url)
    env = {
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": "300000",
        "WATCHDOG_PID": str(os.getpid()),
    }
    daemon = Daemon(
        settings,
        ledger,
        config_path=path,
        environ=dict(SECRETS),
        syncer_factory=FakeSyncer,
        notifier=Notifier(env),
        stop_timeout=5,
    )
    return Running(daemon, settings, ledger, path, notify)


@pytest.fixture
async def running(tmp_path: Path, notify_socket: NotifySocket) -> AsyncIterator[Running]:
    """A started daemon (group ``us``, 5-minute interval: cycles run only when asked)."""
    run = make_daemon(tmp_path, notify_socket)
    await run.daemon.start()
    try:
        yield run
    finally:
        run.daemon.request_stop()
        await run.daemon.stop()
        run.ledger.close()
