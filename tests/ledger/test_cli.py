"""``syncd ledger show|history``."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from syncd.cli import main
from syncd.ledger import Ledger
from syncd.model import Status
from tests.ledger.factories import T0, add, cert, full_cert, journal, link


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    """GC-FULL: issued on 3dcart, mirrored to BigCommerce, redeemed there, then overdrawn."""
    [a] = add(ledger, full_cert())
    with ledger.transaction() as tx:
        tx.upsert_links(
            [
                link(a, "main-3dcart", "GC-FULL", last_balance=Decimal("0"), last_seen_at=T0),
                link(a, "outlet-bc", "17", last_balance=Decimal("0"), version="v3"),
                link(
                    a,
                    "flagship-sfcc",
                    "",
                    last_balance=None,
                    last_status=None,
                    unmirrorable="code hidden",
                ),
            ]
        )
        tx.update_certificate(a, balance=Decimal("-4.50"))
        tx.append_journal(
            [
                journal(a, "100.00", "100.00", kind="issue", store="main-3dcart"),
                journal(
                    a,
                    "-24.50",
                    "75.50",
                    store="outlet-bc",
                    reason="redeemed",
                    observed_at=T0 + timedelta(hours=1),
                ),
                journal(
                    a,
                    "-80.00",
                    "-4.50",
                    kind="overdraft",
                    store="main-3dcart",
                    reason="spent twice",
                    observed_at=T0 + timedelta(hours=2),
                ),
                journal(
                    a,
                    "0",
                    "-4.50",
                    kind="status",
                    store=None,
                    status_from=Status.PENDING,
                    status_to=Status.ACTIVE,
                ),
            ]
        )
    return ledger


def _url(ledger: Ledger) -> str:
    return ledger.engine.url.render_as_string(hide_password=False)


def test_show_prints_canonical_state_and_links(
    story: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ledger", "show", "--url", _url(story), "GC-FULL"]) == 0
    out = capsys.readouterr().out
    assert "certificate #1 (group us)" in out
    for expected in (
        "balance       -4.50  (OVERDRAWN)",
        "amount        100.00",
        "status        pending",
        "to            Ann <ann@example.com>",
        "expires       2027-01-31T23:59:59Z",
    ):
        assert expected in out
    assert "links (3):" in out
    assert "outlet-bc      17" in out
    assert "unmirrorable: code hidden" in out
    assert "version v3" in out
    assert "journal" not in out


def test_history_adds_the_journal(story: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "history", "--url", _url(story), "--group", "us", "GC-FULL"]) == 0
    out = capsys.readouterr().out
    assert "journal (4 rows):" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("  #"))
    rows = lines[header + 1 : header + 5]
    assert rows[0].split()[1:6] == [
        "2026-03-01T12:00:00Z",
        "issue",
        "main-3dcart",
        "+100.00",
        "100.00",
    ]
    assert rows[1].split()[2:] == ["redeem", "outlet-bc", "-24.50", "75.50", "-", "redeemed"]
    assert rows[2].split()[2:] == [
        "overdraft",
        "main-3dcart",
        "-80.00",
        "-4.50",
        "-",
        "spent",
        "twice",
    ]
    assert "pending → active" in rows[3]


def test_history_json(story: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "history", "--url", _url(story), "--json", "GC-FULL"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["group"] == "us"
    assert doc["certificate"]["balance"] == "-4.50"
    assert doc["certificate"]["expires_at"] == "2027-01-31T23:59:59+00:00"
    assert doc["certificate"]["people"]["from_email"] == "bob@example.com"
    assert [x["store"] for x in doc["links"]] == ["flagship-sfcc", "main-3dcart", "outlet-bc"]
    assert doc["links"][0]["last_balance"] is None
    assert [(r["kind"], r["amount"], r["balance_after"]) for r in doc["journal"]] == [
        ("issue", "100.00", "100.00"),
        ("redeem", "-24.50", "75.50"),
        ("overdraft", "-80.00", "-4.50"),
        ("status", "0.00", "-4.50"),
    ]


def test_show_json_has_no_journal(story: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "show", "--url", _url(story), "--json", "GC-FULL"]) == 0
    assert "journal" not in json.loads(capsys.readouterr().out)


def test_unknown_code_exits_1(story: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "show", "--url", _url(story), "NOPE"]) == 1
    assert capsys.readouterr().err.strip() == "syncd ledger: no certificate with code 'NOPE'"
    assert main(["ledger", "history", "--url", _url(story), "-g", "eu", "GC-FULL"]) == 1
    assert "no certificate with code 'GC-FULL' in group 'eu'" in capsys.readouterr().err


def test_ambiguous_code_needs_a_group(story: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    add(story, cert("GC-FULL"), group="eu")
    assert main(["ledger", "show", "--url", _url(story), "GC-FULL"]) == 2
    assert "more than one certificate (groups: ['eu', 'us'])" in capsys.readouterr().err
    assert main(["ledger", "show", "--url", _url(story), "-g", "eu", "GC-FULL"]) == 0
    assert "certificate #2 (group eu)" in capsys.readouterr().out


def test_masked_code_finds_sfcc_issued_certificates(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    add(ledger, cert(None, masked_code="************7777", origin_store="flagship-sfcc"))
    assert main(["ledger", "show", "--url", _url(ledger), "************7777"]) == 0
    out = capsys.readouterr().out
    assert "code          -" in out
    assert "origin store  flagship-sfcc" in out


def test_config_file_gives_the_ledger_url(
    story: Ledger,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "syncd.toml"
    config.write_text(f'[ledger]\nurl = "{_url(story)}"\n')
    config.chmod(0o600)
    monkeypatch.delenv("SYNCD_LEDGER__URL", raising=False)
    assert main(["ledger", "show", "-c", str(config), "GC-FULL"]) == 0
    assert "certificate #1 (group us)" in capsys.readouterr().out


def test_invalid_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "syncd.toml"
    config.write_text("[ledger]\nurl = 5\nbogus = 1\n")
    config.chmod(0o600)
    assert main(["ledger", "show", "-c", str(config), "GC-1"]) == 2
    assert "invalid config" in capsys.readouterr().err


def test_missing_sqlite_file_is_an_error_not_a_new_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "ledger.db"
    assert main(["ledger", "show", "--url", f"sqlite:///{missing}", "GC-1"]) == 2
    assert f"no ledger database at {missing}" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_unreachable_database_names_it_without_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://syncd:hunter2@127.0.0.1:1/ledger"
    assert main(["ledger", "show", "--url", url, "GC-1"]) == 2
    err = capsys.readouterr().err
    assert "cannot read the ledger at postgresql://syncd:***@127.0.0.1:1/ledger" in err
    assert "hunter2" not in err


def test_url_and_config_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ledger", "show", "--url", "sqlite://", "-c", "x.toml", "GC-1"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
