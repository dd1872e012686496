"""Reconciliation: the pure planner (DESIGN.md §4) and the data it returns.

``plan(view, snapshots, capabilities, policy, now) -> Plan`` decides; a runner persists the plan
and executes its actions (see :mod:`syncd.reconcile.plan` for how; :mod:`syncd.runner` runs
them).
"""

from syncd.reconcile.balances import RereadFold, fold_reread, target_balance
from syncd.reconcile.plan import (
    MOVES_LEDGER,
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
    link_after_write,
)
from syncd.reconcile.planner import LedgerViewLike, View, plan
from syncd.reconcile.policy import GroupPolicy, OnAmbiguous, OnDelete, SfccStalePolicy

__all__ = [
    "MOVES_LEDGER",
    "UNMIRRORABLE_PREFIX",
    "Action",
    "Alert",
    "AlertKind",
    "CertRef",
    "CertificateDraft",
    "CertificateUpdate",
    "Create",
    "Delete",
    "GroupPolicy",
    "HoldReason",
    "JournalEntry",
    "JournalKind",
    "LedgerViewLike",
    "LinkUpdate",
    "NewKey",
    "OnAmbiguous",
    "OnDelete",
    "Plan",
    "RereadFold",
    "SetBalance",
    "SetStatus",
    "SfccStalePolicy",
    "View",
    "fold_reread",
    "link_after_write",
    "plan",
    "target_balance",
]
