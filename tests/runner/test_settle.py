"""A balance write whose outcome is unknown is settled by reading, never repeated blind.

The story in every test: a certificate of 100.00 is mirrored on the three sandboxes, a shopper
spends 30.00 on 3dcart, and the next cycle writes 70.00 to BigCommerce (its base: 100.00).
That write lands, but syncd never learns it did (its answer is lost, the process dies, or the
ledger fails before the outcome is recorded) — and a shopper spends on BigCommerce before
syncd looks again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from syncd.cli import main
from syncd.config import load_settings
from syncd.ledger import Ledger, tables
from syncd.runner import persist
from syncd.runner.service import Syncer
from syncd.sandbox.bigcommerce import BC_STORE_KEY
from syncd.sandbox.common import FAULTS_KEY, STATS_KEY, redeem
from tests.runner.crash import Crash, bury, doom
from tests.runner.world import GROUP, STORES, World, money_rows, world

D = Decimal
CODE = "SETTLEWRITE1"
BC = "sandbox-bigcommerce"


async def _spent_30_on_3dcart(w: World) -> None:
    await w.issue("shift4shop", CODE, "100.00")
    await w.cycle()
    for platform in STORES:
        assert (await w.balances(platform))[CODE] == D("100.00")
    await w.redeem("shift4shop", CODE, "30.00")


async def _everywhere(w: World) -> set[Decimal]:
    return {(await w.balances(platform))[CODE] for platform in STORES}


def _puts_on_bigcommerce(w: World) -> int:
    routes = w.sb.apps["bigcommerce"][STATS_KEY].by_route
    return sum(n for route, n in routes.items() if route.startswith("PUT "))


def _conserved(ledger: Ledger) -> None:
    """Σ of the money-moving journal rows of every certificate is its ledger balance."""
    moving = ("issue", "redeem", "reload", "correction")
    j, c = tables.journal, tables.certificates
    with ledger.engine.connect() as conn:
        balances = dict(conn.execute(select(c.c.id, c.c.balance)).all())
        sums: dict[int, Decimal] = {}
        for cert_id, amount in conn.execute(
            select(j.c.certificate_id, j.c.amount).where(j.c.kind.in_(moving))
        ):
            sums[cert_id] = sums.get(cert_id, D(0)) + amount
    assert sums == balances


def _ambiguous(w: World) -> Any:
    [alert] = [a for a in w.ledger.open_alerts(GROUP) if a.kind == "ambiguous_write"]
    return alert


def _spend_when_the_answer_is_lost(w: World, amount: Decimal) -> None:
    """The next lost answer on BigCommerce (its write applied) is followed at once by a
    shopper spending ``amount`` there; the fault then stops."""
    app = w.sb.apps["bigcommerce"]
    stats, faults = app[STATS_KEY], app[FAULTS_KEY]
    original = stats.record

    def record(route: str, outcome: str) -> None:
        original(route, outcome)
        if outcome == "lost_response":
            faults.lost_response_rate = 0.0
            redeem(app, CODE, amount)

    stats.record = record  # type: ignore[method-assign]


# -- (b) a lost answer: the HTTP layer must not repeat the PUT, the executor settles it ------


async def test_a_lost_answer_is_settled_by_a_read_not_a_repeated_put(
    tmp_path: Path, ledger_url: str
) -> None:
    """The PUT of 70.00 lands and its connection drops; 10.00 is spent there at once. A blind
    repeat would write 70.00 over the spend; the re-read shows 60.00 = "applied, then spent
    10.00" (or "not applied, then spent 40.00": both spends, so the default policy
    ``assume_applied`` picks the first) → 60.00 everywhere, one PUT, one alert."""
    async with world(tmp_path, ledger_url) as w:
        await _spent_30_on_3dcart(w)
        _spend_when_the_answer_is_lost(w, D("10.00"))
        await w.faults("bigcommerce", lost_response_rate=1.0)
        puts = _puts_on_bigcommerce(w)
        await w.cycle()
        assert _puts_on_bigcommerce(w) == puts + 1  # sent exactly once
        assert (await w.balances("bigcommerce"))[CODE] == D("60.00")
        await w.cycle()
        assert await _everywhere(w) == {D("60.00")}
        detail = w.ledger.certificate_by_code(GROUP, CODE)
        assert detail is not None
        assert detail.certificate.balance == D("60.00")
        assert money_rows(w.ledger)[(CODE, "redeem", BC, D("-10"))] == 1
        _conserved(w.ledger)
        alert = _ambiguous(w)
        assert alert.store == BC
        assert "********ITE1" in alert.message
        assert CODE not in alert.message
        assert "applied, then spent 10.00" in alert.message
        assert "not applied, then spent 40.00" in alert.message
        assert "30.00 at stake" in alert.message
        assert w.ledger.unfinished_intents(GROUP) == []


async def test_a_timed_out_put_is_settled_by_a_read_not_repeated(
    tmp_path: Path, ledger_url: str
) -> None:
    """The same race at the instant of a timeout: BigCommerce applies the PUT of 70.00, 10.00
    is spent there, and the answer comes after our timeout. One PUT; 60.00 everywhere."""
    async with world(tmp_path, ledger_url) as w:
        await _spent_30_on_3dcart(w)
        app = w.sb.apps["bigcommerce"]

        def applied_then_late(url: Any, **kwargs: Any) -> None:
            app[BC_STORE_KEY].update(int(url.path.rsplit("/", 1)[1]), kwargs["json"])
            redeem(app, CODE, D("10.00"))

        with aioresponses(passthrough_unmatched=True) as mocked:
            mocked.put(
                re.compile(r".*/v2/gift_certificates/\d+$"), callback=applied_then_late,
                exception=TimeoutError(), repeat=True,
            )  # fmt: skip
            await w.cycle()
        puts = [
            calls
            for (method, url), calls in mocked.requests.items()
            if method == "PUT" and "/v2/gift_certificates/" in url.path
        ]
        assert sum(map(len, puts)) == 1  # sent exactly once
        await w.cycle()
        assert await _everywhere(w) == {D("60.00")}
        _conserved(w.ledger)
        assert "applied, then spent 10.00" in _ambiguous(w).message


async def test_a_lost_answer_after_a_reread_fold_settles_the_retargeted_write(
    tmp_path: Path, ledger_url: str
) -> None:
    """The pre-write re-read finds a fresh spend (folded: the intent is superseded by one
    with the new target), then the PUT's answer is lost. The re-check must settle the
    retargeted intent, not the superseded one: applied, every store at 70.00 − the spend."""
    async with world(tmp_path, ledger_url) as w:
        await _spent_30_on_3dcart(w)
        app = w.sb.apps["bigcommerce"]
        stats, faults = app[STATS_KEY], app[FAULTS_KEY]
        original = stats.record

        def record(route: str, outcome: str) -> None:
            original(route, outcome)
            if outcome == "lost_response":  # the spend raced the re-read only
                faults.redeem_on_read_rate = 0.0

        stats.record = record  # type: ignore[method-assign]
        await w.faults("bigcommerce", redeem_on_read_rate=1.0, lost_response_rate=1.0, seed=7)
        result = await w.cycle()
        assert result.counts["reread_corrections"] == 1
        raced = (await w.call("bigcommerce", "GET", "shopper/log"))[-1]
        assert raced["source"] == "redeem_on_read"
        expected = D("70.00") - D(raced["amount"])
        assert w.ledger.unfinished_intents(GROUP) == []
        await w.faults("bigcommerce", lost_response_rate=0.0)
        await w.cycle()
        assert await _everywhere(w) == {expected}
        assert not [a for a in w.ledger.open_alerts(GROUP) if a.kind == "ambiguous_write"]
        _conserved(w.ledger)


# -- (a) the outcome is never recorded: recovery settles it ----------------------------------


def _crash_after_the_bigcommerce_write(w: World) -> None:
    """BigCommerce's balance write lands, then the "process" dies: no store call and no
    ledger write runs after it."""
    switch = doom(w)
    conn = w.syncer.connectors[BC]
    real = conn.update_certificate

    async def update(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        switch.dead = True
        raise Crash

    conn.update_certificate = update  # type: ignore[method-assign]


def _ledger_down_after_the_bigcommerce_write(w: World) -> None:
    """BigCommerce's balance write lands; recording its outcome fails (ledger outage)."""
    w.syncer._db = _FailingRecord(w.syncer._db)  # type: ignore[assignment]


