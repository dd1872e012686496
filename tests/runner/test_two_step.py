"""Two-step balance writes through the real runner against the sandboxes: 3dcart
``balance_write = "recreate"`` (DELETE + POST of the same code) and SFCC's re-issue through
the companion (OCAPI DELETE + companion create: a new ``merchant_id``); a crash between the
two steps is completed by recovery; SFCC-issued certificates are revealed and mirrored."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from syncd.config import load_settings
from syncd.errors import Transient
from syncd.ledger import Ledger
from syncd.runner.service import Syncer
from syncd.sandbox import shift4shop
from syncd.sandbox.server import Sandboxes
from syncd.sandbox.sfcc_store import STORE_KEY as SFCC_STORE
from syncd.sandbox.shift4shop import STORE_KEY as S4S_STORE
from tests.runner.crash import Crash, bury, doom
from tests.runner.world import STORES, World, money_rows, world

D = Decimal
CODE = "RECREATE-0001"


def recreate_on_3dcart(text: str) -> str:
    """The sandbox config with ``balance_write = "recreate"`` on its 3dcart store."""
    edited, n = re.subn(r"^(secure_url = .*)$", r'\1\nbalance_write = "recreate"', text, flags=re.M)
    assert n == 1
    return edited


def _recreating(platform: str) -> Callable[[str], str] | None:
    """3dcart re-creates only when configured to; SFCC always re-issues."""
    return recreate_on_3dcart if platform == "shift4shop" else None


def ignoring_balance(sb: Sandboxes) -> None:
    """Quirk shift4shop-ignores-balance: a PUT of Balance answers success, changes nothing."""
    sb.apps["shift4shop"][shift4shop.CONFIG_KEY].ignores_balance = True


def journal(w: World, code: str) -> list[tuple[str, str | None, Decimal, str]]:
    detail = w.ledger.certificate_by_code("sandbox", code)
    assert detail is not None
    return [(j.kind, j.store, j.amount, j.reason) for j in detail.journal]


def sfcc_record(w: World, code: str) -> Any:
    store = w.sb.apps["sfcc"][SFCC_STORE]
    return store.records[store.by_code[code]]


def sfcc_link(w: World, code: str) -> str:
    detail = w.ledger.certificate_by_code("sandbox", code)
    assert detail is not None
    [link] = [link for link in detail.links if link.store == STORES["sfcc"]]
    return link.remote_id


async def test_recreate_carries_a_redemption_to_a_3dcart_that_ignores_balance(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, edit=recreate_on_3dcart, before=ignoring_balance) as w:
        await w.issue("shift4shop", CODE, "50.00")
        w.sb.apps["shift4shop"][S4S_STORE].get(CODE).notes = "for Ann"
        await w.cycle()
        await w.redeem("bigcommerce", CODE, "20.00")
        result = await w.cycle()
        assert result.counts["write_failures"] == 0, result.summary
        for platform in STORES:
            assert (await w.balances(platform))[CODE] == D("30.00"), platform
        record = w.sb.apps["shift4shop"][S4S_STORE].get(CODE)
        assert (record.amount, record.notes) == (D("30.00"), "for Ann")
        rows = journal(w, CODE)
        [on_3dcart] = [r for r in rows if r[0] == "recreate" and r[1] == STORES["shift4shop"]]
        assert on_3dcart[2] == 0
        assert "balance 30.00 set on sandbox-3dcart by recreate" in on_3dcart[3]
        assert CODE not in on_3dcart[3]  # the 3dcart remote id is the plain code: not shown
        assert w.ledger.open_alerts("sandbox") == []
        assert w.ledger.unfinished_intents("sandbox") == []
        assert (await w.cycle()).counts["writes"] == 0
        assert await w.duplicates() == {p: [] for p in STORES}


async def test_put_on_a_3dcart_that_ignores_balance_is_detected_not_applied(
    tmp_path: Path, ledger_url: str
) -> None:
    """The default, for contrast: the read-back sees the ignored write and alerts."""
    async with world(tmp_path, ledger_url, before=ignoring_balance) as w:
        await w.issue("shift4shop", CODE, "50.00")
        await w.cycle()
        await w.redeem("bigcommerce", CODE, "20.00")
        await w.cycle()
        assert (await w.balances("shift4shop"))[CODE] == D("50.00")
        assert "write_failed" in [a.kind for a in w.ledger.open_alerts("sandbox")]


async def _restart(w: World, ledger_url: str) -> Syncer:
    settings = load_settings(w.config, environ={})
    restarted = Syncer(settings, Ledger.open(ledger_url))
    await restarted.start()  # recovery completes the two-step write
    return restarted


def _die_on_create(w: World, store: str, *, applied: bool) -> None:
    """The first create on ``store`` kills the "process" before it reaches the store, or
    once the store applied it (the answer is lost)."""
    switch = doom(w)
    conn = w.syncer.connectors[store]
    real = conn.create_certificate

    async def create(cert: Any) -> Any:
        switch.dead = True
        if applied:
            await real(cert)
        raise Crash

    conn.create_certificate = create  # type: ignore[method-assign]


@pytest.mark.parametrize("applied", [False, True], ids=["before-create", "create-answer-lost"])
@pytest.mark.parametrize("platform", ["shift4shop", "sfcc"])
async def test_a_crash_between_delete_and_create_is_completed_by_recovery(
    tmp_path: Path, ledger_url: str, platform: str, applied: bool
) -> None:
    async with world(tmp_path, ledger_url, edit=_recreating(platform)) as w:
        await w.issue("bigcommerce", CODE, "50.00")
        await w.cycle()
        await w.redeem("bigcommerce", CODE, "20.00")
        _die_on_create(w, STORES[platform], applied=applied)
        with pytest.raises(Crash):
            await w.cycle()
        await bury(w)
        # deleted, and not yet created again (or created, the answer lost)
        assert (CODE in await w.balances(platform)) is applied
        [left] = [i for i in w.ledger.unfinished_intents("sandbox") if i.store == STORES[platform]]
        assert (left.state, left.payload["recreate"]["step"]) == ("sent", "create")

        restarted = await _restart(w, ledger_url)
        try:
            assert restarted.ledger.unfinished_intents("sandbox") == []
            assert (await w.balances(platform))[CODE] == D("30.00")  # back before any listing
            result = await restarted.run_cycle("sandbox")
            assert result.counts["writes"] == 0, result.summary
        finally:
            await restarted.aclose()
            restarted.ledger.close()
        for where in STORES:
            assert (await w.balances(where))[CODE] == D("30.00"), where
        assert await w.duplicates() == {p: [] for p in STORES}
        kinds = [(kind, store) for (code, kind, store, _), n in money_rows(w.ledger).items()]
        assert ("recreate", STORES[platform]) in kinds
        assert ("delete", STORES[platform]) not in kinds  # never taken for a deletion


async def test_a_crash_after_the_delete_was_recorded_but_before_it_was_sent(
    tmp_path: Path, ledger_url: str
) -> None:
    """Step ``delete`` recorded, the DELETE never left: recovery sees the record still there,
    drops the intent, and the next cycle re-plans it."""
    async with world(tmp_path, ledger_url, edit=recreate_on_3dcart) as w:
        await w.issue("bigcommerce", CODE, "50.00")
        await w.cycle()
        await w.redeem("bigcommerce", CODE, "20.00")
        switch = doom(w)
        conn = w.syncer.connectors[STORES["shift4shop"]]

        async def delete(remote_id: str) -> None:
            switch.dead = True
            raise Crash

        conn.delete_certificate = delete  # type: ignore[method-assign]
        with pytest.raises(Crash):
            await w.cycle()
        await bury(w)
        restarted = await _restart(w, ledger_url)
        try:
            assert restarted.ledger.unfinished_intents("sandbox") == []
            await restarted.run_cycle("sandbox")
            assert (await restarted.run_cycle("sandbox")).counts["writes"] == 0
        finally:
            await restarted.aclose()
            restarted.ledger.close()
        for where in STORES:
            assert (await w.balances(where))[CODE] == D("30.00"), where
        assert await w.duplicates() == {p: [] for p in STORES}


@pytest.mark.parametrize("platform", ["shift4shop", "sfcc"])
async def test_a_lost_answer_to_the_delete_is_completed_the_next_cycle(
    tmp_path: Path, ledger_url: str, platform: str
) -> None:
    """The store applied the DELETE, its answer never came: the DELETE is not sent again
    (a 404 would read as "gone"); the next cycle's recovery creates the code again."""
    async with world(tmp_path, ledger_url, edit=_recreating(platform)) as w:
        await w.issue("bigcommerce", CODE, "50.00")
        await w.cycle()
        await w.redeem("bigcommerce", CODE, "20.00")
        await w.faults(platform, lost_response_rate=1.0)
        await w.cycle()
        await w.faults(platform, lost_response_rate=0.0)
        assert CODE not in await w.balances(platform)
        routes = (await w.stats(platform))["by_route"]
        assert sum(n for r, n in routes.items() if r.startswith("DELETE")) == 1
        result = await w.cycle()
        assert result.counts["recovered_done"] == 1, result.summary
        for where in STORES:
            assert (await w.balances(where))[CODE] == D("30.00"), where
        assert w.ledger.unfinished_intents("sandbox") == []
        detail = w.ledger.certificate_by_code("sandbox", CODE)
        assert detail is not None
        assert detail.certificate.status == "active"
        assert await w.duplicates() == {p: [] for p in STORES}


