"""Sandbox quirks: each unknown platform behaviour played both ways, and ``--quirks``."""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal

import aiohttp
import pytest

from syncd.cli import EXIT_USAGE, main
from syncd.sandbox.quirks import QUIRKS, UnknownQuirk, parse_quirks
from syncd.sandbox.server import Sandboxes
from syncd.sandbox.shift4shop import STORE_KEY
from tests.sandbox.test_cli_sandbox import LINE_TIMEOUT_S, read_until_ready, start_cli

S4S_HEADERS = {
    "SecureURL": "https://sandbox-store.3dcartstores.com",
    "PrivateKey": "sandbox-private-key",
    "Token": "sandbox-token",
}


async def _put_balance(url: str, code: str, balance: str) -> tuple[int, Decimal]:
    """PUT a Balance on the 3dcart sandbox, then read it back: (PUT status, balance read)."""
    item = f"{url}/3dCartWebAPI/v2/GiftCertificates/{code}"
    async with aiohttp.ClientSession(headers=S4S_HEADERS) as http:
        async with http.put(item, json={"Balance": float(balance)}) as put:
            status = put.status
        async with http.get(item) as got:
            [record] = await got.json()
    return status, Decimal(str(record["Balance"]))


@pytest.mark.parametrize(
    ("quirks", "after"), [((), "12.50"), (("shift4shop-ignores-balance",), None)]
)
async def test_shift4shop_balance_put_applied_or_ignored(
    quirks: tuple[str, ...], after: str | None
) -> None:
    async with Sandboxes.start(seed=1, quirks=quirks) as sb:
        [record] = list(sb.apps["shift4shop"][STORE_KEY])
        before = record.balance
        status, seen = await _put_balance(sb.urls["shift4shop"], record.code, "12.50")
    assert status == 200  # the answer says "updated" either way: only a read tells
    assert seen == (Decimal(after) if after is not None else before)
    assert before != Decimal("12.50")


def test_parse_quirks_names_the_unknown_one_and_lists_the_known() -> None:
    assert parse_quirks("shift4shop-ignores-balance, ,shift4shop-ignores-balance") == (
        "shift4shop-ignores-balance",
    )
    with pytest.raises(UnknownQuirk, match=r"'nope'.*known: .*shift4shop-ignores-balance"):
        parse_quirks("nope")


def test_every_quirk_names_a_field_its_sandbox_has() -> None:
    sandboxes = Sandboxes.create(quirks=tuple(QUIRKS))
    assert set(sandboxes.apps) == {"shift4shop", "bigcommerce", "sfcc"}


def test_cli_refuses_an_unknown_quirk(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "--quirks", "nope"])
    assert exit_info.value.code == EXIT_USAGE
    assert "unknown quirk 'nope'" in capsys.readouterr().err


async def test_cli_prints_the_quirks_it_plays() -> None:
    proc = await start_cli("--quirks", "shift4shop-ignores-balance")
    try:
        lines = await read_until_ready(proc)
    finally:
        proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), LINE_TIMEOUT_S) == 0
    assert lines["quirk"] == "shift4shop-ignores-balance"
