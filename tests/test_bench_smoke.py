"""The benchmark at N=200, so it cannot rot: real sandbox processes, real cycles."""

from __future__ import annotations

import pytest

from bench import bounds
from bench.cycle import bench_size, main, table


def test_lower_bounds_follow_the_page_sizes() -> None:
    assert bounds.requests(100_000, {}) == {"shift4shop": 502, "bigcommerce": 401, "sfcc": 501}
    # SFCC re-issues to change a balance: two requests per write (DELETE, then create)
    assert bounds.requests(200, {"sfcc": 2}) == {"shift4shop": 3, "bigcommerce": 1, "sfcc": 6}
    assert bounds.requests(201, {})["shift4shop"] == 3  # a short last page ends it


def test_wall_bound_counts_rate_limit_windows() -> None:
    cond = bounds.Conditions(latency_s=0.05, bc_quota=150, bc_window_s=30.0)
    assert bounds.wall(100_000, {}, cond) == pytest.approx(60.05)  # 401 BC requests: 3 windows
    assert bounds.wall(1000, {}, cond) == pytest.approx(5 * 0.05)  # 5 sequential BC pages


def test_the_design_bound_adds_the_reread_before_each_write() -> None:
    cond = bounds.Conditions(latency_s=0.05, bc_quota=150, bc_window_s=30.0)
    writes = {"bigcommerce": 70, "sfcc": 70, "shift4shop": 60}  # 1 % churn at 10k
    assert bounds.requests(10_000, writes, reread=True)["bigcommerce"] == 41 + 140
    # the slowest writer is SFCC: 18 rounds of 4 re-issues, each a DELETE then a create
    assert bounds.wall(10_000, writes, cond) == pytest.approx(41 * 0.05 + 18 * 2 * 0.05)
    assert bounds.wall(10_000, writes, cond, reread=True) == pytest.approx(30.05)  # 2 windows


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenarios", "stedy"], "unknown scenario(s) ['stedy']"),
        (["--sizes", "1k"], "--sizes must be comma-separated whole numbers, got '1k'"),
        (["--sizes", "0"], "--sizes must be at least 1 each, got '0'"),
        (["--repeat", "0"], "--repeat must be at least 1, got 0"),
    ],
)
def test_bad_arguments_are_refused_before_any_sandbox_starts(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_benchmark_runs_at_200() -> None:
    steady, churned = bench_size(200, ["steady", "churn 1%"], None)
    assert steady.cycle["outcome"] == churned.cycle["outcome"] == "converged"
    # At N=200 BigCommerce's one page is short. With no full page before it, that does not
    # prove the end (a store capping `limit` looks the same), so syncd asks for the next
    # page (the 204): one request over the API's bound. From N=251 on a short page ends it.
    assert steady.requests == {**steady.bound_requests, "bigcommerce": 2}
    assert sum(steady.writes_sent.values()) == 0
    assert steady.rows_written == {}  # a steady cycle writes no ledger row at all
    assert sum(churned.writes_sent.values()) == sum(churned.bound_requests.values()) - sum(
        steady.bound_requests.values()
    )
    assert "| 200 | steady |" in table([steady, churned])