async def _issue_on_sfcc_as_a_shopper(w: World, amount: str) -> str:
    """A certificate sold on SFCC itself: the platform generates the code."""
    issued = await w.call("sfcc", "POST", "shopper/issue", {"amount": amount})
    code: str = issued["code"]
    return code


async def test_an_sfcc_issued_certificate_is_revealed_mirrored_and_reissued(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=3) as w:
        await w.cycle()
        code = await _issue_on_sfcc_as_a_shopper(w, "40.00")
        result = await w.cycle()
        assert result.counts["issued"] == 1, result.summary
        for platform in STORES:
            assert (await w.balances(platform))[code] == D("40.00"), platform
        assert w.ledger.open_alerts("sandbox") == []  # not "code hidden"
        first_id = sfcc_link(w, code)

        await w.redeem("bigcommerce", code, "15.00")
        await w.cycle()
        for platform in STORES:
            assert (await w.balances(platform))[code] == D("25.00"), platform
        second_id = sfcc_link(w, code)
        assert second_id != first_id  # the link follows the new merchant_id
        assert sfcc_record(w, code).merchant_id == second_id
        [row] = [r for r in journal(w, code) if r[0] == "recreate"]
        assert f"remote id {first_id} → {second_id}" in row[3]

        await w.redeem("shift4shop", code, "25.00")
        await w.cycle()
        record = sfcc_record(w, code)
        assert (record.enabled, record.merchant_id) == (False, second_id)  # disabled, no re-issue
        detail = w.ledger.certificate_by_code("sandbox", code)
        assert detail is not None
        assert (detail.certificate.balance, detail.certificate.status) == (0, "active")
        assert (await w.cycle()).counts["writes"] == 0  # steady: disabled stands for 0

        w.sb.apps["shift4shop"][S4S_STORE].get(code).balance = D("10.00")  # a reload there
        await w.cycle()
        record = sfcc_record(w, code)
        assert (record.enabled, record.balance) == (True, D("10.00"))  # re-issued, enabled
        assert sfcc_link(w, code) == record.merchant_id != second_id
        assert w.ledger.unfinished_intents("sandbox") == []
        assert await w.duplicates() == {p: [] for p in STORES}


