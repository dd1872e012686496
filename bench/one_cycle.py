"""One syncd cycle in a process of its own, measured: ``python -m bench.one_cycle CONFIG GROUP``.

Prints one JSON object: wall and CPU seconds of the cycle (imports and the ledger open are
not counted; ``Syncer.start``, i.e. recovery, is), the process's peak RSS, the outcome and
the per-store figures syncd reports. ``--profile FILE`` writes a pyinstrument HTML profile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import syncd.runner.cycle as cycle_module
from syncd.config import load_settings
from syncd.ledger import Ledger
from syncd.log import configure_logging
from syncd.runner.result import CycleResult
from syncd.runner.service import Syncer

PHASES: dict[str, float] = {}


def _timed_async(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - began

    return wrapper


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - began

    return wrapper


def instrument_phases() -> None:
    """Wall time per cycle phase, by wrapping the names the cycle runner calls (bench only:
    the ledger load and the planner run in threads, which pyinstrument does not see)."""
    m = cycle_module
    m.fetch_all = _timed_async("fetch", m.fetch_all)  # type: ignore[assignment]
    m.reveal_codes = _timed_async("reveal", m.reveal_codes)  # type: ignore[assignment]
    m.plan = _timed("plan", m.plan)  # type: ignore[assignment]
    m.recover_group = _timed_async("recover", m.recover_group)  # type: ignore[assignment]
    m.persist.store_plan = _timed("persist", m.persist.store_plan)  # type: ignore[assignment]
    m.persist.finish_cycle = _timed("finish", m.persist.finish_cycle)  # type: ignore[assignment]
    Ledger.load_view = _timed("load_view", Ledger.load_view)  # type: ignore[method-assign]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _cycle(config: Path, group: str) -> tuple[CycleResult, float, float]:
    settings = load_settings(config)
    # As `syncd once` does: the config's level (info by default) and format, to stderr.
    configure_logging(
        level=settings.log.level, fmt=settings.log.format, secrets=settings.secret_values()
    )
    ledger = await asyncio.to_thread(Ledger.open, settings.ledger.url)
    syncer = Syncer(settings, ledger)
    try:
        wall, cpu = time.perf_counter(), _cpu()
        # The ledger thread's CPU is in RUSAGE_SELF too (it counts every thread).
        result = await syncer.run_cycle(group, deadline=3600.0)
        return result, time.perf_counter() - wall, _cpu() - cpu
    finally:
        await syncer.aclose()
        ledger.close()


def _report(result: CycleResult, wall: float, cpu: float) -> dict[str, Any]:
    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stores = {
        s.store: {"listed": s.listed, "complete": s.complete, "writes": s.writes,
                  "write_failures": s.write_failures, "requests": s.requests}
        for s in result.stores
    }  # fmt: skip
    return {
        "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak, "outcome": result.outcome.value,
        "summary": result.summary, "phases": {k: round(v, 3) for k, v in PHASES.items()},
        "counts": dict(result.counts), "stores": stores,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.one_cycle")
    parser.add_argument("config", type=Path)
    parser.add_argument("group")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args(argv)
    instrument_phases()
    profiler = None
    if args.profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    result, wall, cpu = asyncio.run(_cycle(args.config, args.group))
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_html())
        sys.stderr.write(profiler.output_text(unicode=False, color=False, show_all=False))
    print(json.dumps(_report(result, wall, cpu)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
