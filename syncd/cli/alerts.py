"""``syncd alerts``: list or resolve alerts."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument, not_available


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("alerts", help="list or resolve alerts")
    add_config_argument(parser)
    parser.set_defaults(handler=not_available("alerts", "issue 5 (reconciliation engine)"))
