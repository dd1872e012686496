"""The HTTP side door (aiohttp.web), bound to ``[http] listen`` (127.0.0.1 by default).

Read routes: ``/healthz``, ``/readyz``, ``/metrics``, ``/v1/status``,
``/v1/certificates/{code}``. Mutating routes (``POST /v1/groups/{group}/cycle``,
``POST /v1/alerts/{id}/resolve``) need ``Authorization: Bearer <http.admin_token>``: 401
without it or with a wrong one, 403 when no admin token is configured at all. No response
carries a secret; certificate codes are masked to their last 4 characters unless the request
carries the admin token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from syncd.config import Settings
from syncd.daemon.cycles import GroupBusy
from syncd.ledger import CertificateDetail, Ledger, LedgerError
from syncd.metrics import Metrics
from syncd.model import mask_code
from syncd.registries.routes import registry_routes
from syncd.runner.result import CycleResult

DAEMON_KEY: web.AppKey[DaemonView] = web.AppKey("daemon")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DaemonView(Protocol):
    """What the side door needs of the daemon."""

    @property
    def settings(self) -> Settings: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def metrics(self) -> Metrics: ...
    async def status(self) -> dict[str, Any]: ...
    async def readiness(self) -> list[str]: ...
    async def run_group(self, group: str, *, force: bool = False) -> CycleResult | None: ...


def create_app(daemon: DaemonView) -> web.Application:
    app = web.Application()
    app[DAEMON_KEY] = daemon
    app.add_routes(
        [
            web.get("/healthz", healthz),
            web.get("/readyz", readyz),
            web.get("/metrics", metrics),
            web.get("/v1/status", status),
            web.get("/v1/certificates/{code}", certificate),
            web.post("/v1/groups/{group}/cycle", run_cycle),
            web.post("/v1/alerts/{alert_id}/resolve", resolve_alert),
        ]
    )
    # Gift registries (DESIGN.md §4.12): /v1/registries, /v1/registries/{store}/{id}.
    app.add_routes(registry_routes(lambda request: _daemon(request).ledger, is_admin))
    return app


async def start(daemon: DaemonView, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve the side door; returns the runner (``await runner.cleanup()``) and its URL."""
    runner = web.AppRunner(create_app(daemon), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"


def _problem(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _daemon(request: web.Request) -> DaemonView:
    return request.app[DAEMON_KEY]


def is_admin(request: web.Request) -> bool:
    """True when the request carries the configured admin token (compared in constant time)."""
    token = _daemon(request).settings.http.admin_token
    given = request.headers.get("Authorization", "")
    if token is None or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[7:].strip().encode(), token.get_secret_value().encode())


def _refuse_non_admin(request: web.Request) -> web.Response | None:
    if _daemon(request).settings.http.admin_token is None:
        return _problem(403, "mutating routes are disabled: no [http] admin_token configured")
    if not is_admin(request):
        return _problem(401, "admin token required", **{"WWW-Authenticate": "Bearer"})
    return None


# -- read routes ------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    reasons = await _daemon(request).readiness()
    if reasons:
        return web.json_response({"status": "not ready", "reasons": reasons}, status=503)
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    body = _daemon(request).metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def status(request: web.Request) -> web.Response:
    return web.json_response(await _daemon(request).status())


async def certificate(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    ledger = _daemon(request).ledger
    try:
        detail = await asyncio.to_thread(ledger.certificate_by_code, None, code)
    except LedgerError:
        return _problem(409, "that code matches more than one certificate; ask per group")
    if detail is None:
        return _problem(404, f"no certificate with code {mask(code)}")
    return web.json_response(certificate_json(detail, full=is_admin(request)))


def mask(code: str | None) -> str | None:
    """All but the last 4 characters hidden (shorter codes are hidden whole)."""
    return None if code is None else mask_code(code)


def certificate_json(detail: CertificateDetail, *, full: bool) -> dict[str, Any]:
    cert = detail.certificate
    body: dict[str, Any] = {
        "group": detail.group,
        "code": cert.code if full else mask(cert.code),
        "masked_code": cert.masked_code if full else mask(cert.masked_code),
        "currency": cert.currency,
        "amount": str(cert.amount),
        "balance": str(cert.balance),
        "status": str(cert.status),
        "updated_at": detail.updated_at.isoformat(),
        "stores": [
            {
                "store": link.store,
                "balance": None if link.last_balance is None else str(link.last_balance),
                "status": None if link.last_status is None else str(link.last_status),
                "deleted": link.deleted,
                "unmirrorable": link.unmirrorable,
            }
            for link in detail.links
        ],
        "journal": [
            {
                "kind": row.kind,
                "store": row.store,
                "amount": str(row.amount),
                "balance_after": str(row.balance_after),
                "observed_at": row.observed_at.isoformat(),
            }
            for row in detail.journal
        ],
    }
    if full:  # customer contact details only for the operator
        body["people"] = dataclasses.asdict(cert.people)
    return body


# -- mutating routes --------------------------------------------------------------------------


async def run_cycle(request: web.Request) -> web.Response:
    refused = _refuse_non_admin(request)
    if refused is not None:
        return refused
    daemon = _daemon(request)
    group = request.match_info["group"]
    if group not in {g.name for g in daemon.settings.groups}:
        return _problem(404, f"no group named {group!r}")
    force = request.query.get("force", "") in ("1", "true", "yes")
    try:
        result = await daemon.run_group(group, force=force)
    except GroupBusy:
        return _problem(409, f"a cycle of group {group!r} is already running")
    if result is None:
        return _problem(500, f"the cycle of group {group!r} failed; see the daemon's log")
    return web.json_response(
        {
            "group": group,
            "cycle_id": result.cycle_id,
            "outcome": str(result.outcome),
            "summary": result.summary,
        }
    )


async def resolve_alert(request: web.Request) -> web.Response:
    refused = _refuse_non_admin(request)
    if refused is not None:
        return refused
    raw = request.match_info["alert_id"]
    if not raw.isdigit():
        return _problem(400, f"alert id must be a number, got {raw!r}")
    ledger = _daemon(request).ledger
    if not await asyncio.to_thread(ledger.resolve_alert, int(raw)):
        return _problem(404, f"no open alert with id {raw}")
    return web.json_response({"resolved": int(raw)})
