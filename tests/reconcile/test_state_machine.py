"""Hypothesis state machine over the planner, the in-memory stores and the reference runner.

Four stores of different abilities form one group: a 3dcart-like store (no status: disabled is
balance 0, the code is the id), a BigCommerce-like one (20-character codes, required people),
an SFCC-like one without companion (no code choice, no balance writes, codes hidden unless a
look-up reveals them) and an SFCC-like one with companion (a full peer).

Shoppers and merchants issue, redeem (partially, on one or several stores within one window),
reload, change statuses and delete; writes fail or lose their answer; the process crashes
between persisting a plan and executing it, or between a write and its record. Laws:

* after every cycle that saw every store completely and was not held: value is conserved,
  Σ issued + Σ reloaded − Σ redeemed = Σ ledger balances (overdrafts included), and each
  certificate's journal explains its balance;
* no code is ever created twice on a store (the store refuses a second create of a code, and
  counts creates);
* after two quiet cycles every store that can hold a certificate shows the ledger's balance and
  status (3dcart: 0 when disabled; SFCC without companion: disabled while it holds more).

Known limit, kept out of the model on purpose: a redemption on a record that is deleted before
the next poll can never be seen by anyone (the ``delete`` rule only deletes untouched records).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from syncd.model import Capabilities, LedgerCertificate, RemoteCertificate, Snapshot, Status
from syncd.reconcile import (
    GroupPolicy,
    JournalKind,
    OnDelete,
    Plan,
    SfccStalePolicy,
    target_balance,
)
from syncd.reconcile.deletion import is_live
from syncd.reconcile.memory import Crash, Fault, MemoryLedger, MemoryRunner, MemoryStore
from syncd.reconcile.mirror import unmirrorable_reason
from syncd.reconcile.planner import View, plan
from syncd.reconcile.quiet import Baseline, plan_quietly, set_aside, settle

from .helpers import BIGCOMMERCE, DEFAULTS, NOW, SFCC, SFCC_COMPANION, THREEDCART

CART, BC, SFCC_LITE, SFCC_PEER = "cart", "bc", "sfcc", "sfcx"
amounts = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))


def _events(p: Plan) -> None:
    """What the cycles exercised (``--hypothesis-show-statistics``)."""
    if p.held:
        event("plan held")
    for kind in sorted({f"{a.kind} on {a.store}" for a in p.actions}):
        event(kind)
    for alert in sorted({a.kind.value for a in p.alerts}):
        event(f"alert {alert}")
    for j in p.journal:
        event(f"journal {j.kind}")


def _plan_checked(
    view: View,
    snapshots: Mapping[str, Snapshot],
    caps: Mapping[str, Capabilities],
    policy: GroupPolicy,
    now: datetime,
) -> Plan:
    """The plan — and the law of the quiet fast path on every cycle: setting quiet records
    aside (syncd.reconcile.quiet) gives exactly the same plan."""
    full = plan(view, snapshots, caps, policy, now)
    assert plan_quietly(view, snapshots, caps, policy, now) == full
    baseline = Baseline(view.certificates, view.links, caps, policy)
    _, quiet = settle(baseline, *set_aside(baseline, snapshots))
    share = len(quiet.certificates) / max(1, len(view.certificates))
    event(f"quiet certificates: {'none' if not share else 'all' if share == 1 else 'some'}")
    return full


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.issued = self.reloaded = self.redeemed = Decimal(0)
        self.now = NOW
        self.serial = 0
        self.touched: set[tuple[str, str]] = set()  # records moved since the last listing
        self.reveal = False  # the runner looked SFCC codes up (Shop API)
        # codes issued on several stores at once, untouchable until a cycle saw every copy:
        # first contact adopts the lowest copy, so a movement before that is not a movement
        self.fresh: set[str] = set()
        self.runner: MemoryRunner

    @initialize(
        on_delete=st.sampled_from(OnDelete),
        stale=st.sampled_from(SfccStalePolicy),
        case_insensitive=st.booleans(),
    )
    def setup(self, on_delete: OnDelete, stale: SfccStalePolicy, case_insensitive: bool) -> None:
        policy = GroupPolicy(
            on_delete=on_delete, sfcc_stale_balance=stale,
            case_insensitive_codes=case_insensitive, defaults=DEFAULTS,
        )  # fmt: skip
        stores = {
            CART: MemoryStore(CART, THREEDCART, code_is_id=True),
            BC: MemoryStore(BC, BIGCOMMERCE),
            SFCC_LITE: MemoryStore(SFCC_LITE, SFCC),
            SFCC_PEER: MemoryStore(SFCC_PEER, SFCC_COMPANION),
        }
        for store in stores.values():
            store.case_insensitive = case_insensitive
        self.runner = MemoryRunner(MemoryLedger(), stores, policy, planner=_plan_checked)

    # -- helpers --------------------------------------------------------------------------
    def records(self, usable: bool = False) -> list[tuple[str, str]]:
        out = []
        for name, store in sorted(self.runner.stores.items()):
            for rid, r in sorted(store.records.items()):
                if store.codes[rid] in self.fresh:
                    continue
                if not usable or (r.balance > 0 and (r.status.usable or not store.caps.has_status)):
                    out.append((name, rid))
        return out

    def snapshots(self) -> dict[str, Snapshot]:
        snaps = {n: s.snapshot() for n, s in self.runner.stores.items()}
        if self.reveal:
            lite = self.runner.stores[SFCC_LITE]
            shown = tuple(
                replace(r, code=lite.codes[r.remote_id]) for r in snaps[SFCC_LITE].certificates
            )
            snaps[SFCC_LITE] = Snapshot(SFCC_LITE, shown, complete=True)
        return snaps

    def run_cycle(self, **kw: object) -> bool:
        """One cycle; True if it was exact (complete listings, not held, no race)."""
        self.now += timedelta(minutes=5)
        snaps = kw.pop("snapshots", None) or self.snapshots()
        listed = {name for name, snap in snaps.items() if snap.complete}
        before, self.touched = self.touched, set()  # from here on: moves during the cycle
        folds = self.runner.reread_changed
        try:
            p = self.runner.cycle(self.now, snapshots=snaps, **kw)  # type: ignore[arg-type]
        except Crash:
            held = False  # a crash needs intents: the plan was not held, and it was persisted
            event("crash with intents unfinished")
            # systemd restarts at once: the re-check runs before shoppers act again (a move
            # in between is the documented, alerted ambiguity of MemoryRunner.recheck)
            self.runner.recover(self.now)
        else:
            held = p.held
            _events(p)
        if not held:  # what the listing showed is in the ledger now (moves during it are not)
            before = {(store, rid) for store, rid in before if store not in listed}
        self.touched |= before
        if self.runner.reread_changed > folds:
            event("re-read before a write found a movement (folded)")
        if not held and listed == set(self.runner.stores):
            self.fresh.clear()
        return not held

    # -- what happens on the stores -------------------------------------------------------
    @rule(store=st.sampled_from([CART, BC, SFCC_LITE, SFCC_PEER]), amount=amounts,
          long_code=st.booleans())  # fmt: skip
    def issue(self, store: str, amount: Decimal, long_code: bool) -> None:
        self.serial += 1
        code = f"GIFT{self.serial:04d}" + ("-EXTRA-LONG-CODE-XYZ" if long_code else "")
        rid = self.runner.stores[store].issue(code, amount)
        self.issued += amount
        self.touched.add((store, rid))

    @rule(amounts=st.lists(amounts, min_size=2, max_size=3))
    def issue_on_several_stores(self, amounts: list[Decimal]) -> None:
        """The same code already on several stores with different balances (§4.8)."""
        self.serial += 1
        code = f"OLD{self.serial:04d}"
        for store, amount in zip((CART, BC, SFCC_PEER), amounts, strict=False):
            self.runner.stores[store].issue(code, amount)
        self.issued += min(amounts)  # never invent money: the lowest copy is adopted
        self.fresh.add(code)

    @precondition(lambda self: bool(self.records(usable=True)))
    @rule(data=st.data())
    def redeem_on_several_stores(self, data: st.DataObject) -> None:
        """One certificate spent on two or three stores within one window (may overdraw)."""
        store, rid = data.draw(st.sampled_from(self.records(usable=True)))
        code = self.runner.stores[store].codes[rid]
        for name, other in sorted(self.runner.stores.items()):
            other_rid = other.remote_id_of(code)
            if other_rid is not None and (name, other_rid) in self.records(usable=True):
                self._spend(data, name, other_rid)

    @precondition(lambda self: bool(self.records(usable=True)))
    @rule(data=st.data())
    def redeem(self, data: st.DataObject) -> None:
        store, rid = data.draw(st.sampled_from(self.records(usable=True)))
        self._spend(data, store, rid)

    def _spend(self, data: st.DataObject, store: str, rid: str) -> None:
        record = self.runner.stores[store].records[rid]
        cents = data.draw(st.integers(1, int(record.balance * 100)))
        amount = Decimal(cents).scaleb(-2)
        self.runner.stores[store].set(rid, balance=record.balance - amount)
        self.redeemed += amount
        self.touched.add((store, rid))

    @precondition(lambda self: bool(self.records()))
    @rule(data=st.data(), amount=amounts)
    def reload(self, data: st.DataObject, amount: Decimal) -> None:
        store, rid = data.draw(st.sampled_from(self.records()))
        if not self.runner.stores[store].caps.set_balance:
            return  # SFCC balances only fall through redemptions
        record = self.runner.stores[store].records[rid]
        self.runner.stores[store].set(rid, balance=record.balance + amount)
        self.reloaded += amount
        self.touched.add((store, rid))

    @precondition(lambda self: bool(self.records()))
    @rule(data=st.data(), status=st.sampled_from(Status))
    def change_status(self, data: st.DataObject, status: Status) -> None:
        store, rid = data.draw(st.sampled_from(self.records()))
        if self.runner.stores[store].caps.has_status:
            self.runner.stores[store].set(rid, status=status)
            self.touched.add((store, rid))

    @precondition(lambda self: bool(self.records()))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        store, rid = data.draw(st.sampled_from(self.records()))
        if (store, rid) not in self.touched:  # see the module docstring
            self.runner.stores[store].remove(rid)

    @rule(store=st.sampled_from([CART, BC, SFCC_LITE, SFCC_PEER]),
          faults=st.lists(st.sampled_from(Fault), min_size=1, max_size=3))  # fmt: skip
    def faulty_writes(self, store: str, faults: list[Fault]) -> None:
        self.runner.stores[store].faults.extend(faults)

    @rule()
    def toggle_code_lookup(self) -> None:
        self.reveal = not self.reveal

    # -- cycles ---------------------------------------------------------------------------
    @rule(force=st.booleans())
    def cycle(self, force: bool) -> None:
        exact = self.run_cycle(policy=self._policy(force))
        if exact:
            self.check_conservation()

    @rule(force=st.booleans(), after=st.integers(0, 6), unrecorded=st.booleans())
    def crash(self, force: bool, after: int, unrecorded: bool) -> None:
        exact = self.run_cycle(
            policy=self._policy(force), crash_after=after, crash_unrecorded=unrecorded
        )
        if exact:
            self.check_conservation()  # the persisted plan already holds every observation

    @precondition(lambda self: bool(self.records(usable=True)))
    @rule(data=st.data())
    def cycle_with_a_racing_redemption(self, data: st.DataObject) -> None:
        """A shopper redeems between our listing and our write (the §5 re-read fold)."""
        store, rid = data.draw(st.sampled_from(self.records(usable=True)))
        self.run_cycle(policy=self._policy(True), between=lambda: self._spend(data, store, rid))

    @rule(data=st.data())
    def cycle_with_a_partial_listing(self, data: st.DataObject) -> None:
        snaps = self.snapshots()
        store = data.draw(st.sampled_from(sorted(snaps)))
        if data.draw(st.booleans()):
            del snaps[store]  # could not be listed at all
        else:
            kept = snaps[store].certificates[: data.draw(st.integers(0, 3))]
            snaps[store] = Snapshot(store, kept, complete=False, reason="cut short")
        self.run_cycle(snapshots=snaps, policy=self._policy(True))

    def _policy(self, force: bool) -> GroupPolicy:
        return replace(self.runner.policy, force=force)

    @rule()
    def two_quiet_cycles_converge(self) -> None:
        for store in self.runner.stores.values():
            store.faults.clear()
        self.run_cycle(policy=self._policy(True))
        self.run_cycle(policy=self._policy(True))
        self.check_conservation()
        self.check_converged()

    # -- laws -----------------------------------------------------------------------------
    def check_conservation(self) -> None:
        ledger = self.runner.ledger
        total = sum((c.balance for c in ledger.certificates.values()), Decimal(0))
        assert total == self.issued + self.reloaded - self.redeemed, (
            f"ledger {total} != issued {self.issued} + reloaded {self.reloaded} "
            f"- redeemed {self.redeemed}"
        )

    @invariant()
    def journal_explains_every_balance(self) -> None:
        if not hasattr(self, "runner"):
            return
        sums: dict[object, Decimal] = {}
        for j in self.runner.ledger.journal:
            if j.moves_ledger:
                sums[j.cert] = sums.get(j.cert, Decimal(0)) + j.amount
        for cid, c in self.runner.ledger.certificates.items():
            assert sums.get(cid, Decimal(0)) == c.balance, (cid, c.balance, sums.get(cid))
        issues = [j.cert for j in self.runner.ledger.journal if j.kind is JournalKind.ISSUE]
        assert len(issues) == len(set(issues)) == len(self.runner.ledger.certificates)

    @invariant()
    def no_code_created_twice_on_a_store(self) -> None:
        if not hasattr(self, "runner"):
            return
        for store in self.runner.stores.values():
            # a code may be created again only after it was deleted there (on_delete=restore)
            for code, n in store.created.items():
                assert n <= 1 + store.removed[code], (store.name, code, n)
            keys = [store._key(c) for c in store.codes.values()]
            assert len(keys) == len(set(keys)), (store.name, keys)

    def check_converged(self) -> None:
        ledger, policy = self.runner.ledger, self.runner.policy
        linked: set[tuple[str, str]] = set()
        for c in ledger.certificates.values():
            deleted = any(lk.deleted for (cid, _), lk in ledger.links.items() if cid == c.id)
            for name, store in self.runner.stores.items():
                lk = ledger.links.get((c.id, name))
                if not is_live(lk):
                    can = unmirrorable_reason(c, store.caps, policy) is None
                    blocked = deleted and policy.on_delete is not OnDelete.RESTORE
                    if lk is not None and lk.deleted and policy.on_delete is OnDelete.RESTORE:
                        assert not can, f"{c.code} not restored on {name}"
                    assert not can or blocked or (lk is not None and lk.deleted), (
                        f"{c.code} not mirrored to {name}"
                    )
                    continue
                assert lk is not None
                record = store.records.get(lk.remote_id)
                assert record is not None, f"{c.code} linked on {name} but missing"
                linked.add((name, lk.remote_id))
                self._check_record(c, store, record)
        orphans = set(self.records()) - linked
        assert not orphans, f"records no certificate is linked to: {orphans}"

    def _check_record(
        self, c: LedgerCertificate, store: MemoryStore, record: RemoteCertificate
    ) -> None:
        target, _ = target_balance(c.balance, c.status, store.caps)
        where = f"{c.code} on {store.name}"
        if store.caps.set_balance:
            assert record.balance == target, f"{where}: {record.balance} != {target}"
            if store.caps.has_status:
                assert record.status == c.status, f"{where}: {record.status} != {c.status}"
            return
        stale = record.balance > target
        if stale and self.runner.policy.sfcc_stale_balance is SfccStalePolicy.DISABLE:
            assert record.status is Status.DISABLED, f"{where}: stale but {record.status}"
        elif not stale:
            assert record.status == c.status, f"{where}: {record.status} != {c.status}"


class TestSyncMachineShort(SyncMachine.TestCase):  # type: ignore[misc,name-defined]
    """Quick: runs in every pytest invocation (dev profile: ~2 s)."""

    settings = settings(stateful_step_count=30)


@pytest.mark.slow
class TestSyncMachine(SyncMachine.TestCase):  # type: ignore[misc,name-defined]
    """Long histories (ci profile: 300 examples × up to 300 steps, ~2–3 min)."""

    settings = settings(stateful_step_count=300)
