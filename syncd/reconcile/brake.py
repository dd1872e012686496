"""Safety brakes (§4.11): hold a destructive-looking plan; cap the writes of one cycle."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from syncd.model import LedgerLink, Snapshot
from syncd.reconcile.deletion import is_live
from syncd.reconcile.plan import Action, CertRef, Create, Delete, HoldReason, SetBalance, SetStatus
from syncd.reconcile.policy import GroupPolicy


def is_destructive(action: Action) -> bool:
    """Deletes, disables (also as balance 0 on status-less stores) and zeroing."""
    if isinstance(action, Delete):
        return True
    if isinstance(action, SetStatus):
        return not action.status.usable
    if isinstance(action, SetBalance):
        return action.balance == 0 and action.expected > 0
    return False


def linked_counts(links: Iterable[LedgerLink], certificates: Iterable[int]) -> dict[str, int]:
    known = set(certificates)
    counts: dict[str, int] = defaultdict(int)
    for link in links:
        if is_live(link) and link.certificate_id in known:
            counts[link.store] += 1
    return counts


def check_brake(
    actions: Sequence[Action],
    vanished: Mapping[str, set[CertRef]],
    linked: Mapping[str, int],
    snapshots: Mapping[str, Snapshot],
    policy: GroupPolicy,
    set_aside: Mapping[str, int] | None = None,
) -> tuple[HoldReason, ...]:
    """Stores on which the plan looks like a wipe-out (empty unless held). ``set_aside``:
    records per store listed but set aside as quiet (:mod:`syncd.reconcile.quiet`)."""
    if policy.force:
        return ()
    aside = set_aside or {}
    changes: dict[str, set[CertRef]] = defaultdict(set)
    for store, certs in vanished.items():
        changes[store] |= certs
    for action in actions:
        if is_destructive(action):
            changes[action.store].add(action.cert)
    reasons = []
    for store in sorted(set(changes) | set(snapshots)):
        n, total = len(changes.get(store, ())), linked.get(store, 0)
        snap = snapshots.get(store)
        listed = snap is not None and (bool(snap.certificates) or aside.get(store, 0) > 0)
        emptied = snap is not None and snap.complete and not listed and total > 0
        over = n >= policy.brake_min_changes and n > policy.max_change_ratio * total
        if emptied or over:
            reasons.append(HoldReason(store, n, total, emptied, len(actions)))
    return tuple(reasons)


def _priority(action: Action) -> int:
    """Risk-reducing writes first: a balance lowered elsewhere stops a double spend."""
    if isinstance(action, SetBalance):
        return 0 if action.balance < action.expected else 4
    if isinstance(action, SetStatus):
        return 1 if not action.status.usable else 5
    if isinstance(action, Delete):
        return 2
    assert isinstance(action, Create)
    return 3


def cap_writes(actions: Sequence[Action], max_writes: int) -> tuple[tuple[Action, ...], int]:
    """The first ``max_writes`` actions by (priority, plan order), kept in plan order."""
    if len(actions) <= max_writes:
        return tuple(actions), 0
    ranked = sorted(range(len(actions)), key=lambda i: (_priority(actions[i]), i))
    keep = sorted(ranked[:max_writes])
    return tuple(actions[i] for i in keep), len(actions) - max_writes
