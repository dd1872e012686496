"""Several writers on one ledger (threads here; processes behave the same on the database)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from syncd.ledger import Ledger
from tests.ledger.factories import cert

WRITERS = 4
BATCHES = 10


def _writer(url: str, writer: int) -> list[int]:
    ids: list[int] = []
    with Ledger.open(url) as ledger:
        for batch in range(BATCHES):
            with ledger.transaction() as tx:
                codes = [f"W{writer}-{batch}-{n}" for n in range(5)]
                ids += tx.add_certificates("us", [cert(code) for code in codes])
    return ids


def test_concurrent_writers_never_share_an_id(ledger: Ledger, ledger_url: str) -> None:
    """Ids are allocated inside the write transaction (SQLite: BEGIN IMMEDIATE holds the write
    lock; PostgreSQL: the sequence), so interleaved writers neither collide nor fail."""
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(_writer, [ledger_url] * WRITERS, range(WRITERS)))
    ids = [i for result in results for i in result]
    assert len(set(ids)) == len(ids) == WRITERS * BATCHES * 5
    certs = ledger.load_view("us").certificates
    assert sorted(certs) == sorted(ids)
    assert all(certs[i].code is not None for i in ids)
