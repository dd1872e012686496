"""One canary certificate on one store: create, read back, write its balance and status,
delete, re-use its code, delete again — each step read back, and always cleaned up.

The canary is worth one minor unit and carries the canary message; its code is the prefix
plus random characters, 20 in all (what BigCommerce keeps) — see :mod:`syncd.preflight.codes`.
Only the canary's own remote ids are ever written to, and only records that are canaries are
swept: a leftover of an earlier run that was killed is deleted before a new one is made.
Cleanup runs in ``finally``, so a failed step or a cancellation (SIGINT) still deletes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from syncd.errors import ConnectorError, Unsupported, WriteNotApplied
from syncd.model import BalanceMode, NewCertificate, People, RemoteCertificate, Status, mask_code
from syncd.money import quantum
from syncd.platforms.base import Connector
from syncd.preflight.codes import CANARY_MESSAGE, canary_code
from syncd.preflight.model import CanaryReport, CanaryStep, Finding, Severity, StepOutcome
from syncd.preflight.probe import ZONE_STEP, ZONELESS_PLATFORMS, server_date, zone_finding

CLEANUP_TIMEOUT_S = 60.0


@dataclass
class Canary:
    """One run on one store; ``steps``/``findings`` fill in as it goes (also when it is
    cancelled: the caller reads them after)."""

    connector: Connector
    platform: str
    currency: str | None
    people: People
    prefix: str
    code: str = ""
    steps: list[CanaryStep] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    timezone: str | None = None
    _ids: list[str] = field(default_factory=list)  # every remote id the canary had
    _sent: bool = False  # a create went out: the canary may exist
    _gone: bool = True  # read back as deleted after the last create
    left_behind: bool = False

    def __post_init__(self) -> None:
        self.code = self.code or canary_code(self.prefix)

    @property
    def store(self) -> str:
        return self.connector.store

    def report(self) -> CanaryReport:
        return CanaryReport(mask_code(self.code), tuple(self.steps), self.left_behind)

    async def run(self, leftovers: list[RemoteCertificate]) -> None:
        await self._sweep(leftovers)
        caps = self.connector.capabilities
        if not caps.choose_code:
            self._step("create", StepOutcome.SKIPPED, _NO_CHOICE)
            self._finding("no_chosen_codes", Severity.NOTE, _NO_CHOICE, "companion_url = …")
            return
        if not caps.delete or self.currency is None:
            why = "the store cannot delete" if not caps.delete else "its currency is unknown"
            self._step("create", StepOutcome.SKIPPED, f"no canary: {why}")
            return
        try:
            await self._steps()
        finally:
            await asyncio.shield(self._bounded_cleanup())

    # -- steps ----------------------------------------------------------------------------

    async def _steps(self) -> None:
        created = await self._create()
        if created is None:
            return
        seen = await self._read_back(created)
        if seen is None:
            return
        await self._case()
        current = await self._balance(seen)
        if current is None:
            return
        current = await self._status(current)
        if current is None or not await self._delete(current, "delete"):
            return
        await self._reuse()

    async def _sweep(self, leftovers: list[RemoteCertificate]) -> None:
        removed = []
        for record in leftovers:
            try:
                await self.connector.delete_certificate(record.remote_id)
            except ConnectorError as err:
                reason = str(err).replace(record.code or "\0", _shown(record))
                self._failed("sweep", f"leftover canary {_shown(record)}: {reason}")
                continue
            removed.append(_shown(record))
        if removed:
            text = f"removed {len(removed)} leftover canary(ies) of an earlier run: "
            self._step("sweep", StepOutcome.OK, text + ", ".join(removed))
            self._finding("leftover_removed", Severity.NOTE, text + ", ".join(removed))
        else:
            self._step("sweep", StepOutcome.OK, "no leftover canary")

    async def _create(self) -> RemoteCertificate | None:
        try:
            created = await self._send_create()
        except ConnectorError as err:
            self._failed("create", str(err))
            return None
        shown = f"{mask_code(self.code)} worth {created.amount} {created.currency}"
        self._step("create", StepOutcome.OK, shown)
        self._measure_zone(created)
        return created

    async def _send_create(self) -> RemoteCertificate:
        """Create the canary (one minor unit); from here on it may exist until deleted."""
        assert self.currency is not None
        unit = quantum(self.currency)
        cert = NewCertificate(
            code=self.code,
            currency=self.currency,
            amount=unit,
            balance=unit,
            people=self.people,
            message=CANARY_MESSAGE,
        )
        self._sent, self._gone = True, False
        created = await self.connector.create_certificate(cert)
        self._track(created)
        return created

    async def _read_back(self, created: RemoteCertificate) -> RemoteCertificate | None:
        try:
            seen = await self._find(self.code) or await self._get(created.remote_id)
        except ConnectorError as err:
            self._failed("read back", str(err))
            return None
        if seen is None:
            self._failed("read back", "the canary was not found right after its create")
            return None
        if seen.code is None or seen.code == self.code:
            shown = "hidden by the store" if seen.code is None else "kept exactly"
            self._step("read back", StepOutcome.OK, f"code {shown}")
        elif seen.code.upper() == self.code.upper():
            text = "the store changed the case of the code"
            self._step("read back", StepOutcome.FINDING, text)
            self.findings.append(
                Finding("code_case", Severity.CONFIG, text, "case_insensitive_codes = true", True)
            )
        else:
            self._step("read back", StepOutcome.FINDING, "the store changed the code")
            self._finding("code_changed", Severity.FAILURE, "the store changed the canary's code")
        return seen

    async def _case(self) -> None:
        """Does a look-up of the code in lower case find it? (A code equal but for case to
        an existing one would then conflict there.)"""
        try:
            found = await self.connector.find_by_code(self.code.lower())
        except Unsupported:
            self._step("case", StepOutcome.SKIPPED, "the store cannot look codes up")
            return
        except ConnectorError as err:
            self._failed("case", str(err))
            return
        if found is None:
            self._step("case", StepOutcome.OK, "look-ups tell case apart")
            return
        text = "look-ups ignore case: a code equal to one of its codes but for case conflicts"
        self._step("case", StepOutcome.OK, text)
        self._finding("case_insensitive_lookup", Severity.NOTE, text)

    async def _balance(self, current: RemoteCertificate) -> RemoteCertificate | None:
        caps = self.connector.capabilities
        if not caps.set_balance:
            self._step("balance", StepOutcome.SKIPPED, "the store cannot set a balance")
            return current
        if caps.balance_write is BalanceMode.RECREATE:
            text = "balances are set by re-creating the code (delete, create): see 're-use code'"
            self._step("balance", StepOutcome.SKIPPED, text)
            return current
        zero = Decimal(0)
        try:
            written = await self.connector.update_certificate(current, balance=zero)
            self._track(written)
            after = await self._get(written.remote_id)
        except WriteNotApplied as err:
            self._balance_ignored(str(err))
            return await self._get_or_fail("balance", current.remote_id)
        except ConnectorError as err:
            self._failed("balance", str(err))
            return None
        if after is None:
            self._failed("balance", "the canary vanished after its balance write")
            return None
        if after.balance != zero:
            self._balance_ignored(f"wrote 0, read back {after.balance}")
            return after
        self._step("balance", StepOutcome.OK, "balance 0 written and read back")
        return after

    def _balance_ignored(self, detail: str) -> None:
        self._step("balance", StepOutcome.FINDING, f"balance write not applied: {detail}")
        if self.platform == "shift4shop":
            text = "3dcart ignores balance writes (PUT of Balance answered success, not applied)"
            self._finding("balance_ignored", Severity.CONFIG, text, 'balance_write = "recreate"')
        else:
            self._finding(
                "balance_ignored", Severity.FAILURE, f"balance write not applied: {detail}"
            )

    async def _status(self, current: RemoteCertificate) -> RemoteCertificate | None:
        if not self.connector.capabilities.set_status:
            detail = "the store has no status (disabled is written as balance 0)"
            self._step("status", StepOutcome.SKIPPED, detail)
            return current
        try:
            written = await self.connector.update_certificate(current, status=Status.DISABLED)
            self._track(written)
            after = await self._get(written.remote_id)
        except ConnectorError as err:
            self._failed("status", str(err))
            return None
        if after is None:
            self._failed("status", "the canary vanished after its status write")
            return None
        if after.status is not Status.DISABLED:
            text = f"wrote disabled, read back {after.status.value}"
            self._step("status", StepOutcome.FINDING, text)
            self._finding("status_ignored", Severity.FAILURE, f"status write not applied: {text}")
            return after
        self._step("status", StepOutcome.OK, "disabled written and read back")
        return after

    async def _delete(self, current: RemoteCertificate, step: str) -> bool:
        try:
            await self.connector.delete_certificate(current.remote_id)
            after = await self._get(current.remote_id)
        except ConnectorError as err:
            self._failed(step, str(err))
            return False
        if after is not None:
            self._failed(step, "the canary is still there after its delete")
            return False
        self._gone = True
        self._step(step, StepOutcome.OK, "deleted, and gone when read back")
        return True

    async def _reuse(self) -> None:
        """Create the deleted code again (re-creating writes depend on it), then delete."""
        created = await self._create_again()
        if created is not None:
            await self._delete(created, "delete again")

    async def _create_again(self) -> RemoteCertificate | None:
        try:
            created = await self._send_create()
        except ConnectorError as err:
            text = f"the code of a deleted certificate was refused at once: {err}"
            self._step("re-use code", StepOutcome.FINDING, text)
            self._finding("code_not_reusable", Severity.NOTE, text)
            return None
        self._step("re-use code", StepOutcome.OK, "a deleted code can be created again at once")
        return created

    # -- cleanup --------------------------------------------------------------------------

    async def _bounded_cleanup(self) -> None:
        if not self._sent or self._gone:
            return
        try:
            await asyncio.wait_for(self._cleanup(), CLEANUP_TIMEOUT_S)
        except (ConnectorError, TimeoutError) as err:
            self._left(f"cleanup failed: {err or 'timed out'}")

    async def _cleanup(self) -> None:
        for remote_id in reversed(self._ids):
            # already gone, or an earlier id of a re-issued canary: the look-up below decides
            with contextlib.suppress(ConnectorError):
                await self.connector.delete_certificate(remote_id)
        found = await self._find(self.code)
        if found is not None:
            await self.connector.delete_certificate(found.remote_id)
            found = await self._find(self.code)
        if found is not None:
            self._left("still there after its delete")
            return
        self._gone = True
        self._step("cleanup", StepOutcome.OK, "the canary is deleted")

    def _left(self, why: str) -> None:
        self.left_behind = True
        text = (
            f"canary {mask_code(self.code)} may be left on the store ({why}); "
            "the next `syncd preflight --canary` removes it"
        )
        self._step("cleanup", StepOutcome.FAILED, text)
        self._finding("canary_left", Severity.FAILURE, text)

    # -- helpers --------------------------------------------------------------------------

    async def _find(self, code: str) -> RemoteCertificate | None:
        try:
            return await self.connector.find_by_code(code)
        except Unsupported:
            return None

    async def _get(self, remote_id: str) -> RemoteCertificate | None:
        seen = await self.connector.get_certificate(remote_id)
        if seen is not None:
            self._track(seen)
        return seen

    async def _get_or_fail(self, step: str, remote_id: str) -> RemoteCertificate | None:
        try:
            seen = await self._get(remote_id)
        except ConnectorError as err:
            self._failed(step, str(err))
            return None
        if seen is None:
            self._failed(step, "the canary vanished")
        return seen

    def _track(self, record: RemoteCertificate) -> None:
        if record.remote_id not in self._ids:
            self._ids.append(record.remote_id)

    def _measure_zone(self, created: RemoteCertificate) -> None:
        """Zone-less dates: the canary's creation date against the server's clock."""
        if self.platform not in ZONELESS_PLATFORMS:
            return
        now = server_date(self.connector)
        if created.created_at is None or now is None:
            self.timezone = "unknown (the canary has no date)"
            return
        offset = created.created_at - now
        if abs(offset) < ZONE_STEP:
            self.timezone = (
                f"as configured (the canary's date agrees with the server, {_secs(offset)})"
            )
            return
        self.timezone, findings = zone_finding(offset)
        self.findings.extend(findings)

    def _step(self, name: str, outcome: StepOutcome, detail: str) -> None:
        self.steps.append(CanaryStep(name, outcome, self._masked(detail)))

    def _masked(self, text: str) -> str:
        """Connector errors name codes plainly: the canary's is shown masked, like any."""
        return text.replace(self.code, mask_code(self.code))

    def _failed(self, step: str, detail: str) -> None:
        self._step(step, StepOutcome.FAILED, detail)
        self._finding("canary_step_failed", Severity.FAILURE, f"canary {step}: {detail}")

    def _finding(
        self, kind: str, severity: Severity, message: str, config: str | None = None
    ) -> None:
        self.findings.append(Finding(kind, severity, self._masked(message), config))


_NO_CHOICE = (
    "SFCC cannot create a certificate with a chosen code without a companion: "
    "create skipped (a companion_url lets syncd create and re-issue there)"
)


def _shown(record: RemoteCertificate) -> str:
    if record.code is not None:
        return mask_code(record.code)
    return record.masked_code or record.remote_id


def _secs(offset: timedelta) -> str:
    return f"{offset.total_seconds():+.0f} s"
