"""``syncd demo`` — the README's main command — runs to the end and every step converges."""

from __future__ import annotations

import pytest

from tests.e2e.harness import syncd


@pytest.mark.e2e
@pytest.mark.slow  # ~10 s: three steps of real daemon cycles every 2 s
async def test_the_demo_converges_every_step_and_exits_0() -> None:
    run = await syncd("demo", seconds=60)
    assert run.status == 0, run.stdout + run.stderr[-2000:]
    assert run.stdout.count("         converged") == 3
    assert "NOT converged" not in run.stdout
    assert "overdraft" in run.stdout
    assert "Traceback" not in run.stderr
