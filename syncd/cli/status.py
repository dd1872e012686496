"""``syncd status``: status of groups, stores and alerts."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument, not_available


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("status", help="status of groups, stores and alerts")
    add_config_argument(parser)
    parser.set_defaults(handler=not_available("status", "issue 6 (the daemon)"))
