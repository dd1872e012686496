"""The ledger is synchronous (SQLAlchemy Core); the runner calls it on ONE worker thread.

One thread serialises every ledger call of the process in submission order: the per-intent
transactions of concurrent writes never contend for SQLite's write lock, and two folds of the
same certificate reach the database in the order the event loop computed them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from syncd.ledger import Ledger

P = ParamSpec("P")
T = TypeVar("T")


class LedgerThread:
    """``await db(fn, *args)`` runs ``fn(*args)`` on the ledger thread."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="syncd-ledger")

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
