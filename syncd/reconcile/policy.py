"""A sync group's reconciliation policy: the knobs of DESIGN.md §4.6, §4.7, §4.10, §4.11, §5."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from syncd.model import People


class OnDelete(StrEnum):
    """What a deletion seen on one store does to the others (§4.6)."""

    DISABLE = "disable"  # disable everywhere, keep the ledger row, alert
    PROPAGATE = "propagate"  # delete everywhere (stores that cannot delete are disabled)
    RESTORE = "restore"  # re-create it on the store it vanished from


class SfccStalePolicy(StrEnum):
    """What to do when a store that cannot lower a balance holds more than the ledger (§4.10)."""

    DISABLE = "disable"  # disable it there until the balances agree again, then re-enable
    ALERT = "alert"  # only tell a human


class OnAmbiguous(StrEnum):
    """Which reading of an ambiguous balance write to journal when both (or neither) make
    the shopper's movement a spend (DESIGN.md §5; see :mod:`syncd.reconcile.settle`)."""

    ASSUME_APPLIED = "assume_applied"  # our write landed, then the shopper spent
    ASSUME_NOT_APPLIED = "assume_not_applied"  # it never landed: the whole drop is a spend


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    """Per-group settings the planner obeys. Frozen: one value per cycle."""

    on_delete: OnDelete = OnDelete.DISABLE
    max_change_ratio: float = 0.2
    case_insensitive_codes: bool = False
    sfcc_stale_balance: SfccStalePolicy = SfccStalePolicy.DISABLE
    on_ambiguous: OnAmbiguous = OnAmbiguous.ASSUME_APPLIED
    defaults: People = field(default_factory=People)
    max_writes: int = 1000
    force: bool = False  # a human said `--force`: the safety brake does not hold this plan
    # The ratio alone would hold a cycle that disables 1 of a store's 3 certificates; below
    # this many destructive changes on one store the ratio is not applied (an emptied store
    # is still always held).
    brake_min_changes: int = 5

    def __post_init__(self) -> None:
        if not 0 <= self.max_change_ratio <= 1:
            raise ValueError(f"max_change_ratio must be within 0..1, got {self.max_change_ratio!r}")
        if self.max_writes < 0:
            raise ValueError(f"max_writes must be >= 0, got {self.max_writes!r}")
        if self.brake_min_changes < 1:
            raise ValueError(f"brake_min_changes must be >= 1, got {self.brake_min_changes!r}")
