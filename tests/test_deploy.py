"""The systemd unit and the install script (DESIGN.md §7)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "syncd.service"
needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def _unit_for_this_checkout(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this venv's syncd (verify checks the binary exists)."""
    syncd = Path(sys.executable).with_name("syncd")
    text = UNIT.read_text().replace("/opt/syncd/venv/bin/syncd", str(syncd))
    path = tmp_path / "syncd.service"
    path.write_text(text)
    return path


def test_unit_is_notify_with_watchdog_and_credentials() -> None:
    text = UNIT.read_text()
    for line in (
        "Type=notify",
        "Restart=on-failure",
        "StateDirectory=syncd",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
    ):
        assert line in text.splitlines(), line
    assert re.search(r"^WatchdogSec=\d+s$", text, re.M)
    assert re.search(r"^LoadCredential=", text, re.M)
    assert re.search(r"^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6$", text, re.M)


@needs_analyze
def test_systemd_analyze_verify_passes(tmp_path: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(_unit_for_this_checkout(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "syncd.service" not in result.stderr, result.stderr


@needs_analyze
def test_systemd_analyze_security_rates_ok_or_better(tmp_path: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(_unit_for_this_checkout(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for syncd\.service: ([\d.]+) (\w+)", result.stdout)
    assert match, result.stdout[-2000:] + result.stderr
    assert match.group(2) in {"PERFECT", "SAFE", "OK"}, match.group(0)
    assert float(match.group(1)) < 2.0, match.group(0)


def test_install_script_dry_run_lists_every_step(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "install.sh"), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "PYTHON": sys.executable,
            "SYNCD_PREFIX": str(tmp_path / "opt"),
            "SYNCD_ETC": str(tmp_path / "etc"),
            "SYNCD_UNIT_DIR": str(tmp_path / "units"),
        },
    )
    assert result.returncode == 0, result.stderr
    steps = result.stdout
    assert "-m venv " + str(tmp_path / "opt" / "venv") in steps
    assert "-m 0700 -o root -g root " + str(tmp_path / "etc" / "credentials") in steps
    assert "-m 0640 -o root -g syncd" in steps
    assert "systemctl enable syncd.service" in steps
    assert not (tmp_path / "opt").exists()  # a dry run changes nothing


def test_install_script_rejects_unknown_options() -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "install.sh"), "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--bogus" in result.stderr
