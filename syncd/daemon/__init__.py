"""The long-running daemon (``syncd run``, DESIGN.md §7): scheduler, signals, sd_notify,
the HTTP side door and the status view. Every cycle goes through :meth:`Daemon.run_group`,
which the scheduler calls and tests call directly.
"""

from syncd.daemon.main import run_daemon
from syncd.daemon.service import Daemon

__all__ = ["Daemon", "run_daemon"]
