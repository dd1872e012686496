"""Identity (§4.1): which listed record is which ledger certificate.

A record with a plain code is identified by its code (exactly, or case-insensitively by group
option). A record without one (SFCC without companion) can only be recognised through a link's
remote id (SFCC ``merchant_id``) — i.e. when syncd created it or linked it before. A record
that cannot be attributed safely (two records with one code on one store, a currency that is
not the certificate's) is skipped with an alert, and that store's listing then implies no
deletion: a skipped record must never look deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from syncd.model import LedgerCertificate, LedgerLink, RemoteCertificate, Snapshot
from syncd.reconcile.plan import Alert, AlertKind
from syncd.reconcile.record_alerts import record_alert


def code_key(code: str, case_insensitive: bool) -> str:
    """The comparison key of a code within a group."""
    return code.casefold() if case_insensitive else code


@dataclass(slots=True)
class Matches:
    """Every listed record, attributed."""

    seen: dict[int, dict[str, RemoteCertificate]] = field(default_factory=dict)
    unknown: dict[str, dict[str, RemoteCertificate]] = field(default_factory=dict)  # by code key
    hidden: list[RemoteCertificate] = field(default_factory=list)  # unknown and code-less
    reveals: dict[int, str] = field(default_factory=dict)  # ledger code None → code now known
    alerts: list[Alert] = field(default_factory=list)
    spoiled: set[str] = field(default_factory=set)  # listings that imply no deletion

    def skip(self, record: RemoteCertificate, kind: AlertKind, why: str) -> None:
        self.spoiled.add(record.store)
        alert = record_alert(kind, record.store, record.remote_id, why, code=record.code)
        self.alerts.append(alert)


class Index:
    """Look-ups over the ledger view."""

    def __init__(
        self,
        certificates: Mapping[int, LedgerCertificate],
        links: Iterable[LedgerLink],
        case_insensitive: bool,
    ) -> None:
        self.ci = case_insensitive
        self.certificates = certificates
        self.by_code: dict[str, int] = {}
        for cert_id in sorted(certificates):
            code = certificates[cert_id].code
            if code is not None:
                # lowest id wins if switching to case-insensitive made two codes collide
                self.by_code.setdefault(code_key(code, case_insensitive), cert_id)
        self.by_remote: dict[tuple[str, str], int] = {}
        for link in links:
            if link.unmirrorable is None and link.certificate_id in certificates:
                self.by_remote[(link.store, link.remote_id)] = link.certificate_id

    def key(self, code: str) -> str:
        return code_key(code, self.ci)


def match_all(index: Index, snapshots: Iterable[Snapshot]) -> Matches:
    """Attribute every record of every listing (stores and records in a stable order)."""
    out = Matches()
    for snap in sorted(snapshots, key=lambda s: s.store):
        for record in _unambiguous(snap, index, out):
            _match_one(record, index, out)
    return out


def _unambiguous(snap: Snapshot, index: Index, out: Matches) -> list[RemoteCertificate]:
    records = sorted(snap.certificates, key=lambda r: r.remote_id)
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        if record.code is not None:
            counts[index.key(record.code)] += 1
    kept = []
    for record in records:
        if record.code is not None and counts[index.key(record.code)] > 1:
            out.skip(record, AlertKind.MALFORMED_RECORD, "its code is listed more than once")
        else:
            kept.append(record)
    return kept


def _match_one(record: RemoteCertificate, index: Index, out: Matches) -> None:
    linked = index.by_remote.get((record.store, record.remote_id))
    if record.code is None:
        if linked is None:
            out.hidden.append(record)
        else:
            _attach(record, linked, index, out)
        return
    key = index.key(record.code)
    known = index.by_code.get(key)
    if linked is not None and index.certificates[linked].code is None:
        if known is not None:
            out.skip(record, AlertKind.MALFORMED_RECORD, "its code belongs to another certificate")
            return
        if key not in {index.key(c) for c in out.reveals.values()}:
            out.reveals[linked] = record.code
        _attach(record, linked, index, out)
    elif known is not None:
        _attach(record, known, index, out)
    else:
        out.unknown.setdefault(key, {})[record.store] = record


def _attach(record: RemoteCertificate, cert_id: int, index: Index, out: Matches) -> None:
    cert = index.certificates[cert_id]
    if record.currency != cert.currency:
        why = f"currency {record.currency} differs from the ledger's {cert.currency}"
        out.skip(record, AlertKind.DIVERGENCE, why)
        return
    on_store = out.seen.setdefault(cert_id, {})
    if record.store in on_store:
        out.skip(record, AlertKind.MALFORMED_RECORD, "a second record of the same certificate")
        return
    on_store[record.store] = record
