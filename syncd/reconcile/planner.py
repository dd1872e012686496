"""``plan()``: the rules of DESIGN.md §4 as one pure function (no I/O, no clock, no randomness).

Certificates are planned one at a time, existing ones by ledger id, then new ones by code
(or store and remote id for code-less records); stores always by name. So the same inputs
give the same plan, in the same order (§4.9).

Stores that could not be listed (no snapshot) are left alone: nothing is inferred from them
and nothing is written to them. A listing that is incomplete still counts for the records it
shows (deltas, status, writes to those records) but implies no deletion there, and no create
of a code it may hold unlisted (:mod:`syncd.reconcile.creatable`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from syncd.model import (
    BalanceMode,
    Capabilities,
    LedgerCertificate,
    LedgerLink,
    RemoteCertificate,
    Snapshot,
    Status,
    mask_code,
)
from syncd.money import ZERO
from syncd.reconcile import deletion, mirror
from syncd.reconcile.balances import (
    Ledgered,
    adopt_late,
    check_overdraft,
    merge_deltas,
    target_balance,
)
from syncd.reconcile.brake import cap_writes, check_brake, linked_counts
from syncd.reconcile.creatable import NONE, CreateGuard, create_guards
from syncd.reconcile.folded import FoldedCodes
from syncd.reconcile.identity import Index, Matches, match_all
from syncd.reconcile.plan import (
    UNMIRRORABLE_PREFIX,
    Action,
    Alert,
    AlertKind,
    CertificateDraft,
    CertificateUpdate,
    CertRef,
    Create,
    Delete,
    HoldReason,
    JournalEntry,
    JournalKind,
    LinkUpdate,
    NewKey,
    Plan,
    SetBalance,
    SetStatus,
)
from syncd.reconcile.policy import GroupPolicy, OnDelete, SfccStalePolicy
from syncd.reconcile.quiet import NOTHING_QUIET, Quiet
from syncd.reconcile.record_alerts import once_each, problem_alerts
from syncd.reconcile.status import StatusMerge, merge_first_seen, merge_status


class LedgerViewLike(Protocol):
    """What the planner reads of the ledger (``syncd.ledger.records.LedgerView`` fits)."""

    @property
    def certificates(self) -> Mapping[int, LedgerCertificate]: ...

    @property
    def links(self) -> Sequence[LedgerLink]: ...


@dataclass(frozen=True, slots=True)
class View:
    """A plain ledger view (tests, the in-memory runner)."""

    certificates: Mapping[int, LedgerCertificate]
    links: Sequence[LedgerLink]


@dataclass(slots=True)
class _Ctx:
    caps: Mapping[str, Capabilities]
    policy: GroupPolicy
    now: datetime
    complete: frozenset[str]
    reveals: Mapping[int, str]
    creatable: Mapping[str, CreateGuard]
    unsettled: frozenset[tuple[int, str]] = frozenset()
    drafts: list[CertificateDraft] = field(default_factory=list)
    updates: list[CertificateUpdate] = field(default_factory=list)
    links: list[LinkUpdate] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    vanished: dict[str, set[CertRef]] = field(default_factory=dict)
    folded: FoldedCodes = field(default_factory=FoldedCodes)  # stores ignoring case


@dataclass(slots=True)
class _Work:
    """One certificate being planned."""

    ref: CertRef
    before: LedgerCertificate  # canonical state before this cycle (drafts: as adopted)
    links: dict[str, LedgerLink]
    seen: dict[str, RemoteCertificate]
    led: Ledgered


def plan(
    view: LedgerViewLike,
    snapshots: Mapping[str, Snapshot],
    capabilities: Mapping[str, Capabilities],
    policy: GroupPolicy,
    now: datetime,
    *,
    quiet: Quiet = NOTHING_QUIET,
    unsettled: Collection[tuple[int, str]] = frozenset(),
) -> Plan:
    """Decide one cycle of one sync group. ``capabilities`` names every store of the group.

    ``quiet``: certificates whose records were set aside as quiet (:mod:`syncd.reconcile.quiet`);
    they are not planned, and the plan is the same as planning them would have given.
    ``unsettled``: (certificate, store) pairs with a write still under way there (a
    re-creation between its delete and its create): a record missing there is not deleted,
    and a linked one found there is neither merged nor written (it may show that write)."""
    _check_inputs(snapshots, capabilities, now)
    links = [link for link in view.links if link.store in capabilities]
    skip = quiet.certificates
    active = [link for link in links if link.certificate_id not in skip] if skip else links
    index = Index(view.certificates, active, policy.case_insensitive_codes)
    matches = match_all(index, snapshots.values())
    new_groups = _new_groups(matches, view.certificates)
    complete = frozenset(s for s, snap in snapshots.items() if snap.complete) - matches.spoiled
    listed = {s: snap for s, snap in snapshots.items() if s not in matches.spoiled}
    creatable = create_guards(listed, complete)
    reveals, pending = matches.reveals, frozenset(unsettled)
    ctx = _Ctx(capabilities, policy, now, complete, reveals, creatable, pending)
    ctx.folded = FoldedCodes.of(view.certificates, links, snapshots, capabilities)
    by_cert = _links_by_cert(active)
    for cert_id in sorted(view.certificates):
        if cert_id in skip:
            continue
        cert = view.certificates[cert_id]
        _plan_existing(ctx, cert, by_cert.get(cert_id, {}), matches.seen.get(cert_id, {}))
    for records in new_groups:
        _plan_new(ctx, records)
    alerts = once_each([*problem_alerts(snapshots), *matches.alerts, *ctx.alerts])
    linked = linked_counts(links, view.certificates)
    hold = check_brake(ctx.actions, ctx.vanished, linked, snapshots, policy, quiet.listed)
    if hold:  # nothing is written, but every record set aside still has its alert (§4.13)
        held = [_held_alert(h) for h in hold]
        return Plan(alerts=tuple(once_each([*held, *problem_alerts(snapshots)])), hold=hold)
    actions, deferred = cap_writes(ctx.actions, policy.max_writes)
    return Plan(
        tuple(ctx.drafts), tuple(ctx.updates), tuple(ctx.links), tuple(ctx.journal),
        actions, tuple(alerts), (), deferred,
    )  # fmt: skip


def _check_inputs(
    snapshots: Mapping[str, Snapshot], capabilities: Mapping[str, Capabilities], now: datetime
) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware UTC, got {now!r}")
    for store, snap in snapshots.items():
        if store not in capabilities:
            raise ValueError(f"snapshot of store {store!r}, which is not in the group")
        if snap.store != store:
            raise ValueError(f"snapshot filed under {store!r} is of store {snap.store!r}")


def _links_by_cert(links: Sequence[LedgerLink]) -> dict[int, dict[str, LedgerLink]]:
    out: dict[int, dict[str, LedgerLink]] = {}
    for link in links:
        out.setdefault(link.certificate_id, {})[link.store] = link
    return out


def _new_groups(
    matches: Matches, certificates: Mapping[int, LedgerCertificate]
) -> list[dict[str, RemoteCertificate]]:
    """Unknown records, one group per certificate, in a stable order (codes first)."""
    groups = []
    for key in sorted(matches.unknown):
        records = matches.unknown[key]
        origin = _origin(records)
        for store in sorted(records):
            if records[store].currency != origin.currency:
                why = f"same code as on {origin.store} but currency {records[store].currency}"
                matches.skip(records.pop(store), AlertKind.DIVERGENCE, why)
        groups.append(records)
    hidden = sorted(matches.hidden, key=lambda r: (r.store, r.remote_id))
    return groups + [{r.store: r} for r in hidden]


def _origin(records: Mapping[str, RemoteCertificate]) -> RemoteCertificate:
    """First contact (§4.8): the copy with the lowest balance (then store name) is adopted."""
    return min(records.values(), key=lambda r: (r.balance, r.store))


def _plan_existing(
    ctx: _Ctx,
    cert: LedgerCertificate,
    links: dict[str, LedgerLink],
    seen: dict[str, RemoteCertificate],
) -> None:
    # Messages end up on status pages and in logs: never the whole code.
    label = mask_code(cert.code) if cert.code else cert.masked_code or f"#{cert.id}"
    led = Ledgered(cert.id, cert.currency, cert.balance, ctx.now, label, [], [])
    # A write still under way on a linked store: what it shows may be syncd's own write, not
    # a shopper's movement from the link's base. Recovery settles it before it is merged.
    seen = {s: r for s, r in seen.items() if s not in links or (cert.id, s) not in ctx.unsettled}
    work = _Work(cert.id, cert, links, seen, led)
    spent = merge_deltas(led, links, seen)
    adopt_late(led, links, seen)
    check_overdraft(led, spent)
    merged = merge_status(cert.status, links, seen, ctx.caps)
    state = _finish(ctx, work, merged, ctx.reveals.get(cert.id, cert.code))
    if (state.balance, state.status, state.code) != (cert.balance, cert.status, cert.code):
        ctx.updates.append(CertificateUpdate(cert.id, state.balance, state.status, state.code))


def _plan_new(ctx: _Ctx, seen: dict[str, RemoteCertificate]) -> None:
    origin = _origin(seen)
    key = NewKey(len(ctx.drafts))
    merged = merge_first_seen(seen, ctx.caps)
    draft = CertificateDraft(
        key, origin.code, origin.currency, origin.amount, origin.balance, merged.status,
        origin.store, origin.masked_code, origin.people, origin.message, origin.expires_at, ctx.now,
    )  # fmt: skip
    ctx.drafts.append(draft)
    before = LedgerCertificate(
        -1, draft.code, draft.currency, draft.amount, draft.balance, draft.status,
        draft.masked_code, draft.people, draft.message, draft.expires_at, origin.store, ctx.now,
    )  # fmt: skip
    label = mask_code(origin.code) if origin.code else origin.masked_code or origin.remote_id
    led = Ledgered(key, origin.currency, ZERO, ctx.now, label, [], [])
    led.row(JournalKind.ISSUE, origin.store, origin.balance, f"first seen on {origin.store}")
    adopt_late(led, {}, seen)
    if origin.code is None:
        why = f"{mirror.CODE_HIDDEN} ({origin.store} shows only {origin.masked_code})"
        led.alert(AlertKind.UNMIRRORABLE, origin.store, f"{origin.store}:{origin.remote_id}", why)
    _finish(ctx, _Work(key, before, {}, seen, led), merged, origin.code)


def _finish(ctx: _Ctx, work: _Work, merged: StatusMerge, code: str | None) -> LedgerCertificate:
    """Status, deletions, writes, creates and links of one certificate; its new state."""
    led = work.led
    if merged.conflict:
        shown = ", ".join(f"{s}: {to}" for s, _, to in merged.changes) or "first seen"
        why = f"{led.label}: conflicting status changes ({shown}); kept {merged.status}"
        led.alert(AlertKind.STATUS_CONFLICT, None, f"{led.label}:{shown}", why)
    status = _deletions(ctx, work, merged.status)
    if status != work.before.status and isinstance(work.ref, int):
        origin = merged.origin if status == merged.status else None
        why = f"status {work.before.status} → {status}"
        led.rows.append(
            JournalEntry(
                work.ref, JournalKind.STATUS, origin, ZERO, led.balance, led.currency, why,
                ctx.now, work.before.status, status,
            )
        )  # fmt: skip
    state = replace(work.before, balance=led.balance, status=status, code=code)
    _store_writes(ctx, work, state)
    _creates(ctx, work, state)
    _seen_links(ctx, work)
    ctx.journal.extend(led.rows)
    ctx.alerts.extend(led.alerts)
    return state


def _deletions(ctx: _Ctx, work: _Work, status: Status) -> Status:
    gone = deletion.vanished(work.links, work.seen, ctx.complete)
    gone = [s for s in gone if (work.ref, s) not in ctx.unsettled]
    led, policy = work.led, ctx.policy.on_delete
    for store in gone:
        ctx.vanished.setdefault(store, set()).add(work.ref)
        link = work.links[store]
        work.links[store] = replace(link, deleted=True)
        ctx.links.append(_link_update(work.ref, work.links[store], ctx.now))
        led.row(JournalKind.DELETE, store, ZERO, f"missing from a complete listing of {store}")
        if policy is OnDelete.RESTORE:
            led.row(JournalKind.RESTORE, store, ZERO, f"on_delete=restore: re-create on {store}")
        why = f"{led.label} deleted on {store}; on_delete={policy}"
        led.alert(AlertKind.DELETED, store, f"{store}:{led.label}", why)
    return deletion.status_after_delete(policy, status) if gone else status


def _store_writes(ctx: _Ctx, work: _Work, state: LedgerCertificate) -> None:
    propagate = ctx.policy.on_delete is OnDelete.PROPAGATE and deletion.deleted_somewhere(
        work.links
    )
    for store in sorted(work.seen):
        caps, record = ctx.caps[store], work.seen[store]
        if propagate and caps.delete:
            ctx.actions.append(Delete(store, work.ref, record.remote_id, record.balance))
            continue
        status_target = _balance_write(ctx, work, state, store)
        if caps.has_status and caps.set_status and record.status != status_target:
            ctx.actions.append(
                SetStatus(store, work.ref, record.remote_id, record.status, status_target)
            )


def _balance_write(ctx: _Ctx, work: _Work, state: LedgerCertificate, store: str) -> Status:
    """Plan the balance of one store; returns the status that store should show."""
    caps, record = ctx.caps[store], work.seen[store]
    target, zero = target_balance(state.balance, state.status, caps)
    if caps.set_balance and not caps.holds_zero and target == ZERO:
        # Nothing left, and the store cannot hold 0 (SFCC): disabled there instead.
        return state.status if record.balance == ZERO else Status.DISABLED
    if caps.set_balance:
        if record.balance == target:
            return state.status
        recreate = caps.balance_write is BalanceMode.RECREATE
        ctx.actions.append(
            SetBalance(
                store, work.ref, record.remote_id, record.balance, target, zero,
                status=state.status if recreate else None,
            )
        )  # fmt: skip
        # A re-created certificate gets its status with it: no separate status write.
        return record.status if recreate else state.status
    if record.balance <= target:
        return state.status  # holding less than the ledger is safe: nothing to do
    return _stale(ctx, work, state, store, target)


def _stale(ctx: _Ctx, work: _Work, state: LedgerCertificate, store: str, target: Decimal) -> Status:
    """§4.10: a store that cannot lower a balance shows more than the ledger."""
    caps, record = ctx.caps[store], work.seen[store]
    if ctx.policy.sfcc_stale_balance is SfccStalePolicy.DISABLE and caps.set_status:
        return Status.DISABLED
    link = work.links.get(store)
    old_target, _ = target_balance(work.before.balance, work.before.status, caps)
    was_stale = (
        link is not None and link.last_balance is not None and link.last_balance > old_target
    )
    if not was_stale:
        shows = f"{store} shows {record.balance}, ledger {target}"
        why = f"{work.led.label}: {shows}; it cannot be lowered"
        work.led.alert(AlertKind.SFCC_STALE, store, f"{store}:{work.led.label}", why)
    return state.status


def _creates(ctx: _Ctx, work: _Work, state: LedgerCertificate) -> None:
    if deletion.deleted_somewhere(work.links) and ctx.policy.on_delete is not OnDelete.RESTORE:
        return  # a deleted certificate is not spread to stores that never had it
    for store in sorted(ctx.caps):
        link = work.links.get(store)
        if store in work.seen or deletion.is_live(link):
            continue
        if not ctx.creatable.get(store, NONE).allows(state.code):
            continue  # it may be there unlisted (syncd.reconcile.creatable)
        reason = mirror.unmirrorable_reason(state, ctx.caps[store], ctx.policy)
        if reason is None:
            if _code_conflict(ctx, work, state, store):
                continue
            balance, _ = target_balance(state.balance, state.status, ctx.caps[store])
            if balance == ZERO and not ctx.caps[store].holds_zero:
                continue  # nothing left to create there (SFCC creates nothing of 0) — yet
            new = mirror.new_certificate(state, ctx.caps[store], ctx.policy, balance)
            ctx.actions.append(Create(store, work.ref, new))
        elif reason != mirror.CODE_HIDDEN and (link is None or link.unmirrorable != reason):
            _unmirrorable(ctx, work, state, store, reason)


def _code_conflict(ctx: _Ctx, work: _Work, state: LedgerCertificate, store: str) -> bool:
    """A create that a store whose codes ignore case would take for another code: a
    ``code_conflict`` alert instead (:mod:`syncd.reconcile.folded`)."""
    if state.code is None or ctx.folded.claim(store, state.code):
        return False
    why = (
        f"{work.led.label} cannot be created on {store}: a code equal to it but for case is "
        f"there, and {store} does not tell codes apart by case"
    )
    work.led.alert(AlertKind.CODE_CONFLICT, store, f"{store}:{work.led.label}", why)
    return True


def _unmirrorable(
    ctx: _Ctx, work: _Work, state: LedgerCertificate, store: str, reason: str
) -> None:
    remote_id = f"{UNMIRRORABLE_PREFIX}{state.code}"
    link = LedgerLink(-1, store, remote_id, None, None, unmirrorable=reason)
    ctx.links.append(_link_update(work.ref, link, ctx.now))
    why = f"{work.led.label} cannot be mirrored to {store}: {reason}"
    work.led.alert(AlertKind.UNMIRRORABLE, store, f"{store}:{work.led.label}", why)


def _seen_links(ctx: _Ctx, work: _Work) -> None:
    """Record what each store showed, where it differs from the link (the merge base)."""
    for store in sorted(work.seen):
        record, link = work.seen[store], work.links.get(store)
        fresh = LedgerLink(
            -1, store, record.remote_id, record.balance, record.status, version=record.version
        )
        if link is None or _differs(link, fresh):
            ctx.links.append(_link_update(work.ref, fresh, ctx.now))


def _differs(old: LedgerLink, new: LedgerLink) -> bool:
    keys = ("remote_id", "last_balance", "last_status", "version", "deleted", "unmirrorable")
    return any(getattr(old, k) != getattr(new, k) for k in keys)


def _link_update(ref: CertRef, link: LedgerLink, now: datetime) -> LinkUpdate:
    return LinkUpdate(
        ref, link.store, link.remote_id, link.last_balance, link.last_status, link.version,
        link.deleted, link.unmirrorable, now,
    )  # fmt: skip


def _held_alert(hold: HoldReason) -> Alert:
    return Alert(AlertKind.HELD, hold.store, None, f"held:{hold.store}", hold.message)
