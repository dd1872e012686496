"""The cycle benchmark: ``python -m bench.cycle --sizes 1000,10000[,100000]``.

For each size N: three sandbox stores (one process each) seeded with the same N
certificates, a ledger brought in sync by a first (adopting) cycle, then four measured
cycles, each in a fresh process: steady state, 1 % churn, and both again with 50 ms latency
per request and BigCommerce limited to 150 requests per 30 s. Prints progress on stderr and
a Markdown table on stdout; ``--write FILE`` writes the results file (see README.md).
"""

from __future__ import annotations

import argparse
import platform as _platform
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import bounds
from bench.procs import SandboxProc, run_cycle, start_sandboxes, stop_sandboxes, write_config
from syncd.sandbox.server import PLATFORMS, seed_certificates

SHORT = {"shift4shop": "3dcart", "bigcommerce": "BC", "sfcc": "SFCC"}
SLOW = bounds.Conditions(latency_s=0.050, bc_quota=150, bc_window_s=30.0)


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    n: int
    scenario: str
    cycle: dict[str, Any]
    requests: dict[str, int]
    writes_sent: dict[str, int]
    rows_written: dict[str, int]
    sandbox_cpu: dict[str, float]
    bound_requests: dict[str, int]
    bound_wall: float
    design_requests: dict[str, int]  # the bound with DESIGN.md §5's re-read before each write
    design_wall: float
    sandbox_rss: dict[str, float] = field(default_factory=dict)


def ledger_rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}


def churn(procs: dict[str, SandboxProc], n: int, rng: random.Random) -> dict[str, int]:
    """Redeem 1.00 from 1 % of the certificates (at least one), each on a random store;
    returns the writes syncd needs per store (every other store gets the new balance)."""
    spendable = [c.code for c in seed_certificates(n) if c.balance >= 5]
    needed = dict.fromkeys(PLATFORMS, 0)
    for code in rng.sample(spendable, max(1, n // 100)):
        where = rng.choice(PLATFORMS)
        procs[where].admin("POST", "/_sandbox/shopper/redeem", {"code": code, "amount": "1.00"})
        for other in PLATFORMS:
            needed[other] += other != where
    return needed


def set_conditions(procs: dict[str, SandboxProc], cond: bounds.Conditions) -> None:
    for proc in procs.values():
        proc.admin("PUT", "/_sandbox/faults", {"latency_ms": cond.latency_s * 1000})
    quota = cond.bc_quota or 10_000
    procs["bigcommerce"].command(f"ratelimit {quota} {int(cond.bc_window_s * 1000)}")


def _writes(stats: dict[str, Any]) -> int:
    """Write requests seen by one sandbox (the SFCC OAuth token POST is not a write)."""
    routes = stats["by_route"].items()
    return sum(v for k, v in routes if not k.startswith(("GET", "HEAD")) and "oauth" not in k)


@dataclass
class Bench:
    n: int
    procs: dict[str, SandboxProc]
    config: Path
    ledger: Path
    profile_dir: Path | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(8))

    def measure(self, scenario: str, cond: bounds.Conditions, with_churn: bool) -> Run:
        set_conditions(self.procs, cond)
        needed = churn(self.procs, self.n, self.rng) if with_churn else {}
        for proc in self.procs.values():
            proc.admin("POST", "/_sandbox/stats/reset")
        rows, cpu = ledger_rows(self.ledger), {p: s.cpu_seconds() for p, s in self.procs.items()}
        progress(f"N={self.n}: {scenario} cycle …")
        profile = None
        if self.profile_dir is not None:
            profile = self.profile_dir / f"profile-{self.n}-{scenario.replace(' ', '_')}.html"
        result = run_cycle(self.config, profile)
        stats = {p: s.admin("GET", "/_sandbox/stats") for p, s in self.procs.items()}
        after = ledger_rows(self.ledger)
        run = Run(
            self.n, scenario, result,
            requests={p: s["total"] for p, s in stats.items()},
            writes_sent={p: _writes(s) for p, s in stats.items()},
            rows_written=_changed(rows, after),
            sandbox_cpu={p: s.cpu_seconds() - cpu[p] for p, s in self.procs.items()},
            bound_requests=bounds.requests(self.n, needed),
            bound_wall=bounds.wall(self.n, needed, cond),
            design_requests=bounds.requests(self.n, needed, reread=True),
            design_wall=bounds.wall(self.n, needed, cond, reread=True),
            sandbox_rss={p: s.peak_rss_mb() for p, s in self.procs.items()},
        )  # fmt: skip
        progress(f"N={self.n}: {scenario}: {result['wall_s']:.2f} s, {result['outcome']}")
        return run

    def presync(self) -> None:
        """Adopt everything into an empty ledger, then confirm nothing is left to do."""
        for attempt in range(3):
            started = time.perf_counter()
            result = run_cycle(self.config)
            writes = sum(s["writes"] for s in result["stores"].values())
            took = time.perf_counter() - started
            progress(f"N={self.n}: pre-sync cycle {attempt + 1}: {took:.1f} s, writes={writes}")
            if attempt > 0 and writes == 0:
                return
        raise RuntimeError(f"N={self.n}: the ledger did not settle: {result['summary']}")


SCENARIOS = (
    ("steady", bounds.Conditions(), False),
    ("churn 1%", bounds.Conditions(), True),
    ("steady +lat/RL", SLOW, False),
    ("churn 1% +lat/RL", SLOW, True),
)


def bench_size(
    n: int, scenarios: list[str], profile_dir: Path | None, repeat: int = 1
) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix=f"syncd-bench-{n}-") as tmp:
        progress(f"N={n}: starting and seeding three sandboxes")
        procs = start_sandboxes(n)
        try:
            ledger = Path(tmp) / "ledger.db"
            config = Path(tmp) / "syncd.toml"
            write_config(procs, f"sqlite:///{ledger}", config)
            bench = Bench(n, procs, config, ledger, profile_dir)
            bench.presync()
            chosen = [s for s in SCENARIOS if s[0] in scenarios]
            runs = []
            for name, cond, with_churn in chosen:
                for k in range(repeat):  # a churn repeat redeems a fresh 1 %
                    label = f"{name} ({k + 1}/{repeat})" if repeat > 1 else name
                    runs.append(bench.measure(label, cond, with_churn))
            return runs
        finally:
            stop_sandboxes(procs)


