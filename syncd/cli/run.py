"""``syncd run``: the daemon (DESIGN.md §7). Under systemd: ``Type=notify``, reload with
SIGHUP, stop with SIGTERM (a second SIGTERM/SIGINT exits at once)."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("run", help="the daemon")
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from syncd.daemon.main import run_daemon  # heavy imports only for this command

    return run_daemon(args.config)
