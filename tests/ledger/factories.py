"""Small builders for ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from syncd.ledger import JournalRecord, Ledger, NewLedgerCertificate
from syncd.model import LedgerLink, People, Status

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def cert(code: str | None = "GC-1", currency: str = "USD", **kw: object) -> NewLedgerCertificate:
    fields: dict[str, object] = {"amount": Decimal("50.00"), "balance": Decimal("50.00")}
    fields.update(kw)
    return NewLedgerCertificate(code=code, currency=currency, **fields)


def full_cert() -> NewLedgerCertificate:
    return NewLedgerCertificate(
        code="GC-FULL",
        currency="USD",
        amount=Decimal("100.00"),
        balance=Decimal("75.50"),
        status=Status.PENDING,
        masked_code="****FULL",
        people=People("Ann", "ann@example.com", "Bob", "bob@example.com"),
        message="Happy birthday",
        expires_at=datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC),
        origin_store="main-3dcart",
        created_at=T0,
    )


def link(cert_id: int, store: str = "bc", remote_id: str = "17", **kw: object) -> LedgerLink:
    fields: dict[str, object] = {"last_balance": Decimal("50.00"), "last_status": Status.ACTIVE}
    fields.update(kw)
    return LedgerLink(certificate_id=cert_id, store=store, remote_id=remote_id, **fields)


def journal(cert_id: int, amount: str, balance_after: str, **kw: object) -> JournalRecord:
    fields: dict[str, object] = {"kind": "redeem", "store": "bc", "currency": "USD"}
    fields["observed_at"] = T0
    fields.update(kw)
    return JournalRecord(
        certificate_id=cert_id,
        amount=Decimal(amount),
        balance_after=Decimal(balance_after),
        **fields,
    )


def add(ledger: Ledger, *certs: NewLedgerCertificate, group: str = "us") -> list[int]:
    with ledger.transaction() as tx:
        return tx.add_certificates(group, certs)
