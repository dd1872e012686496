"""A failure of one intent — whatever its type — costs that intent only, in the executor
and in recovery: recorded, alerted, logged, and every other intent goes on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from syncd.ledger import IntentState, Ledger, NewIntent, tables
from syncd.model import NewCertificate
from syncd.sandbox.server import Sandboxes
from tests.runner.world import GROUP, STORES, seed_on, world

D = Decimal
BC = "sandbox-bigcommerce"
CODES = ("CONTAIN00001", "CONTAIN00002", "CONTAIN00003")


def _three_on_3dcart(sb: Sandboxes) -> None:
    seed_on(sb, "shift4shop", *((code, "20") for code in CODES))


def _states(ledger: Ledger) -> dict[tuple[str, str], str]:
    """(store, code) → state of the newest intent."""
    i, c = tables.intents, tables.certificates
    query = select(i.c.store, c.c.code, i.c.state).join(c, c.c.id == i.c.certificate_id)
    with ledger.engine.connect() as conn:
        return {(r[0], r[1]): r[2] for r in conn.execute(query.order_by(i.c.id))}


async def test_an_unexpected_exception_in_one_write_costs_that_write_only(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, before=_three_on_3dcart) as w:
        conn = w.syncer.connectors[BC]
        real = conn.create_certificate

        async def create(cert: NewCertificate) -> Any:
            if cert.code == "CONTAIN00002":
                raise ValueError("not a store's answer: a bug")
            return await real(cert)

        conn.create_certificate = create  # type: ignore[method-assign]
        with structlog.testing.capture_logs() as logs:
            await w.cycle()
        states = _states(w.ledger)
        assert states.pop((BC, "CONTAIN00002")) == "sent"  # may have landed: left for recovery
        assert set(states.values()) == {"done"}
        assert len(states) == 5
        assert set(await w.balances("bigcommerce")) == {"CONTAIN00001", "CONTAIN00003"}
        assert set(await w.balances("sfcc")) == set(CODES)
        [alert] = [a for a in w.ledger.open_alerts(GROUP) if a.kind == "write_failed"]
        assert alert.store == BC
        assert "ValueError: not a store's answer" in alert.message
        assert [e for e in logs if e["event"] == "write.crashed"]

        conn.create_certificate = real  # type: ignore[method-assign]
        await w.cycle()  # recovery: not found there, dropped; then created once
        await w.cycle()
        assert w.ledger.unfinished_intents(GROUP) == []
        for platform in STORES:
            assert (await w.balances(platform)) == {code: D("20.00") for code in CODES}
        assert await w.duplicates() == {p: [] for p in STORES}


async def test_an_unexpected_exception_in_recovery_costs_that_intent_only(
    tmp_path: Path, ledger_url: str
) -> None:
    async with world(tmp_path, ledger_url, before=_three_on_3dcart) as w:
        await w.cycle()
        view = w.ledger.load_view(GROUP)
        links = {(link.certificate_id, link.store): link for link in view.links}
        by_code = {c.code: i for i, c in view.certificates.items()}
        sent = []
        with w.ledger.transaction() as tx:
            for code in ("CONTAIN00001", "CONTAIN00002"):
                link = links[(by_code[code], BC)]
                payload = {"remote_id": link.remote_id, "expected": "20.00", "balance": "20.00"}
                intent = NewIntent(group=GROUP, store=BC, certificate_id=by_code[code],
                                   action="update", payload=payload)  # fmt: skip
                (intent_id,) = tx.add_intents([intent])
                tx.set_intent_state(intent_id, IntentState.SENT.value)
                sent.append(intent_id)
        conn = w.syncer.connectors[BC]
        real = conn.get_certificate
        bad = links[(by_code["CONTAIN00001"], BC)].remote_id

        async def get(remote_id: str) -> Any:
            if remote_id == bad:
                raise ValueError("not a store's answer: a bug")
            return await real(remote_id)

        conn.get_certificate = get  # type: ignore[method-assign]
        with structlog.testing.capture_logs() as logs:
            await w.cycle()  # recovery first, then the cycle goes on
        assert _intent_state(w.ledger, sent[0]) == "sent"
        assert _intent_state(w.ledger, sent[1]) == "done"  # 20.00 shown: applied
        [alert] = [a for a in w.ledger.open_alerts(GROUP) if a.kind == "write_failed"]
        assert alert.store == BC
        assert "ValueError" in alert.message
        assert [e for e in logs if e["event"] == "recovery.intent_failed"]

        conn.get_certificate = real  # type: ignore[method-assign]
        await w.cycle()
        assert w.ledger.unfinished_intents(GROUP) == []


def _intent_state(ledger: Ledger, intent_id: int) -> str:
    i = tables.intents
    with ledger.engine.connect() as conn:
        state = conn.scalar(select(i.c.state).where(i.c.id == intent_id))
    assert isinstance(state, str)
    return state
