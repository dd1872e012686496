"""The wire core every connector holds (by composition, not inheritance): the store's name,
its HTTP client, the secrets scrubbed from messages, the money parsers and people values its
records share, the mapping of a non-success answer to a typed error (the platform's own
fault message read by a function it gives), JSON answers, and the bookkeeping of a listing
pass (:class:`~syncd.platforms.pager.Pager`). A connector exposes the core's ``store``,
``stats``, ``page_size`` and ``aclose`` as its own and keeps only what its platform does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from syncd.errors import BadPayload, ConnectorError
from syncd.model import RecordProblem, RemoteCertificate
from syncd.platforms import _wire
from syncd.platforms.http import HttpClient, HttpStats, Response
from syncd.platforms.pager import Pager

# What parsing one bad record raises: the record is set aside, never the listing.
RECORD_ERRORS = (ValueError, TypeError, AttributeError, KeyError)

# The platform's own message in a JSON error answer; None: show the answer's start instead.
Fault = Callable[[Any], str | None]
Problem = Callable[[Any, int, Exception], RecordProblem]  # (raw, index on the page, error)


class WireCore:
    """One store's wire edge (see the module docstring)."""

    __slots__ = (
        "_fault",
        "_kind",
        "_max_total",
        "_secrets",
        "http",
        "money",
        "page_size",
        "people",
        "store",
        "url",
    )

    def __init__(
        self,
        store: str,
        *,
        kind: str,
        url: str,
        http: HttpClient,
        fault: Fault,
        secrets: Callable[[], Iterable[str]],
        page_size: int,
        max_total: int,
    ) -> None:
        self.store = store
        self.url = url  # the certificates' collection, as shown by repr
        self.http = http
        self.money = _wire.MoneyParsers()
        self.people = _wire.PeopleMemo()  # people values shared between records
        self._kind = kind
        self._fault = fault
        self._secrets = secrets  # read when an error is built: tokens change
        self.page_size = page_size  # records asked for per listing page
        self._max_total = max_total  # a count/total above it is not believed

    def __repr__(self) -> str:
        return f"{self._kind}(store={self.store!r}, url={self.url!r})"

    @property
    def stats(self) -> HttpStats:
        return self.http.stats

    async def aclose(self) -> None:
        await self.http.aclose()

    def error(self, response: Response, what: str) -> ConnectorError:
        """The typed error for a non-success answer (:func:`_wire.status_error`), with the
        platform's message when the answer is JSON, else the answer's start."""
        try:
            detail = self._fault(_wire.json_of(response))
        except ValueError:
            detail = None
        if detail is None:
            detail = response.text(200)
        return _wire.status_error(self.store, response, what, detail, self._secrets())

    def json(self, response: Response, what: str) -> Any:
        """The answer as JSON, or BadPayload naming what was asked."""
        return _wire.parse_json(self.store, response, what)

    def json_list(self, response: Response, what: str) -> list[Any]:
        """The answer as a JSON array (a list page), or BadPayload."""
        body = _wire.parse_json(self.store, response, what)
        if not isinstance(body, list):
            raise BadPayload(self.store, f"{what}: expected an array, got {type(body).__name__}")
        return body

    def bad(self, what: str, err: Exception) -> BadPayload:
        """A record in an answer that does not parse: raise it ``from err``."""
        return BadPayload(self.store, f"{what}: {err}")

    def pager(self) -> Pager:
        """A fresh listing pass's bookkeeping; its window is twice the store's concurrency."""
        window = max(1, self.http.options.max_concurrency) * 2
        return Pager(
            page_size=self.page_size, max_total=self._max_total, window=window, stats=self.stats
        )


def read_records(
    raws: Iterable[Any], parse: Callable[[Any], RemoteCertificate], problem: Problem
) -> tuple[Sequence[RemoteCertificate], Sequence[RecordProblem]]:
    """Every record of a page parsed; one that does not parse becomes its problem."""
    records: list[RemoteCertificate] = []
    problems: list[RecordProblem] = []
    append = records.append
    for index, raw in enumerate(raws):
        try:
            append(parse(raw))
        except RECORD_ERRORS as err:
            problems.append(problem(raw, index, err))
    return records, problems
