"""Small builders for planner tests: stores of each kind, records, ledger rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from syncd.model import (
    BalanceMode,
    Capabilities,
    LedgerCertificate,
    LedgerLink,
    People,
    RemoteCertificate,
    Snapshot,
    Status,
)
from syncd.reconcile import GroupPolicy, Plan, View, plan

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
D = Decimal
ACTIVE, DISABLED, EXPIRED, PENDING = Status.ACTIVE, Status.DISABLED, Status.EXPIRED, Status.PENDING

THREEDCART = Capabilities(has_status=False, set_status=False, has_expiry=False)
BIGCOMMERCE = Capabilities(max_code_length=20, requires_people=True, max_message_length=250)
SFCC = Capabilities(
    read_codes=False, choose_code=False, set_balance=False, has_expiry=False, lookup_code=False
)
SFCC_COMPANION = Capabilities(has_expiry=False)
# SFCC with a companion as the connector declares it: balances by re-issue, 0 as disabled.
SFCC_REISSUE = Capabilities(
    has_expiry=False, balance_write=BalanceMode.RECREATE, holds_zero=False, reveal_codes=True
)
FULL = Capabilities()
DEFAULTS = People("Gift recipient", "gift@example.com", "Shop", "shop@example.com")


def rec(
    store: str,
    code: str | None,
    balance: str | int,
    *,
    remote_id: str | None = None,
    status: Status = ACTIVE,
    currency: str = "USD",
    amount: str | int | None = None,
    masked: str | None = None,
    people: People | None = None,
) -> RemoteCertificate:
    bal = D(balance)
    return RemoteCertificate(
        store,
        remote_id or code or "?",
        code,
        currency,
        D(amount) if amount is not None else max(bal, D(100)),
        bal,
        status,
        masked_code=masked,
        people=people or People(),
    )


def cert(
    id: int,
    code: str | None,
    balance: str | int,
    *,
    status: Status = ACTIVE,
    currency: str = "USD",
    masked: str | None = None,
) -> LedgerCertificate:
    bal = D(balance)
    return LedgerCertificate(id, code, currency, max(bal, D(100)), bal, status, masked_code=masked)


def link(
    cert_id: int,
    store: str,
    remote_id: str,
    balance: str | int | None,
    status: Status | None = ACTIVE,
    **kw: object,
) -> LedgerLink:
    bal = None if balance is None else D(balance)
    return LedgerLink(cert_id, store, remote_id, bal, status, **kw)  # type: ignore[arg-type]


def snap(store: str, *records: RemoteCertificate, complete: bool = True) -> Snapshot:
    return Snapshot(store, tuple(records), complete, None if complete else "cut short")


def run(
    certs: Iterable[LedgerCertificate],
    links: Iterable[LedgerLink],
    snaps: Iterable[Snapshot],
    caps: Mapping[str, Capabilities],
    policy: GroupPolicy | None = None,
) -> Plan:
    view = View({c.id: c for c in certs}, tuple(links))
    return plan(
        view, {s.store: s for s in snaps}, caps, policy or GroupPolicy(defaults=DEFAULTS), NOW
    )


def kinds(p: Plan) -> list[tuple[str, str]]:
    return [(a.kind, a.store) for a in p.actions]