def _per_store(values: dict[str, Any], fmt: str = "{}") -> str:
    return " / ".join(fmt.format(values[p]) for p in PLATFORMS)


def _ratio(measured: float, bound: float) -> str:
    return f"{measured / bound:.2f}" if bound > 0 else "—"


def table(runs: list[Run]) -> str:
    head = (
        "| N | cycle | outcome | wall s | wall bound s | wall ratio | wall ratio §5 | syncd CPU s "
        "| peak RSS MB | requests 3dcart / BC / SFCC | request bound | req ratio | req ratio §5 "
        "| writes sent "
        "| ledger rows written | sandbox CPU s 3dcart / BC / SFCC |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in runs:
        c = r.cycle
        wall_bound = r.bound_wall or max(r.sandbox_cpu.values())
        design_wall = r.design_wall or wall_bound
        rows = ", ".join(f"{t} {d:+d}" for t, d in sorted(r.rows_written.items())) or "0"
        req, bound = sum(r.requests.values()), sum(r.bound_requests.values())
        design = sum(r.design_requests.values())
        lines.append(
            f"| {r.n:,} | {r.scenario} | {c['outcome']} | {c['wall_s']:.2f} "
            f"| {wall_bound:.2f}{'' if r.bound_wall else '*'} | {_ratio(c['wall_s'], wall_bound)} "
            f"| {_ratio(c['wall_s'], design_wall)} | {c['cpu_s']:.2f} | {c['peak_rss_mb']:.0f} "
            f"| {_per_store(r.requests)} | {_per_store(r.bound_requests)} | {_ratio(req, bound)} "
            f"| {_ratio(req, design)} "
            f"| {_per_store(r.writes_sent)} | {rows} | {_per_store(r.sandbox_cpu, '{:.2f}')} |"
        )
    return "\n".join(lines)


PHASE_ORDER = ("recover", "fetch", "load_view", "reveal", "plan", "persist", "finish")
OVERLAPPED = frozenset({"load_view"})  # runs while the listings start (within ``fetch``)


def phases_table(runs: list[Run]) -> str:
    """Wall seconds per cycle phase (what the measured cycle process spent where). The view
    load overlaps the fetch, so ``rest`` = wall − the sequential phases."""
    head = "| N | cycle | " + " | ".join(PHASE_ORDER) + " | rest |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in runs:
        phases = r.cycle.get("phases", {})
        sequential = sum(v for k, v in phases.items() if k not in OVERLAPPED)
        rest = r.cycle["wall_s"] - sequential
        cells = " | ".join(f"{phases.get(p, 0.0):.2f}" for p in PHASE_ORDER)
        lines.append(f"| {r.n:,} | {r.scenario} | {cells} | {rest:.2f} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    cores = len(
        [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("processor")]
    )
    system = f"{_platform.system()} {_platform.release()}"
    return f"{cpu}, {cores} cores, Python {_platform.python_version()}, {system}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cycle", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated N values")
    parser.add_argument("--scenarios", default=",".join(s[0] for s in SCENARIOS))
    parser.add_argument("--profile-dir", type=Path, default=None, help="pyinstrument HTML here")
    parser.add_argument("--write", type=Path, default=None, help="also write this Markdown file")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each scenario this many times (noise)"
    )
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be comma-separated whole numbers, got {args.sizes!r}")
    if any(n < 1 for n in sizes):
        parser.error(f"--sizes must be at least 1 each, got {args.sizes!r}")
    scenarios = [s.strip() for s in args.scenarios.split(",")]
    known = [s[0] for s in SCENARIOS]
    unknown = [s for s in scenarios if s not in known]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {known}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    if args.profile_dir is not None:  # fail now, not after seeding and the first cycle
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    runs = [run for n in sizes for run in bench_size(n, scenarios, args.profile_dir, args.repeat)]
    date = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    out = f"Machine: {machine()}  \nDate: {date}\n\n{table(runs)}\n\n{phases_table(runs)}\n"
    print(out)
    if args.write is not None:
        args.write.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
