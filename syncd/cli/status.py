"""``syncd status [-c FILE] [--url URL] [--json]``: groups, stores and open alerts.

Asks the running daemon (``GET /v1/status`` on its side door) and falls back to reading the
ledger directly when no daemon answers. Exit 0 all well, 1 open alerts, 3 a store is down,
2 neither the daemon nor the ledger could be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from syncd.cli import EXIT_ALERTS, EXIT_OK, EXIT_STORE_FAILED, EXIT_USAGE
from syncd.cli._common import add_config_argument

DEFAULT_URL = "http://127.0.0.1:8787"
TIMEOUT = 3.0  # seconds: a daemon that does not answer that fast is treated as absent


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("status", help="status of groups, stores and alerts")
    add_config_argument(parser)
    parser.add_argument(
        "--url", help=f"the daemon's side door (default: [http] listen, else {DEFAULT_URL})"
    )
    parser.add_argument("--json", action="store_true", help="print the status document as JSON")
    parser.set_defaults(handler=status)


def status(args: argparse.Namespace) -> int:
    from syncd.config import config_path, load_settings
    from syncd.errors import ConfigError

    settings = None
    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        if args.config or args.url is None:
            problems = "; ".join(err.problems)
            print(
                f"syncd status: {config_path(args.config, os.environ)}: {problems}", file=sys.stderr
            )
    url = args.url or (_listen_url(settings.http.listen) if settings else DEFAULT_URL)
    doc, where = _from_daemon(url), f"from the daemon at {url}"
    if doc is None and settings is not None:
        doc, where = _from_ledger(settings), "from the ledger; no daemon answered at " + url
    if doc is None:
        print(f"syncd status: no daemon answered at {url} and no ledger to read", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(doc, indent=2) if args.json else _table(doc, where))
    return _exit_code(doc)


def _listen_url(listen: str) -> str:
    from syncd.config.types import split_host_port

    host, port = split_host_port(listen)
    if host in ("0.0.0.0", "::"):  # noqa: S104 -- a wildcard bind is reached on loopback
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _from_daemon(url: str) -> dict[str, Any] | None:
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/v1/status", timeout=TIMEOUT) as resp:  # noqa: S310 -- scheme checked above
            doc: dict[str, Any] = json.load(resp)
            return doc
    except (OSError, ValueError):
        return None


def _from_ledger(settings: Any) -> dict[str, Any] | None:
    from syncd.daemon.status import ledger_status
    from syncd.ledger import Ledger

    try:
        with Ledger.open(settings.ledger.url) as ledger:
            return ledger_status(settings, ledger)
    except Exception as err:  # any driver error; its text may hold the URL, so not shown
        print(f"syncd status: cannot read the ledger ({type(err).__name__})", file=sys.stderr)
        return None


def _table(doc: dict[str, Any], where: str) -> str:
    from syncd.daemon.status import render_table

    return render_table(doc, where)


def _exit_code(doc: dict[str, Any]) -> int:
    if any(store.get("up") is False for store in doc.get("stores", [])):
        return EXIT_STORE_FAILED
    return EXIT_ALERTS if doc.get("alerts") else EXIT_OK
