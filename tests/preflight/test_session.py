"""The measurements and the canary in-process, against the sandboxes on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from syncd.config import Settings, load_settings
from syncd.errors import Transient
from syncd.model import RemoteCertificate, Status
from syncd.platforms.bigcommerce import BigCommerceConnector
from syncd.platforms.factory import people_defaults
from syncd.preflight.canary import Canary
from syncd.preflight.codes import DEFAULT_PREFIX, canary_code, check_prefix
from syncd.preflight.model import Severity, StoreReport
from syncd.preflight.session import Preflight, exit_code
from syncd.sandbox import shift4shop
from syncd.sandbox.server import Sandboxes, seed_certificates, write_private

Edit = Callable[[str], str]


@asynccontextmanager
async def world(
    tmp_path: Path, *, seed: int = 12, edit: Edit = lambda t: t, before: Any = None
) -> AsyncIterator[tuple[Sandboxes, Settings]]:
    """The three sandboxes (``before(sandboxes)`` runs before they are seeded) and the
    settings of their config as ``edit`` rewrote it."""
    sandboxes = Sandboxes.create()
    if before is not None:
        before(sandboxes)
    sandboxes.seed(seed_certificates(seed))
    try:
        await sandboxes.listen()
        path = tmp_path / "syncd.toml"
        write_private(path, edit(sandboxes.config_toml("sqlite:///" + str(tmp_path / "l.db"))))
        yield sandboxes, load_settings(path, environ={})
    finally:
        await sandboxes.stop()


def add_to_store(store: str, line: str) -> Edit:
    return lambda text: text.replace(f'name = "{store}"', f'name = "{store}"\n{line}', 1)


async def run(settings: Settings, store: str, *, canary: bool = False) -> StoreReport:
    prefix = DEFAULT_PREFIX if canary else None
    [report] = await Preflight(settings, [store], canary_prefix=prefix).run()
    return report


def kinds(report: StoreReport) -> list[str]:
    return [f.kind for f in report.findings]


async def state(sandboxes: Sandboxes) -> list[Any]:
    async with aiohttp.ClientSession() as http:
        out = []
        for url in sandboxes.urls.values():
            async with http.get(url + "/_sandbox/certificates") as response:
                out.append(await response.json())
        return out


async def test_a_store_that_caps_the_page_size_names_the_page_size_to_set(
    tmp_path: Path,
) -> None:
    def cap(sb: Sandboxes) -> None:
        sb.apps["shift4shop"][shift4shop.CONFIG_KEY].max_limit = 5

    edit = add_to_store("sandbox-3dcart", "page_size = 10")
    async with world(tmp_path, edit=edit, before=cap) as (_, settings):
        report = await run(settings, "sandbox-3dcart")
    assert report.listing is not None
    assert (report.listing.page_size_asked, report.listing.first_page) == (10, 5)
    assert report.listing.page_size_honoured is False
    [finding] = [f for f in report.findings if f.kind == "page_size_capped"]
    assert finding.severity is Severity.CONFIG
    assert finding.config == "page_size = 5"
    assert exit_code([report]) == 1


async def test_a_store_that_honours_the_page_size_says_so(tmp_path: Path) -> None:
    edit = add_to_store("sandbox-bigcommerce", "page_size = 5")
    async with world(tmp_path, edit=edit) as (_, settings):
        report = await run(settings, "sandbox-bigcommerce")
    assert report.listing is not None
    assert report.listing.page_size_honoured is True
    assert (report.listing.count, report.listing.pages) == (12, 3)
    assert report.findings == ()


def local_dates(hours: int) -> Callable[[Sandboxes], None]:
    """3dcart writes local time as if it were UTC: its dates run ``hours`` ahead."""

    def shift(sb: Sandboxes) -> None:
        config = sb.apps["shift4shop"][shift4shop.CONFIG_KEY]
        config.now = lambda: datetime.now(UTC) + timedelta(hours=hours)

    return shift


async def test_the_canary_measures_the_zone_of_3dcart_dates(tmp_path: Path) -> None:
    async with world(tmp_path, seed=0, before=local_dates(5)) as (_, settings):
        reads = await run(settings, "sandbox-3dcart")
        report = await run(settings, "sandbox-3dcart", canary=True)
    assert reads.timezone.startswith("unknown")  # nothing dated to compare
    assert report.timezone == "UTC+05:00"
    [finding] = [f for f in report.findings if f.kind == "timezone"]
    assert finding.severity is Severity.CONFIG
    assert str(finding.config).startswith("timezone = ")


async def test_records_dated_after_the_server_clock_show_the_zone_without_a_canary(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, before=local_dates(-3)) as (_, settings):
        behind = await run(settings, "sandbox-3dcart")
    async with world(tmp_path, before=local_dates(3)) as (_, settings):
        ahead = await run(settings, "sandbox-3dcart")
    assert behind.timezone.startswith("unknown")
    assert "timezone" not in kinds(behind)
    assert ahead.timezone == "UTC+03:00"
    assert "timezone" in kinds(ahead)


async def test_a_currency_other_than_the_configured_one_names_the_currency_to_set(
    tmp_path: Path,
) -> None:
    edit = add_to_store("sandbox-bigcommerce", 'currency = "EUR"')
    async with world(tmp_path, edit=edit) as (_, settings):
        report = await run(settings, "sandbox-bigcommerce")
    [finding] = [f for f in report.findings if f.kind == "currency_mismatch"]
    assert finding.config == 'currency = "USD"'
    assert report.currency == "USD"


async def test_sfcc_without_a_companion_says_it_cannot_choose_codes_and_creates_nothing(
    tmp_path: Path,
) -> None:
    def drop_companion(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not line.startswith("companion_url"))

    async with world(tmp_path, edit=drop_companion) as (sandboxes, settings):
        before = await state(sandboxes)
        report = await run(settings, "sandbox-sfcc", canary=True)
        after = await state(sandboxes)
    assert after == before
    assert report.canary is not None
    assert [(s.name, s.outcome.value) for s in report.canary.steps] == [
        ("sweep", "ok"),
        ("create", "skipped"),
    ]
    assert "cannot create a certificate with a chosen code" in report.canary.steps[1].detail
    assert kinds(report) == ["no_chosen_codes"]
    assert dict(report.capabilities)["choose code"] == "no"
    assert "not possible" in dict(report.strategies)["create"]
    assert exit_code([report]) == 0  # a note: nothing to set for syncd to run


class StatusWritesFail(BigCommerceConnector):
    """A store whose status writes get no answer (the canary's fourth step fails)."""

    async def update_certificate(
        self,
        current: RemoteCertificate,
        *,
        balance: Decimal | None = None,
        status: Status | None = None,
    ) -> RemoteCertificate:
        if status is not None:
            raise Transient(self.store, "PUT: timed out (after 5 attempt(s))")
        return await super().update_certificate(current, balance=balance)


async def test_a_failing_step_still_deletes_the_canary(tmp_path: Path) -> None:
    async with world(tmp_path) as (sandboxes, settings):
        before = await state(sandboxes)
        bc = settings.store("sandbox-bigcommerce")
        connector = StatusWritesFail(
            bc.name,
            base_url=bc.base_url,
            store_hash=bc.store_hash,  # type: ignore[union-attr]
            access_token=bc.access_token.get_secret_value(),  # type: ignore[union-attr]
        )
        group = settings.groups[0].defaults
        canary = Canary(connector, "bigcommerce", "USD", people_defaults(group), DEFAULT_PREFIX)
        try:
            await canary.run([])
        finally:
            await connector.aclose()
        after = await state(sandboxes)
    assert after == before
    outcomes = {s.name: s.outcome.value for s in canary.steps}
    assert outcomes["status"] == "failed"
    assert outcomes["cleanup"] == "ok"
    assert "delete" not in outcomes
    assert canary.left_behind is False
    assert [f.kind for f in canary.findings] == ["canary_step_failed"]


@pytest.mark.parametrize("prefix", ["", "abc-", "ABC", "X" * 15, "-ABCD", "AB CD"])
def test_a_canary_prefix_must_leave_room_for_random_characters(prefix: str) -> None:
    with pytest.raises(ValueError, match="canary prefix"):
        check_prefix(prefix)


def test_canary_codes_fit_bigcommerce_and_differ() -> None:
    codes = {canary_code(DEFAULT_PREFIX) for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 20 and c.startswith(DEFAULT_PREFIX) for c in codes)


async def test_a_bigcommerce_canary_needs_no_group_defaults(tmp_path: Path) -> None:
    def drop_defaults(text: str) -> str:
        return text[: text.index("[groups.defaults]")]

    async with world(tmp_path, edit=drop_defaults) as (sandboxes, settings):
        before = await state(sandboxes)
        report = await run(settings, "sandbox-bigcommerce", canary=True)
        after = await state(sandboxes)
    assert settings.groups[0].defaults.to_email is None
    assert after == before
    assert report.canary is not None
    assert {s.name: s.outcome.value for s in report.canary.steps}["create"] == "ok"
    assert report.findings == ()
