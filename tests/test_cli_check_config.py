"""``syncd check-config``: summary on success, every problem (exit 2) otherwise, never a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.cli import main
from tests.config_samples import EXAMPLE, EXAMPLE_ENV, MINIMAL, MINIMAL_ENV, write_config

SYNCD = Path(sys.executable).parent / "syncd"


@pytest.fixture(autouse=True)
def _no_stray_syncd_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SYNCD_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check-config", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def set_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in (*secrets, *EXAMPLE_ENV.values(), *MINIMAL_ENV.values()):
        assert secret not in text


def test_example_with_its_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_env(monkeypatch, EXAMPLE_ENV)
    code, out, err = run([str(EXAMPLE)], capsys)
    assert (code, err) == (0, "")
    assert f"{EXAMPLE}: OK" in out
    assert "main-3dcart: shift4shop, https://apirest.3dcart.com, currency USD, group us" in out
    assert "outlet-bc: bigcommerce, https://api.bigcommerce.com, currency USD" in out
    assert "flagship-sfcc: sfcc, https://example.dx.commercecloud.salesforce.com" in out
    assert "private_key: set (env SYNCD_MAIN_3DCART_KEY)" in out
    assert "client_secret: set (env SYNCD_FLAGSHIP_SFCC_SECRET)" in out
    assert "admin_token set (env SYNCD_ADMIN_TOKEN)" in out
    assert "us: stores main-3dcart, outlet-bc, flagship-sfcc" in out
    assert "interval 5m, on_delete disable, max_change_ratio 0.2, registries yes" in out
    assert_no_secret(out)


def test_example_without_its_variables(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["-c", str(EXAMPLE)], capsys)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == len(EXAMPLE_ENV)
    for name, line in zip(EXAMPLE_ENV, lines, strict=True):
        assert line.startswith(f"{EXAMPLE}: ")
        assert f"environment variable {name} is not set" in line


def test_syncd_config_variable_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, MINIMAL)
    set_env(monkeypatch, {**MINIMAL_ENV, "SYNCD_CONFIG": str(path)})
    code, out, _ = run([], capsys)
    assert code == 0
    assert f"{path}: OK" in out


def test_file_given_twice_differently_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["-c", "a.toml", "b.toml"], capsys)
    assert code == 2
    assert "give the config file once" in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([str(tmp_path / "nope.toml")], capsys)
    assert code == 2
    assert "cannot read the config file" in err


def test_secret_origins_in_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "t3d").write_text("file-secret-4411\n")
    text = MINIMAL.replace('{ env = "T3D" }', '{ file = "t3d" }')
    text = text.replace('{ env = "TBC" }', '"inline-secret-8822"')
    set_env(monkeypatch, {**MINIMAL_ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    code, out, _ = run([str(write_config(tmp_path, text))], capsys)
    assert code == 0
    assert "private_key: set (env K3D)" in out
    assert "token: set (file t3d)" in out
    assert "access_token: set (inline)" in out
    assert "admin_token not set" in out
    assert_no_secret(out, "file-secret-4411", "inline-secret-8822")


def test_a_store_in_no_group_is_pointed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_env(monkeypatch, MINIMAL_ENV)
    text = MINIMAL.replace('"sbc", "ssf"]', '"sbc"]')
    code, out, _ = run([str(write_config(tmp_path, text))], capsys)
    assert code == 0
    assert "ssf: sfcc, https://sf.example.com, currency (from the platform), in no group" in out


def test_ledger_password_is_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_env(
        monkeypatch, {**MINIMAL_ENV, "SYNCD_LEDGER__URL": "postgresql://syncd:pw-77aa11@db/syncd"}
    )
    code, out, _ = run([str(write_config(tmp_path, MINIMAL))], capsys)
    assert code == 0
    assert "ledger: postgresql://syncd:***@db/syncd" in out
    assert "pw-77aa11" not in out


BAD_CASES = {
    "unknown key": (
        MINIMAL.replace('site_id = "SiteGenesis"', 'site_id = "SiteGenesis"\nsite = "x"'),
        "stores[2].site (line 23): unknown key",
    ),
    "unknown platform": (
        MINIMAL.replace('"sfcc"', '"magento"'),
        "stores[2].platform (line 19): unknown platform 'magento'",
    ),
    "group naming a missing store": (
        MINIMAL.replace('"ssf"]', '"ssf", "gone"]'),
        "groups[0].stores (line 28): store 'gone' is not defined",
    ),
    "store in two groups": (
        MINIMAL + '[[groups]]\nname = "eu"\nstores = ["ssf"]\ninterval = "1m"\n',
        "groups[1].stores (line 32): store 'ssf' is already in group 'us'",
    ),
    "missing secret": (
        MINIMAL.replace('{ env = "SSF" }', '{ env = "NOT_SET_ANYWHERE" }'),
        "stores[2].client_secret (line 24): environment variable NOT_SET_ANYWHERE is not set",
    ),
    "bad interval": (
        MINIMAL.replace('"5m"', '"5 parsecs"'),
        "groups[0].interval (line 29): '5 parsecs' is not a duration",
    ),
    "inline secret in a readable file": (
        MINIMAL.replace('{ env = "SSF" }', '"inline-secret-5566"'),
        "stores[2].client_secret (line 24): inline secret in a file others can read (mode 0644)",
    ),
    "secret of the wrong type": (
        MINIMAL.replace('{ env = "SSF" }', '["wrong-type-secret-3344"]'),
        "stores[2].client_secret (line 24): must be a string",
    ),
    "secret in an unknown key": (
        MINIMAL.replace(
            'client_id = "client-1"', 'client_id = "client-1"\nclient_secert = "typo-secret-2233"'
        ),
        "stores[2].client_secert (line 24): unknown key",
    ),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_config_exits_2_naming_the_key(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = BAD_CASES[case]
    set_env(monkeypatch, MINIMAL_ENV)
    path = write_config(tmp_path, text, mode=0o644)
    code, out, err = run([str(path)], capsys)
    assert (code, out) == (2, "")
    assert f"{path}: {expected}" in err
    assert_no_secret(out + err, "inline-secret-5566", "wrong-type-secret-3344", "typo-secret-2233")


def test_every_problem_is_listed_one_per_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        MINIMAL.replace('"sfcc"', '"magento"')
        .replace('"5m"', '"5 parsecs"')
        .replace('"ssf"]', '"ssf", "gone"]')
        .replace('{ env = "TBC" }', '"inline-secret-5566"')
    )
    set_env(monkeypatch, MINIMAL_ENV)
    path = write_config(tmp_path, text, mode=0o644)
    code, _, err = run([str(path)], capsys)
    assert code == 2
    assert len(err.splitlines()) == 4
    assert all(line.startswith(f"{path}: ") for line in err.splitlines())
    assert_no_secret(err, "inline-secret-5566")


def test_the_installed_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    ok = subprocess.run(
        [str(SYNCD), "check-config", str(EXAMPLE)],
        env={**env, **EXAMPLE_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "stores (3):" in ok.stdout
    assert "groups (1):" in ok.stdout
    assert_no_secret(ok.stdout + ok.stderr)
    bad = subprocess.run(
        [str(SYNCD), "check-config", "-c", str(EXAMPLE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    for name in EXAMPLE_ENV:
        assert name in bad.stderr


def test_a_secret_that_is_also_a_url_is_scrubbed_from_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A careless operator reuses a value; the summary must still not show it.
    set_env(monkeypatch, {**MINIMAL_ENV, "TBC": "https://api.bigcommerce.com"})
    code, out, _ = run([str(write_config(tmp_path, MINIMAL))], capsys)
    assert code == 0
    assert "sbc: bigcommerce, ***, currency" in out
