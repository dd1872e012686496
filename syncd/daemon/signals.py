"""SIGTERM/SIGINT: stop gracefully, and at once on the second one; SIGHUP: reload the config.

Exiting at once on a second signal is safe: every remote write is preceded by its intent in
the ledger, and the next start re-checks unfinished intents (DESIGN.md §5).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import structlog

log = structlog.get_logger("syncd.daemon")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SignalHandler:
    """Turns signals into an ``asyncio.Event`` (stop) and a callback (reload)."""

    def __init__(
        self,
        on_reload: Callable[[], object],
        *,
        exit_now: Callable[[int], object] = os._exit,
    ) -> None:
        self.stop = asyncio.Event()
        self.stop_signal: int | None = None
        self._on_reload = on_reload
        self._exit_now = exit_now
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self.on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self.on_reload_signal)

    def uninstall(self) -> None:
        if self._loop is None:
            return
        for sig in (*STOP_SIGNALS, signal.SIGHUP):
            self._loop.remove_signal_handler(sig)
        self._loop = None

    def on_stop_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():
            # 128 + signal number: the shell's convention (130 for SIGINT, 143 for SIGTERM).
            log.warning("daemon.exit_now", signal=name)
            self._exit_now(128 + signum)
            return
        log.info("daemon.stopping", signal=name)
        self.stop_signal = signum
        self.stop.set()

    def on_reload_signal(self) -> None:
        log.info("daemon.reload_requested", signal="SIGHUP")
        self._on_reload()
