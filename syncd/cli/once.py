"""``syncd once``: one cycle of every group (or of ``--group G``), then exit.

``--dry-run`` prints the plan (a table, or JSON with ``--json``) and writes nothing anywhere:
no ledger row, no intent recovery, no request but reads. ``--force G`` lets a plan the safety
brake held for group G through (§4.11), after a human looked.

Exit status: 0 converged (or dry run), 1 alerts raised or plan held, 2 config/usage error,
3 a store failed (or the cycle deadline passed) — the worst over the groups run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from syncd.cli import EXIT_USAGE
from syncd.cli._common import add_config_argument
from syncd.config import Settings, load_settings
from syncd.errors import ConfigError, SyncdError
from syncd.ledger import Ledger
from syncd.ledger.engine import safe_url
from syncd.log import configure_logging
from syncd.runner.result import CycleResult
from syncd.runner.service import Syncer

_PROG = "syncd once"


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("once", help="one cycle of every group", description=__doc__)
    add_config_argument(parser)
    parser.add_argument("-g", "--group", action="append", help="only this group (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.add_argument(
        "--force", action="append", default=[], metavar="G", help="let group G's held plan through"
    )
    parser.set_defaults(handler=once)


def once(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        return _usage("invalid config:\n  " + "\n  ".join(err.problems))
    groups = args.group or [g.name for g in settings.groups]
    known = {g.name for g in settings.groups}
    unknown = sorted({*groups, *args.force} - known)
    if unknown:
        return _usage(f"no group named {unknown[0]!r} (groups: {', '.join(sorted(known))})")
    configure_logging(
        level=settings.log.level, fmt=settings.log.format, secrets=settings.secret_values()
    )
    try:
        results = asyncio.run(_run(settings, groups, args))
    except (SQLAlchemyError, SyncdError) as err:
        reason = str(getattr(err, "orig", None) or err).splitlines()[0]
        return _usage(f"ledger {safe_url(settings.ledger.url)}: {reason}")
    _print(results, args)
    return max(r.outcome.exit_code for r in results) if results else 0


async def _run(
    settings: Settings, groups: list[str], args: argparse.Namespace
) -> list[CycleResult]:
    url = _dry_url(settings.ledger.url) if args.dry_run else settings.ledger.url
    ledger = await asyncio.to_thread(Ledger.open, url)
    syncer = Syncer(settings, ledger)
    try:
        await syncer.start(recover=not args.dry_run)
        return [
            await syncer.run_cycle(g, dry_run=args.dry_run, force=g in args.force) for g in groups
        ]
    finally:
        await syncer.aclose()
        ledger.close()


def _dry_url(url: str) -> str:
    """A dry run must not create a ledger: a missing SQLite file is read as an empty one."""
    parsed = make_url(url)
    database = parsed.database or ""
    on_disk = database and not database.startswith("file:")
    is_file = parsed.get_backend_name() == "sqlite" and on_disk
    if is_file and not Path(database).expanduser().exists():
        return "sqlite://"
    return url


def _print(results: list[CycleResult], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps([result_json(r, with_plan=args.dry_run) for r in results], indent=2))
        return
    for r in results:
        print(f"{r.group}: {r.summary}")
        if args.dry_run and r.plan is not None:
            print("\n".join(f"  {line}" for line in r.plan.describe()))


def result_json(result: CycleResult, *, with_plan: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "group": result.group,
        "outcome": result.outcome.value,
        "exit_code": result.outcome.exit_code,
        "cycle_id": result.cycle_id,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "counts": dict(result.counts),
        "summary": result.summary,
        "stores": [
            {
                "store": s.store,
                "listed": s.listed,
                "complete": s.complete,
                "healthy": s.healthy,
                "reason": s.reason,
                "writes": s.writes,
                "write_failures": s.write_failures,
            }
            for s in result.stores
        ],
    }
    if with_plan and result.plan is not None:
        out["plan"] = result.plan.to_json()
    return out


def _usage(message: str) -> int:
    print(f"{_PROG}: {message}", file=sys.stderr)
    return EXIT_USAGE
