"""Hypothesis state machine over the real runner: ``Syncer`` → ``CycleRunner`` (recover, fetch,
plan, persist, execute) on a real ledger, against four memory stores of different abilities.

Shoppers and merchants issue, redeem (partially, on one or several stores within one
window), reload, change statuses and delete; writes time out, lose their answer or get an
unreadable one; a shopper acts between any two await points of a cycle; the process dies at
a random await point (the cycle task is cancelled there and :class:`Crash` raised at every
later step) and a fresh ``Syncer`` on the same ledger starts again, recovery first. The laws
(:mod:`tests.sim.laws`) are checked after every step; value conservation after every cycle
that saw every store whole and undisturbed; convergence after two quiet cycles.

Left out on purpose: a shopper's move between syncd's re-read of a certificate and its write
there (the one-round-trip window DESIGN.md §5 accepts: an absolute write overwrites it), and
a redemption on a record deleted before any listing saw it (nobody can ever see it), and a
move that brings a record exactly to the value of a balance write of unknown outcome there
(§5: re-read, "the written value means applied" — a shopper spending a record down to the 0
syncd was about to write is then indistinguishable from the write).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from syncd.ledger import IntentState, Ledger
from syncd.model import Status
from syncd.reconcile import GroupPolicy, OnDelete, SetBalance, SfccStalePolicy
from syncd.runner.codec import action_of
from syncd.runner.cycle import policy_of
from syncd.runner.recover import Written, written_of
from syncd.runner.result import CycleResult
from syncd.runner.service import Syncer
from tests.sim import laws
from tests.sim.memory_store import Crash, Fault, Hostile, MemoryStore, Steps, four_stores
from tests.sim.world import GROUP, InlineLedger, reset, sim_settings

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
STORES = ("cart", "bc", "sfcc", "sfcx")
amounts = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))


@dataclass(frozen=True)
class Move:
    """A shopper's move planned for a step of a cycle: which usable record (an index into
    the sorted candidates), how many cents, spend or reload."""

    pick: int
    cents: int
    reload: bool


moves = st.dictionaries(
    st.integers(1, 80),
    st.builds(Move, st.integers(0, 50), st.integers(1, 5_000), st.booleans()),
    max_size=3,
)


def note(what: str) -> None:
    """What the examples exercised (``--hypothesis-show-statistics``); nothing in a replay."""
    if currently_in_test_context():
        event(what)


class LedgerSource:
    """Where each example's ledger lives: a fresh SQLite file, or one shared database whose
    tables are emptied for each example (PostgreSQL: creating a database costs a second)."""

    def __init__(self, url: str | None = None) -> None:
        self.url, self.shared = url, None if url is None else Ledger.open(url)

    def open(self, clock: Callable[[], datetime]) -> tuple[Ledger, Callable[[], None]]:
        if self.shared is not None:
            reset(self.shared)
            self.shared._clock = clock  # bookkeeping times follow the simulated clock
            return self.shared, lambda: None
        folder = tempfile.TemporaryDirectory(prefix="syncd-sim-")
        ledger = Ledger.open(f"sqlite:///{Path(folder.name) / 'ledger.db'}", clock=clock)

        def close() -> None:
            ledger.close()
            folder.cleanup()

        return ledger, close


class SimMachine(RuleBasedStateMachine):
    source = LedgerSource()

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.now = START
        self.ledger, self._close = self.source.open(lambda: self.now)
        self.steps = Steps()
        self.stores: dict[str, MemoryStore] = {}
        self.truth: dict[str, Decimal] = {}
        self.serial = 0
        self.touched: set[tuple[str, str]] = set()  # moved since a complete listing saw it
        self.fresh: set[str] = set()  # on several stores, not yet seen by an exact cycle
        self.planned: dict[int, Move] = {}
        self.moved_in_cycle = 0
        self.syncer: Syncer | None = None

    @initialize(
        on_delete=st.sampled_from(OnDelete),
        stale=st.sampled_from(SfccStalePolicy),
        case_insensitive=st.booleans(),
        concurrency=st.sampled_from([1, 4]),
    )
    def setup(
        self, on_delete: OnDelete, stale: SfccStalePolicy, case_insensitive: bool,
        concurrency: int,
    ) -> None:  # fmt: skip
        self.settings = sim_settings(
            on_delete=on_delete.value, stale=stale.value, case_insensitive=case_insensitive,
            concurrency=concurrency,
        )  # fmt: skip
        self.policy: GroupPolicy = policy_of(self.settings.group(GROUP), force=False)
        self.stores = four_stores(self.steps, case_insensitive=case_insensitive)
        self.steps.between = self._between

    def teardown(self) -> None:
        if self.syncer is not None:
            self._run(self.syncer.aclose())
        self.loop.close()
        self._close()

    # -- the shoppers' and merchants' hands ------------------------------------------------

    def records(self, *, usable: bool = False) -> list[tuple[str, str]]:
        """Records a shopper may touch now (``usable``: has money and may be spent)."""
        out = []
        for name, store in sorted(self.stores.items()):
            for rid, r in sorted(store.records.items()):
                if store.codes[rid] in self.fresh or rid in store.reading:
                    continue
                if not usable or (r.balance > 0 and (r.status.usable or not store.caps.has_status)):
                    out.append((name, rid))
        return out

    def _lands_on_unsettled_write(self, store: str, rid: str, balance: Decimal) -> bool:
        """A balance write to ``rid`` was sent, its outcome is unknown to syncd, and it
        wrote (or would write) exactly ``balance`` over another figure (see the module
        docstring)."""
        for intent in self.ledger.unfinished_intents(GROUP):
            if intent.store != store or intent.state != IntentState.SENT.value:
                continue
            action = action_of(intent)
            if not isinstance(action, SetBalance) or action.remote_id != rid:
                continue
            written = written_of(intent, action) or Written(action.expected, action.balance)
            if written.target == balance != written.base:
                return True
        return False

    def _move(self, store: str, rid: str, delta: Decimal) -> None:
        s = self.stores[store]
        if self._lands_on_unsettled_write(store, rid, s.records[rid].balance + delta):
            note("a shopper's move left out: it lands on an unsettled write's value")
            return
        s.set(rid, balance=s.records[rid].balance + delta)
        self.truth[s.codes[rid]] += delta
        self.touched.add((store, rid))

    def _spend(self, store: str, rid: str, cents: int) -> None:
        balance = self.stores[store].records[rid].balance
        self._move(store, rid, -min(Decimal(cents).scaleb(-2), balance))

    def _between(self, step: int) -> None:
        """A shopper acting at ``step`` of a cycle (see :class:`Steps`)."""
        move = self.planned.pop(step, None)
        if move is None:
            return
        usable = self.records(usable=True)
        if move.reload:
            usable = [(s, r) for s, r in self.records() if self.stores[s].caps.set_balance]
        if not usable:
            return
        store, rid = usable[move.pick % len(usable)]
        if move.reload:
            self._move(store, rid, Decimal(move.cents).scaleb(-2))
        else:
            self._spend(store, rid, move.cents)
        self.moved_in_cycle += 1
        note("a shopper moved during a cycle")

    @rule(store=st.sampled_from(STORES), amount=amounts, long_code=st.booleans())
    def issue(self, store: str, amount: Decimal, long_code: bool) -> None:
        self.serial += 1
        code = f"GIFT{self.serial:04d}" + ("-EXTRA-LONG-CODE-XYZ" if long_code else "")
        rid = self.stores[store].issue(code, amount)
        self.truth[self.stores[store].codes[rid]] = amount
        self.touched.add((store, rid))

    @rule(amounts=st.lists(amounts, min_size=2, max_size=3))
    def issue_on_several_stores(self, amounts: list[Decimal]) -> None:
        """The same code already on several stores with different balances (§4.8)."""
        self.serial += 1
        code = f"OLD{self.serial:04d}"
        for store, amount in zip(("cart", "bc", "sfcx"), amounts, strict=False):
            self.touched.add((store, self.stores[store].issue(code, amount)))
        self.truth[code] = min(amounts)  # never invent money: the lowest copy is adopted
        self.fresh.add(code)

    @precondition(lambda self: bool(self.records(usable=True)))
    @rule(data=st.data())
    def redeem(self, data: st.DataObject) -> None:
        store, rid = data.draw(st.sampled_from(self.records(usable=True)))
        self._spend(store, rid, data.draw(st.integers(1, 20_000)))

    @precondition(lambda self: bool(self.records(usable=True)))
    @rule(data=st.data())
    def redeem_on_several_stores(self, data: st.DataObject) -> None:
        """One certificate spent on every store that holds it within one window (may
        overdraw the ledger)."""
        store, rid = data.draw(st.sampled_from(self.records(usable=True)))
        code = self.stores[store].codes[rid]
        for name, other in sorted(self.stores.items()):
            other_rid = other.remote_id_of(code)
            if other_rid is not None and (name, other_rid) in self.records(usable=True):
                self._spend(name, other_rid, data.draw(st.integers(1, 20_000)))

    @precondition(lambda self: bool(self.records()))
    @rule(data=st.data(), amount=amounts)
    def reload(self, data: st.DataObject, amount: Decimal) -> None:
        store, rid = data.draw(st.sampled_from(self.records()))
        if self.stores[store].caps.set_balance:  # SFCC balances only fall by redemptions
            self._move(store, rid, amount)

    @precondition(lambda self: bool(self.records()))
    @rule(data=st.data(), status=st.sampled_from(Status))
    def change_status(self, data: st.DataObject, status: Status) -> None:
        store, rid = data.draw(st.sampled_from(self.records()))
        if self.stores[store].caps.has_status:
            self.stores[store].set(rid, status=status)
            self.touched.add((store, rid))

    @precondition(lambda self: bool(self.records()))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        store, rid = data.draw(st.sampled_from(self.records()))
        if (store, rid) not in self.touched:  # see the module docstring
            self.stores[store].remove(rid)

    @rule(store=st.sampled_from(STORES), faults=st.lists(st.sampled_from(Fault), max_size=3))
    def faulty_writes(self, store: str, faults: list[Fault]) -> None:
        self.stores[store].faults.extend(faults)

    @rule(store=st.sampled_from(STORES), kinds=st.lists(st.sampled_from(Hostile), max_size=2))
    def hostile_listing(self, store: str, kinds: list[Hostile]) -> None:
        """The next listing of ``store`` carries records or pages no platform should send."""
        self.stores[store].hostile.extend(kinds)

    # -- cycles ------------------------------------------------------------------------------

    @rule(force=st.booleans(), moves=moves)
    def cycle(self, force: bool, moves: dict[int, Move]) -> None:
        self.run_cycle(force=force, moves=moves)

    @rule(force=st.booleans(), moves=moves, crash_at=st.integers(1, 60))
    def crash(self, force: bool, moves: dict[int, Move], crash_at: int) -> None:
        self.run_cycle(force=force, moves=moves, crash_at=crash_at)

    @rule()
    def two_quiet_cycles_converge(self) -> None:
        for store in self.stores.values():
            store.faults.clear()
        for _ in range(2):
            exact = self.run_cycle(force=True)
        assert exact, "a quiet cycle was not exact"
        laws.converged(self.ledger, self.stores, self.policy)

    def run_cycle(
        self, *, force: bool, moves: dict[int, Move] | None = None, crash_at: int | None = None
    ) -> bool:
        """One cycle (after a start, recovery first); True if it was exact: every store
        listed whole, nothing held, no crash, no shopper moving meanwhile — then the
        ledger must account for every move."""
        self.now += timedelta(minutes=5)
        self.planned, self.moved_in_cycle = dict(moves or {}), 0
        self.steps.count, self.steps.crash_at = 0, crash_at
        if self.syncer is None:
            self.syncer = Syncer(
                self.settings, self.ledger, clock=lambda: self.now, connectors=self.stores,
                db=InlineLedger(self.ledger),
            )  # fmt: skip
        listed_before = {name: Counter(store.sent_hostile) for name, store in self.stores.items()}
        result = self._cycle_or_crash(self.syncer.run_cycle(GROUP, force=force))
        if result is None:  # died before its plan (and alerts) may have been stored
            for name, store in self.stores.items():
                store.sent_hostile = listed_before[name]
        for store in self.stores.values():
            store.reading.clear()  # the cycle is over: no write follows its reads
        self.planned = {}
        if result is None:
            return False
        exact = self._exact(result)
        if exact:
            laws.conserved(self.ledger, self.stores, self.truth)
        return exact

    def _exact(self, result: CycleResult) -> bool:
        for kind in sorted({f"{a.kind} on {a.store}" for a in result.plan.actions}):
            note(kind)
        whole = len(result.stores) == len(STORES) and all(s.complete for s in result.stores)
        held = result.plan.held
        note(f"cycle {result.outcome.value}" + (", shopper moved" if self.moved_in_cycle else ""))
        exact = whole and not held and not self.moved_in_cycle
        if exact:
            self.touched.clear()
            self.fresh.clear()
        return exact

    def _cycle_or_crash(self, cycle: Coroutine[Any, Any, CycleResult]) -> CycleResult | None:
        """Run one cycle; if the process dies in it, leave the dead Syncer behind (its tasks
        finished or killed) so that the next cycle starts a fresh one on the same ledger."""
        task = self.loop.create_task(cycle)
        self.steps.victim = task
        self.loop.run_until_complete(asyncio.wait([task]))
        if task.cancelled() or isinstance(task.exception(), Crash):
            self._bury()
            note("crash")
            return None
        self.steps.victim = None
        return task.result()

    def _bury(self) -> None:
        others = asyncio.all_tasks(self.loop)
        if others:
            self._run(asyncio.gather(*others, return_exceptions=True))
        assert self.syncer is not None
        with contextlib.suppress(Crash):
            self._run(self.syncer.aclose())
        self.syncer = None
        self.steps.dead, self.steps.crash_at, self.steps.victim = False, None, None

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    # -- laws after every step -------------------------------------------------------------

    @invariant()
    def journal_explains_every_balance(self) -> None:
        laws.journal_explains_balances(self.ledger)

    @invariant()
    def no_code_created_twice(self) -> None:
        laws.no_code_created_twice(self.stores)

    @invariant()
    def every_write_was_planned_for_its_certificate(self) -> None:
        laws.writes_were_planned(self.ledger, self.stores)

    @invariant()
    def every_quarantined_record_has_its_alert(self) -> None:
        laws.quarantined_alerted(self.ledger, self.stores)