async def test_a_refused_reuse_keeps_the_intent_open_with_one_alert(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=2) as w:
        await w.issue("bigcommerce", CODE, "50.00")
        await w.cycle()
        w.sb.apps["sfcc"][SFCC_STORE].refuse_deleted_code_reuse = True
        await w.redeem("bigcommerce", CODE, "20.00")
        for _ in range(3):
            await w.cycle()
        assert CODE not in await w.balances("sfcc")  # missing there; never another code
        assert len(await w.certificates("sfcc")) == 2  # the two seeded ones
        left = w.ledger.unfinished_intents("sandbox")
        [left] = w.ledger.unfinished_intents("sandbox")
        assert (left.store, left.state) == (STORES["sfcc"], "sent")
        [alert] = w.ledger.open_alerts("sandbox")
        assert alert.kind == "write_failed"
        assert "refused the code" in alert.message
        assert CODE not in alert.message
        for platform in ("shift4shop", "bigcommerce"):  # the others keep the balance
            assert (await w.balances(platform))[CODE] == D("30.00")
        detail = w.ledger.certificate_by_code("sandbox", CODE)
        assert detail is not None
        assert detail.certificate.status == "active"  # not taken for a deletion

        w.sb.apps["sfcc"][SFCC_STORE].refuse_deleted_code_reuse = False
        await w.cycle()
        assert (await w.balances("sfcc"))[CODE] == D("30.00")
        assert w.ledger.unfinished_intents("sandbox") == []


async def test_a_failed_reveal_costs_that_record_only_and_is_retried(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, seed=2) as w:
        await w.cycle()
        unlucky = await _issue_on_sfcc_as_a_shopper(w, "11.00")
        lucky = await _issue_on_sfcc_as_a_shopper(w, "12.00")
        conn = w.syncer.connectors[STORES["sfcc"]]
        real = conn.reveal_code  # type: ignore[attr-defined]
        asked: list[str] = []

        async def reveal(remote_id: str) -> str | None:
            asked.append(remote_id)
            if remote_id == sfcc_record(w, unlucky).merchant_id:
                raise Transient(STORES["sfcc"], "timed out")
            code: str | None = await real(remote_id)
            return code

        conn.reveal_code = reveal  # type: ignore[attr-defined]
        await w.cycle()
        assert len(asked) == 2  # only the two records no link explains
        assert (await w.balances("bigcommerce"))[lucky] == D("12.00")
        assert unlucky not in await w.balances("bigcommerce")
        conn.reveal_code = real  # type: ignore[attr-defined]
        await w.cycle()  # linked, its code unknown to the ledger: revealed now
        for platform in STORES:
            assert (await w.balances(platform))[unlucky] == D("11.00"), platform
        assert len([c for c in await w.certificates("sfcc") if c["code"] == unlucky]) == 1
