"""The side door over real loopback HTTP: routes, auth, masking, and no secret anywhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from syncd.ledger import NewAlert, NewLedgerCertificate
from tests.daemon.conftest import NotifySocket, Running, make_daemon
from tests.daemon.fakes import ADMIN_TOKEN, SECRETS

CODE = "GIFTABCDEF123456"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WRONG = {"Authorization": "Bearer not-the-token"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _seed(run: Running) -> int:
    with run.ledger.transaction() as tx:
        tx.add_certificate(
            "us",
            NewLedgerCertificate(
                code=CODE, currency="USD", amount=Decimal("50.00"), balance=Decimal("20.00")
            ),
        )
        return tx.raise_alert(
            NewAlert(kind="overdraft", group="us", message="overdraft of 5.00 USD"),
            datetime.now(UTC),
        )


async def test_health_metrics_and_status(running: Running, http: aiohttp.ClientSession) -> None:
    url = running.daemon.url
    async with http.get(f"{url}/healthz") as resp:
        assert resp.status == 200
    async with http.get(f"{url}/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ready"
    await running.daemon.run_group("us")
    running.daemon.metrics.cycles.labels(group="us", outcome="converged").inc()
    async with http.get(f"{url}/metrics") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        assert 'syncd_cycles_total{group="us",outcome="converged"} 1.0' in await resp.text()
    _seed(running)
    async with http.get(f"{url}/v1/status") as resp:
        doc = await resp.json()
    assert doc["source"] == "daemon"
    assert doc["groups"][0]["name"] == "us"
    assert doc["groups"][0]["last_cycle"]["outcome"] == "converged"
    assert doc["groups"][0]["cycles_since_start"] == 1
    assert isinstance(doc["groups"][0]["last_cycle"]["recorded"], bool)
    assert doc["groups"][0]["next_run"] is not None
    stores = {s["name"]: s for s in doc["stores"]}
    assert stores["ssf"]["up"] is False
    assert stores["ssf"]["last_error"] == "connection refused"
    assert [a["kind"] for a in doc["alerts"]] == ["overdraft"]


async def test_readyz_is_503_with_reasons(running: Running, http: aiohttp.ClientSession) -> None:
    daemon = running.daemon
    group = running.settings.group("us")
    daemon._clock = lambda: daemon.started_at + 3 * group.interval + group.cycle_deadline
    async with http.get(f"{daemon.url}/readyz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["reasons"][0].startswith("group us")


async def test_certificate_codes_are_masked_without_the_admin_token(
    running: Running, http: aiohttp.ClientSession
) -> None:
    _seed(running)
    url = f"{running.daemon.url}/v1/certificates/{CODE}"
    for headers in ({}, WRONG):
        async with http.get(url, headers=headers) as resp:
            body = await resp.json()
        assert body["code"] == "*" * 12 + "3456"
        assert body["balance"] == "20.00"
        assert "people" not in body
    async with http.get(url, headers=ADMIN) as resp:
        body = await resp.json()
    assert body["code"] == CODE
    assert "people" in body
    async with http.get(f"{running.daemon.url}/v1/certificates/NOPE0000NOPE9999") as resp:
        assert resp.status == 404
        assert "9999" in (await resp.json())["error"]
        assert "NOPE0000" not in (await resp.json())["error"]


async def test_mutating_routes_need_the_admin_token(
    running: Running, http: aiohttp.ClientSession
) -> None:
    alert = _seed(running)
    url = running.daemon.url
    for headers in ({}, WRONG):
        async with http.post(f"{url}/v1/groups/us/cycle", headers=headers) as resp:
            assert resp.status == 401
        async with http.post(f"{url}/v1/alerts/{alert}/resolve", headers=headers) as resp:
            assert resp.status == 401
    assert running.syncer.calls == []
    async with http.post(f"{url}/v1/groups/us/cycle?force=1", headers=ADMIN) as resp:
        assert resp.status == 200
        assert (await resp.json())["outcome"] == "converged"
    assert running.syncer.calls[0][:2] == ("us", True)
    async with http.post(f"{url}/v1/groups/nope/cycle", headers=ADMIN) as resp:
        assert resp.status == 404
    async with http.post(f"{url}/v1/alerts/{alert}/resolve", headers=ADMIN) as resp:
        assert resp.status == 200
    async with http.post(f"{url}/v1/alerts/{alert}/resolve", headers=ADMIN) as resp:
        assert resp.status == 404
    assert running.ledger.open_alerts() == []


async def test_a_busy_group_answers_409(running: Running, http: aiohttp.ClientSession) -> None:
    running.syncer.gate = asyncio.Event()
    cycle = asyncio.create_task(running.daemon.run_group("us"))
    await running.syncer.entered.wait()
    async with http.post(f"{running.daemon.url}/v1/groups/us/cycle", headers=ADMIN) as resp:
        assert resp.status == 409
    running.syncer.gate.set()
    await cycle


async def test_without_an_admin_token_mutating_routes_are_forbidden(
    tmp_path: Path, notify_socket: NotifySocket, http: aiohttp.ClientSession
) -> None:
    run = make_daemon(tmp_path, notify_socket, admin=False)
    await run.daemon.start()
    try:
        async with http.post(f"{run.daemon.url}/v1/groups/us/cycle", headers=ADMIN) as resp:
            assert resp.status == 403
        async with http.post(f"{run.daemon.url}/v1/alerts/1/resolve") as resp:
            assert resp.status == 403
    finally:
        run.daemon.request_stop()
        await run.daemon.stop()
        run.ledger.close()


async def test_no_response_ever_carries_a_secret(
    running: Running, http: aiohttp.ClientSession
) -> None:
    alert = _seed(running)
    await running.daemon.run_group("us")
    url = running.daemon.url
    requests = [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/v1/status"),
        ("GET", f"/v1/certificates/{CODE}"),
        ("GET", "/v1/certificates/unknown"),
        ("POST", "/v1/groups/us/cycle"),
        ("POST", f"/v1/alerts/{alert}/resolve"),
        ("POST", "/v1/alerts/x/resolve"),
        ("GET", "/nowhere"),
    ]
    for headers in ({}, WRONG, ADMIN):
        for method, path in requests:
            async with http.request(method, url + path, headers=headers) as resp:
                text = await resp.text() + str(resp.headers)
            for secret in SECRETS.values():
                assert secret not in text, (method, path)
