"""``syncd registries``: gift registries."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli._common import add_config_argument, not_available


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("registries", help="gift registries")
    add_config_argument(parser)
    parser.set_defaults(handler=not_available("registries", "issue 7 (gift registries)"))
