"""Quiet records: the steady-state fast path of a cycle (issue 8).

No platform can list "what changed since", so every cycle lists every certificate of every
store, and at 100k certificates nearly every record shows exactly what the ledger expects.
Such a record is *quiet*: it shows what its link recorded (remote id, balance, status,
version — so no delta, no status change, no link update) and what the ledger wants that
store to show (so no write). A runner sets quiet records aside while the listing streams in
(:meth:`Baseline.sieve`: nothing of them is kept but their remote id), and a certificate
that is quiet on every listed store is not planned at all.

The law, tested with Hypothesis (tests/reconcile/test_quiet.py, and on every cycle of the
sync state machine): for any ledger view, listings, capabilities and policy,
:func:`plan_quietly` returns exactly the plan of :func:`syncd.reconcile.plan` on everything.
That holds because a certificate stays in the plan as soon as anything could concern it —
a record on any store that is not quiet and could be attributed to it (by remote id or by
code, the ways identity works, §4.1), a listed store where it was not seen — and then its
quiet records are put back as they were listed (:func:`settle`), so the planner sees that
certificate exactly as it would have.

A certificate can only be quiet when planning it could not do anything: it has a plain code
that is its own (no other certificate owns the same code key), a live link with a merge base
on every store of the group (or a link recording why that store cannot hold it, for the same
reason the planner would find today), no store shows it with more than the ledger where the
balance cannot be lowered, and every store that can take a write already shows the ledger's
balance and status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from syncd.model import (
    Capabilities,
    LedgerCertificate,
    LedgerLink,
    RemoteCertificate,
    Snapshot,
    Status,
)
from syncd.reconcile import mirror
from syncd.reconcile.balances import target_balance
from syncd.reconcile.identity import code_key
from syncd.reconcile.plan import Plan
from syncd.reconcile.policy import GroupPolicy

# What a sieve says of one listed record: the certificate it is quiet for, or None (keep it).
Sieve = Callable[[RemoteCertificate], int | None]


@dataclass(frozen=True, slots=True)
class Quiet:
    """What the planner is told about the records set aside.

    ``certificates``: certificates quiet on every listed store (not planned).
    ``listed``: per store, how many records were set aside — the store did list them (the
    safety brake must not take a store whose records were all quiet for an emptied one).
    """

    certificates: frozenset[int] = frozenset()
    listed: Mapping[str, int] = field(default_factory=dict)


NOTHING_QUIET = Quiet()


class Baseline:
    """What each store must show for a record to be quiet, from the ledger view.

    Holds no object of its own per record: per store, a dict from remote id to the ledger's
    link (its expected balance, status and version), and per certificate the stores it is
    expected on.
    """

    def __init__(
        self,
        certificates: Mapping[int, LedgerCertificate],
        links: Sequence[LedgerLink],
        capabilities: Mapping[str, Capabilities],
        policy: GroupPolicy,
    ) -> None:
        # One pass over the certificates and one over the links: this runs every cycle over
        # the whole group (300k links at 100k certificates), so no object per certificate.
        self._certs = certificates
        self._caps = capabilities
        self._ci = policy.case_insensitive_codes
        self._expect: dict[str, dict[str, LedgerLink]] = {s: {} for s in capabilities}
        self._owner: dict[str, int] = {}  # code key → certificate (the lowest id, as §4.1)
        for cert_id in sorted(certificates):
            code = certificates[cert_id].code
            if code is not None:
                self._owner.setdefault(code_key(code, self._ci), cert_id)
        owns = set(self._owner.values())  # certificates with a plain code of their own
        bit = {store: 1 << i for i, store in enumerate(sorted(capabilities))}
        seen: dict[int, int] = {}  # certificate → bits of the stores it has a link on
        bad: set[int] = set()
        self._partial: dict[int, tuple[str, ...]] = {}  # some store cannot hold it
        for link in links:
            store, cert_id = link.store, link.certificate_id
            if store not in bit or cert_id not in owns:
                continue
            mask = seen.get(cert_id, 0)
            seen[cert_id] = mask | bit[store]
            if mask & bit[store] or not self._quiet_link(certificates[cert_id], link, policy):
                bad.add(cert_id)
            elif link.unmirrorable is None:
                self._expect[store][link.remote_id] = link
            else:
                self._partial[cert_id] = (*self._partial.get(cert_id, ()), store)
        full = (1 << len(bit)) - 1
        bad.update(cert_id for cert_id, mask in seen.items() if mask != full)
        self._eligible = {cert_id for cert_id in seen if cert_id not in bad}
        if bad:
            for link in links:
                if link.certificate_id in bad:
                    on_store = self._expect.get(link.store)
                    if on_store is not None and on_store.get(link.remote_id) is link:
                        del on_store[link.remote_id]
        self._all = tuple(sorted(capabilities))
        for cert_id, unable in self._partial.items():
            self._partial[cert_id] = tuple(s for s in self._all if s not in unable)

    def _quiet_link(self, cert: LedgerCertificate, link: LedgerLink, policy: GroupPolicy) -> bool:
        """Whether planning could leave this link alone, as far as it alone goes."""
        caps = self._caps[link.store]
        if link.deleted:
            return False
        if link.unmirrorable is not None:  # the same reason today: no create, no alert
            return mirror.unmirrorable_reason(cert, caps, policy) == link.unmirrorable
        balance, status = link.last_balance, link.last_status
        if balance is None or status is None:
            return False
        target, _ = target_balance(cert.balance, cert.status, caps)
        if caps.set_balance and not caps.holds_zero and target == 0 and status is Status.DISABLED:
            return True  # nothing left: shown as disabled where 0 cannot be held (SFCC)
        if caps.set_balance and balance != target:
            return False  # a balance write is due
        if not caps.set_balance and balance > target:
            return False  # stale (§4.10): alerts or disables
        return not (caps.has_status and caps.set_status and status != cert.status)

    @property
    def eligible(self) -> int:
        """How many certificates could be quiet this cycle."""
        return len(self._eligible)

    def sieve(self, store: str) -> Sieve:
        """The quiet test for one store's records: the certificate id, or None."""
        expect = self._expect.get(store, {})
        certs = self._certs
        reads_codes = self._caps[store].read_codes if store in self._caps else True

        def quiet(record: RemoteCertificate) -> int | None:
            link = expect.get(record.remote_id)
            if link is None:
                return None
            if (
                record.balance != link.last_balance
                or record.status != link.last_status
                or record.version != link.version
            ):
                return None
            cert = certs[link.certificate_id]
            if record.currency != cert.currency:
                return None
            if record.code != (cert.code if reads_codes else None):
                return None
            return link.certificate_id

        return quiet

    def owner(self, store: str, record: RemoteCertificate) -> list[int]:
        """Eligible certificates a (kept) record could be attributed to."""
        found = []
        link = self._expect.get(store, {}).get(record.remote_id)
        if link is not None:
            found.append(link.certificate_id)
        if record.code is not None:
            by_code = self._owner.get(code_key(record.code, self._ci))
            if by_code is not None and by_code in self._eligible:
                found.append(by_code)
        return found

    def stand_in(self, store: str, remote_id: str) -> RemoteCertificate:
        """The record a quiet sieve set aside, as it was listed (every field the planner
        reads of an existing certificate's record is what the sieve compared)."""
        link = self._expect[store][remote_id]
        cert = self._certs[link.certificate_id]
        assert link.last_balance is not None
        assert link.last_status is not None
        reads_codes = self._caps[store].read_codes
        return RemoteCertificate(
            store, remote_id, cert.code if reads_codes else None, cert.currency, cert.amount,
            link.last_balance, link.last_status, masked_code=cert.masked_code,
            people=cert.people, message=cert.message, expires_at=cert.expires_at,
            version=link.version,
        )  # fmt: skip

    def expected_on(self, cert_id: int) -> tuple[str, ...]:
        """The stores an eligible certificate's records are expected on."""
        if cert_id not in self._eligible:
            return ()
        return self._partial.get(cert_id, self._all)


