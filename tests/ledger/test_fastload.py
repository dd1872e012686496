"""How the view is loaded (syncd/ledger/fastload.py): in chunks, whatever their boundaries;
records built without their constructors yet equal to theirs; repeated values shared."""

from __future__ import annotations

import dataclasses
import gc
import inspect
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from syncd.ledger import Ledger, fastload, tables
from syncd.model import LedgerCertificate, LedgerLink, People, Status
from tests.ledger.factories import T0, add, cert, link

CURRENCIES = ("USD", "JPY", "KWD")  # 2, 0 and 3 decimal places
STORES = ("3d", "bc", "sfcc")
N = 300  # ids beyond CPython's small-int cache (256), so shared ids are not shared by chance


def _populate(ledger: Ledger) -> list[int]:
    """N certificates (three currencies, some with every optional field) and 3 links each,
    one of them of every shape (no remote record, deleted, a version, never seen)."""
    new = []
    for i in range(N):
        currency = CURRENCIES[i % 3]
        money = Decimal(10 + i) if currency == "JPY" else Decimal(f"{i}.{i % 10}0")
        extra: dict[str, Any] = {}
        if i % 7 == 0:
            extra = {
                "masked_code": f"****{i:04}",
                "people": People(f"to{i % 2}", None, "from", f"f{i % 3}@example.com"),
                "message": f"message {i}",
                "expires_at": T0 + timedelta(days=i),
                "origin_store": STORES[i % 3],
                "status": Status.PENDING,
            }
        new.append(cert(f"GC-{i}", currency, amount=money, balance=money, created_at=T0, **extra))
    ids = add(ledger, *new)
    links = []
    for i, cert_id in enumerate(ids):
        currency = CURRENCIES[i % 3]
        balance = Decimal(i) if currency == "JPY" else Decimal(f"{i}.05")
        seen = T0 + timedelta(minutes=i % 4)
        links += [
            link(cert_id, "3d", f"GC-{i}", last_balance=balance, last_seen_at=seen),
            link(cert_id, "bc", str(1000 + i), last_balance=balance, deleted=i % 5 == 0),
            link(
                cert_id, "sfcc", f"m-{i}", last_balance=balance, version=f"v{i}", last_seen_at=seen
            )
            if i % 11
            else link(
                cert_id,
                "sfcc",
                "",
                last_balance=None,
                last_status=None,
                unmirrorable=f"currency {currency} not held by this store",
            ),
        ]
    with ledger.transaction() as tx:
        tx.upsert_links(links)
    return ids


def _field_types(record: Any) -> list[tuple[str, type, str]]:
    """Every field's name, exact type and text (Decimal('1.0') != Decimal('1.00') in text)."""
    return [
        (f.name, type(v), str(v))
        for f in dataclasses.fields(record)
        for v in [getattr(record, f.name)]
    ]


