"""``syncd check-config``: validate a config file."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument, not_available


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("check-config", help="validate a config file")
    add_config_argument(parser)
    parser.set_defaults(handler=not_available("check-config", "issue 2 (foundation)"))
