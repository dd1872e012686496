"""Fault-injection settings and request statistics of one sandbox (see :mod:`.common`)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Faults:
    """Fault injection settings of one sandbox; mutable, changed at run time."""

    latency_ms: float = 0.0  # added to every platform request (asyncio.sleep)
    error_rate: float = 0.0  # fraction of platform requests answered 500 (platform-shaped body)
    throttle_next: int = 0  # the next N platform requests are answered 429
    throttle_headers: bool = True  # whether those 429s carry the platform's wait headers
    drop_rate: float = 0.0  # connection closed before any answer (request NOT applied)
    lost_response_rate: float = 0.0  # writes only: applied, then the connection is dropped
    malformed_rate: float = 0.0  # list pages whose whole body is invalid JSON
    bad_record_rate: float = 0.0  # list pages where one record has a corrupt balance ("12,x")
    truncate_rate: float = 0.0  # list pages that silently drop their trailing half
    redeem_on_read_rate: float = 0.0  # single GET: a shopper redeems part of the balance first
    # Hostile answers (syncd.sandbox.hostile):
    trickle_ms: float = 0.0  # every answer's body sent one byte at a time, this far apart
    redirect_to: str = ""  # an origin: every platform request is redirected there
    redirect_status: int = 302
    list_total: int | None = None  # list answers state this total/count (SFCC, 3dcart)
    repeat_pages: bool = False  # list requests get the first page, whatever page was asked
    rate_reset_ms: int | None = None  # X-Rate-Limit-Time-Reset-Ms of every answer having it
    seed: int | None = None  # RNG seed for reproducible faults
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``; draws nothing when the rate is 0, so enabling
        one fault does not shift the random sequence of the others."""
        return rate > 0 and self.rng.random() < rate

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "rng"}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, all or nothing. Raises ``ValueError`` naming the bad key."""
        checked = {key: _check_fault(key, value) for key, value in changes.items()}
        for key, value in checked.items():
            setattr(self, key, value)
        if "seed" in checked:
            self.rng.seed(self.seed)

    def clear(self) -> None:
        """Back to no faults at all (the seed is kept)."""
        self.update({f.name: f.default for f in fields(self) if f.name not in ("rng", "seed")})


_RATE_FIELDS = frozenset(
    f.name
    for f in fields(Faults)
    if f.name.endswith("_rate") or f.name in ("latency_ms", "trickle_ms")
)
_OPTIONAL_COUNTS = frozenset({"list_total", "rate_reset_ms"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _check_fault(key: str, value: Any) -> Any:
    if key in _RATE_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"fault {key!r} must be a number, got {value!r}")
        if value < 0 or (not key.endswith("_ms") and value > 1):
            raise ValueError(f"fault {key!r} out of range: {value!r}")
        return float(value)
    if key == "throttle_next":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"fault 'throttle_next' must be an integer >= 0, got {value!r}")
        return value
    if key in ("throttle_headers", "repeat_pages"):
        if not isinstance(value, bool):
            raise ValueError(f"fault {key!r} must be true or false, got {value!r}")
        return value
    if key in _OPTIONAL_COUNTS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"fault {key!r} must be an integer or null, got {value!r}")
        return value
    if key == "redirect_to":
        if not isinstance(value, str) or (value and not value.startswith(("http://", "https://"))):
            raise ValueError(f"fault 'redirect_to' must be an http(s) origin or '', got {value!r}")
        return value.rstrip("/")
    if key == "redirect_status":
        if value not in _REDIRECTS or isinstance(value, bool):
            raise ValueError(
                f"fault 'redirect_status' must be 301, 302, 303, 307 or 308, got {value!r}"
            )
        return value
    if key == "seed":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"fault 'seed' must be an integer or null, got {value!r}")
        return value
    raise ValueError(f"unknown fault field: {key!r}")


class SandboxStats:
    """Counts of platform requests by ``"METHOD /route-pattern"`` and by outcome.

    Outcomes are the HTTP status as a string (``"200"``), or ``"dropped"`` /
    ``"lost_response"`` when the connection was closed on purpose.
    """

    def __init__(self) -> None:
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.total = 0

    def record(self, route: str, outcome: str) -> None:
        self.by_route[route] += 1
        self.by_status[outcome] += 1
        self.total += 1

    def reset(self) -> None:
        self.by_route.clear()
        self.by_status.clear()
        self.total = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_route": dict(self.by_route),
            "by_status": dict(self.by_status),
        }


# Where each platform's list records carry their identity: 3dcart, BigCommerce, SFCC.
_RECORD_IDS = ("CertificateCode", "id", "merchant_id")


class Tampered(dict[str, dict[str, Any]]):
    """Raw field values list pages show in place of a record's own, by remote id: what a
    hostile store sends and no platform's own validation would let through (a blank code,
    ``1e15``, ``-5``, ``"10.555"``). Set in-process; applied to list pages only, after the
    platform rendered them, so a value may be anything JSON can carry."""

    def apply(self, records: list[Any]) -> bool:
        """Overwrite the tampered fields of ``records`` in place; True when any was."""
        changed = False
        for record in records:
            fields_ = self.get(_record_id(record)) if isinstance(record, dict) else None
            if fields_:
                record.update(fields_)
                changed = True
        return changed


def _record_id(record: dict[str, Any]) -> str:
    for key in _RECORD_IDS:
        if key in record:
            return str(record[key])
    return ""
