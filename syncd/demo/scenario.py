"""The demo scenario: sandboxes + temporary ledger + the real daemon, customers played step
by step, and after each step a table of that certificate on every store and in the ledger,
cycle by cycle, until they agree."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from syncd.config import load_settings
from syncd.daemon.service import Daemon
from syncd.ledger import Ledger
from syncd.log import configure_logging
from syncd.sandbox.server import PLATFORMS, STORE_NAMES, Sandboxes, write_private

GROUP = "sandbox"
INTERVAL = "2s"
CODE = "DEMOGIFT00000001"
CYCLE_WAIT = 30.0  # seconds for one cycle before the demo gives up
MAX_CYCLES = 4  # per step: convergence takes one cycle, two at most


@dataclass(frozen=True)
class Step:
    title: str
    actions: tuple[tuple[str, str, str], ...]  # (shopper action, platform, amount)
    expect: str  # what the reader should see


STEPS = (
    Step("A customer buys a $50.00 gift certificate on the 3dcart store",
         (("issue", "shift4shop", "50.00"),),
         "it appears on BigCommerce and SFCC with the same balance"),
    Step("Two redemptions in the same interval: $12.50 on BigCommerce, $7.50 on SFCC",
         (("redeem", "bigcommerce", "12.50"), ("redeem", "sfcc", "7.50")),
         "both are honoured: $30.00 everywhere (deltas merge, no last-writer-wins)"),
    Step("Overspend: $25.00 on 3dcart and $20.00 on BigCommerce before syncd sees either",
         (("redeem", "shift4shop", "25.00"), ("redeem", "bigcommerce", "20.00")),
         "stores go to $0.00 (SFCC, which holds no 0, is disabled), the ledger records "
         "-$15.00 and raises an overdraft alert"),
)  # fmt: skip


class Demo:
    """One demo run; ``out`` receives the human output."""

    def __init__(self, sb: Sandboxes, daemon: Daemon, http: aiohttp.ClientSession, out: TextIO):
        self.sb, self.daemon, self.http, self.out = sb, daemon, http, out

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def shopper(self, action: str, platform: str, amount: str) -> None:
        url = f"{self.sb.urls[platform]}/_sandbox/shopper/{action}"
        async with self.http.post(url, json={"code": CODE, "amount": amount}) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"sandbox {platform} refused {action}: {await resp.text()}")

    async def balances(self) -> dict[str, Shown]:
        found: dict[str, Shown] = {}
        for platform in PLATFORMS:
            async with self.http.get(f"{self.sb.urls[platform]}/_sandbox/certificates") as resp:
                certs: list[dict[str, Any]] = await resp.json()
            found[STORE_NAMES[platform]] = next(
                (_shown(c) for c in certs if c["code"] == CODE), None
            )
        detail = await asyncio.to_thread(self.daemon.ledger.certificate_by_code, GROUP, CODE)
        found["ledger"] = detail.certificate.balance if detail else None
        return found

    async def play(self, number: int, step: Step) -> bool:
        self.say(f"\nStep {number}. {step.title}")
        self.say(f"         expect: {step.expect}")
        if len(step.actions) > 1:
            # Right after a cycle: the customers' actions all land in the same interval.
            await self.next_cycle()
        for action, platform, amount in step.actions:
            await self.shopper(action, platform, amount)
            self.say(f"         shopper: {action} ${amount} on {STORE_NAMES[platform]}")
        self.say(_row(["", *STORE_NAMES.values(), "ledger"]))
        self.say(_row(["before sync", *_cells(await self.balances())]))
        for _ in range(MAX_CYCLES):
            result = await self.next_cycle()
            balances = await self.balances()
            self.say(_row([f"cycle {result}", *_cells(balances)]))
            if converged(balances):
                self.say("         converged")
                return True
        self.say("         NOT converged")
        return False

    async def next_cycle(self) -> str:
        cycles = self.daemon.cycles
        async with asyncio.timeout(CYCLE_WAIT):
            await cycles.wait_finished(cycles.finished + 1)
        result = cycles.results[GROUP]
        return f"#{result.cycle_id} ({result.outcome})"

    async def show_alerts(self) -> None:
        alerts = await asyncio.to_thread(self.daemon.ledger.open_alerts, GROUP)
        self.say(f"\nOpen alerts for a human ({len(alerts)}):")
        for alert in alerts:
            self.say(f"  #{alert.id} {alert.kind}: {alert.message}")


# A store's balance, or DISABLED where a store shows "nothing left" by disabling (SFCC).
DISABLED = "disabled"
Shown = Decimal | str | None


def _shown(certificate: dict[str, Any]) -> Decimal | str:
    return DISABLED if certificate["status"] == DISABLED else Decimal(certificate["balance"])


def converged(balances: dict[str, Shown]) -> bool:
    """Every store holds the certificate with the ledger's balance (0 for an overdraft,
    or disabled where a store cannot hold 0)."""
    ledger = balances["ledger"]
    if not isinstance(ledger, Decimal):
        return False
    left = max(ledger, Decimal(0))
    stores = [v for k, v in balances.items() if k != "ledger"]
    return all(v == left or (v == DISABLED and left == 0) for v in stores)


def _cells(balances: dict[str, Shown]) -> list[str]:
    return [
        "-" if v is None else v if isinstance(v, str) else f"{v:.2f}" for v in balances.values()
    ]


def _row(cells: list[str]) -> str:
    return "  " + cells[0].ljust(22) + "".join(c.rjust(22) for c in cells[1:])


@asynccontextmanager
async def demo_world(out: TextIO) -> AsyncIterator[Demo]:
    """Sandboxes, a temporary ledger and config, and the real daemon running against them."""
    with tempfile.TemporaryDirectory(prefix="syncd-demo-") as tmp:
        async with Sandboxes.start(seed=10) as sb, aiohttp.ClientSession() as http:
            config = Path(tmp) / "syncd.toml"
            text = sb.config_toml(f"sqlite:///{Path(tmp) / 'ledger.db'}", "127.0.0.1:0")
            write_private(config, text.replace('interval = "30s"', f'interval = "{INTERVAL}"'))
            settings = load_settings(config)
            # Warnings only: the demo's own tables are the output.
            configure_logging(level="warning", fmt="console", secrets=settings.secret_values())
            ledger = await asyncio.to_thread(Ledger.open, settings.ledger.url)
            daemon = Daemon(settings, ledger, config_path=config)
            try:
                await daemon.start()
                yield Demo(sb, daemon, http, out)
            finally:
                await daemon.stop()
                ledger.close()


async def run_demo(out: TextIO, *, follow: bool = False) -> int:
    """The whole demo; 0 when every step converged."""
    async with demo_world(out) as demo:
        demo.say("syncd demo: three sandbox stores (3dcart, BigCommerce, SFCC) seeded with 10")
        demo.say(f"certificates, a temporary SQLite ledger, the daemon cycling every {INTERVAL}.")
        demo.say(f"Side door: {demo.daemon.url}/v1/status")
        await demo.next_cycle()  # first contact: the seeded certificates are adopted
        ok = [await demo.play(n, step) for n, step in enumerate(STEPS, 1)]
        await demo.show_alerts()
        if follow:
            demo.say("\n--follow: the daemon keeps running; Ctrl-C to stop.")
            await asyncio.Event().wait()
    return 0 if all(ok) else 1
