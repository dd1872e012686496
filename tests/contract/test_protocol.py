"""The protocol half of the connector contract, run against the memory stores of the
simulation (:mod:`tests.sim.memory_store`) and every real connector talking to its sandbox, so the
memory store is held to what real connectors promise. HTTP faults: ``test_contract.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

import pytest

from syncd.errors import Conflict, NotFound, Rejected, Unsupported
from syncd.model import BalanceMode, Capabilities, ListingEnd, NewCertificate, People, Status
from syncd.platforms.base import Connector, collect
from tests.contract.conftest import PLATFORMS, Harness, start_harness, stop_harness
from tests.sim.memory_store import BIGCOMMERCE, SFCC, SFCC_COMPANION, THREEDCART, MemoryStore

D = Decimal


class Bench(Protocol):
    """A store seeded by the test and a connector to it."""

    def connector(self) -> Connector: ...
    def seed(self, count: int) -> list[str]: ...
    def remote_id(self, code: str) -> str: ...

    unknown_id: str
    duplicate: type[Exception]  # what a second create of one code raises


@dataclass
class MemoryBench:
    store: MemoryStore
    unknown_id: str = "999999"
    duplicate: type[Exception] = Conflict

    def connector(self) -> Connector:
        return self.store

    def seed(self, count: int) -> list[str]:
        codes = []
        for i in range(count):
            rid = self.store.issue(f"GC{i:08d}", D("50.00"))
            self.store.set(rid, balance=D("25.00"))
            codes.append(self.store.codes[rid])
        return codes

    def remote_id(self, code: str) -> str:
        rid = self.store.remote_id_of(code)
        assert rid is not None, code
        return rid


@dataclass
class SandboxBench:
    harness: Harness
    unknown_id: str = "999999"
    duplicate: type[Exception] = Conflict

    def connector(self) -> Connector:
        return self.harness.connector()

    def seed(self, count: int) -> list[str]:
        return self.harness.seed(count)

    def remote_id(self, code: str) -> str:
        return self.harness.remote_id(code)


MEMORY = {
    "memory-3dcart": lambda: MemoryStore("m-cart", THREEDCART, code_is_id=True),
    "memory-bigcommerce": lambda: MemoryStore("m-bc", BIGCOMMERCE, integer_ids=True),
    "memory-sfcc": lambda: MemoryStore("m-sfcc", SFCC),
    "memory-sfcc-companion": lambda: MemoryStore("m-sfcx", SFCC_COMPANION),
}


@pytest.fixture(params=[*MEMORY, *(f"sandbox-{p}" for p in PLATFORMS)])
async def bench(request: pytest.FixtureRequest) -> AsyncIterator[Bench]:
    if request.param in MEMORY:
        yield MemoryBench(MEMORY[request.param]())
        return
    harness, runner = await start_harness(request.param.removeprefix("sandbox-"))
    try:
        # 3dcart answers a duplicate code with 400, not 409
        yield SandboxBench(
            harness, duplicate=Rejected if harness.platform == "shift4shop" else Conflict
        )
    finally:
        await stop_harness(harness, runner)


def new_cert(code: str, amount: str = "50.00", balance: str | None = None) -> NewCertificate:
    return NewCertificate(
        code=code, currency="USD", amount=D(amount), balance=D(balance or amount),
        people=People("Ann", "ann@example.com", "Bob", "bob@example.com"),
    )  # fmt: skip


async def test_is_a_connector(bench: Bench) -> None:
    assert isinstance(bench.connector(), Connector)


async def test_listing_across_pages_ends_with_one_end_marker(bench: Bench) -> None:
    codes = bench.seed(7)
    connector = bench.connector()
    items = [item async for item in connector.list_certificates()]
    end = items[-1]
    assert isinstance(end, ListingEnd)
    assert end.complete
    assert not any(isinstance(i, ListingEnd) for i in items[:-1])
    snapshot = await collect(connector.store, _replay(items))
    assert {c.remote_id for c in snapshot.certificates} == {bench.remote_id(c) for c in codes}
    assert all(c.balance == D("25.00") and c.currency == "USD" for c in snapshot.certificates)
    if connector.capabilities.read_codes:
        assert {c.code for c in snapshot.certificates} == set(codes)
    else:
        assert all(c.code is None and c.masked_code for c in snapshot.certificates)


async def _replay(items: list[object]) -> AsyncIterator[object]:
    for item in items:
        yield item


async def test_empty_store(bench: Bench) -> None:
    connector = bench.connector()
    snapshot = await collect(connector.store, connector.list_certificates())
    assert snapshot.complete
    assert snapshot.certificates == ()


async def test_get_unknown_is_none(bench: Bench) -> None:
    assert await bench.connector().get_certificate(bench.unknown_id) is None


async def test_get_and_find_read_one_record(bench: Bench) -> None:
    [code] = bench.seed(1)
    connector = bench.connector()
    cert = await connector.get_certificate(bench.remote_id(code))
    assert cert is not None
    assert (cert.remote_id, cert.amount, cert.balance) == (bench.remote_id(code), D(50), D(25))
    assert cert.status is Status.ACTIVE
    caps = connector.capabilities
    if caps.read_codes or caps.lookup_code:
        found = await connector.find_by_code(code)
        assert found is not None
        assert found.remote_id == cert.remote_id
        assert await connector.find_by_code("NO-SUCH-CODE") is None


async def test_writes_set_absolute_values_and_read_back(bench: Bench) -> None:
    [code] = bench.seed(1)
    connector = bench.connector()
    caps = connector.capabilities
    current = await connector.get_certificate(bench.remote_id(code))
    assert current is not None
    current = replace(current, code=code)  # the ledger knows the code
    in_place = caps.set_balance and caps.balance_write is BalanceMode.IN_PLACE
    if in_place:
        for _ in range(2):  # the same write twice changes nothing more
            updated = await connector.update_certificate(current, balance=D("12.34"))
            assert updated.balance == D("12.34")
    elif caps.set_balance:  # by re-creating the code: the runner's two steps, not one write
        with pytest.raises(Unsupported):
            await connector.update_certificate(current, balance=D("12.34"))
    if caps.set_status and caps.has_status:
        disabled = await connector.update_certificate(current, status=Status.DISABLED)
        assert disabled.status is Status.DISABLED
    again = await connector.get_certificate(current.remote_id)
    assert again is not None
    assert again.balance == (D("12.34") if in_place else D(25))


async def test_create_once_then_delete(bench: Bench) -> None:
    connector = bench.connector()
    if not connector.capabilities.choose_code:
        with pytest.raises(Unsupported):
            await connector.create_certificate(new_cert("RT-0001"))
        return
    created = await connector.create_certificate(new_cert("RT-0001", "50.00", "40.00"))
    # a store that sets balances by re-creating issues what is left (its amount is fixed)
    recreates = connector.capabilities.balance_write is BalanceMode.RECREATE
    amount = D(40) if recreates else D(50)
    assert (created.code, created.amount, created.balance) == ("RT-0001", amount, D(40))
    with pytest.raises(bench.duplicate):  # refused: never a second record of one code
        await connector.create_certificate(new_cert("RT-0001"))
    snapshot = await collect(connector.store, connector.list_certificates())
    assert [c.remote_id for c in snapshot.certificates] == [created.remote_id]
    await connector.delete_certificate(created.remote_id)
    assert await connector.get_certificate(created.remote_id) is None
    assert await connector.find_by_code("RT-0001") is None
    with pytest.raises(NotFound):
        await connector.delete_certificate(created.remote_id)


async def test_what_the_store_cannot_do_is_refused(bench: Bench) -> None:
    [code] = bench.seed(1)
    connector = bench.connector()
    caps: Capabilities = connector.capabilities
    current = await connector.get_certificate(bench.remote_id(code))
    assert current is not None
    if not (caps.set_status and caps.has_status):
        with pytest.raises(Unsupported):
            await connector.update_certificate(current, status=Status.DISABLED)
    if not caps.set_balance:
        with pytest.raises(Unsupported):
            await connector.update_certificate(current, balance=D("1.00"))
    if caps.max_code_length is not None:
        with pytest.raises(Rejected, match="characters"):
            await connector.create_certificate(new_cert("X" * (caps.max_code_length + 1)))
    if not (caps.read_codes or caps.lookup_code):
        with pytest.raises(Unsupported):
            await connector.find_by_code(code)
