"""Reveal hidden codes before planning (DESIGN.md §4.10).

SFCC listings show only masked codes. A listed record that no link explains would become a
new, unmirrorable certificate — even when it is a copy of one the ledger or another store
already knows by its plain code (first contact, or a create whose answer was lost). So for
each such record on a store that can look codes up, every known plain code whose mask fits
is looked up (companion or Shop API); a look-up that returns that very record reveals it.

A store that can show a record's plain code by its remote id (``Capabilities.reveal_codes``:
SFCC with a companion) reveals instead every listed record with a hidden code that no link
explains, or whose certificate the ledger knows only masked (certificates sold on SFCC
itself): one request per such record, each failure costing that record only (it stays
hidden this cycle). Without it, codes no one knows stay hidden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Protocol, runtime_checkable

import structlog

from syncd.errors import ConnectorError
from syncd.ledger import LedgerView
from syncd.model import RemoteCertificate, Snapshot
from syncd.platforms.base import Connector

log = structlog.get_logger("syncd.runner")


@runtime_checkable
class CodeRevealer(Protocol):
    """A connector that shows a record's plain code by its remote id."""

    async def reveal_code(self, remote_id: str) -> str | None: ...


def fits(masked: str, code: str) -> bool:
    """``code`` could be what ``masked`` hides (same length, every shown character equal)."""
    if len(masked) != len(code):
        return False
    return all(m in ("*", c) for m, c in zip(masked, code, strict=True))


async def reveal_codes(
    snapshots: Mapping[str, Snapshot], view: LedgerView, connectors: Mapping[str, Connector]
) -> dict[str, Snapshot]:
    """``snapshots`` with every record whose code could be confirmed filled in. (Quiet records,
    set aside while listing, are linked: never candidates.)"""
    out = dict(snapshots)
    for store, snap in snapshots.items():
        caps = connectors[store].capabilities
        if caps.read_codes or not caps.lookup_code:
            continue
        masked = [r for r in snap.certificates if r.code is None]
        if not masked:
            continue
        conn = connectors[store]
        if caps.reveal_codes and isinstance(conn, CodeRevealer):
            out[store] = await _reveal_by_id(snap, _unexplained(masked, view, store), conn)
            continue
        linked = {link.remote_id for link in view.links if link.store == store}
        hidden = [r for r in masked if r.remote_id not in linked]
        if hidden:
            known = _known_codes(view, snapshots.values())
            out[store] = await _reveal(snap, hidden, known, connectors[store])
    return out


def _unexplained(
    masked: list[RemoteCertificate], view: LedgerView, store: str
) -> list[RemoteCertificate]:
    """Records no link explains, or linked to a certificate the ledger knows only masked."""
    linked = {link.remote_id: link.certificate_id for link in view.links if link.store == store}
    out = []
    for record in masked:
        cert_id = linked.get(record.remote_id)
        cert = None if cert_id is None else view.certificates.get(cert_id)
        if cert_id is None or (cert is not None and cert.code is None):
            out.append(record)
    return out


async def _reveal_by_id(
    snap: Snapshot, hidden: list[RemoteCertificate], conn: CodeRevealer
) -> Snapshot:
    if not hidden:
        return snap
    found = await asyncio.gather(*(_one_code(r, conn) for r in hidden))
    failed = sum(1 for code in found if code is None)
    log.info("reveal.by_id", store=snap.store, requests=len(hidden),
             revealed=sum(1 for code in found if code), failed=failed)  # fmt: skip
    return _with_codes(snap, hidden, found)


async def _one_code(record: RemoteCertificate, conn: CodeRevealer) -> str | None:
    try:
        code = await conn.reveal_code(record.remote_id)
    except ConnectorError:
        return None  # stays hidden this cycle
    if code is None or (record.masked_code and not fits(record.masked_code, code)):
        return None  # gone since the listing, or an answer that does not fit the record
    return code


def _known_codes(view: LedgerView, snapshots: Iterable[Snapshot]) -> dict[str, set[str]]:
    """Plain codes by their last four characters (a cheap first filter)."""
    codes = {c.code for c in view.certificates.values() if c.code}
    for snap in snapshots:
        codes.update(r.code for r in snap.certificates if r.code)
    by_tail: dict[str, set[str]] = {}
    for code in codes:
        by_tail.setdefault(code[-4:], set()).add(code)
    return by_tail


async def _reveal(
    snap: Snapshot,
    hidden: list[RemoteCertificate],
    known: Mapping[str, set[str]],
    conn: Connector,
) -> Snapshot:
    found = await asyncio.gather(*(_confirm(r, known, conn) for r in hidden))
    return _with_codes(snap, hidden, found)


def _with_codes(
    snap: Snapshot, hidden: list[RemoteCertificate], found: list[str | None]
) -> Snapshot:
    """``snap`` with each hidden record that ``found`` a code for showing it."""
    codes = {r.remote_id: code for r, code in zip(hidden, found, strict=True) if code}
    if not codes:
        return snap
    records = tuple(
        replace(r, code=codes[r.remote_id]) if r.remote_id in codes else r
        for r in snap.certificates
    )
    return replace(snap, certificates=records)


async def _confirm(
    record: RemoteCertificate, known: Mapping[str, set[str]], conn: Connector
) -> str | None:
    masked = record.masked_code
    if not masked:
        return None
    tail = masked[-4:]
    pool = known.get(tail, set()) if "*" not in tail else set().union(*known.values())
    for code in sorted(pool):
        if not fits(masked, code):
            continue
        try:
            found = await conn.find_by_code(code)
        except ConnectorError:
            return None  # stays hidden this cycle; nothing is inferred from it
        if found is not None and found.remote_id == record.remote_id:
            return code
    return None
