"""The CLI frame: every command is listed, and running one imports only that one."""

import argparse
import subprocess
import sys

import pytest

from syncd.cli import _COMMAND_MODULES, build_parser, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in _COMMAND_MODULES:
        assert name.replace("_", "-") in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "frobnicate" in capsys.readouterr().err


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _has_handlers(parser: argparse.ArgumentParser) -> bool:
    """A handler on the command itself, or on every one of its own sub-commands."""
    nested = _choices(parser)
    if nested:
        return all(_has_handlers(sub) for sub in nested.values())
    return callable(parser.get_default("handler"))


def test_every_command_registers_a_handler() -> None:
    for name in _COMMAND_MODULES:
        command = name.replace("_", "-")
        choices = _choices(build_parser(only=name))
        assert list(choices) == [command]
        assert _has_handlers(choices[command]), command


def test_running_one_command_does_not_import_the_others() -> None:
    code = "import sys; from syncd.cli import main; main(['check-config', '--help'])"
    probe = (
        "import sys, runpy\n"
        "try:\n"
        f"    exec({code!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('syncd.cli.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "syncd.cli.check_config" in out
    assert "syncd.cli.sandbox" not in out
    assert "syncd.cli.ledger" not in out
