"""``syncd registries list|show|history``: gift registries as the ledger knows them.

``list`` prints every registry with its item totals; ``show ID`` one registry and its
items; ``history ID`` adds its journal (created, changed, item_sold, expired, ...). ``ID``
is the store's registry id (``--store`` when several stores use it). ``--json`` for
machines. Exit 0 when found, 1 for an unknown id, 2 for a config, URL or ambiguity problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from syncd.cli import EXIT_ALERTS, EXIT_OK, EXIT_USAGE
from syncd.cli._common import add_config_argument, dash, table
from syncd.errors import ConfigError
from syncd.ledger import Ledger, LedgerError
from syncd.ledger.engine import safe_url
from syncd.ledger.registries import (
    RegistryDetail,
    RegistryJournalRecord,
    RegistryLedger,
    RegistrySummary,
)
from syncd.registries.diff import text
from syncd.registries.model import RegistryItem
from syncd.registries.render import detail_json, summary_json

_PROG = "syncd registries"


class _Failed(Exception):
    """A problem already worth a message and an exit status."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("registries", help="gift registries", description=__doc__)
    actions = parser.add_subparsers(dest="registries_action", metavar="ACTION", required=True)
    listing = _add_action(actions, "list", "every registry with its item totals", list_)
    listing.add_argument("-g", "--group", help="only registries polled by this sync group")
    for name, help_, handler in (
        ("show", "one registry and its items", show),
        ("history", "the same, plus its journal (every change)", history),
    ):
        action = _add_action(actions, name, help_, handler)
        action.add_argument("registry_id", metavar="ID", help="the store's registry id")


def _add_action(
    actions: argparse._SubParsersAction[Any],
    name: str,
    help_: str,
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_, description=help_)
    source: Any = parser.add_mutually_exclusive_group()  # add_config_argument takes it
    source.add_argument("--url", help="ledger database URL (instead of the config's [ledger] url)")
    add_config_argument(source)
    parser.add_argument("-s", "--store", help="only this store")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(handler=handler)
    return parser


def list_(args: argparse.Namespace) -> int:
    def read(book: RegistryLedger) -> list[RegistrySummary]:
        return book.summaries(group=args.group, store=args.store)

    return _run(args, read, _list_json, summary_lines)


def show(args: argparse.Namespace) -> int:
    return _run(args, _finder(args), _detail_json(False), _detail_lines(False))


def history(args: argparse.Namespace) -> int:
    return _run(args, _finder(args), _detail_json(True), _detail_lines(True))


def _finder(args: argparse.Namespace) -> Callable[[RegistryLedger], RegistryDetail]:
    def find(book: RegistryLedger) -> RegistryDetail:
        detail = book.find(args.registry_id, args.store)
        if detail is None:
            where = f" on store {args.store!r}" if args.store else ""
            raise _Failed(f"no registry with id {args.registry_id!r}{where}", EXIT_ALERTS)
        return detail

    return find


def _run(
    args: argparse.Namespace,
    read: Callable[[RegistryLedger], Any],
    as_json: Callable[[Any], Any],
    as_lines: Callable[[Any], list[str]],
) -> int:
    try:
        found = _read(_ledger_url(args), read)
    except _Failed as failed:
        print(f"{_PROG}: {failed}", file=sys.stderr)
        return failed.status
    if args.json:
        print(json.dumps(as_json(found), indent=2))
    else:
        print("\n".join(as_lines(found)))
    return EXIT_OK


def _ledger_url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    from syncd.config import load_settings

    try:
        return load_settings(args.config).ledger.url
    except ConfigError as err:
        raise _Failed("invalid config:\n  " + "\n  ".join(err.problems)) from None


def _read(url: str, read: Callable[[RegistryLedger], Any]) -> Any:
    _require_existing_sqlite(url)
    try:
        with Ledger.open(url) as ledger:
            return read(RegistryLedger(ledger))
    except LedgerError as err:
        raise _Failed(str(err)) from None
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or type(err).__name__).splitlines()[0]
        raise _Failed(f"cannot read the ledger at {safe_url(url)}: {reason}") from None


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

