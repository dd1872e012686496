"""``syncd check-config [-c FILE | FILE]``: validate a config file and summarise it.

Exit 0 with a summary (no secret values: only where each secret comes from), or exit 2
with every problem on its own line, prefixed with the file path.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from syncd.cli import EXIT_OK, EXIT_USAGE
from syncd.cli._common import add_config_argument
from syncd.config import Settings, config_path, format_duration, load_settings
from syncd.config.loader import scrub
from syncd.config.models import STORE_SECRET_FIELDS
from syncd.errors import ConfigError


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("check-config", help="validate a config file")
    add_config_argument(parser)
    parser.add_argument("file", nargs="?", metavar="FILE", help="config file (same as -c)")
    parser.set_defaults(handler=check_config)


def check_config(args: argparse.Namespace) -> int:
    if args.config and args.file and args.config != args.file:
        print("syncd check-config: give the config file once (-c FILE or FILE)", file=sys.stderr)
        return EXIT_USAGE
    path = args.config or args.file
    shown = config_path(path, os.environ)
    try:
        settings = load_settings(path)
    except ConfigError as err:
        for problem in err.problems:
            print(f"{shown}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    # The summary shows no secret by construction; scrubbing is the second line of defence.
    print(scrub("\n".join(summary(settings, str(shown))), settings.secret_values()))
    return EXIT_OK


def summary(settings: Settings, shown: str) -> list[str]:
    """The human summary: stores and groups, secrets only as where they come from."""
    lines = [f"{shown}: OK", f"ledger: {_hide_password(settings.ledger.url)}"]
    admin = _secret(settings, "http.admin_token", settings.http.admin_token is not None)
    lines.append(f"http: listen {settings.http.listen}, admin_token {admin}")
    lines.append(f"log: level {settings.log.level}, format {settings.log.format}")
    lines.append(f"stores ({len(settings.stores)}):")
    for index in range(len(settings.stores)):
        lines += _store_lines(settings, index)
    lines.append(f"groups ({len(settings.groups)}):")
    for group in settings.groups:
        lines.append(f"  {group.name}: stores {', '.join(group.stores)}")
        lines.append(
            f"    interval {format_duration(group.interval)}, on_delete {group.on_delete}, "
            f"max_change_ratio {group.max_change_ratio:g}, "
            f"registries {'yes' if group.registries else 'no'}"
        )
    return lines


def _store_lines(settings: Settings, index: int) -> list[str]:
    store = settings.stores[index]
    groups = [g.name for g in settings.groups if store.name in g.stores]
    membership = f"group {groups[0]}" if groups else "in no group: not synced"
    lines = [
        f"  {store.name}: {store.platform}, {store.base_url}, "
        f"currency {store.currency or '(from the platform)'}, {membership}"
    ]
    fields = [field for field in STORE_SECRET_FIELDS if hasattr(store, field)]
    lines += [f"    {f}: {_secret(settings, f'stores[{index}].{f}', True)}" for f in fields]
    return lines


def _secret(settings: Settings, key: str, present: bool) -> str:
    if not present:
        return "not set"
    return f"set ({settings.secret_origin(key) or 'inline'})"


def _hide_password(url: str) -> str:
    """A ledger URL may carry a database password: show it as ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
