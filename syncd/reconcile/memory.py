"""In-memory ledger, stores and runner: a small, complete reference of how a plan is applied.

The real cycle runner does the same with a database and connectors:

* **recover** first: an intent left ``sent`` by a crash or a lost answer is re-checked
  against the store (create: look the code up; balance/status: read it; delete: is it gone?)
  and recorded as done if the store shows its effect, dropped otherwise. ``pending`` intents
  were never sent: dropped without a read. The next plan re-decides whatever was dropped.
* **plan** from a fresh listing and the ledger view.
* **persist** the plan in one transaction (drafts get ids, then updates, links, journal,
  intents, alerts). A held plan records only its alerts.
* **execute** each intent: mark it ``sent``, then write. A balance write first re-reads the
  certificate and folds any movement in (:func:`~syncd.reconcile.balances.fold_reread`) —
  journal, ledger balance, the link's base (= the re-read value) and the intent's new target
  are persisted together *before* the write, so a crash after the fold neither loses nor
  double-counts the movement.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from syncd.model import (
    Capabilities,
    LedgerCertificate,
    LedgerLink,
    NewCertificate,
    RemoteCertificate,
    Snapshot,
    Status,
)
from syncd.reconcile.balances import fold_reread
from syncd.reconcile.identity import code_key
from syncd.reconcile.plan import (
    Action,
    Alert,
    AlertKind,
    CertRef,
    Create,
    Delete,
    JournalEntry,
    NewKey,
    Plan,
    SetBalance,
    SetStatus,
    link_after_write,
)
from syncd.reconcile.planner import View, plan
from syncd.reconcile.policy import GroupPolicy


class WriteFailed(Exception):
    """A store write that failed; ``applied`` says whether it took effect (a lost answer)."""

    def __init__(self, store: str, applied: bool) -> None:
        self.applied = applied
        super().__init__(f"{store}: write {'applied, answer lost' if applied else 'failed'}")


class Fault(StrEnum):
    FAIL = "fail"  # raise before applying
    LOST = "lost"  # apply, then raise


@dataclass
class MemoryStore:
    """One store: records by remote id; plain codes kept even where the platform hides them."""

    name: str
    caps: Capabilities
    records: dict[str, RemoteCertificate] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # remote id → plain code
    faults: list[Fault] = field(default_factory=list)  # consumed by the next writes
    created: Counter[str] = field(default_factory=Counter)  # creates through the API, by code
    removed: Counter[str] = field(default_factory=Counter)  # deletions of any kind, by code
    case_insensitive: bool = False
    code_is_id: bool = False  # 3dcart: the code is the remote id
    _next_id: int = 1

    # -- platform API --------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        records = tuple(self._shown(r) for r in self.records.values())
        return Snapshot(self.name, records, complete=True)

    def get(self, remote_id: str) -> RemoteCertificate | None:
        record = self.records.get(remote_id)
        return None if record is None else self._shown(record)

    def find_by_code(self, code: str) -> RemoteCertificate | None:
        remote_id = self.remote_id_of(code)
        return None if remote_id is None else self.get(remote_id)

    def create(self, new: NewCertificate) -> RemoteCertificate:
        if self.remote_id_of(new.code) is not None:
            raise ValueError(f"{self.name}: code {new.code!r} exists (created twice)")
        self._fault(lambda: self._add(new.code, new.amount, new.balance, new.currency, new.status))
        self.created[self._key(new.code)] += 1
        remote_id = self.remote_id_of(new.code)
        assert remote_id is not None
        return self._shown(self.records[remote_id])

    def update(
        self, remote_id: str, *, balance: Decimal | None = None, status: Status | None = None
    ) -> RemoteCertificate:
        record = self.records[remote_id]
        if balance is not None:
            assert self.caps.set_balance, f"{self.name} cannot set a balance"
            record = replace(record, balance=balance, amount=max(record.amount, balance))
        if status is not None:
            assert self.caps.has_status, f"{self.name}: no status"
            assert self.caps.set_status, f"{self.name}: cannot set status"
            record = replace(record, status=status)
        self._fault(lambda: self.records.__setitem__(remote_id, record))
        return self._shown(self.records[remote_id])

    def delete(self, remote_id: str) -> None:
        self._fault(lambda: self.remove(remote_id))

    # -- what shoppers and merchants do --------------------------------------------------
    def issue(self, code: str | None, amount: Decimal, currency: str = "USD") -> str:
        """A sale on this store; returns the remote id (the platform picks the code if None)."""
        if code is None or not self.caps.choose_code:
            code = f"SF{self._next_id:08d}X"
        return self._add(code, amount, amount, currency, Status.ACTIVE)

    def remove(self, remote_id: str) -> None:
        del self.records[remote_id]
        self.removed[self._key(self.codes.pop(remote_id))] += 1

    def set(
        self, remote_id: str, *, balance: Decimal | None = None, status: Status | None = None
    ) -> None:
        """A change made on the store itself (checkout, admin)."""
        record = self.records[remote_id]
        if balance is not None:
            record = replace(record, balance=balance, amount=max(record.amount, balance))
        if status is not None:
            record = replace(record, status=status)
        self.records[remote_id] = record

    def remote_id_of(self, code: str) -> str | None:
        key = self._key(code)
        return next((r for r, c in self.codes.items() if self._key(c) == key), None)

    # -- internals ----------------------------------------------------------------------
    def _key(self, code: str) -> str:
        return code_key(code, self.case_insensitive)

    def _add(
        self, code: str, amount: Decimal, balance: Decimal, currency: str, status: Status
    ) -> str:
        if self.caps.max_code_length is not None:
            code = code[: self.caps.max_code_length]
        remote_id = code if self.code_is_id else f"{self.name}-{self._next_id}"
        self._next_id += 1
        if not self.caps.has_status:
            balance = balance if status.usable else Decimal(0)
            status = Status.ACTIVE
        self.records[remote_id] = RemoteCertificate(
            self.name, remote_id, code, currency, max(amount, balance), balance, status,
            masked_code="*" * (len(code) - 4) + code[-4:],
        )  # fmt: skip
        self.codes[remote_id] = code
        return remote_id

    def _shown(self, record: RemoteCertificate) -> RemoteCertificate:
        return record if self.caps.read_codes else replace(record, code=None)

    def _fault(self, write: Callable[[], object]) -> None:
        fault = self.faults.pop(0) if self.faults else None
        if fault is Fault.FAIL:
            raise WriteFailed(self.name, applied=False)
        write()
        if fault is Fault.LOST:
            raise WriteFailed(self.name, applied=True)


class IntentState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    DROPPED = "dropped"


@dataclass
class Intent:
    cert_id: int
    action: Action
    state: IntentState = IntentState.PENDING
    target: Decimal | None = None  # a balance write's target after the re-read fold


@dataclass
class MemoryLedger:
    certificates: dict[int, LedgerCertificate] = field(default_factory=dict)
    links: dict[tuple[int, str], LedgerLink] = field(default_factory=dict)
    journal: list[JournalEntry] = field(default_factory=list)  # cert refs resolved to ids
    alerts: Counter[tuple[str, str | None, int | None, str]] = field(default_factory=Counter)
    intents: list[Intent] = field(default_factory=list)

    def view(self) -> View:
        return View(dict(self.certificates), tuple(self.links.values()))

    def persist(self, p: Plan) -> None:
        """Record a plan: everything, or (held) only its alerts. One 'transaction'."""
        ids: dict[NewKey, int] = {}
        for draft in p.new_certificates:
            ids[draft.key] = max(self.certificates, default=0) + 1
            self.certificates[ids[draft.key]] = LedgerCertificate(
                ids[draft.key], draft.code, draft.currency, draft.amount, draft.balance,
                draft.status, draft.masked_code, draft.people, draft.message, draft.expires_at,
                draft.origin_store, draft.created_at,
            )  # fmt: skip

        def resolve(ref: CertRef) -> int:
            return ids[ref] if isinstance(ref, NewKey) else ref

        for u in p.certificate_updates:
            self.certificates[u.cert_id] = replace(
                self.certificates[u.cert_id], balance=u.balance, status=u.status, code=u.code
            )
        for lu in p.link_updates:
            link = lu.to_link(resolve(lu.cert))
            self.links[(link.certificate_id, link.store)] = link
        self.journal.extend(replace(j, cert=resolve(j.cert)) for j in p.journal)
        self.intents.extend(Intent(resolve(a.cert), a) for a in p.actions)
        self.raise_alerts(p.alerts, resolve)

    def raise_alerts(self, alerts: tuple[Alert, ...], resolve: Callable[[CertRef], int]) -> None:
        for a in alerts:
            cert = None if a.cert is None else resolve(a.cert)
            self.alerts[(a.kind.value, a.store, cert, a.key)] += 1

    def unfinished(self) -> Iterator[Intent]:
        return (i for i in self.intents if i.state in (IntentState.PENDING, IntentState.SENT))


class Crash(Exception):
    """The process died (a test's ``kill -9``)."""


@dataclass
class MemoryRunner:
    ledger: MemoryLedger
    stores: dict[str, MemoryStore]
    policy: GroupPolicy
    reread_changed: int = 0  # re-reads that found a movement since the listing (a metric)
    # The planning function: tests swap in one that also checks the quiet fast path's law.
    planner: Callable[
        [View, Mapping[str, Snapshot], Mapping[str, Capabilities], GroupPolicy, datetime], Plan
    ] = plan

    def capabilities(self) -> Mapping[str, Capabilities]:
        return {name: s.caps for name, s in self.stores.items()}

    def cycle(
        self,
        now: datetime,
        *,
        snapshots: Mapping[str, Snapshot] | None = None,
        policy: GroupPolicy | None = None,
        between: Callable[[], None] | None = None,
        crash_after: int | None = None,
        crash_unrecorded: bool = False,
    ) -> Plan:
        """Recover, list, plan, persist, execute.

        ``between`` runs after the listing (a shopper racing the cycle). ``crash_after=n``
        dies after persisting the plan and finishing n intents; with ``crash_unrecorded`` the
        (n+1)-th write reaches the store first but is never recorded.
        """
        self.recover(now)
        if snapshots is None:
            snapshots = {name: s.snapshot() for name, s in self.stores.items()}
        if between is not None:
            between()
        view, caps = self.ledger.view(), self.capabilities()
        p = self.planner(view, snapshots, caps, policy or self.policy, now)
        self.ledger.persist(p)
        for n, intent in enumerate(list(self.ledger.unfinished())):
            if crash_after is not None and n >= crash_after:
                if crash_unrecorded:
                    intent.state = IntentState.SENT
                    with contextlib.suppress(WriteFailed):
                        self._write(intent, now)
                raise Crash(f"after {n} intent(s)")
            self.execute(intent, now)
        return p

    def execute(self, intent: Intent, now: datetime) -> None:
        intent.state = IntentState.SENT
        try:
            written = self._write(intent, now)
        except WriteFailed:
            self.recheck(intent, now)  # the outcome is unknown to a real runner: read it
            return
        if written is not None:
            self._done(intent, now, result=written)
        elif intent.state is IntentState.SENT:
            self._done(intent, now)

    def _write(self, intent: Intent, now: datetime) -> RemoteCertificate | None:
        """Send one intent to its store; a create returns the record created."""
        action, store = intent.action, self.stores[intent.action.store]
        if isinstance(action, Create):
            return store.create(action.new)
        if isinstance(action, SetStatus):
            store.update(action.remote_id, status=action.status)
        else:
            self._reread_then_write(intent, action, store, now)
        return None

    def _reread_then_write(
        self, intent: Intent, action: SetBalance | Delete, store: MemoryStore, now: datetime
    ) -> None:
        """§5: a balance write (or a delete) first folds in what moved since the listing."""
        current = store.get(action.remote_id)
        if current is None:
            intent.state = IntentState.DROPPED  # gone since the listing: next cycle sees it
            return
        cert = self.ledger.certificates[intent.cert_id]
        fold = fold_reread(action, current.balance, cert.balance, cert.currency, now)
        if fold.journal:  # persisted together, before the write (see module docstring)
            self.reread_changed += 1
            self.ledger.journal.extend(replace(j, cert=intent.cert_id) for j in fold.journal)
            self.ledger.certificates[intent.cert_id] = replace(cert, balance=fold.canonical)
            self.ledger.raise_alerts(fold.alerts, lambda _: intent.cert_id)
            key = (intent.cert_id, action.store)
            self.ledger.links[key] = replace(self.ledger.links[key], last_balance=current.balance)
        intent.target = fold.target
        if isinstance(action, Delete):
            store.delete(action.remote_id)
        elif fold.write:
            store.update(action.remote_id, balance=fold.target)

    def _done(
        self, intent: Intent, now: datetime, *, result: RemoteCertificate | None = None
    ) -> None:
        key = (intent.cert_id, intent.action.store)
        self.ledger.links[key] = link_after_write(
            intent.action, self.ledger.links.get(key), intent.cert_id, now,
            result=result, balance=intent.target,
        )  # fmt: skip
        intent.state = IntentState.DONE

    def recover(self, now: datetime) -> None:
        """Settle every unfinished intent before planning again (§5)."""
        for intent in list(self.ledger.unfinished()):
            if intent.state is IntentState.PENDING:
                intent.state = IntentState.DROPPED
            else:
                self.recheck(intent, now)

    def recheck(self, intent: Intent, now: datetime) -> None:
        """Did a write whose outcome is unknown take effect? Record it, or drop it.

        A balance that is neither the one the write started from nor its target cannot be
        explained (the write may have landed and then the shopper moved it): it is dropped
        with a ``divergence`` alert, never guessed. Restarting promptly keeps this rare.
        """
        action, store = intent.action, self.stores[intent.action.store]
        if isinstance(action, Create):
            found = store.find_by_code(action.new.code)
            if found is not None:
                return self._done(intent, now, result=found)
        else:
            current = store.get(action.remote_id)
            if _took_effect(action, current, intent.target):
                return self._done(intent, now)
            if isinstance(action, SetBalance) and current is not None:
                self._unexplained(intent, action, current.balance)
        intent.state = IntentState.DROPPED
        return None

    def _unexplained(self, intent: Intent, action: SetBalance, seen: Decimal) -> None:
        link = self.ledger.links.get((intent.cert_id, action.store))
        if link is not None and seen != link.last_balance:
            key = f"divergence:unknown-write:{action.store}:{action.remote_id}"
            why = f"{action.store}: balance {seen} after a write of unknown outcome"
            alert = Alert(AlertKind.DIVERGENCE, action.store, intent.cert_id, key, why)
            self.ledger.raise_alerts((alert,), lambda ref: intent.cert_id)


def _took_effect(action: Action, current: RemoteCertificate | None, target: Decimal | None) -> bool:
    if isinstance(action, Delete):
        return current is None
    if current is None:
        return False
    if isinstance(action, SetBalance):
        return current.balance == (action.balance if target is None else target)
    assert isinstance(action, SetStatus)
    return current.status == action.status
