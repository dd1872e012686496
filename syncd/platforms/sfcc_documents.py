"""OCAPI gift-certificate documents: neutral status in and out, create bodies, faults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.model import NewCertificate, RemoteCertificate, Status
from syncd.money import parse_money
from syncd.platforms import _wire
from syncd.platforms.http import Response

_ACTIVE = frozenset({"issued", "partially_redeemed", "redeemed"})
# Every known status word, as one shared string that listed records keep (not a copy each).
_WORDS = {word: word for word in ("pending", *_ACTIVE)}


def status_of(raw: Mapping[str, Any]) -> Status:
    return read_status(raw)[0]


def read_status(raw: Mapping[str, Any]) -> tuple[Status, str | None]:
    """The neutral status, and the record's own ``status`` word when it is a known one
    (kept as ``platform_status``: a disabled certificate may be pending underneath)."""
    value = raw.get("status")
    word = _WORDS.get(value) if isinstance(value, str) else None
    if raw.get("enabled", True) is False:
        return Status.DISABLED, word
    if word == "pending":
        return Status.PENDING, word
    if word is not None:
        return Status.ACTIVE, word
    raise ValueError(f"unknown status: {value!r}")


def status_patch(current: RemoteCertificate, status: Status) -> dict[str, Any]:
    """PATCH fields for a neutral status: SFCC has no "expired", so it is disabled too.
    Activating a pending certificate (even a disabled one) also issues it."""
    body: dict[str, Any] = {"enabled": status.usable}
    if status is Status.PENDING:
        body["status"] = "pending"
    elif status is Status.ACTIVE and (
        current.status is Status.PENDING or current.platform_status == "pending"
    ):
        body["status"] = "issued"
    return body


def create_body(cert: NewCertificate, currency: str) -> dict[str, Any]:
    amount = _wire.json_number(parse_money(cert.amount, currency))
    body: dict[str, Any] = {
        "code": cert.code,
        "amount": {"currency_mnemonic": currency, "value": amount},
        "enabled": cert.status.usable,
    }
    if cert.status is Status.PENDING:
        body["status"] = "pending"
    optional = {
        "recipient_name": cert.people.to_name,
        "recipient_email": cert.people.to_email,
        "sender_name": cert.people.from_name,
        "message": cert.message,
    }
    body.update({key: value for key, value in optional.items() if value})
    return body


def mask(code: str) -> str:
    return "*" * max(len(code) - 4, 0) + code[-4:]


def fault_message(response: Response) -> str:
    """``fault.type: fault.message`` of an OCAPI fault document, ``name: detail`` of a
    companion problem document."""
    try:
        body = _wire.json_of(response)
    except ValueError:
        return response.text(200)
    fault = body.get("fault") if isinstance(body, dict) else None
    if isinstance(fault, dict):
        return f"{fault.get('type', '')}: {fault.get('message', '')}"
    kind = body.get("type") if isinstance(body, dict) else None
    if isinstance(kind, str):  # the companion's RFC 9457 problem (codes in it are masked)
        return f"{kind.rsplit('/', 1)[-1]}: {body.get('detail', '')}"
    return ""
