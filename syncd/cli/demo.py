"""``syncd demo [--follow]``: the three built-in sandboxes, a temporary SQLite ledger and the
real daemon; a few customers are played and every step is shown converging."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("demo", help="run the demo against the built-in sandboxes")
    parser.add_argument(
        "--follow", action="store_true", help="keep the daemon running after the demo (Ctrl-C)"
    )
    parser.set_defaults(handler=demo)


def demo(args: argparse.Namespace) -> int:
    from syncd.demo.scenario import run_demo

    try:
        return asyncio.run(run_demo(sys.stdout, follow=args.follow))
    except KeyboardInterrupt:
        return 0 if args.follow else 130
