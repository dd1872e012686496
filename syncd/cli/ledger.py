"""``syncd ledger show|history CODE``: one certificate as the ledger knows it.

``show`` prints the canonical state and every link (what each store last showed or was
given); ``history`` adds the journal, the story of the money. ``--json`` for machines.
Exit 0 when found, 1 for an unknown code, 2 for a config, URL or ambiguity problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from syncd.cli import EXIT_ALERTS, EXIT_OK, EXIT_USAGE
from syncd.cli._common import add_config_argument, dash, table
from syncd.errors import ConfigError
from syncd.ledger import CertificateDetail, JournalRecord, Ledger, LedgerError
from syncd.ledger.engine import safe_url
from syncd.model import LedgerCertificate, LedgerLink, People

_PROG = "syncd ledger"


class _Failed(Exception):
    """A problem already worth a message and an exit status."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("ledger", help="show the ledger", description=__doc__)
    actions = parser.add_subparsers(dest="ledger_action", metavar="ACTION", required=True)
    _add_action(actions, "show", "canonical state and links of one certificate", show)
    _add_action(actions, "history", "the same, plus its journal (every movement)", history)


def _add_action(
    actions: argparse._SubParsersAction[Any],
    name: str,
    help_: str,
    handler: Callable[[argparse.Namespace], int],
) -> None:
    parser = actions.add_parser(name, help=help_, description=help_)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", help="ledger database URL (instead of the config's [ledger] url)")
    add_config_argument(source)
    parser.add_argument("-g", "--group", help="sync group (needed if the code is in several)")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.add_argument("code", metavar="CODE", help="certificate code (or masked code)")
    parser.set_defaults(handler=handler)


def show(args: argparse.Namespace) -> int:
    return _run(args, with_journal=False)


def history(args: argparse.Namespace) -> int:
    return _run(args, with_journal=True)


def _run(args: argparse.Namespace, *, with_journal: bool) -> int:
    try:
        detail = _lookup(_ledger_url(args), args.group, args.code)
    except _Failed as failed:
        print(f"{_PROG}: {failed}", file=sys.stderr)
        return failed.status
    if args.json:
        print(json.dumps(detail_json(detail, with_journal=with_journal), indent=2))
    else:
        print("\n".join(detail_lines(detail, with_journal=with_journal)))
    return EXIT_OK


def _ledger_url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    try:
        from syncd.config import load_settings
    except ImportError:  # the config module has not landed in this tree
        raise _Failed("no config support here: give the ledger with --url URL") from None
    try:
        return load_settings(args.config).ledger.url
    except ConfigError as err:
        raise _Failed("invalid config:\n  " + "\n  ".join(err.problems)) from None


def _lookup(url: str, group: str | None, code: str) -> CertificateDetail:
    _require_existing_sqlite(url)
    try:
        with Ledger.open(url) as ledger:
            detail = ledger.certificate_by_code(group, code)
    except LedgerError as err:
        raise _Failed(str(err)) from None
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or type(err).__name__).splitlines()[0]
        raise _Failed(f"cannot read the ledger at {safe_url(url)}: {reason}") from None
    if detail is None:
        where = f" in group {group!r}" if group else ""
        raise _Failed(f"no certificate with code {code!r}{where}", EXIT_ALERTS)
    return detail


