"""``syncd run``: load and check everything the daemon needs, then run it until stopped."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import structlog

from syncd.config import Settings, config_path, load_settings
from syncd.errors import ConfigError
from syncd.ledger import Ledger
from syncd.ledger.engine import safe_url
from syncd.log import configure_logging
from syncd.sdnotify import Notifier

log = structlog.get_logger("syncd.daemon")

EXIT_OK = 0
EXIT_CONFIG = 2  # config, ledger or listen address unusable: a human must fix something
EXIT_FAILED = 3  # the Syncer could not start (stores unreachable during recovery, ...)


def run_daemon(path: str | Path | None, environ: Mapping[str, str] | None = None) -> int:
    """Run the daemon with the config at ``path``; returns the process exit status."""
    env = os.environ if environ is None else environ
    shown = config_path(path, env)
    try:
        settings = load_settings(path, environ=env)
    except ConfigError as err:
        for problem in err.problems:
            print(f"{shown}: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(
        level=settings.log.level, fmt=settings.log.format, secrets=settings.secret_values()
    )
    ledger = _open_ledger(settings)
    if ledger is None:
        return EXIT_CONFIG
    try:
        return asyncio.run(_serve(settings, ledger, shown, env))
    finally:
        ledger.close()


def _open_ledger(settings: Settings) -> Ledger | None:
    try:
        return Ledger.open(settings.ledger.url)
    except Exception as err:  # driver errors of every kind; the message may hold the URL
        log.error("ledger.unavailable", url=safe_url(settings.ledger.url), error=type(err).__name__)
        return None


async def _serve(settings: Settings, ledger: Ledger, path: Path, env: Mapping[str, str]) -> int:
    from syncd.daemon.service import Daemon  # after logging is configured

    daemon = Daemon(settings, ledger, config_path=path, environ=env, notifier=Notifier(env))
    try:
        return await daemon.main()
    except OSError as err:
        # The side door could not bind its address (in use, not local, ...).
        log.error("sidedoor.cannot_listen", listen=settings.http.listen, error=str(err))
        return EXIT_CONFIG
    except Exception:
        log.exception("daemon.start_failed")
        return EXIT_FAILED
