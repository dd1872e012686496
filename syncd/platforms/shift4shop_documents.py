"""3dcart's documents: listed and answered records read into
:class:`~syncd.model.RemoteCertificate` (dates through
:class:`~syncd.platforms.shift4shop_dates.StoreDates`), and the answer arrays of writes
(``{Key, Value, Status, Message}``, one per record)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from syncd.model import ListingNote, ListingPage, RecordProblem, RemoteCertificate, Status
from syncd.platforms import _wire
from syncd.platforms.core import read_records
from syncd.platforms.http import Response
from syncd.platforms.shift4shop_dates import StoreDates, UnreadDate
from syncd.platforms.shift4shop_listing import Page


@dataclass(frozen=True, slots=True)
class BalanceWrite:
    """One element of a bulk balance update."""

    code: str
    balance: Decimal


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What the store answered for one record of a bulk write."""

    code: str
    ok: bool
    status: int | None
    message: str


class Records:
    """Reads one store's records: its name, its one currency and its dates."""

    def __init__(self, store: str, *, money: _wire.Money, dates: StoreDates) -> None:
        self._store = store
        self._money = money
        self._dates = dates

    def page(self, page: Page) -> ListingPage:
        """A listed page: its records, problems and notes (dates it could not read)."""
        notes: dict[ListingNote, None] = {}
        parse = functools.partial(self._read, notes)
        problem = functools.partial(self._problem, page.offset)
        records, problems = read_records(page.records or (), parse, problem)
        return ListingPage(tuple(records), tuple(problems), tuple(notes))

    def _problem(self, offset: int, raw: Any, index: int, err: Exception) -> RecordProblem:
        key, is_code = _record_key(raw, f"offset {offset + index}")
        code = key if is_code else None
        return RecordProblem(self._store, key, str(err), is_code, code=code)

    def parse(self, raw: Any) -> RemoteCertificate:
        """One record; a bad one raises ValueError (or TypeError…) naming why."""
        return self._read(None, raw)

    def _created(self, raw: object, notes: dict[ListingNote, None] | None) -> datetime | None:
        """``DateCreated``; one that cannot be read costs the date, not the record."""
        try:
            return self._dates.read(raw)
        except UnreadDate as err:
            if notes is not None:
                notes[self._dates.note(err)] = None
            return None

    def _read(self, seen: dict[ListingNote, None] | None, raw: Any) -> RemoteCertificate:
        """One record; ``seen`` collects the listing's notes (a date it could not read)."""
        code = _wire.required_str(raw, "CertificateCode")
        notes = v if (v := raw.get("Notes")) and isinstance(v, str) else None  # optional_str
        _wire.check_keys(code, code, None, None, notes)  # the code is the remote id
        money = self._money
        return _wire.certificate(
            self._store,
            code,
            code,
            money.code,
            money.parse(raw.get("Amount")),
            money.parse(raw.get("Balance")),
            Status.ACTIVE,  # 3dcart has no status (capabilities say so)
            None,  # codes are shown in full
            _wire.NO_PEOPLE,
            notes,
            None,  # no expiry
            self._created(raw.get("DateCreated"), seen),
            None,  # no concurrency token
            None,  # no status of its own
        )


def answer_message(body: Any) -> str | None:
    """The ``Message`` of a 3dcart answer array (a JSON error answer), else None: the start
    of the answer is shown instead."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("Message", ""))
    return None


def outcomes(writes: Sequence[BalanceWrite], response: Response) -> list[WriteOutcome]:
    """Pair each write with its answer element: by code when the answer names it, else by
    position; a write the answer does not mention failed."""
    try:
        body = _wire.json_of(response)
    except ValueError:
        body = None
    elements = [e for e in body if isinstance(e, dict)] if isinstance(body, list) else []
    by_code = {str(e.get("Value")): e for e in elements}
    outcomes = []
    for index, write in enumerate(writes):
        element = by_code.get(write.code)
        if element is None and len(elements) == len(writes):
            element = elements[index]
        outcomes.append(_outcome(write.code, element, response.status))
    return outcomes


def _outcome(code: str, element: dict[str, Any] | None, http_status: int) -> WriteOutcome:
    if element is None:  # only an answer without any body (204) vouches for the record
        ok = http_status == 204
        return WriteOutcome(code, ok, http_status, "" if ok else "no answer for this record")
    try:
        status: int | None = int(str(element.get("Status", "")))
    except ValueError:
        status = None
    ok = status is not None and 200 <= status < 300
    return WriteOutcome(code, ok, status, str(element.get("Message", "")))


def _record_key(raw: Any, fallback: str) -> tuple[str, bool]:
    """What names a record in a problem, and whether that is its (plain) code."""
    if isinstance(raw, dict) and isinstance(raw.get("CertificateCode"), str):
        return str(raw["CertificateCode"]), True
    return fallback, False