_LIST_HEADERS = ("STORE", "ID", "NAME", "EVENT", "EXPIRES", "ITEMS", "WANTED", "BOUGHT", "LEFT")
_ITEM_HEADERS = ("CATALOG ID", "SKU", "NAME", "PRICE", "LISTED", "SOLD", "OFFLINE", "LEFT")
_JOURNAL_HEADERS = ("#", "OBSERVED", "KIND", "ITEM", "FIELD", "CHANGE", "QTY", "REASON")


def summary_lines(summaries: Sequence[RegistrySummary]) -> list[str]:
    rows = [
        [s.store, s.remote_id, dash(s.name) + _state(s.expired, s.removed), _time(s.event_at),
         _time(s.expires_at), str(s.items), str(s.listed), str(s.purchased), str(s.available)]
        for s in summaries
    ]  # fmt: skip
    return [f"registries ({len(summaries)}):", *table(_LIST_HEADERS, rows, {5, 6, 7, 8})]


def _state(expired: bool, removed: bool) -> str:
    notes = [word for word, on in (("removed", removed), ("expired", expired)) if on]
    return f" ({', '.join(notes)})" if notes else ""


def _detail_lines(with_journal: bool) -> Callable[[RegistryDetail], list[str]]:
    def lines(detail: RegistryDetail) -> list[str]:
        registry = detail.state.registry
        fields = [
            ("name", dash(registry.name)),
            ("group", detail.state.group),
            ("event", _time(registry.event_at)),
            ("expires", _time(registry.expires_at)),
            ("message", dash(registry.message)),
            ("ship to address", "yes" if registry.ship_to_address else "no"),
            ("address", dash(text(registry.address))),
            ("created", _time(registry.created_at)),
            ("last update", _time(registry.updated_at)),
            ("first seen", _time(detail.first_seen_at)),
            ("state", _state_word(detail)),
        ]  # fmt: skip
        width = max(len(name) for name, _ in fields)
        head = (
            f"registry {registry.remote_id} on {registry.store} (#{detail.id}, {registry.currency})"
        )
        out = [head] + [f"  {name.ljust(width)}  {value}" for name, value in fields]
        out += ["", f"items ({len(registry.items)}):"]
        out += table(_ITEM_HEADERS, [_item_row(i) for i in registry.items], {3, 4, 5, 6, 7})
        if with_journal:
            out += ["", f"journal ({len(detail.journal)} rows):"]
            rows = [_journal_row(r) for r in detail.journal]
            out += table(_JOURNAL_HEADERS, rows, {0, 6})
        return out

    return lines


def _state_word(detail: RegistryDetail) -> str:
    return _state(detail.state.expired_noted, detail.state.removed).strip(" ()") or "active"


def _item_row(item: RegistryItem) -> list[str]:
    return [item.catalog_id, dash(item.sku), dash(item.name), str(item.price), str(item.listed),
            str(item.sold), str(item.sold_offline), str(item.available)]  # fmt: skip


def _journal_row(row: RegistryJournalRecord) -> list[str]:
    change = "-" if row.old is None and row.new is None else f"{dash(row.old)} → {dash(row.new)}"
    quantity = "-" if row.quantity is None else str(row.quantity)
    return [str(row.id), _time(row.observed_at), row.kind, dash(row.catalog_id),
            dash(row.field), change, quantity, dash(row.reason)]  # fmt: skip


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(timespec="minutes").replace("+00:00", "Z")


# -- JSON --------------------------------------------------------------------------------


def _list_json(summaries: Sequence[RegistrySummary]) -> list[dict[str, Any]]:
    return [summary_json(s) for s in summaries]


def _detail_json(with_journal: bool) -> Callable[[RegistryDetail], dict[str, Any]]:
    return lambda detail: detail_json(detail, with_journal=with_journal, personal=True)
