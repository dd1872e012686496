"""End-to-end harness: the three sandboxes in the test's event loop, a config written by the
sandbox runner's config writer (tmp SQLite ledger, mode 0600), and the real ``syncd`` process
(``python -m syncd ...``) run as an async subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aiohttp

from syncd.ledger import Ledger
from syncd.sandbox.server import Sandboxes, write_private
from tests.runner.world import Hands

ROOT = Path(__file__).resolve().parents[2]


def child_env() -> dict[str, str]:
    """The test's environment without SYNCD_ overrides, logging as JSON lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    stdout: str
    stderr: str


async def syncd(*args: str, seconds: float = 60) -> Run:
    """Run the real ``syncd`` to completion."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=child_env(), cwd=ROOT,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), seconds)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


@dataclass
class E2E(Hands):
    config: Path
    ledger_url: str

    async def once(self, *args: str) -> Run:
        return await syncd("once", "-c", str(self.config), *args)

    async def until_converged(self, *, tries: int = 5, force: bool = False) -> Run:
        """``syncd once`` until a cycle has nothing left to do (exit 0 or 1, 0 writes, not
        held). ``force``: a held plan is let through (the test plays the human who looked)."""
        run = await self.once()
        for _ in range(tries):
            held = "held" in run.stdout
            if run.status in (0, 1) and " 0 written" in run.stdout and not held:
                return run
            run = await self.once(*(("--force", "sandbox") if held and force else ()))
        return run

    def ledger_balance(self, code: str) -> Decimal:
        with Ledger.open(self.ledger_url) as ledger:
            detail = ledger.certificate_by_code("sandbox", code)
        assert detail is not None, code
        return detail.certificate.balance


@asynccontextmanager
async def e2e(
    tmp_path: Path, *, seed: int = 0, before: Callable[[Sandboxes], None] | None = None
) -> AsyncIterator[E2E]:
    async with Sandboxes.start(seed=seed) as sb, aiohttp.ClientSession() as http:
        if before is not None:
            before(sb)
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        config = tmp_path / "syncd.toml"
        write_private(config, sb.config_toml(url))
        yield E2E(sb, http, config, url)