@pytest.mark.parametrize("chunk_rows", [1, 2, 7, 2_000])
def test_chunk_boundaries_lose_or_change_nothing(
    ledger: Ledger, chunk_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _populate(ledger)
    monkeypatch.setattr(fastload, "CHUNK_ROWS", chunk_rows)
    view = ledger.load_view("us")
    assert list(view.certificates) == ids  # all of them, in id order
    assert [(x.certificate_id, x.store) for x in view.links] == [
        (cert_id, store) for cert_id in ids for store in STORES
    ]
    # the same records, value for value and type for type, as whole-result loading gives
    monkeypatch.setattr(fastload, "CHUNK_ROWS", 10 * N)
    whole = ledger.load_view("us")
    assert view == whole
    for got, expected in zip(
        [*view.certificates.values(), *view.links],
        [*whole.certificates.values(), *whole.links],
        strict=True,
    ):
        assert _field_types(got) == _field_types(expected)


def test_loaded_values_are_quantised_and_utc(ledger: Ledger) -> None:
    ids = _populate(ledger)
    view = ledger.load_view("us")
    jpy, usd, kwd = (view.certificates[ids[i]] for i in (1, 3, 2))
    assert (str(jpy.balance), str(usd.balance), str(kwd.balance)) == ("11", "3.30", "2.200")
    assert view.certificates[ids[0]].expires_at == T0
    assert view.certificates[ids[0]].expires_at.tzinfo is UTC  # type: ignore[union-attr]
    links = {(x.certificate_id, x.store): x for x in view.links}
    assert links[ids[0], "sfcc"] == link(
        ids[0], "sfcc", "", last_balance=None, last_status=None,
        unmirrorable="currency USD not held by this store",
    )  # fmt: skip
    assert links[ids[5], "bc"] == link(
        ids[5], "bc", "1005", last_balance=Decimal("5.05"), deleted=True
    )
    assert links[ids[1], "3d"].last_balance == Decimal("1")
    assert str(links[ids[1], "3d"].last_balance) == "1"  # JPY: no decimal places
    seen = links[ids[3], "sfcc"].last_seen_at
    assert seen == T0 + timedelta(minutes=3)
    assert seen.tzinfo is UTC


def test_repeated_values_are_one_object_each(ledger: Ledger) -> None:
    """At 100k certificates × 3 stores, a string or int per row is ~50 MB (issue 8)."""
    ids = _populate(ledger)
    view = ledger.load_view("us")
    certs = view.certificates
    assert max(ids) > 256
    for x in view.links:
        assert x.certificate_id is certs[x.certificate_id].id
    for field in ("store", "last_status", "last_seen_at"):
        assert _distinct_objects(view.links, field) == _distinct_values(view.links, field), field
    for field in ("currency", "people", "created_at"):
        assert _distinct_objects(certs.values(), field) == _distinct_values(certs.values(), field)


def _distinct_objects(records: Iterable[object], field: str) -> int:
    return len({id(v) for r in records if (v := getattr(r, field)) is not None})


def _distinct_values(records: Iterable[object], field: str) -> int:
    return len({v for r in records if (v := getattr(r, field)) is not None})


def test_a_connection_streaming_results_still_gets_every_row(ledger: Ledger) -> None:
    """With ``stream_results`` SQLAlchemy reads ahead from the cursor; the loader reads the
    DBAPI cursor itself on SQLite, so it must not inherit that option from the connection."""
    ids = _populate(ledger)
    in_group = tables.certificates.c.group_name == "us"
    with ledger.engine.connect() as conn, conn.begin():
        conn.execution_options(stream_results=True)  # in place, as on a caller's connection
        certs = fastload.certificates(conn, in_group)
        links = fastload.links(conn, in_group, certs)
    assert list(certs) == ids
    assert len(links) == 3 * N


_DECLARED_CURSORS = "SELECT count(*) FROM pg_cursors WHERE statement ILIKE 'DECLARE%'"


def test_rows_arrive_in_chunks_from_a_server_side_cursor_on_postgresql(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(ledger)
    monkeypatch.setattr(fastload, "CHUNK_ROWS", 128)
    query = select(tables.links.c.certificate_id).order_by(tables.links.c.certificate_id)
    with ledger.engine.connect() as conn, conn.begin():
        sizes, open_cursors = [], set()
        for rows in fastload._chunks(conn, query):
            sizes.append(len(rows))
            if conn.dialect.name == "postgresql":
                open_cursors.add(conn.execute(text(_DECLARED_CURSORS)).scalar())
    assert sizes == [128] * (3 * N // 128) + [3 * N % 128]
    if ledger.engine.dialect.name == "postgresql":
        assert open_cursors == {1}  # the whole result never sits in the client


# -- the builders ---------------------------------------------------------------------------

BUILDERS = [
    (
        fastload._certificate,
        LedgerCertificate,
        (
            4711,
            "GC-1",
            "USD",
            Decimal("50.00"),
            Decimal("12.34"),
            Status.PENDING,
            "****-1",
            People("Ann"),
            "hi",
            datetime(2030, 1, 1, tzinfo=UTC),
            "bc",
            T0,
        ),
    ),
    (
        fastload._link,
        LedgerLink,
        (4711, "bc", "17", Decimal("12.34"), Status.ACTIVE, "v1", T0, True, "why not"),
    ),
]


@pytest.mark.parametrize(("build", "cls", "values"), BUILDERS)
def test_the_builders_make_what_the_constructors_make(
    build: Any, cls: type[Any], values: tuple[Any, ...]
) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    assert [p.rstrip("_") for p in inspect.signature(build).parameters] == names  # in order
    assert not hasattr(cls, "__post_init__")  # nothing the constructor would check is skipped
    built, expected = build(*values), cls(*values)
    assert type(built) is cls
    assert built == expected
    assert hash(built) == hash(expected)
    assert repr(built) == repr(expected)
    assert tuple(getattr(built, name) for name in names) == values  # every slot is set
    assert dataclasses.replace(built, **{names[1]: values[1]}) == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, names[1], "changed")


# -- garbage collection ---------------------------------------------------------------------


def test_records_built_with_the_collector_paused_go_straight_to_the_oldest_generation() -> None:
    """Not to the youngest, whose next collection would walk every one of them (issue 8)."""
    was_enabled = gc.isenabled()
    with fastload.gc_paused():
        assert not gc.isenabled()
        records = [[n] for n in range(1_000)]
    assert gc.isenabled() == was_enabled
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(r) in oldest for r in records)
    assert gc.get_count()[0] < gc.get_threshold()[0]  # no pending young collection
