"""``syncd demo``: run the demo against the built-in sandboxes."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument, not_available


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("demo", help="run the demo against the built-in sandboxes")
    add_config_argument(parser)
    parser.set_defaults(handler=not_available("demo", "issue 6 (the daemon)"))
