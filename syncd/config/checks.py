"""Checks across tables: names are unique, groups name existing stores, a store is in one group.

They work on plain names so that load_settings can run them on the raw file (and report them
next to field errors) and Settings can run them on validated models.
"""

from __future__ import annotations

from typing import Any

# (key path, message), e.g. ("groups[1].stores", "store 'a' is already in group 'us'")
KeyProblem = tuple[str, str]


def cross_check(stores: list[Any], groups: list[tuple[Any, list[Any]]]) -> list[KeyProblem]:
    """Every problem among store names and group memberships, in file order."""
    problems = _duplicates("stores", "store", stores)
    problems += _duplicates("groups", "group", [name for name, _ in groups])
    known = {name for name in stores if isinstance(name, str)}
    owner: dict[str, str] = {}
    for i, (group, members) in enumerate(groups):
        problems += _check_members(f"groups[{i}].stores", group, members, known, owner)
    return problems


def _duplicates(table: str, what: str, names: list[Any]) -> list[KeyProblem]:
    first: dict[str, int] = {}
    problems: list[KeyProblem] = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        if name in first:
            text = f"duplicate {what} name {name!r} (also {table}[{first[name]}])"
            problems.append((f"{table}[{i}].name", text))
        else:
            first[name] = i
    return problems


def _check_members(
    key: str, group: Any, members: list[Any], known: set[str], owner: dict[str, str]
) -> list[KeyProblem]:
    problems: list[KeyProblem] = []
    seen: set[str] = set()
    for name in members:
        if not isinstance(name, str):
            continue
        if name not in known:
            problems.append((key, f"store {name!r} is not defined in [[stores]]"))
        elif name in seen:
            problems.append((key, f"store {name!r} is listed twice"))
        elif name in owner and owner[name] != group:
            problems.append((key, f"store {name!r} is already in group {owner[name]!r}"))
        seen.add(name)
        owner.setdefault(name, str(group))
    return problems