def _require_existing_sqlite(url: str) -> None:
    """Reading must not create an empty ledger at a mistyped path."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _Failed(f"not a database URL: {safe_url(url)!r}") from None
    database = parsed.database or ":memory:"
    if parsed.get_backend_name() != "sqlite" or database == ":memory:":
        return
    if not database.startswith("file:") and not Path(database).expanduser().exists():
        raise _Failed(f"no ledger database at {database}")


# -- text --------------------------------------------------------------------------------


def detail_lines(detail: CertificateDetail, *, with_journal: bool) -> list[str]:
    """The human-readable report of one certificate."""
    lines = _certificate_lines(detail)
    lines += ["", f"links ({len(detail.links)}):"]
    lines += table(_LINK_HEADERS, [_link_row(link) for link in detail.links], right={2})
    if with_journal:
        rows = [_journal_row(row) for row in detail.journal]
        lines += ["", f"journal ({len(detail.journal)} rows):"]
        lines += table(_JOURNAL_HEADERS, rows, right={0, 4, 5})
    return lines


def _certificate_lines(detail: CertificateDetail) -> list[str]:
    cert = detail.certificate
    fields = [
        ("code", dash(cert.code)),
        ("masked code", dash(cert.masked_code)),
        ("currency", cert.currency),
        ("amount", str(cert.amount)),
        ("balance", str(cert.balance) + ("  (OVERDRAWN)" if cert.balance < 0 else "")),
        ("status", cert.status.value),
        ("expires", _time(cert.expires_at)),
        ("origin store", dash(cert.origin_store)),
        ("to", _person(cert.people.to_name, cert.people.to_email)),
        ("from", _person(cert.people.from_name, cert.people.from_email)),
        ("message", dash(cert.message)),
        ("created", _time(cert.created_at)),
        ("updated", _time(detail.updated_at)),
    ]
    width = max(len(name) for name, _ in fields)
    head = f"certificate #{cert.id} (group {detail.group})"
    return [head] + [f"  {name.ljust(width)}  {value}" for name, value in fields]


_LINK_HEADERS = ("STORE", "REMOTE ID", "LAST BALANCE", "LAST STATUS", "LAST SEEN", "NOTE")
_JOURNAL_HEADERS = ("#", "OBSERVED", "KIND", "STORE", "AMOUNT", "BALANCE", "STATUS", "REASON")


def _link_row(link: LedgerLink) -> list[str]:
    notes = ["deleted"] if link.deleted else []
    if link.unmirrorable:
        notes.append(f"unmirrorable: {link.unmirrorable}")
    if link.version:
        notes.append(f"version {link.version}")
    balance = "-" if link.last_balance is None else str(link.last_balance)
    status = "-" if link.last_status is None else link.last_status.value
    row = [link.store, link.remote_id or "-", balance, status, _time(link.last_seen_at)]
    return [*row, "; ".join(notes) or "-"]


def _journal_row(row: JournalRecord) -> list[str]:
    status = "-"
    if row.status_from or row.status_to:
        status = f"{dash(row.status_from)} → {dash(row.status_to)}"
    amount = f"{row.amount:+}" if row.amount else "0"
    return [
        str(row.id),
        _time(row.observed_at),
        row.kind,
        dash(row.store),
        amount,
        str(row.balance_after),
        status,
        dash(row.reason),
    ]


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _person(name: str | None, email: str | None) -> str:
    if name and email:
        return f"{name} <{email}>"
    return dash(name or email)


# -- JSON --------------------------------------------------------------------------------


def detail_json(detail: CertificateDetail, *, with_journal: bool) -> dict[str, Any]:
    """The report as JSON-able data: money as strings (exact), times as ISO 8601 UTC."""
    doc: dict[str, Any] = {
        "group": detail.group,
        "certificate": _certificate_json(detail.certificate),
        "updated_at": _iso(detail.updated_at),
        "links": [_link_json(link) for link in detail.links],
    }
    if with_journal:
        doc["journal"] = [_journal_json(row) for row in detail.journal]
    return doc


def _certificate_json(cert: LedgerCertificate) -> dict[str, Any]:
    return {
        "id": cert.id,
        "code": cert.code,
        "masked_code": cert.masked_code,
        "currency": cert.currency,
        "amount": str(cert.amount),
        "balance": str(cert.balance),
        "status": cert.status.value,
        "expires_at": _iso(cert.expires_at),
        "origin_store": cert.origin_store,
        "people": _people_json(cert.people),
        "message": cert.message,
        "created_at": _iso(cert.created_at),
    }


def _people_json(people: People) -> dict[str, str | None]:
    return {
        "to_name": people.to_name,
        "to_email": people.to_email,
        "from_name": people.from_name,
        "from_email": people.from_email,
    }


def _link_json(link: LedgerLink) -> dict[str, Any]:
    return {
        "store": link.store,
        "remote_id": link.remote_id,
        "last_balance": _money(link.last_balance),
        "last_status": None if link.last_status is None else link.last_status.value,
        "version": link.version,
        "last_seen_at": _iso(link.last_seen_at),
        "deleted": link.deleted,
        "unmirrorable": link.unmirrorable,
    }


def _journal_json(row: JournalRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "store": row.store,
        "currency": row.currency,
        "amount": str(row.amount),
        "balance_after": str(row.balance_after),
        "status_from": None if row.status_from is None else row.status_from.value,
        "status_to": None if row.status_to is None else row.status_to.value,
        "reason": row.reason,
        "cycle_id": row.cycle_id,
        "observed_at": _iso(row.observed_at),
        "recorded_at": _iso(row.recorded_at),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
