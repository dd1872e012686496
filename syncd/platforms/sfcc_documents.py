"""OCAPI gift-certificate documents: records read (listed, or answered by OCAPI or the
companion), neutral status in and out, create bodies, faults."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from syncd.model import ListingPage, NewCertificate, RecordProblem, RemoteCertificate, Status
from syncd.money import parse_money
from syncd.platforms import _wire
from syncd.platforms.core import WireCore, read_records

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


def fault_message(body: Any) -> str:
    """``fault.type: fault.message`` of an OCAPI fault document, ``name: detail`` of a
    companion problem document (a JSON error answer)."""
    fault = body.get("fault") if isinstance(body, dict) else None
    if isinstance(fault, dict):
        return f"{fault.get('type', '')}: {fault.get('message', '')}"
    kind = body.get("type") if isinstance(body, dict) else None
    if isinstance(kind, str):  # the companion's RFC 9457 problem (codes in it are masked)
        return f"{kind.rsplit('/', 1)[-1]}: {body.get('detail', '')}"
    return ""


class Records:
    """Reads one site's records (its name, money parsers and people from the wire core)."""

    def __init__(self, core: WireCore, *, currency: str | None) -> None:
        self._store, self._money, self._people_memo = core.store, core.money, core.people
        self._currency = currency  # the site's configured one, for amounts without any

    def page(self, start: int, raws: list[Any]) -> ListingPage:
        """The listed page at ``start``: its records and problems."""
        problem = functools.partial(self._problem, start)
        records, problems = read_records(raws, self.parse, problem)
        return ListingPage(tuple(records), tuple(problems))

    def _problem(self, start: int, raw: Any, index: int, err: Exception) -> RecordProblem:
        key = raw.get("merchant_id") if isinstance(raw, dict) else None
        label = key if isinstance(key, str) else f"item {start + index}"
        code, masked = _shown_codes(raw)
        return RecordProblem(self._store, label, str(err), code=code, masked_code=masked)

    def parse(self, raw: Any, code: str | None = None) -> RemoteCertificate:
        """One record (``code``: its plain code when known); a bad one raises ValueError
        (or TypeError, KeyError…) naming why."""
        # Runs once per listed record (100k per cycle at 100k certificates): optional text
        # fields are read inline as ``v if (v := get(key)) and isinstance(v, str) else None``
        # (what _wire.optional_str does, without a call per field).
        get = raw.get
        merchant_id = get("merchant_id")
        if not isinstance(merchant_id, str):
            raise ValueError(f"merchant_id missing or not a string: {merchant_id!r}")
        code = code or (v if (v := get("gift_certificate_code")) and isinstance(v, str) else None)
        masked = v if (v := get("masked_gift_certificate_code")) and isinstance(v, str) else None
        message = v if (v := get("message")) and isinstance(v, str) else None
        _wire.check_keys(merchant_id, code, None, masked, message)
        version = v if (v := get("_resource_state")) and isinstance(v, str) else None
        if version is not None:
            _wire.check_storable("_resource_state", version)
        amount_doc, balance_doc = raw["amount"], raw["balance"]
        currency = amount_doc.get("currency_mnemonic") or self._currency
        if not isinstance(currency, str):
            raise ValueError(f"amount has no currency_mnemonic: {amount_doc!r}")
        money = self._money.money(currency)
        amount = money.parse(amount_doc.get("value"))
        balance = money.parse(balance_doc.get("value"))
        status, word = read_status(raw)
        return _wire.certificate(
            self._store,
            merchant_id,
            code,
            money.code,
            amount,
            balance,
            status,
            masked,
            self._people_memo(
                v if (v := get("recipient_name")) and isinstance(v, str) else None,
                v if (v := get("recipient_email")) and isinstance(v, str) else None,
                v if (v := get("sender_name")) and isinstance(v, str) else None,
                None,
            ),
            message,
            None,  # OCAPI has no expiry
            _wire.utc_from_iso(get("creation_date")),
            version,
            word,
        )


def _shown_codes(raw: Any) -> tuple[str | None, str | None]:
    """The plain code (companion answers) and the masked code a record shows, if text."""
    if not isinstance(raw, dict):
        return None, None
    plain, masked = raw.get("gift_certificate_code"), raw.get("masked_gift_certificate_code")
    return (
        plain if isinstance(plain, str) else None,
        masked if isinstance(masked, str) else None,
    )
