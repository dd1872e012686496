"""syncd.fastbuild: records built without their constructors are the constructors' records.

The builders in use are checked against their classes where they are used
(tests/platforms/test_wire.py, tests/ledger/test_fastload.py); here, the builder's own
promises: every field a required argument, and classes it cannot build faithfully refused.
"""

from __future__ import annotations

import dataclasses
import inspect
from decimal import Decimal

import pytest

from syncd.fastbuild import slot_builder
from syncd.model import LedgerLink


@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0


def test_every_field_is_a_required_argument_in_field_order() -> None:
    build = slot_builder(Point)
    assert list(inspect.signature(build).parameters) == ["x", "y"]
    assert all(
        p.default is inspect.Parameter.empty for p in inspect.signature(build).parameters.values()
    )
    with pytest.raises(TypeError):
        build(1)  # the default is not filled in: every call site says every field
    assert build(1, 2) == Point(1, 2)
    assert type(build(1, 2)) is Point
    assert build.__name__ == "build_Point"


def test_builds_are_independent_records() -> None:
    build = slot_builder(LedgerLink)
    a = build(1, "bc", "17", Decimal("1.00"), None, None, None, False, None)
    b = build(2, "bc", "18", Decimal("2.00"), None, None, None, True, None)
    assert (a.certificate_id, b.certificate_id) == (1, 2)
    assert a != b


@dataclasses.dataclass(frozen=True, slots=True)
class Checked:
    x: int

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError(self.x)


@dataclasses.dataclass(frozen=True)
class NoSlots:
    x: int


@dataclasses.dataclass(slots=True)
class NotFrozen:
    x: int


class Plain:
    __slots__ = ("x",)


@dataclasses.dataclass(frozen=True, slots=True, weakref_slot=True)
class Weak:
    x: int


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (Checked, "Checked has a __post_init__ the builder would skip"),
        (NoSlots, "NoSlots is not a frozen dataclass with slots=True"),
        (NotFrozen, "NotFrozen is not a frozen dataclass with slots=True"),
        (Plain, "Plain is not a frozen dataclass with slots=True"),
        (Weak, "Weak's slots are not exactly its fields"),
    ],
)
def test_classes_whose_constructor_does_more_are_refused(cls: type, message: str) -> None:
    with pytest.raises(TypeError) as refused:
        slot_builder(cls)
    assert str(refused.value) == message
