"""Crash recovery in-process: a cycle dies between steps; a new Syncer settles what was left."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from syncd.config import load_settings
from syncd.ledger import IntentRecord, Ledger
from syncd.model import NewCertificate, People, RemoteCertificate, Status
from syncd.reconcile import Create, Delete, SetBalance, SetStatus
from syncd.runner.book import created_link
from syncd.runner.codec import action_of, intent_of
from syncd.runner.reveal import fits
from syncd.runner.service import Syncer
from syncd.sandbox.server import Sandboxes
from tests.runner.crash import Crash, bury, doom
from tests.runner.world import STORES, seed_on, world

D = Decimal


def _three_on_3dcart(sb: Sandboxes) -> None:
    seed_on(sb, "shift4shop", *((f"CRASHCODE{i:03d}", f"{10 + i}") for i in range(6)))


async def _crash_on_create(w: Any, store: str, nth: int, *, applied: bool) -> None:
    """The ``nth`` create on ``store`` kills the "process" before (or just after) reaching
    the store; from then on every store call of every worker dies too."""
    switch = doom(w)
    conn = w.syncer.connectors[store]
    real = conn.create_certificate
    seen = 0

    async def create(cert: NewCertificate) -> Any:
        nonlocal seen
        if switch.dead:
            raise Crash
        seen += 1
        if seen == nth:
            switch.dead = True
            if applied:
                await real(cert)
            raise Crash
        return await real(cert)

    conn.create_certificate = create


@pytest.mark.parametrize("applied", [False, True], ids=["before-send", "answer-lost"])
async def test_a_crash_mid_cycle_recovers_without_duplicates(
    tmp_path: Path, ledger_url: str, applied: bool
) -> None:
    async with world(tmp_path, ledger_url, before=_three_on_3dcart) as w:
        await _crash_on_create(w, "sandbox-bigcommerce", 3, applied=applied)
        with pytest.raises(Crash):
            await w.cycle()
        await bury(w)
        left = w.ledger.unfinished_intents("sandbox")
        assert any(i.state == "sent" for i in left)

        settings = load_settings(w.config, environ={})
        restarted = Syncer(settings, Ledger.open(ledger_url))
        try:
            await restarted.start()  # recovery: look the code up, then done or dropped
            assert restarted.ledger.unfinished_intents("sandbox") == []
            result = await restarted.run_cycle("sandbox")
            assert result.counts["issued"] == 0  # the journal is not rewritten
            again = await restarted.run_cycle("sandbox")
            assert again.counts["writes"] == 0
        finally:
            await restarted.aclose()
            restarted.ledger.close()
        assert await w.duplicates() == {p: [] for p in STORES}
        for platform in STORES:
            assert len(await w.certificates(platform)) == 6


async def test_a_pending_intent_is_dropped_and_replanned(tmp_path: Path, ledger_url: str) -> None:
    async with world(tmp_path, ledger_url, before=_three_on_3dcart) as w:
        await _crash_on_create(w, "sandbox-sfcc", 1, applied=False)
        with pytest.raises(Crash):
            await w.cycle()
        await bury(w)
        settings = load_settings(w.config, environ={})
        restarted = Syncer(settings, Ledger.open(ledger_url))
        try:
            await restarted.start()
            assert restarted.ledger.unfinished_intents("sandbox") == []
            await restarted.run_cycle("sandbox")
        finally:
            await restarted.aclose()
            restarted.ledger.close()
        assert len(await w.certificates("sfcc")) == 6


NOW = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "action",
    [
        Create(
            "s",
            7,
            NewCertificate(
                "C1", "USD", D("5.00"), D("4.00"), Status.ACTIVE, People("a", "b@x"), "hi", NOW
            ),
        ),
        SetBalance("s", 7, "r1", D("5.00"), D("3.00"), zero=True),
        SetStatus("s", 7, "r1", Status.ACTIVE, Status.DISABLED),
        Delete("s", 7, "r1", D("2.50")),
    ],
)
def test_intent_payloads_round_trip(action: Any) -> None:
    new = intent_of(action, "g", 7, 3)
    from syncd.ledger.convert import jsonable

    record = IntentRecord(
        id=1, group="g", store="s", certificate_id=7, action=new.action,
        payload=jsonable(new.payload), state="pending", attempts=0, last_error=None,
        cycle_id=3, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    assert action_of(record) == action


def test_masks_fit_only_codes_they_could_hide() -> None:
    assert fits("************6XRD", "SBX2VJ7936KZ6XRD")
    assert not fits("************6XRD", "SBX2VJ7936KZ6XRE")
    assert not fits("***6XRD", "SBX2VJ7936KZ6XRD")


@pytest.mark.parametrize(
    ("shows", "base"),
    [
        (D("70.00"), D("70.00")),  # as written
        (D("65.00"), D("70.00")),  # then spent 5: the next listing journals -5
        (D("120.00"), D("70.00")),  # then reloaded 50: the next listing journals +50
        (D("100.00"), D("100.00")),  # stopped at the face value: the next plan sets 70
    ],
    ids=["as-written", "then-spent", "then-reloaded", "half-way"],
)
def test_a_created_record_found_after_a_lost_answer_keeps_the_shoppers_movement(
    shows: Decimal, base: Decimal
) -> None:
    """The merge base of a create found by its code after a lost answer is the balance
    written, except the face value a create stopped half-way at (today: any higher figure
    is taken as the base, and a reload made meanwhile is lost)."""
    new = NewCertificate("C1", "USD", D("100.00"), D("70.00"))
    found = RemoteCertificate("s", "r1", "C1", "USD", D("100.00"), shows, Status.ACTIVE)
    link = created_link(Create("s", 7, new), 7, found, NOW)
    assert (link.remote_id, link.last_balance) == ("r1", base)
