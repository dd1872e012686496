"""``syncd registries list|show|history`` over a ledger filled by real polls of the sandbox."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.cli import main
from syncd.ledger import Ledger
from syncd.registries.poll import poll_registries
from tests.registries.conftest import Shop, item


@pytest.fixture
async def filled(shop: Shop, ledger_url: str) -> tuple[str, list[str]]:
    """Two registries polled twice: a sale and an expiry in between."""
    wedding = shop.add(
        "Wedding", [item(11, listed=3, price="19.99"), item(12)],
        Expires="03/02/2026 00:00", Message="Thanks!",
        CustomerAddressBook={"FirstName": "Ann", "City": "Paris"},
    )  # fmt: skip
    baby = shop.add("Baby", [item(21)])
    with Ledger.open(ledger_url) as ledger:
        await poll_registries(ledger, "us", [shop.connector], now=shop.now())
        await shop.sell(wedding, 11, 2)
        shop.now.now += timedelta(days=1)
        await poll_registries(ledger, "us", [shop.connector], now=shop.now())
    return ledger_url, [wedding, baby]


def test_list(filled: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = filled
    assert main(["registries", "list", "--url", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "registries (2):"
    assert out[1].split() == ["STORE", "ID", "NAME", "EVENT", "EXPIRES", "ITEMS", "WANTED",
                              "BOUGHT", "LEFT"]  # fmt: skip
    assert out[2].split() == ["main-3dcart", "1", "Wedding", "(expired)", "-",
                              "2026-03-02T00:00Z", "2", "5", "2", "3"]  # fmt: skip
    assert out[3].split()[:3] == ["main-3dcart", "2", "Baby"]


def test_list_json_and_filters(
    filled: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = filled
    assert main(["registries", "list", "--url", url, "--json", "--store", "main-3dcart"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["available"], r["expired"]) for r in doc] == [
        ("1", 3, True),
        ("2", 2, False),
    ]
    assert main(["registries", "list", "--url", url, "--group", "eu"]) == 0
    assert "registries (0):" in capsys.readouterr().out


def test_show_and_history(
    filled: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, [wedding, _] = filled
    assert main(["registries", "show", "--url", url, wedding]) == 0
    out = capsys.readouterr().out
    assert "registry 1 on main-3dcart" in out
    assert "address          Ann, Paris" in out
    assert "state            expired" in out
    assert "journal" not in out
    item_line = next(line for line in out.splitlines() if line.strip().startswith("11 "))
    assert item_line.split() == ["11", "SKU-11", "Item", "11", "19.99", "3", "2", "0", "1"]
    assert main(["registries", "history", "--url", url, wedding]) == 0
    out = capsys.readouterr().out
    assert "journal (3 rows):" in out
    sold = next(line for line in out.splitlines() if "item_sold" in line)
    assert "0 → 2" in sold
    assert "2 online, 0 offline; 1 still wanted" in sold
    assert "expired" in out


def test_history_json(filled: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    url, [wedding, _] = filled
    assert main(["registries", "history", "--url", url, "--json", wedding]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [row["kind"] for row in doc["journal"]] == ["created", "item_sold", "expired"]
    assert doc["journal"][1]["quantity"] == 2
    assert doc["items"][0] == {
        "catalog_id": "11", "sku": "SKU-11", "name": "Item 11", "price": "19.99", "listed": 3,
        "sold": 2, "sold_offline": 0, "available": 1,
    }  # fmt: skip
    assert doc["message"] == "Thanks!"


def test_unknown_id_is_exit_1(
    filled: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = filled
    assert main(["registries", "show", "--url", url, "404"]) == 1
    assert "no registry with id '404'" in capsys.readouterr().err


def test_a_missing_ledger_file_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'nope.db'}"
    assert main(["registries", "list", "--url", url]) == 2
    assert "no ledger database at" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()


def test_a_bad_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "syncd.toml"
    config.write_text("[ledger]\nurl = 3\n")
    assert main(["registries", "list", "-c", str(config)]) == 2
    assert "invalid config" in capsys.readouterr().err
