"""Helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence, Set
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


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Set[int] = frozenset()
) -> list[str]:
    """Aligned columns for a terminal; indexes in ``right`` (money, counts) are right-aligned."""
    if not rows:
        return ["  (none)"]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs]
        return "  " + "  ".join(parts).rstrip()

    return [line(headers)] + [line(r) for r in rows]


def dash(value: object) -> str:
    """A table cell: ``-`` for nothing."""
    return "-" if value is None or value == "" else str(value)
