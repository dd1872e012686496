"""All three sandbox stores together, on loopback, and a syncd config pointing at them.

For tests, the demo and the benchmarks::

    async with Sandboxes.start(seed=1000) as sb:
        sb.urls["bigcommerce"]            # "http://127.0.0.1:PORT"
        sb.apps["sfcc"]                   # the aiohttp application (FAULTS_KEY, seed(), …)
        sb.config_toml("sqlite:///ledger.db")
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from syncd.sandbox import bigcommerce, sfcc, shift4shop
from syncd.sandbox.common import SeedCertificate, serve
from syncd.sandbox.quirks import apply_quirks
from syncd.sandbox.sfcc_auth import AUTH_PATH
from syncd.sandbox.sfcc_companion import COMPANION_BASE

PLATFORMS = ("shift4shop", "bigcommerce", "sfcc")
STORE_NAMES = {
    "shift4shop": "sandbox-3dcart",
    "bigcommerce": "sandbox-bigcommerce",
    "sfcc": "sandbox-sfcc",
}
GROUP_DEFAULTS = {
    "to_name": "Gift recipient",
    "to_email": "giftcards@example.com",
    "from_name": "Sandbox Store",
    "from_email": "giftcards@example.com",
}
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_FACE_VALUES = (10, 20, 25, 50, 75, 100, 150, 200)


def seed_certificates(count: int, rng_seed: int = 0) -> list[SeedCertificate]:
    """``count`` distinct certificates, the same for a given ``rng_seed``: codes of 16
    characters (BigCommerce keeps 20), some partly spent, all in USD and active."""
    rng = random.Random(rng_seed)
    codes: dict[str, None] = {}
    while len(codes) < count:
        codes["SBX" + "".join(rng.choices(_CODE_ALPHABET, k=13))] = None
    certificates = []
    for code in codes:
        amount = Decimal(rng.choice(_FACE_VALUES))
        spent = Decimal(rng.randrange(0, int(amount * 100) + 1)) / 100 if rng.random() < 0.4 else 0
        certificates.append(SeedCertificate(code, amount, amount - spent))
    return certificates


@dataclass
class Sandboxes:
    """The three running sandboxes: ``apps`` and ``urls`` by platform."""

    apps: dict[str, web.Application]
    urls: dict[str, str] = field(default_factory=dict)
    _runners: list[web.AppRunner] = field(default_factory=list, repr=False)

    @classmethod
    def create(cls, quirks: Sequence[str] = ()) -> Sandboxes:
        """The three applications with their default sandbox credentials and the named
        :mod:`~syncd.sandbox.quirks` switched on, not yet serving."""
        configs: dict[str, Any] = {
            "shift4shop": shift4shop.Shift4ShopSandboxConfig(),
            "bigcommerce": bigcommerce.BigCommerceSandboxConfig(),
            "sfcc": sfcc.SfccSandboxConfig(),
        }
        apply_quirks(quirks, configs)
        return cls(
            apps={
                "shift4shop": shift4shop.create_app(configs["shift4shop"]),
                "bigcommerce": bigcommerce.create_app(configs["bigcommerce"]),
                "sfcc": sfcc.create_app(configs["sfcc"]),
            }
        )

    @classmethod
    @asynccontextmanager
    async def start(
        cls, seed: int = 0, port: int = 0, host: str = "127.0.0.1", quirks: Sequence[str] = ()
    ) -> AsyncIterator[Sandboxes]:
        """Serve all three (ports ``port``, ``port+1``, ``port+2``; 0 = free ports), each
        seeded with the same ``seed`` certificates; stopped when the block ends."""
        sandboxes = cls.create(quirks)
        sandboxes.seed(seed_certificates(seed))
        try:
            await sandboxes.listen(host, port)
            yield sandboxes
        finally:
            await sandboxes.stop()

    def seed(self, certificates: Sequence[SeedCertificate]) -> None:
        """The same certificates on every store, as if already in sync (in-process)."""
        shift4shop.seed(self.apps["shift4shop"], certificates)
        bigcommerce.seed(self.apps["bigcommerce"], certificates)
        sfcc.seed(self.apps["sfcc"], certificates)

    async def listen(self, host: str = "127.0.0.1", port: int = 0) -> None:
        for offset, platform in enumerate(PLATFORMS):
            runner, url = await serve(self.apps[platform], host, port + offset if port else 0)
            self._runners.append(runner)
            self.urls[platform] = url

    async def stop(self) -> None:
        while self._runners:
            await self._runners.pop().cleanup()

    def config_toml(self, ledger_url: str, listen: str = "127.0.0.1:8787") -> str:
        """A ready-to-use syncd config (DESIGN.md §8) whose stores are these sandboxes.
        It holds the sandbox credentials inline: write it with mode 0600."""
        lines = [
            "# syncd config for the local sandboxes (written by `syncd sandbox`).",
            "# Credentials are the sandboxes' fixed test values, inline: keep this file 0600.",
            "",
            "[ledger]",
            f"url = {_s(ledger_url)}",
            "",
            "[http]",
            f"listen = {_s(listen)}",
        ]
        for platform in PLATFORMS:
            lines += ["", "[[stores]]", *_table(self._store(platform))]
        group = {"name": "sandbox", "stores": [STORE_NAMES[p] for p in PLATFORMS]}
        lines += ["", "[[groups]]", *_table({**group, "interval": "30s"})]
        lines += ["", "[groups.defaults]", *_table(GROUP_DEFAULTS)]
        return "\n".join(lines) + "\n"

    def _store(self, platform: str) -> dict[str, object]:
        url = self.urls[platform]
        common = {"name": STORE_NAMES[platform], "platform": platform, "base_url": url}
        if platform == "shift4shop":
            c3 = self.apps[platform][shift4shop.CONFIG_KEY]
            # zone-less dates (a quirk) are the sandbox's local time: say which zone
            zone = {} if c3.date_format == "iso-z" else {"timezone": c3.timezone}
            return {
                **common,
                "secure_url": c3.secure_url,
                "private_key": c3.private_key,
                "token": c3.token,
                "currency": c3.currency,
                **zone,
            }
        if platform == "bigcommerce":
            bc = self.apps[platform][bigcommerce.BC_CONFIG_KEY]
            return {**common, "store_hash": bc.store_hash, "access_token": bc.access_token}
        sf = self.apps[platform][sfcc.CONFIG_KEY]
        return {
            **common,
            "auth_url": url + AUTH_PATH,
            "site_id": sf.site_id,
            "client_id": sf.client_id,
            "client_secret": sf.client_secret,
            "companion_url": url + COMPANION_BASE,
            "shop_client_id": sf.shop_client_id,
            "currency": sf.currency,
        }


def _s(value: str) -> str:
    # A JSON string is a valid TOML basic string for every character JSON escapes.
    return json.dumps(value)


def _table(values: Mapping[str, object]) -> list[str]:
    out = []
    for key, value in values.items():
        if isinstance(value, list):
            out.append(f"{key} = [{', '.join(_s(str(v)) for v in value)}]")
        else:
            out.append(f"{key} = {_s(str(value))}")
    return out


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (it holds inline secrets), also when the
    file already existed with a wider mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
