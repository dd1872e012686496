"""``syncd alerts [list]`` lists open alerts; ``syncd alerts resolve ID`` closes one.

``resolve ID --other-reading`` on an ``ambiguous_write`` alert journals the other reading of
that balance write (a ``correction`` row, append-only) and moves the ledger balance, so the
next cycle writes the corrected balance to every store; the alert is resolved.

The ledger comes from the config (``-c FILE``) or ``--url``. ``--json`` for machines.
Exit 0; ``resolve`` of an id that is not an open alert (or, with ``--other-reading``, not an
open ambiguous_write alert) exits 1; config/URL problems exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from syncd.cli import EXIT_ALERTS, EXIT_OK, EXIT_USAGE
from syncd.config import load_settings
from syncd.errors import ConfigError
from syncd.ledger import AlertRecord, Ledger, LedgerError
from syncd.ledger.engine import safe_url

_PROG = "syncd alerts"


class _Failed(Exception):
    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("alerts", help="list or resolve alerts", description=__doc__)
    _source_options(parser, argparse.SUPPRESS)
    parser.set_defaults(handler=list_alerts, config=None, url=None, json=False, group=None)
    actions = parser.add_subparsers(dest="alerts_action", metavar="ACTION")
    listing = actions.add_parser("list", help="open alerts (the default)")
    _source_options(listing, argparse.SUPPRESS)
    listing.set_defaults(handler=list_alerts)
    resolve = actions.add_parser("resolve", help="close one alert (a human looked)")
    _source_options(resolve, argparse.SUPPRESS)
    resolve.add_argument("alert_id", metavar="ID", type=int, help="the alert's id")
    resolve.add_argument(
        "--other-reading",
        action="store_true",
        help="ambiguous_write: journal the reading syncd did not take, then resolve",
    )
    resolve.set_defaults(handler=resolve_alert, other_reading=False)


def _source_options(parser: argparse.ArgumentParser, default: Any) -> None:
    # SUPPRESS: an option given before or after the action is kept either way.
    source = parser.add_mutually_exclusive_group()
    source.add_argument("-c", "--config", metavar="FILE", default=default, help="config file")
    source.add_argument("--url", default=default, help="ledger database URL")
    parser.add_argument("-g", "--group", default=default, help="only this sync group")
    parser.add_argument("--json", action="store_true", default=default, help="JSON output")


def list_alerts(args: argparse.Namespace) -> int:
    try:
        with _open(args) as ledger:
            alerts = ledger.open_alerts(args.group)
    except _Failed as failed:
        return _fail(failed)
    if args.json:
        print(json.dumps([alert_json(a) for a in alerts], indent=2))
    elif not alerts:
        print("no open alerts")
    else:
        print("\n".join(alert_line(a) for a in alerts))
    return EXIT_OK


def resolve_alert(args: argparse.Namespace) -> int:
    if args.other_reading:
        return _take_other_reading(args)
    try:
        with _open(args) as ledger:
            resolved = ledger.resolve_alert(args.alert_id)
    except _Failed as failed:
        return _fail(failed)
    if not resolved:
        print(f"{_PROG}: no open alert with id {args.alert_id}", file=sys.stderr)
        return EXIT_ALERTS
    print(f"alert {args.alert_id} resolved")
    return EXIT_OK


def _take_other_reading(args: argparse.Namespace) -> int:
    try:
        with _open(args) as ledger:
            row = ledger.take_other_reading(args.alert_id)
    except _Failed as failed:
        return _fail(failed)
    except LedgerError as err:
        return _fail(_Failed(str(err), EXIT_ALERTS))
    print(
        f"alert {args.alert_id} resolved: correction of {row.amount} {row.currency} journalled "
        f"on {row.store}, ledger balance now {row.balance_after} (written everywhere next cycle)"
    )
    return EXIT_OK


def alert_line(a: AlertRecord) -> str:
    where = " ".join(
        part
        for part in (a.group, a.store, None if a.certificate_id is None else f"#{a.certificate_id}")
        if part
    )
    seen = f"×{a.count}, last {a.last_seen:%Y-%m-%d %H:%M:%S}Z"
    return f"{a.id:>5}  {a.kind:<16} {where:<40} {a.message} ({seen})"


def alert_json(a: AlertRecord) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "group": a.group,
        "store": a.store,
        "certificate_id": a.certificate_id,
        "key": a.key,
        "message": a.message,
        "first_seen": a.first_seen.isoformat(),
        "last_seen": a.last_seen.isoformat(),
        "count": a.count,
        "details": None if a.details is None else dict(a.details),
    }


def _open(args: argparse.Namespace) -> Ledger:
    url = args.url or _config_url(args.config)
    _require_existing_sqlite(url)
    try:
        return Ledger.open(url)
    except (SQLAlchemyError, LedgerError) as err:
        reason = str(getattr(err, "orig", None) or err).splitlines()[0]
        raise _Failed(f"cannot open the ledger at {safe_url(url)}: {reason}") from None


def _config_url(path: str | None) -> str:
    try:
        return load_settings(path).ledger.url
    except ConfigError as err:
        raise _Failed("invalid config:\n  " + "\n  ".join(err.problems)) from None


def _require_existing_sqlite(url: str) -> None:
    """Listing alerts must not create an empty ledger at a mistyped path."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _Failed(f"not a database URL: {safe_url(url)!r}") from None
    database = parsed.database or ""
    on_disk = database and not database.startswith("file:")
    is_file = parsed.get_backend_name() == "sqlite" and on_disk
    if is_file and not Path(database).expanduser().exists():
        raise _Failed(f"no ledger database at {database}")


def _fail(failed: _Failed) -> int:
    print(f"{_PROG}: {failed}", file=sys.stderr)
    return failed.status
