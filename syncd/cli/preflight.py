"""``syncd preflight -c FILE [--store S] [--canary] [--json]``: measure each store before the
first cycle — credentials, listing, page size, rate limits, currency, time zone, and what
syncd will do there. Reads only, unless ``--canary``: then one canary certificate per store
(one minor unit, code ``--canary-prefix`` + random, 20 characters) is created, read back,
written, deleted — always cleaned up, also on failure and SIGINT; a canary an earlier run
left behind is removed. No other certificate is ever written.

Exit status: 0 all good, 1 findings need config (each names the key to set), 2 config or
usage error, 3 a store unreachable or its credentials refused, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from syncd.cli import EXIT_USAGE
from syncd.cli._common import add_config_argument
from syncd.config import load_settings
from syncd.errors import ConfigError
from syncd.log import configure_logging, redact

_PROG = "syncd preflight"
EXIT_INTERRUPTED = 130


def register(sub: argparse._SubParsersAction[Any]) -> None:
    from syncd.preflight.codes import DEFAULT_PREFIX

    parser = sub.add_parser(
        "preflight",
        help="measure each store before the first cycle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_argument(parser)
    parser.add_argument(
        "-s", "--store", action="append", metavar="S", help="only this store (repeatable)"
    )
    parser.add_argument(
        "--canary", action="store_true", help="write one canary certificate per store"
    )
    parser.add_argument(
        "--canary-prefix", default=DEFAULT_PREFIX, metavar="P",
        help=f"canary code prefix (default {DEFAULT_PREFIX}; random characters follow)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON document")
    parser.set_defaults(handler=preflight)


def preflight(args: argparse.Namespace) -> int:
    from syncd.preflight.codes import check_prefix
    from syncd.preflight.render import to_json, to_text
    from syncd.preflight.session import Preflight, exit_code

    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        return _usage("invalid config:\n  " + "\n  ".join(err.problems))
    known = [s.name for s in settings.stores]
    unknown = [name for name in args.store or () if name not in known]
    if unknown:
        return _usage(f"no store named {unknown[0]!r} (stores: {', '.join(known)})")
    try:
        prefix = check_prefix(args.canary_prefix) if args.canary else None
    except ValueError as err:
        return _usage(str(err))
    configure_logging(level="error", fmt=settings.log.format, secrets=settings.secret_values())
    session = Preflight(settings, args.store or known, canary_prefix=prefix)
    reports = asyncio.run(_run(session))
    if reports is None:
        _interrupted(session)
        return EXIT_INTERRUPTED
    code = exit_code(reports)
    print(to_json(reports, code) if args.json else to_text(reports, code))
    return code


async def _run(session: Any) -> Any:
    """The session, cancelled on the first SIGINT/SIGTERM (its canaries then clean up;
    further signals are ignored until they have). None when interrupted."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(session.run())
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop() -> None:
        if not task.cancelling():
            print(f"{_PROG}: interrupted, cleaning up canaries…", file=sys.stderr, flush=True)
            task.cancel()

    for sig in signals:
        loop.add_signal_handler(sig, stop)
    try:
        return await task
    except asyncio.CancelledError:
        return None
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _interrupted(session: Any) -> None:
    for canary in session.canaries:
        state = "MAY BE LEFT (the next run removes it)" if canary.left_behind else "cleaned up"
        line = f"{_PROG}: {canary.store}: canary {canary.report().code} {state}"
        print(redact(line), file=sys.stderr)


def _usage(message: str) -> int:
    print(f"{_PROG}: {message}", file=sys.stderr)
    return EXIT_USAGE