def settle(
    baseline: Baseline,
    snapshots: Mapping[str, Snapshot],
    set_aside: Mapping[str, Mapping[str, int]],
) -> tuple[dict[str, Snapshot], Quiet]:
    """Decide which certificates stay out of the plan; put the others' records back.

    ``snapshots``: what was kept of each listing (after any code reveal); ``set_aside``: per
    store, remote id → certificate of every record the sieve set aside.
    """
    aside = {store: rids for store, rids in set_aside.items() if store in snapshots}
    marks: Counter[int] = Counter()
    for rids in aside.values():
        marks.update(rids.values())
    touched: set[int] = set()
    for store, snap in snapshots.items():
        for record in snap.certificates:
            touched.update(baseline.owner(store, record))
    listed = frozenset(snapshots)
    quiet = frozenset(
        cert_id
        for cert_id, seen in marks.items()
        if cert_id not in touched
        and seen == sum(1 for s in baseline.expected_on(cert_id) if s in listed)
    )
    out = dict(snapshots)
    for store, rids in aside.items():
        back = tuple(
            baseline.stand_in(store, rid) for rid, cert_id in rids.items() if cert_id not in quiet
        )
        if back:
            snap = out[store]
            out[store] = replace(snap, certificates=snap.certificates + back)
    counts = {store: len(rids) for store, rids in aside.items() if rids}
    return out, Quiet(quiet, counts)


def set_aside(
    baseline: Baseline, snapshots: Mapping[str, Snapshot]
) -> tuple[dict[str, Snapshot], dict[str, dict[str, int]]]:
    """The sieve applied to whole snapshots (a runner applies it while listing instead)."""
    kept: dict[str, Snapshot] = {}
    aside: dict[str, dict[str, int]] = {}
    for store, snap in snapshots.items():
        sieve, records, rids = baseline.sieve(store), [], {}
        for record in snap.certificates:
            cert_id = sieve(record)
            if cert_id is None:
                records.append(record)
            else:
                rids[record.remote_id] = cert_id
        kept[store] = replace(snap, certificates=tuple(records))
        aside[store] = rids
    return kept, aside


def plan_quietly(
    view: _View,
    snapshots: Mapping[str, Snapshot],
    capabilities: Mapping[str, Capabilities],
    policy: GroupPolicy,
    now: datetime,
) -> Plan:
    """:func:`syncd.reconcile.plan` with quiet records set aside: the same plan, cheaper."""
    from syncd.reconcile.planner import plan

    baseline = Baseline(view.certificates, view.links, capabilities, policy)
    kept, aside = set_aside(baseline, snapshots)
    reduced, quiet = settle(baseline, kept, aside)
    return plan(view, reduced, capabilities, policy, now, quiet=quiet)


class _View(Protocol):  # the planner's LedgerViewLike (the planner imports this module)
    @property
    def certificates(self) -> Mapping[int, LedgerCertificate]: ...

    @property
    def links(self) -> Sequence[LedgerLink]: ...
