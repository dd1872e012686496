"""A "process death" in-process: once the switch is thrown, every store call (but creates,
which tests wrap themselves) and every ledger call of the Syncer raises :class:`Crash`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


class Crash(BaseException):
    """The process died (nothing after it runs)."""


@dataclass
class Switch:
    dead: bool = False


def doom(w: Any) -> Switch:
    """Wrap ``w.syncer``'s connectors and ledger thread so that nothing runs once dead."""
    switch = Switch()
    for conn in w.syncer.connectors.values():
        for name in ("get_certificate", "update_certificate", "delete_certificate"):
            setattr(conn, name, _unless_dead(getattr(conn, name), switch))
    w.syncer._db = _DeadDb(w.syncer._db, switch)  # nor does it record anything more
    return switch


async def bury(w: Any) -> None:
    """Let ledger work queued before the "crash" land (a real kill would have lost it or
    committed it; either is what recovery must handle), so nothing moves after the restart."""
    await asyncio.to_thread(w.syncer._db.close)


class _DeadDb:
    def __init__(self, db: Any, switch: Switch) -> None:
        self.ledger, self._db, self._switch = db.ledger, db, switch

    async def __call__(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self._switch.dead:
            raise Crash
        return await self._db(fn, *args, **kwargs)

    def close(self) -> None:
        self._db.close()


def _unless_dead(method: Any, switch: Switch) -> Any:
    async def call(*args: Any, **kwargs: Any) -> Any:
        if switch.dead:
            raise Crash
        return await method(*args, **kwargs)

    return call