class _FailingRecord:
    """The first outcome of a BigCommerce write fails to reach the ledger."""

    def __init__(self, db: Any) -> None:
        self.ledger, self._db, self.failed = db.ledger, db, False

    async def __call__(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is persist.record_outcome and not self.failed and _is_bigcommerce(args):
            self.failed = True
            raise OperationalError("UPDATE intents", {}, Exception("server closed the connection"))
        return await self._db(fn, *args, **kwargs)

    def close(self) -> None:
        self._db.close()


def _is_bigcommerce(args: tuple[Any, ...]) -> bool:
    ledger, intent_id = args[0], args[1]
    with ledger.engine.connect() as conn:
        store = conn.scalar(select(tables.intents.c.store).where(tables.intents.c.id == intent_id))
    return bool(store == BC)


@pytest.mark.parametrize(
    "stop",
    [_crash_after_the_bigcommerce_write, _ledger_down_after_the_bigcommerce_write],
    ids=["kill", "ledger-outage"],
)
async def test_recovery_never_journals_our_own_write_as_a_spend(
    tmp_path: Path, ledger_url: str, stop: Callable[[World], None]
) -> None:
    """After the unrecorded write of 70.00, 5.00 is spent on BigCommerce: it shows 65.00,
    neither the base (100.00) nor the target (70.00). "Applied, then spent 5.00" and "not
    applied, then spent 35.00" are both spends: ``assume_applied`` → 65.00 everywhere (100
    − 30 − 5), with an ambiguous_write alert; never 35.00."""
    async with world(tmp_path, ledger_url) as w:
        await _spent_30_on_3dcart(w)
        stop(w)
        if stop is _crash_after_the_bigcommerce_write:
            with pytest.raises(Crash):
                await w.cycle()
            await bury(w)
        else:
            await w.cycle()  # contained: the rest of the cycle goes on
        assert (await w.balances("bigcommerce"))[CODE] == D("70.00")
        assert BC in [i.store for i in w.ledger.unfinished_intents(GROUP)]
        await w.redeem("bigcommerce", CODE, "5.00")

        restarted = Syncer(load_settings(w.config, environ={}), Ledger.open(ledger_url))
        try:
            await restarted.start()  # recovery settles the BigCommerce write
            assert restarted.ledger.unfinished_intents(GROUP) == []
            await restarted.run_cycle(GROUP)
            await restarted.run_cycle(GROUP)
        finally:
            await restarted.aclose()
            restarted.ledger.close()
        assert await _everywhere(w) == {D("65.00")}
        detail = w.ledger.certificate_by_code(GROUP, CODE)
        assert detail is not None
        assert detail.certificate.balance == D("65.00")
        rows = money_rows(w.ledger)
        assert rows[(CODE, "redeem", BC, D("-5"))] == 1
        assert rows[(CODE, "redeem", BC, D("-35"))] == 0
        _conserved(w.ledger)
        alert = _ambiguous(w)
        assert alert.store == BC
        assert "applied, then spent 5.00" in alert.message
        assert "not applied, then spent 35.00" in alert.message


def _assume_not_applied(text: str) -> str:
    return text.replace('interval = "30s"', 'interval = "30s"\non_ambiguous = "assume_not_applied"')


async def test_the_group_policy_may_assume_the_write_never_landed(
    tmp_path: Path, ledger_url: str
) -> None:
    """The same crash under ``on_ambiguous = "assume_not_applied"``: the whole drop on
    BigCommerce (100.00 → 65.00) is the shopper's, 35.00 everywhere — still alerted."""
    async with world(tmp_path, ledger_url, edit=_assume_not_applied) as w:
        await _spent_30_on_3dcart(w)
        _crash_after_the_bigcommerce_write(w)
        with pytest.raises(Crash):
            await w.cycle()
        await bury(w)
        await w.redeem("bigcommerce", CODE, "5.00")
        restarted = Syncer(load_settings(w.config, environ={}), Ledger.open(ledger_url))
        try:
            await restarted.start()
            await restarted.run_cycle(GROUP)
        finally:
            await restarted.aclose()
            restarted.ledger.close()
        assert await _everywhere(w) == {D("35.00")}
        assert money_rows(w.ledger)[(CODE, "redeem", BC, D("-35"))] == 1
        _conserved(w.ledger)
        assert '"not applied, then spent 35.00" (both readings are spends' in _ambiguous(w).message


# -- a human takes the other reading -----------------------------------------------------------


async def test_the_other_reading_is_journalled_and_written_everywhere(
    tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Settled as "applied, then spent 10.00" (60.00); the human knows the write never
    landed: "not applied, then spent 40.00" → a correction of −30.00, 30.00 everywhere."""
    async with world(tmp_path, ledger_url) as w:
        await _spent_30_on_3dcart(w)
        _spend_when_the_answer_is_lost(w, D("10.00"))
        await w.faults("bigcommerce", lost_response_rate=1.0)
        await w.cycle()
        alert = _ambiguous(w)
        capsys.readouterr()  # the cycles' log lines
        assert main(["alerts", "--json", "--url", ledger_url]) == 0
        [listed] = [a for a in json.loads(capsys.readouterr().out) if a["id"] == alert.id]
        assert listed["details"]["correction"] == "-30.00"  # what --other-reading moves

        status = main(["alerts", "resolve", str(alert.id), "--other-reading", "--url", ledger_url])
        assert status == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert f"alert {alert.id} resolved" in out
        assert "-30.00" in out
        assert all(a.id != alert.id for a in w.ledger.open_alerts())
        detail = w.ledger.certificate_by_code(GROUP, CODE)
        assert detail is not None
        assert detail.certificate.balance == D("30.00")
        last = detail.journal[-1]
        assert (last.kind, last.store, last.amount) == ("correction", BC, D("-30.00"))
        _conserved(w.ledger)

        await w.cycle()
        assert await _everywhere(w) == {D("30.00")}

        again = main(["alerts", "resolve", str(alert.id), "--other-reading", "--url", ledger_url])
        assert again == 1
        assert f"alert {alert.id} is already resolved" in capsys.readouterr().err


async def test_only_an_ambiguous_write_has_another_reading(
    tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with world(tmp_path, ledger_url) as w:
        await w.issue("shift4shop", CODE, "50.00")
        await w.cycle()
        await w.redeem("bigcommerce", CODE, "40.00")
        await w.redeem("shift4shop", CODE, "30.00")
        await w.cycle()
        [overdraft] = w.ledger.open_alerts(GROUP)
        before = w.ledger.certificate_by_code(GROUP, CODE)
        args = ["alerts", "resolve", str(overdraft.id), "--other-reading", "--url", ledger_url]
        assert main(args) == 1
        err = capsys.readouterr().err
        assert f"alert {overdraft.id} is of kind 'overdraft'" in err
        assert "only an ambiguous_write alert has another reading" in err
        assert main(["alerts", "resolve", "999", "--other-reading", "--url", ledger_url]) == 1
        assert "no alert with id 999" in capsys.readouterr().err
        assert w.ledger.open_alerts(GROUP) == [overdraft]  # nothing changed
        assert w.ledger.certificate_by_code(GROUP, CODE) == before
