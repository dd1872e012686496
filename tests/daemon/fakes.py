"""A stand-in Syncer (same surface as ``syncd.runner.service.Syncer``) and config helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from syncd.config import Settings, load_settings
from syncd.ledger import Ledger
from syncd.runner.result import CycleResult, Outcome

ADMIN_TOKEN = "admin-tok-d41e7b9c"
SECRETS = {
    "K3D": "k3d-secret-5a1f",
    "T3D": "t3d-secret-77c0",
    "TBC": "tbc-secret-0e9d",
    "SSF": "ssf-secret-b2a8",
    "ADMIN": ADMIN_TOKEN,
}


def config_text(
    ledger_url: str, *, interval: str = "5m", admin: bool = True, groups: int = 1
) -> str:
    http = '[http]\nlisten = "127.0.0.1:0"\n'
    if admin:
        http += 'admin_token = { env = "ADMIN" }\n'
    stores = """
[[stores]]
name = "s3d"
platform = "shift4shop"
base_url = "http://127.0.0.1:9"
secure_url = "https://shop.example.com"
private_key = { env = "K3D" }
token = { env = "T3D" }
currency = "USD"

[[stores]]
name = "sbc"
platform = "bigcommerce"
base_url = "http://127.0.0.1:9"
store_hash = "abc123"
access_token = { env = "TBC" }

[[stores]]
name = "ssf"
platform = "sfcc"
base_url = "http://127.0.0.1:9"
auth_url = "http://127.0.0.1:9/auth"
site_id = "SiteGenesis"
client_id = "client-1"
client_secret = { env = "SSF" }
"""
    text = f'[ledger]\nurl = "{ledger_url}"\n\n{http}{stores}'
    text += f'\n[[groups]]\nname = "us"\nstores = ["s3d", "sbc"]\ninterval = "{interval}"\n'
    if groups > 1:
        text += f'\n[[groups]]\nname = "eu"\nstores = ["ssf"]\ninterval = "{interval}"\n'
    return text


def write_settings(directory: Path, text: str) -> tuple[Path, Settings]:
    path = directory / "syncd.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path, load_settings(path, environ=SECRETS)


@dataclass(frozen=True)
class FakeHealth:
    store: str
    up: bool
    since: datetime
    last_error: str | None = None
    last_success: datetime | None = None


class FakeSyncer:
    """Records calls; ``gate`` (when set) holds every cycle until it is opened."""

    made: ClassVar[list[FakeSyncer]] = []

    def __init__(
        self, settings: Settings, ledger: Ledger, *, metrics: Any = None, clock: Any = None
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.calls: list[tuple[str, bool, float | None]] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.running = 0
        self.max_running = 0
        self.started = False
        self.closed = False
        self.crash = False
        FakeSyncer.made.append(self)

    async def start(self) -> None:
        self.started = True

    async def run_cycle(
        self,
        group: str,
        *,
        dry_run: bool = False,
        force: bool = False,
        deadline: float | None = None,
    ) -> CycleResult:
        self.settings.group(group)  # KeyError for an unknown group, like the real one
        self.calls.append((group, force, deadline))
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            self.entered.set()
            if self.gate is not None:
                await self.gate.wait()
            if self.crash:
                raise RuntimeError("bug in the cycle")
            now = datetime.now(UTC)
            n = len(self.calls)
            return CycleResult(
                group, Outcome.CONVERGED, now, now, cycle_id=n, summary=f"cycle {n}: converged"
            )
        finally:
            self.running -= 1

    async def aclose(self) -> None:
        self.closed = True

    def store_health(self) -> Mapping[str, FakeHealth]:
        now = datetime.now(UTC)
        return {
            s.name: FakeHealth(
                s.name, s.name != "ssf", now, None if s.name != "ssf" else "connection refused"
            )
            for s in self.settings.stores
        }
