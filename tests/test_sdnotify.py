import os
import socket
from pathlib import Path

from syncd.sdnotify import Notifier


def _listener(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    return sock


def test_without_notify_socket_everything_is_a_no_op() -> None:
    notifier = Notifier(environ={})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert notifier.watchdog_interval is None


def test_ready_status_and_watchdog_reach_the_socket(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    with _listener(path) as sock:
        notifier = Notifier(environ={"NOTIFY_SOCKET": str(path)})
        assert notifier.ready("2 groups, ledger ok")
        assert sock.recv(4096) == b"READY=1\nSTATUS=2 groups, ledger ok"
        notifier.watchdog()
        assert sock.recv(4096) == b"WATCHDOG=1"
        notifier.stopping()
        assert sock.recv(4096) == b"STOPPING=1\nSTATUS=stopping"


def test_abstract_namespace_socket() -> None:
    name = f"syncd-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        Notifier(environ={"NOTIFY_SOCKET": "@" + name}).status("hello")
        assert sock.recv(4096) == b"STATUS=hello"


def test_watchdog_interval_only_for_our_pid() -> None:
    mine = Notifier(environ={"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert mine.watchdog_interval == 30.0
    other = Notifier(environ={"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_interval is None
