"""``syncd sandbox``: run the three sandbox stores on loopback."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument, not_available


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("sandbox", help="run the three sandbox stores on loopback")
    add_config_argument(parser)
    parser.set_defaults(handler=not_available("sandbox", "issue 3 (sandboxes)"))
