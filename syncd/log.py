"""Logging: structlog, JSON lines for journald, readable console output on a terminal, and a
processor that scrubs every configured secret from every event.

Bind per-cycle context once with ``structlog.contextvars.bind_contextvars(group=..., store=...)``;
every event carries it. Libraries that log through ``logging`` (aiohttp, APScheduler) go
through the same chain, so their lines are JSON and scrubbed too.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.types import ExcInfo, Processor

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
MASK = "***"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_handler: logging.Handler | None = None  # the one we put on the root logger


def add_secrets(values: Iterable[str]) -> None:
    """Extend the redaction set (at start and on config reload). Old secrets stay: a message
    about the previous credentials must not leak them either."""
    global _pattern
    with _lock:
        _secrets.update(v for v in values if v)
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None


def redact(value: str) -> str:
    """``value`` with every known secret replaced by ``***``."""
    pattern = _pattern
    return pattern.sub(MASK, value) if pattern is not None else value


def _clear_secrets() -> None:
    """For tests: forget every secret."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


def redact_event(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: scrub secrets from every value, nested containers included.

    ``exc_info`` is left for the renderer, whose exception formatter redacts the text.
    """
    for key, value in event_dict.items():
        if key != "exc_info":
            event_dict[key] = _scrub(value)
    return event_dict


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if type(value) in (list, tuple, set, frozenset):  # exact types: a namedtuple is an object
        return type(value)(_scrub(item) for item in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    # Any other object is rendered through repr(); if that shows a secret, log the text.
    text = repr(value)
    cleaned = redact(text)
    return cleaned if cleaned != text else value


def _format_exception(sio: TextIO, exc_info: ExcInfo) -> None:
    """Console exception formatter: a plain traceback with secrets masked."""
    buffer = io.StringIO()
    structlog.dev.plain_traceback(buffer, exc_info)
    sio.write(redact(buffer.getvalue()))


def _renderer(fmt: str, stream: TextIO) -> list[Processor]:
    """The tail of the chain: exception handling, redaction, rendering."""
    tty = stream.isatty()
    if fmt == "console" or (fmt == "auto" and tty):
        console = structlog.dev.ConsoleRenderer(colors=tty, exception_formatter=_format_exception)
        return [redact_event, console]
    return [structlog.processors.format_exc_info, redact_event, structlog.processors.JSONRenderer()]


def _head() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def configure_logging(
    *, level: str = "info", fmt: str = "auto", secrets: Iterable[str] = ()
) -> None:
    """Set up structlog and the stdlib root logger; output goes to stderr.

    ``fmt``: ``auto`` (console on a terminal, JSON lines otherwise), ``json`` or ``console``.
    """
    if level not in LEVELS or fmt not in ("auto", "json", "console"):
        raise ValueError(f"unknown log level {level!r} or format {fmt!r}")
    add_secrets(secrets)
    stream = sys.stderr
    tail = _renderer(fmt, stream)
    structlog.configure(
        processors=[*_head(), *tail],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    _configure_stdlib(LEVELS[level], stream, tail)


def _configure_stdlib(level: int, stream: TextIO, tail: list[Processor]) -> None:
    global _handler
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *_head()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(level)
    _handler = handler
