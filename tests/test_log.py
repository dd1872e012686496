"""Logging: secrets are scrubbed from every part of every event; JSON off a terminal."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import LogCapture

from syncd import log as syncd_log
from syncd.log import add_secrets, configure_logging, redact

SECRET = "tok-0c9a7f41"
OTHER = "key-5b2e8d13"


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    syncd_log._clear_secrets()
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(fmt: str = "json", level: str = "info") -> LogCapture:
    """Configure for real, then swap only the renderer for a capturing processor."""
    configure_logging(level=level, fmt=fmt, secrets=[SECRET])
    processors = structlog.get_config()["processors"]
    cap = LogCapture()
    structlog.configure(processors=[*processors[:-1], cap])
    return cap


def test_redact_masks_every_known_secret() -> None:
    add_secrets([SECRET, OTHER, ""])
    assert redact(f"a {SECRET} b {OTHER} c {SECRET}") == "a *** b *** c ***"
    assert redact("nothing here") == "nothing here"


def test_redact_masks_a_longer_secret_whole() -> None:
    add_secrets(["abcd", "abcdefgh"])
    assert redact("x abcdefgh y") == "x *** y"


def test_nothing_is_redacted_before_secrets_are_known() -> None:
    assert redact(f"{SECRET}") == SECRET


def test_event_text_and_values_are_scrubbed() -> None:
    cap = capture()
    structlog.get_logger().info(f"got {SECRET}", header=f"Bearer {SECRET}", count=3)
    [event] = cap.entries
    assert event["event"] == "got ***"
    assert event["header"] == "Bearer ***"
    assert event["count"] == 3


def test_nested_values_are_scrubbed() -> None:
    cap = capture()
    structlog.get_logger().warning(
        "request", headers={"X-Auth-Token": SECRET, "list": [SECRET, ("t", SECRET)]}
    )
    [event] = cap.entries
    assert event["headers"] == {"X-Auth-Token": "***", "list": ["***", ("t", "***")]}


def test_objects_whose_repr_shows_a_secret_are_scrubbed() -> None:
    class Leaky:
        def __repr__(self) -> str:
            return f"Leaky({SECRET})"

    cap = capture()
    structlog.get_logger().info("obj", value=Leaky())
    assert cap.entries[0]["value"] == "Leaky(***)"


def test_exception_text_is_scrubbed_in_json() -> None:
    cap = capture("json")
    try:
        raise RuntimeError(f"auth failed with {SECRET}")
    except RuntimeError:
        structlog.get_logger().exception("store unavailable")
    [event] = cap.entries
    assert "RuntimeError: auth failed with ***" in event["exception"]
    assert SECRET not in str(event)


def test_secrets_added_later_are_scrubbed_too() -> None:
    cap = capture()
    add_secrets([OTHER])
    structlog.get_logger().info(f"{SECRET} {OTHER}")
    assert cap.entries[0]["event"] == "*** ***"


def test_context_is_bound_once_per_cycle() -> None:
    cap = capture()
    structlog.contextvars.bind_contextvars(group="us", store="outlet-bc")
    structlog.get_logger().info("cycle.done")
    assert cap.entries[0]["group"] == "us"
    assert cap.entries[0]["store"] == "outlet-bc"


def test_level_filters_events() -> None:
    cap = capture(level="warning")
    logger = structlog.get_logger()
    logger.info("quiet")
    logger.warning("loud")
    assert [e["event"] for e in cap.entries] == ["loud"]


def test_unknown_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="'loud'"):
        configure_logging(level="loud")
    with pytest.raises(ValueError, match="'xml'"):
        configure_logging(fmt="xml")


def _json_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_real_json_output_with_a_secret_in_an_exception(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json", secrets=[SECRET])
    structlog.contextvars.bind_contextvars(store="main-3dcart")
    try:
        raise PermissionError(f"401 for token {SECRET}")
    except PermissionError:
        structlog.get_logger().exception("store.unavailable", detail={"token": SECRET})
    err = capsys.readouterr().err
    assert SECRET not in err
    [line] = _json_lines(err)
    assert line["event"] == "store.unavailable"
    assert line["level"] == "error"
    assert line["store"] == "main-3dcart"
    assert line["detail"] == {"token": "***"}
    assert "PermissionError: 401 for token ***" in line["exception"]
    assert line["timestamp"].endswith("Z")  # ISO 8601, UTC


def test_auto_is_json_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="auto")
    structlog.get_logger().info("hello", n=1)
    [line] = _json_lines(capsys.readouterr().err)
    assert (line["event"], line["n"]) == ("hello", 1)


def test_console_output_scrubs_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="console", secrets=[SECRET])
    try:
        raise RuntimeError(f"bad {SECRET}")
    except RuntimeError:
        structlog.get_logger().exception("boom", token=SECRET)
    err = capsys.readouterr().err
    assert SECRET not in err
    assert "boom" in err
    assert "RuntimeError: bad ***" in err
    assert "token=***" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])


def test_stdlib_logging_goes_through_the_same_chain(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json", secrets=[SECRET])
    logging.getLogger("aiohttp.client").warning("sent %s", SECRET)
    try:
        raise ValueError(SECRET)
    except ValueError:
        logging.getLogger("apscheduler").exception("job failed")
    err = capsys.readouterr().err
    assert SECRET not in err
    first, second = _json_lines(err)
    assert (first["event"], first["logger"], first["level"]) == (
        "sent ***",
        "aiohttp.client",
        "warning",
    )
    assert "ValueError: ***" in second["exception"]


def test_reconfiguring_does_not_duplicate_stdlib_output(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json")
    configure_logging(fmt="json")
    logging.getLogger("x").warning("once")
    assert len(_json_lines(capsys.readouterr().err)) == 1
