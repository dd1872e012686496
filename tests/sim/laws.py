"""The laws of syncd, checked against the real ledger and the memory stores.

``truth`` is what shoppers did: per certificate code, issued + reloads − redemptions (the
lowest copy for a code first seen on several stores). The ledger must tell the same story.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from syncd.ledger import IntentAction, Ledger, LedgerView
from syncd.model import BalanceMode, LedgerCertificate, Status
from syncd.reconcile import GroupPolicy, OnDelete, SfccStalePolicy, target_balance
from syncd.reconcile.deletion import is_live
from syncd.reconcile.mirror import unmirrorable_reason
from syncd.reconcile.plan import MOVES_LEDGER, AlertKind
from syncd.reconcile.record_alerts import record_key_of
from tests.sim.memory_store import MemoryStore
from tests.sim.world import GROUP, alerts, intents, journal


def code_of(cert: LedgerCertificate, view: LedgerView, stores: Mapping[str, MemoryStore]) -> str:
    """A certificate's plain code: the ledger's, or the one its record holds on a store that
    hides it (the memory store keeps every code it ever held)."""
    if cert.code is not None:
        return cert.code
    for link in view.links:
        if link.certificate_id == cert.id and link.remote_id in stores[link.store].codes:
            return stores[link.store].codes[link.remote_id]
    raise AssertionError(f"certificate {cert.id} has no code and no link")


def conserved(
    ledger: Ledger, stores: Mapping[str, MemoryStore], truth: Mapping[str, Decimal]
) -> None:
    """Every certificate's ledger balance is what shoppers did with it, overdrafts included;
    where a write of unknown outcome was settled by one of two readings (its
    ``ambiguous_write`` alert), the balance may differ by that alert's ``correction`` — what
    taking the other reading would move the ledger by (DESIGN.md §5)."""
    view = ledger.load_view(GROUP)
    corrections: dict[int, list[Decimal]] = defaultdict(list)
    for a in alerts(ledger):
        if a.kind == AlertKind.AMBIGUOUS_WRITE and a.certificate_id is not None:
            assert a.details is not None, f"ambiguous_write {a.key} without its figures"
            corrections[a.certificate_id].append(Decimal(a.details["correction"]))
    seen: set[str] = set()
    for cert in view.certificates.values():
        code = code_of(cert, view, stores)
        assert code not in seen, f"two certificates for {code}"
        seen.add(code)
        assert code in truth, f"{code}: in the ledger, but no shopper issued it"
        readings = _other_readings(corrections[cert.id])
        assert truth[code] - cert.balance in readings, (
            f"{code}: ledger {cert.balance}, shoppers left {truth[code]}"
            + (f" (other readings: {sorted(readings)})" if corrections[cert.id] else "")
        )
    missing = set(truth) - seen
    assert not missing, f"issued but not in the ledger: {sorted(missing)}"


def _other_readings(corrections: list[Decimal]) -> set[Decimal]:
    """What the ledger would move by if a human took the other reading of any of these
    settlements (each on its own or together)."""
    sums = {Decimal(0)}
    for c in corrections:
        sums |= {s + c for s in sums}
    return sums


def journal_explains_balances(ledger: Ledger) -> None:
    """Σ of the journal rows that move the ledger = the balance, for every certificate; one
    ``issue`` row each."""
    sums: dict[int, Decimal] = defaultdict(Decimal)
    issues: list[int] = []
    for row in journal(ledger):
        if row.kind in MOVES_LEDGER:
            sums[row.certificate_id] += row.amount
        if row.kind == "issue":
            issues.append(row.certificate_id)
    certs = ledger.load_view(GROUP).certificates
    for cid, cert in certs.items():
        assert sums[cid] == cert.balance, (cid, cert.balance, sums[cid])
    assert sorted(issues) == sorted(set(issues)) == sorted(certs)


def no_code_created_twice(stores: Mapping[str, MemoryStore]) -> None:
    """A code is created on a store at most once — again only after it was deleted there."""
    for store in stores.values():
        for key, n in store.created.items():
            assert n <= 1 + store.removed[key], (store.name, key, n)
        keys = [store.key(store.codes[rid]) for rid in store.records]
        assert len(keys) == len(set(keys)), (store.name, sorted(keys))


def writes_were_planned(ledger: Ledger, stores: Mapping[str, MemoryStore]) -> None:
    """Every write that reached a store was stored as an intent first, for that record, and
    that intent's certificate is the record's certificate (same code)."""
    view = ledger.load_view(GROUP)
    planned: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for intent in intents(ledger):
        cert = view.certificates[intent.certificate_id]
        code = code_of(cert, view, stores)
        action = IntentAction(intent.action)
        recreate = stores[intent.store].caps.balance_write is BalanceMode.RECREATE
        if action is IntentAction.CREATE:
            planned[(intent.store, "create", intent.payload["new"]["code"])].add(code)
        elif action is IntentAction.UPDATE and recreate:  # re-issue: delete, then create
            planned[(intent.store, "delete", intent.payload["remote_id"])].add(code)
            planned[(intent.store, "create", code)].add(code)
        else:
            op = "delete" if action is IntentAction.DELETE else "update"
            planned[(intent.store, op, intent.payload["remote_id"])].add(code)
    for store in stores.values():
        for w in store.writes:
            if not w.applied:
                continue
            target = w.code if w.op == "create" else w.remote_id
            codes = {store.key(c) for c in planned.get((store.name, w.op, target), set())}
            assert store.key(w.code) in codes, (
                f"{store.name}: {w.op} of {w.remote_id} ({w.code}) was never planned for it"
            )


def converged(ledger: Ledger, stores: Mapping[str, MemoryStore], policy: GroupPolicy) -> None:
    """Every store that can hold a certificate shows the ledger's balance and status (3dcart:
    0 when disabled; SFCC without companion: disabled while it holds more; SFCC with one:
    disabled when nothing is left, and never created then); no record on any store is
    unknown to the ledger."""
    view = ledger.load_view(GROUP)
    links = {(lk.certificate_id, lk.store): lk for lk in view.links}
    linked: set[tuple[str, str]] = set()
    for cert in view.certificates.values():
        deleted = any(lk.deleted for (cid, _), lk in links.items() if cid == cert.id)
        for name, store in stores.items():
            lk = links.get((cert.id, name))
            if not is_live(lk):
                can = unmirrorable_reason(cert, store.caps, policy) is None
                can = can and not _disabled_for_zero(cert, store)  # nothing to create there
                restore = policy.on_delete is OnDelete.RESTORE
                if lk is not None and lk.deleted and restore:
                    assert not can, f"{cert.code} not restored on {name}"
                blocked = deleted and not restore
                assert not can or blocked or (lk is not None and lk.deleted), (
                    f"{cert.code} not mirrored to {name}"
                )
                continue
            assert lk is not None
            record = store.records.get(lk.remote_id)
            assert record is not None, f"{cert.code} linked on {name} but missing"
            linked.add((name, lk.remote_id))
            _shows(cert, store, record.balance, record.status, policy)
    orphans = {(n, rid) for n, s in stores.items() for rid in s.records} - linked
    assert not orphans, f"records no certificate is linked to: {sorted(orphans)}"


def _shows(
    cert: LedgerCertificate, store: MemoryStore, balance: Decimal, status: Status,
    policy: GroupPolicy,
) -> None:  # fmt: skip
    target, _ = target_balance(cert.balance, cert.status, store.caps)
    where = f"{cert.code} on {store.name}"
    if _disabled_for_zero(cert, store) and balance != target:
        assert status is Status.DISABLED, f"{where}: nothing left, shows {balance} {status}"
        return
    if store.caps.set_balance:
        assert balance == target, f"{where}: {balance} != {target}"
        if store.caps.has_status:
            assert status == cert.status, f"{where}: {status} != {cert.status}"
        return
    stale = balance > target
    if stale and policy.sfcc_stale_balance is SfccStalePolicy.DISABLE:
        assert status is Status.DISABLED, f"{where}: stale but {status}"
    elif not stale:
        assert status == cert.status, f"{where}: {status} != {cert.status}"


def _disabled_for_zero(cert: LedgerCertificate, store: MemoryStore) -> bool:
    """Nothing left, on a store that cannot hold 0 (SFCC): disabled there, never created."""
    target, _ = target_balance(cert.balance, cert.status, store.caps)
    return store.caps.set_balance and not store.caps.holds_zero and target == 0


def quarantined_alerted(ledger: Ledger, stores: Mapping[str, MemoryStore]) -> None:
    """Every hostile record listed has its ``malformed_record`` alert, counted once for each
    listing that carried it (DESIGN.md §4.13: one alert per store and record — records that
    share a key, like two blank codes on 3dcart where the code is the id, share it)."""
    counted: dict[tuple[str | None, str], int] = defaultdict(int)
    for a in alerts(ledger):
        if a.kind == AlertKind.MALFORMED_RECORD:
            counted[(a.store, a.key)] += a.count
    for name, store in stores.items():
        for (record, is_code), listings in store.sent_hostile.items():
            key = record_key_of(AlertKind.MALFORMED_RECORD, name, record, hidden=is_code)
            raised = counted[(name, key)]
            assert raised >= listings, (
                f"{name}: hostile record {record!r} listed {listings} time(s), alerted {raised}"
            )
