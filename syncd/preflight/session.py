"""One ``syncd preflight`` run: every chosen store measured at once, each through its own
connector, with a canary on each when asked; and the exit status the reports call for."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from syncd.errors import AuthError, ConnectorError
from syncd.model import People
from syncd.platforms.factory import make_connector, people_defaults
from syncd.preflight.canary import Canary
from syncd.preflight.codes import is_canary
from syncd.preflight.model import Credentials, Severity, StoreReport
from syncd.preflight.probe import probe

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_STORE_FAILED = 3


def exit_code(reports: Sequence[StoreReport]) -> int:
    """3 when a store could not be measured, else 1 when a finding needs config or a look,
    else 0."""
    if any(not r.reachable for r in reports):
        return EXIT_STORE_FAILED
    serious = (Severity.CONFIG, Severity.FAILURE)
    if any(f.severity in serious for r in reports for f in r.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@dataclass
class Preflight:
    """``settings``: the loaded config; ``stores``: names to measure (config order);
    ``canary_prefix``: None for reads only."""

    settings: Any
    stores: Sequence[str]
    canary_prefix: str | None = None
    canaries: list[Canary] = field(default_factory=list)  # read after an interruption

    async def run(self) -> list[StoreReport]:
        names = [s.name for s in self.settings.stores if s.name in set(self.stores)]
        # Every store runs to its end (its canary cleaned up) before a bug in one is raised.
        done = await asyncio.gather(*(self._one(name) for name in names), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
        return [r for r in done if isinstance(r, StoreReport)]

    def _group_of(self, name: str) -> Any | None:
        return next((g for g in self.settings.groups if name in g.stores), None)

    async def _one(self, name: str) -> StoreReport:
        settings = self.settings.store(name)
        group = self._group_of(name)
        defaults = group.defaults if group is not None else None
        connector = make_connector(settings, defaults)
        try:
            probed = await probe(
                connector, platform=settings.platform, settings=settings, group=group
            )
            report = probed.report
            if self.canary_prefix is None or not report.reachable:
                return report
            canary = Canary(
                connector=connector,
                platform=settings.platform,
                currency=_canary_currency(settings.currency, report.currency),
                people=_canary_people(people_defaults(defaults)),
                prefix=self.canary_prefix,
            )
            self.canaries.append(canary)
            leftovers = [r for r in probed.records if is_canary(r, self.canary_prefix)]
            try:
                await canary.run(leftovers)
            except AuthError as err:
                return replace(report, credentials=Credentials.REFUSED, error=str(err))
            return _with_canary(report, canary)
        except ConnectorError as err:
            return StoreReport(name, settings.platform, Credentials.UNKNOWN, error=str(err))
        finally:
            await connector.aclose()


# Who a canary is from and for where the group's defaults say nothing (BigCommerce needs all).
CANARY_PEOPLE = People(
    to_name="syncd preflight",
    to_email="canary@example.invalid",
    from_name="syncd preflight",
    from_email="canary@example.invalid",
)


def _canary_people(defaults: People) -> People:
    return People(
        to_name=defaults.to_name or CANARY_PEOPLE.to_name,
        to_email=defaults.to_email or CANARY_PEOPLE.to_email,
        from_name=defaults.from_name or CANARY_PEOPLE.from_name,
        from_email=defaults.from_email or CANARY_PEOPLE.from_email,
    )


def _canary_currency(configured: str | None, seen: str | None) -> str | None:
    if configured:
        return configured
    return seen if seen is not None and len(seen) == 3 else None


def _with_canary(report: StoreReport, canary: Canary) -> StoreReport:
    findings = report.findings
    if canary.timezone is not None:  # measured: the listing's guess is superseded
        findings = tuple(f for f in findings if f.kind != "timezone")
    return replace(
        report,
        canary=canary.report(),
        timezone=canary.timezone or report.timezone,
        findings=(*findings, *canary.findings),
    )
