"""``syncd sandbox``: run the three sandbox stores on loopback until SIGTERM/SIGINT.

Prints one line per sandbox (``<platform> <url> store=<name>``), then ``ready``; with
``--write-config FILE`` writes a syncd config (mode 0600) whose stores point at them.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys
from pathlib import Path
from typing import Any

from syncd.cli import EXIT_OK, EXIT_USAGE


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "sandbox",
        help="run the three sandbox stores on loopback",
        description="Run local 3dcart, BigCommerce and SFCC sandboxes until SIGTERM/SIGINT.",
    )
    parser.add_argument(
        "--seed", type=_count, default=0, metavar="N",
        help="seed N certificates per store (the same on every store, as if in sync)",
    )  # fmt: skip
    parser.add_argument(
        "--write-config", type=Path, default=None, metavar="FILE",
        help="write a ready-to-use syncd config pointing at the sandboxes (mode 0600)",
    )  # fmt: skip
    parser.add_argument(
        "--port", type=_port, default=0, metavar="P",
        help="listen on ports P, P+1, P+2 (default: free ports)",
    )  # fmt: skip
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--ledger-url", default=None, metavar="URL",
        help="ledger URL for the written config (default: SQLite next to FILE)",
    )  # fmt: skip
    parser.add_argument(
        "--quirks", type=_quirks, default=(), metavar="NAME,…",
        help="play platform behaviours nobody has settled (see syncd.sandbox.quirks): "
        "shift4shop-ignores-balance, …",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def _quirks(raw: str) -> tuple[str, ...]:
    from syncd.sandbox.quirks import UnknownQuirk, parse_quirks

    try:
        return parse_quirks(raw)
    except UnknownQuirk as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {raw!r}")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if value != 0 and not 1 <= value <= 65533:
        raise argparse.ArgumentTypeError(f"not a port for three sandboxes (P..P+2): {raw!r}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    if not _is_loopback(args.host):
        print(
            f"syncd sandbox: --host must be a loopback address, got {args.host!r}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        return asyncio.run(_serve(args))
    except OSError as err:
        print(f"syncd sandbox: cannot listen: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE


async def _serve(args: argparse.Namespace) -> int:
    # Imported here: the CLI frame imports every command module on each invocation.
    from syncd.sandbox.server import STORE_NAMES, Sandboxes, write_private

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    start = Sandboxes.start(seed=args.seed, port=args.port, host=args.host, quirks=args.quirks)
    async with start as sandboxes:
        for platform, url in sandboxes.urls.items():
            print(f"{platform} {url} store={STORE_NAMES[platform]}", flush=True)
        for quirk in args.quirks:
            print(f"quirk {quirk}", flush=True)
        if args.write_config is not None:
            path: Path = args.write_config.resolve()
            ledger = args.ledger_url or f"sqlite:///{path.parent / 'sandbox-ledger.db'}"
            try:
                write_private(path, sandboxes.config_toml(ledger))
            except OSError as err:
                print(f"syncd sandbox: cannot write {path}: {err.strerror}", file=sys.stderr)
                return EXIT_USAGE
            print(f"config {path}", flush=True)
        print(f"ready seed={args.seed}", flush=True)
        await stop.wait()
    return EXIT_OK
