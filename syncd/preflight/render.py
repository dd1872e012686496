"""``syncd preflight`` output: a readable block per store, or one stable JSON document.

Every string passes the log redactor on its way out (no secret reaches the output, even
one a platform echoed back in an error)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from syncd.cli._common import dash, table
from syncd.log import redact
from syncd.preflight.model import (
    CanaryReport,
    Finding,
    ListingFacts,
    RateLimitFacts,
    StoreReport,
)

JSON_VERSION = 1


def to_json(reports: Sequence[StoreReport], exit_code: int) -> str:
    doc = {
        "version": JSON_VERSION,
        "exit_code": exit_code,
        "stores": [store_json(r) for r in reports],
    }
    return json.dumps(_clean(doc), indent=2)


def store_json(report: StoreReport) -> dict[str, Any]:
    return {
        "store": report.store,
        "platform": report.platform,
        "reachable": report.reachable,
        "credentials": report.credentials.value,
        "error": report.error,
        "listing": _listing_json(report.listing),
        "rate_limit": _rate_json(report.rate_limit),
        "currency": report.currency,
        "timezone": report.timezone,
        "capabilities": {name.replace(" ", "_"): value for name, value in report.capabilities},
        "strategies": dict(report.strategies),
        "canary": _canary_json(report.canary),
        "findings": [_finding_json(f) for f in report.findings],
    }


def _listing_json(facts: ListingFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {
        "count": facts.count,
        "skipped": facts.skipped,
        "complete": facts.complete,
        "reason": facts.reason,
        "pages": facts.pages,
        "requests": facts.requests,
        "page_size_asked": facts.page_size_asked,
        "first_page": facts.first_page,
        "page_size_honoured": facts.page_size_honoured,
    }


def _rate_json(facts: RateLimitFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {
        "quota": facts.quota,
        "left": facts.left,
        "window_ms": facts.window_ms,
        "throttled": facts.throttled,
        "waited_s": facts.waited_s,
    }


def _canary_json(canary: CanaryReport | None) -> dict[str, Any] | None:
    if canary is None:
        return None
    return {
        "code": canary.code,
        "left_behind": canary.left_behind,
        "steps": [
            {"step": s.name, "outcome": s.outcome.value, "detail": s.detail} for s in canary.steps
        ],
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "severity": finding.severity.value,
        "message": finding.message,
        "config": finding.config,
        "in": "group" if finding.on_group else "store",
    }


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


# -- text -------------------------------------------------------------------------------


def to_text(reports: Sequence[StoreReport], exit_code: int) -> str:
    lines: list[str] = []
    for report in reports:
        lines += [*store_text(report), ""]
    lines.append(_summary(reports, exit_code))
    return redact("\n".join(lines))


def store_text(report: StoreReport) -> list[str]:
    head = f"{report.store} ({report.platform}): credentials {report.credentials.value}"
    if not report.reachable:
        return [head, f"  {report.error}"]
    facts = [
        ("listing", _listing_text(report.listing)),
        ("page size", _page_text(report.listing)),
        ("rate limit", _rate_text(report.rate_limit)),
        ("currency", dash(report.currency)),
        ("time zone", report.timezone),
    ]
    lines = [head, *table(("measured", ""), facts)]
    lines += ["", *table(("capability", ""), report.capabilities)]
    lines += ["", *table(("writes", "how"), report.strategies)]
    if report.canary is not None:
        steps = [(s.name, s.outcome.value, s.detail) for s in report.canary.steps]
        lines += [
            "",
            f"  canary {report.canary.code}",
            *table(("step", "outcome", "detail"), steps),
        ]
    lines += _findings_text(report)
    return lines


def _listing_text(facts: ListingFacts | None) -> str:
    if facts is None:
        return "-"
    state = "complete" if facts.complete else f"INCOMPLETE ({facts.reason})"
    skipped = f", {facts.skipped} unreadable" if facts.skipped else ""
    return (
        f"{facts.count} certificate(s){skipped}, {state}; a cycle needs {facts.pages} page(s), "
        f"{facts.requests} request(s)"
    )


def _page_text(facts: ListingFacts | None) -> str:
    if facts is None or facts.page_size_asked is None:
        return "unknown"
    honoured = {
        True: "honoured",
        False: "NOT honoured",
        None: "cannot tell (fewer records than a page)",
    }[facts.page_size_honoured]
    return f"asked {facts.page_size_asked}, first page {dash(facts.first_page)}: {honoured}"


def _rate_text(facts: RateLimitFacts | None) -> str:
    if facts is None:
        return "unknown"
    if facts.quota is None and facts.left is None:
        announced = "no rate-limit headers seen"
    else:
        window = f" per {facts.window_ms / 1000:g} s" if facts.window_ms is not None else ""
        announced = f"quota {dash(facts.quota)}{window}, {dash(facts.left)} left"
    return f"{announced}; {facts.throttled} throttled, {facts.waited_s:g} s waited"


def _findings_text(report: StoreReport) -> list[str]:
    if not report.findings:
        return ["", "  findings: none"]
    lines = ["", "  findings:"]
    for finding in report.findings:
        lines.append(f"  [{finding.severity.value}] {finding.message}")
        if finding.config:
            where = "its group" if finding.on_group else f"store {report.store!r}"
            lines.append(f"      set in {where}: {finding.config}")
    return lines


def _summary(reports: Sequence[StoreReport], exit_code: int) -> str:
    verdict = {
        0: "all good",
        1: "findings need config or a look",
        3: "a store could not be measured",
    }.get(exit_code, "")
    return f"preflight: {len(reports)} store(s): {verdict}"
