"""Cycle outcomes as the ledger's cycles table records them."""

from __future__ import annotations

import pytest

from syncd.ledger import CycleOutcome
from syncd.runner.report import ledger_outcome
from syncd.runner.result import Outcome


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_has_a_ledger_outcome(outcome: Outcome) -> None:
    recorded = CycleOutcome(ledger_outcome(outcome))
    expected = CycleOutcome.INTERRUPTED if outcome is Outcome.DEADLINE else outcome.value
    assert recorded == expected
