"""Helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from syncd.cli import EXIT_USAGE


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        default=None,
        help="config file (TOML); default: $SYNCD_CONFIG or /etc/syncd/syncd.toml",
    )


def not_available(name: str, issue: str) -> Any:
    """A handler for a command whose implementation has not landed yet."""

    def handler(args: argparse.Namespace) -> int:
        print(f"syncd {name}: not available yet ({issue})", file=sys.stderr)
        return EXIT_USAGE

    return handler
