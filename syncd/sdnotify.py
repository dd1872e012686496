"""systemd's sd_notify protocol: READY, STATUS, WATCHDOG and STOPPING datagrams.

A dozen lines of stdlib instead of a dependency: the protocol is one datagram to the unix
socket named by ``$NOTIFY_SOCKET`` (``@`` prefix = abstract namespace). Outside systemd the
variable is unset and every call is a no-op, so the daemon runs the same on a terminal.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    """Sends state changes to systemd (or nowhere when not started by systemd)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self._address: str | None = None
        if raw:
            self._address = "\0" + raw[1:] if raw.startswith("@") else raw
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        owned = not pid or pid == str(os.getpid())
        self.watchdog_interval: float | None = (
            int(usec) / 1_000_000 if usec.isdigit() and int(usec) > 0 and owned else None
        )

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, **fields: str) -> bool:
        """Send ``KEY=value`` lines (keys upper-cased); False when there is nowhere to send."""
        if self._address is None:
            return False
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items())
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            # Called from the event loop: a listener that stopped reading must not block us.
            sock.setblocking(False)
            try:
                sock.connect(self._address)
                sock.sendall(message.encode())
            except BlockingIOError:  # its queue is full: drop this one, like a lost datagram
                return False
        return True

    def ready(self, status: str) -> bool:
        return self.notify(ready="1", status=status)

    def status(self, status: str) -> bool:
        return self.notify(status=status)

    def watchdog(self) -> bool:
        return self.notify(watchdog="1")

    def stopping(self, status: str = "stopping") -> bool:
        return self.notify(stopping="1", status=status)

    def reloading(self) -> bool:
        return self.notify(reloading="1")
