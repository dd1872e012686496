"""``syncd`` command line: one module per sub-command, each with ``register(subparsers)``.

Exit statuses shared by every command: 0 ok/converged, 1 alerts raised, 2 config or
usage error, 3 a store failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from syncd import __version__

# Order is the order of ``syncd --help``.
_COMMAND_MODULES = (
    "run",
    "once",
    "check_config",
    "preflight",
    "status",
    "ledger",
    "alerts",
    "registries",
    "demo",
    "sandbox",
)

EXIT_OK = 0
EXIT_ALERTS = 1
EXIT_USAGE = 2
EXIT_STORE_FAILED = 3

Handler = Callable[[argparse.Namespace], int]


def _module_for(argv: Sequence[str]) -> str | None:
    """The one command module ``argv`` asks for, so only it is imported (start-up time)."""
    for arg in argv:
        if arg.startswith("-"):
            return None  # a global option (--help, --version) first: load every command
        name = arg.replace("-", "_")
        return name if name in _COMMAND_MODULES else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that sub-command is registered."""
    parser = argparse.ArgumentParser(
        prog="syncd",
        description="Keep gift certificates in sync across 3dcart, BigCommerce and SFCC stores.",
    )
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (only,) if only else _COMMAND_MODULES:
        import_module(f"syncd.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_module_for(argv))
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
