"""Frozen slotted dataclasses built without their ``__init__``, for the hot paths that build
hundreds of thousands of records per cycle (listings, the ledger view).

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``. The builder
that :func:`slot_builder` makes stores the fields as plain slot assignments on a twin class
with the same ``__slots__``, which then becomes the real class by ``__class__`` assignment
(the language allows it between classes with the same ``__slots__``): about a fifth of the
constructor's time. The builder's source is generated from the fields, as ``dataclasses``
generates ``__init__``; a loop over the slots' setters would cost as much as the constructor.

Nothing the constructor does is skipped: a class with a ``__post_init__`` is refused, every
field is a required argument (no defaults to forget), and the result equals the
constructor's (tests/test_fastbuild.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def slot_builder(cls: type[T]) -> Callable[..., T]:
    """``build(*values)`` equal to ``cls(*values)``: one positional argument per field, in
    field order, no defaults. ``cls`` must be a frozen dataclass with ``slots=True`` and no
    ``__post_init__``; anything else is a TypeError naming it."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__qualname__} is not a frozen dataclass with slots=True")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__qualname__} has a __post_init__ the builder would skip")
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if tuple(names) != tuple(cls.__slots__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__qualname__}'s slots are not exactly its fields")
    twin = type(f"_Unfrozen{cls.__name__}", (), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
    source = (
        f"def build({', '.join(names)}):\n"
        "    record = new(twin)\n"
        + "".join(f"    record.{name} = {name}\n" for name in names)
        + "    record.__class__ = cls\n"
        "    return record\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "twin": twin, "cls": cls}
    # The source holds nothing but the class's own field names (identifiers, being slots),
    # as the source dataclasses generate for __init__ does.
    exec(compile(source, f"<slot_builder {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    build: Callable[..., T] = namespace["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    build.__doc__ = f"``{cls.__name__}(*values)``, built without its ``__init__``."
    return build
