"""Secrets never reach exception messages, reprs or log events — provoked with 401s, 500s
and timeouts against every sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.errors import ConnectorError
from syncd.platforms.base import Connector, collect
from syncd.platforms.http import HttpOptions
from tests.contract.conftest import Harness

SECRET_ARGS = {
    "shift4shop": ("private_key", "token"),
    "bigcommerce": ("access_token",),
    "sfcc": ("client_secret",),
}


def secrets_of(harness: Harness, connector: Connector, values: dict[str, str]) -> list[str]:
    found = list(values.values())
    if harness.platform == "sfcc":
        found.extend(connector.tokens.secrets)  # type: ignore[attr-defined]
    return [s for s in found if s]


def assert_clean(texts: list[str], secrets: list[str]) -> None:
    assert secrets
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret leaked into: {text[:200]}"


async def provoke(connector: Connector, code_id: str) -> list[str]:
    """Run a read and a listing; the texts an operator could see afterwards."""
    texts = [repr(connector), repr(connector.http)]  # type: ignore[attr-defined]
    try:
        await connector.get_certificate(code_id)
    except ConnectorError as err:
        texts += [str(err), repr(err), repr(err.__cause__), repr(err.__context__)]
    try:
        snapshot = await collect(connector.store, connector.list_certificates())
        texts.append(str(snapshot.reason))
    except ConnectorError as err:
        texts += [str(err), repr(err)]
    return texts


def secret_values(harness: Harness, marker: str) -> dict[str, str]:
    return {arg: f"{marker}-{arg}-value-0123456789" for arg in SECRET_ARGS[harness.platform]}


@pytest.mark.parametrize("fault", ["401", "500", "timeout"])
async def test_secrets_stay_out_of_errors_reprs_and_logs(harness: Harness, fault: str) -> None:
    [code] = harness.seed(1)
    options = HttpOptions(timeout=0.2 if fault == "timeout" else 5, max_attempts=2)
    kwargs: dict[str, Any] = {"options": options}
    if fault == "401":  # wrong credentials: the values we send are still secrets
        values = secret_values(harness, "wrong")
        kwargs.update(values)
    else:  # the sandbox's own credentials (configured_secrets below)
        values = {}
    connector = harness.connector(**kwargs)
    if fault != "401" and harness.platform == "sfcc":
        await connector.get_certificate(harness.remote_id(code))  # a live bearer token
    if fault == "500":
        await harness.faults(error_rate=1.0)
    if fault == "timeout":
        await harness.faults(latency_ms=1000)
    with capture_logs() as events:
        texts = await provoke(connector, harness.remote_id(code))
    texts += [repr(event) for event in events]
    secrets = secrets_of(harness, connector, values) + configured_secrets(harness)
    assert_clean(texts, secrets)
    if fault != "401":
        assert any("http." in repr(e) for e in events)  # something was logged and checked


def configured_secrets(harness: Harness) -> list[str]:
    """The sandbox's real credentials, which the default connectors send."""
    from importlib import import_module

    module = import_module(f"syncd.sandbox.{harness.platform}")
    config_cls = {
        "shift4shop": "Shift4ShopSandboxConfig",
        "bigcommerce": "BigCommerceSandboxConfig",
        "sfcc": "SfccSandboxConfig",
    }[harness.platform]
    config = getattr(module, config_cls)()
    return [getattr(config, arg) for arg in SECRET_ARGS[harness.platform]]
