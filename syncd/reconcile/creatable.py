"""Where a create is safe (DESIGN.md §4.6, §4.13).

A create on a store is planned only where the store's listing showed every record it has:
otherwise the code may already be there, unlisted, and a create would make a second one. A
listing that was complete allows every create. One that was read to its end but set some
records aside (:class:`~syncd.model.RecordProblem`) allows the creates of codes none of those
records can be — so one bad record holds back at most the codes it might carry, not every
new certificate of the group. A set-aside record whose code the store did not show at all
could be any code: it holds back every create there, as an incomplete listing does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from syncd.model import RecordProblem, Snapshot

_SHOWN = 4  # a masked code shows its last four characters


def _key(code: str) -> str:
    """The loosest comparison a store might make (case, surrounding blanks), so a set-aside
    record holds back every code the store could take for it."""
    return code.strip().casefold()


@dataclass(frozen=True, slots=True)
class CreateGuard:
    """The creates one store allows this cycle."""

    none: bool = False  # no create at all
    codes: frozenset[str] = frozenset()  # keys of the plain codes set aside
    masked: frozenset[tuple[int, str]] = frozenset()  # (length, last four) of masked ones

    def allows(self, code: str | None) -> bool:
        if self.none:
            return False
        if not self.codes and not self.masked:
            return True
        if code is None:
            return False  # an unknown code may be any of them
        key = _key(code)
        return key not in self.codes and (len(code), key[-_SHOWN:]) not in self.masked


ALL = CreateGuard()
NONE = CreateGuard(none=True)


def create_guards(
    snapshots: Mapping[str, Snapshot], complete: Collection[str]
) -> dict[str, CreateGuard]:
    """Per listed store, the creates it allows (a store not listed allows none)."""
    guards = {}
    for store, snapshot in snapshots.items():
        if store in complete:
            guards[store] = ALL
        elif snapshot.read_to_end:
            guards[store] = _guard_of(snapshot.problems)
        else:
            guards[store] = NONE
    return guards


def _guard_of(problems: Collection[RecordProblem]) -> CreateGuard:
    codes: set[str] = set()
    masked: set[tuple[int, str]] = set()
    for p in problems:
        if p.code is not None:
            codes.add(_key(p.code))
        elif p.masked_code is not None:
            masked.add((len(p.masked_code), _key(p.masked_code)[-_SHOWN:]))
        else:
            return NONE
    return CreateGuard(codes=frozenset(codes), masked=frozenset(masked))
