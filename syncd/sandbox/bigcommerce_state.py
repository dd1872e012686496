"""BigCommerce v2 gift certificates: the records, their field rules and the listing.

Seed 001 is the specification; what it leaves open is decided here and said so:

* ``id`` and ``order_id`` are read-only: sending either in a POST or PUT answers 400 naming
  the field (the seed says "do not set", so a sandbox that ignored it would hide the bug).
* Fields the seed does not list answer 400 naming the field.
* ``code`` longer than 20 characters is kept to its first 20; more than 255 is 400. Codes
  are unique (a duplicate answers 409), compared exactly.
* Money is accepted as a number or a decimal string and written back as a decimal string
  with 4 places (``"1000.0000"``), as the list example shows.
* Dates are accepted as RFC-2822 strings and written back as Unix timestamps in strings;
  ``"0"`` means none.
* PUT is a partial update (only the fields sent change), as the official client uses it.
* ``DELETE /gift_certificates`` (no id) deletes every certificate and answers 200 ``{}``, the
  body the seed shows; ``DELETE /gift_certificates/{id}`` answers 204.
* ``to_email``/``from_email`` must look like an address (``x@y``); names must not be blank.
* A ``balance`` above ``amount`` is accepted (the seed sets no bound); negative is 400.
"""

from __future__ import annotations

import bisect
import itertools
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

TEMPLATES = frozenset(
    {"birthday.html", "boy.html", "girl.html", "celebration.html", "christmas.html", "general.html"}
)
STATUSES = frozenset({"active", "pending", "disabled", "expired"})
REQUIRED = ("to_name", "to_email", "from_name", "from_email", "amount")
READ_ONLY = frozenset({"id", "order_id"})
WRITABLE = frozenset(
    {
        *REQUIRED,
        "balance",
        "purchase_date",
        "expiry_date",
        "customer_id",
        "template",
        "message",
        "code",
        "status",
        "currency_code",
    }
)
CODE_KEPT = 20
CODE_MAX = 255
MESSAGE_MAX = 250
_FOUR_PLACES = Decimal("0.0001")
_CODE_ALPHABET = string.ascii_uppercase + string.digits
FILTERS = ("min_id", "max_id", "code", "order_id", "to_name", "to_email", "from_name", "from_email")


class BcError(Exception):
    """A request BigCommerce refuses: ``status`` and a message naming the bad value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class BcCertificate:
    """One stored gift certificate (money exact, dates as Unix seconds, 0 = none)."""

    id: int
    code: str
    to_name: str
    to_email: str
    from_name: str
    from_email: str
    amount: Decimal
    balance: Decimal
    currency_code: str
    purchase_date: int
    status: str = "active"
    template: str = ""
    message: str = ""
    expiry_date: int = 0
    customer_id: int = 0
    order_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "order_id": self.order_id,
            "code": self.code,
            "to_name": self.to_name,
            "to_email": self.to_email,
            "from_name": self.from_name,
            "from_email": self.from_email,
            "amount": money_text(self.amount),
            "balance": money_text(self.balance),
            "status": self.status,
            "template": self.template,
            "message": self.message,
            "purchase_date": str(self.purchase_date),
            "expiry_date": str(self.expiry_date),
            "currency_code": self.currency_code,
        }


def money_text(value: Decimal) -> str:
    return str(value.quantize(_FOUR_PLACES))


def parse_amount(field: str, raw: object) -> Decimal:
    """A money field: a JSON number or a decimal string, never negative."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise BcError(400, f"The field '{field}' must be a decimal number, got {raw!r}.")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as err:
        raise BcError(400, f"The field '{field}' must be a decimal number, got {raw!r}.") from err
    if not value.is_finite() or value < 0:
        raise BcError(400, f"The field '{field}' must be a positive decimal, got {raw!r}.")
    return value.quantize(_FOUR_PLACES)


def parse_rfc2822(field: str, raw: object) -> int:
    """An RFC-2822 date (``Mon, 19 Jan 1970 07:21:46 CST``) as Unix seconds."""
    if not isinstance(raw, str):
        raise BcError(400, f"The field '{field}' must be an RFC-2822 date, got {raw!r}.")
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError) as err:
        raise BcError(400, f"The field '{field}' must be an RFC-2822 date, got {raw!r}.") from err
    if moment.tzinfo is None:  # "-0000": RFC 2822's "UTC, zone unknown"
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _text(field: str, raw: object, limit: int | None = None) -> str:
    if not isinstance(raw, str):
        raise BcError(400, f"The field '{field}' must be a string, got {raw!r}.")
    if limit is not None and len(raw) > limit:
        raise BcError(400, f"The field '{field}' is longer than {limit} characters.")
    return raw


def _email(field: str, raw: object) -> str:
    value = _text(field, raw, CODE_MAX)
    local, _, domain = value.partition("@")
    if not local or not domain:
        raise BcError(400, f"The field '{field}' must be an e-mail address, got {raw!r}.")
    return value


def _one_of(field: str, raw: object, allowed: frozenset[str]) -> str:
    if raw not in allowed:
        raise BcError(400, f"The field '{field}' must be one of {sorted(allowed)}, got {raw!r}.")
    return str(raw)


def _integer(field: str, raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise BcError(400, f"The field '{field}' must be a non-negative integer, got {raw!r}.")
    return raw


def _code(raw: object) -> str:
    value = _text("code", raw, CODE_MAX)
    if not value.strip():
        raise BcError(400, "The field 'code' must not be empty.")
    return value[:CODE_KEPT]  # the documented trimming: only 20 characters are kept


def parse_fields(body: Mapping[str, Any], currencies: frozenset[str]) -> dict[str, Any]:
    """The writable fields of a POST/PUT body, checked and converted to stored form."""
    for field in body:
        if field in READ_ONLY:
            raise BcError(400, f"The field '{field}' is read-only and cannot be written.")
        if field not in WRITABLE:
            raise BcError(400, f"The field '{field}' is not a gift certificate field.")
    return {field: _CONVERTERS[field](field, raw, currencies) for field, raw in body.items()}


def _required_text(field: str, raw: object) -> str:
    value = _text(field, raw, CODE_MAX)
    if not value.strip():
        raise BcError(400, f"The field '{field}' must not be empty.")
    return value


def _positive_amount(raw: object) -> Decimal:
    value = parse_amount("amount", raw)
    if value <= 0:
        raise BcError(400, f"The field 'amount' must be greater than 0, got {raw!r}.")
    return value


def _currency(raw: object, currencies: frozenset[str]) -> str:
    if not isinstance(raw, str) or raw.upper() not in currencies:
        raise BcError(400, f"The currency {raw!r} does not exist in this store.")
    return raw.upper()


Converter = Callable[[str, object, frozenset[str]], Any]
_CONVERTERS: dict[str, Converter] = {
    "to_name": lambda f, raw, _: _required_text(f, raw),
    "from_name": lambda f, raw, _: _required_text(f, raw),
    "to_email": lambda f, raw, _: _email(f, raw),
    "from_email": lambda f, raw, _: _email(f, raw),
    "amount": lambda _f, raw, _: _positive_amount(raw),
    "balance": lambda f, raw, _: parse_amount(f, raw),
    "purchase_date": lambda f, raw, _: parse_rfc2822(f, raw),
    "expiry_date": lambda f, raw, _: parse_rfc2822(f, raw),
    "customer_id": lambda f, raw, _: _integer(f, raw),
    "template": lambda f, raw, _: _one_of(f, raw, TEMPLATES),
    "status": lambda f, raw, _: _one_of(f, raw, STATUSES),
    "message": lambda f, raw, _: _text(f, raw, MESSAGE_MAX),
    "code": lambda _f, raw, _: _code(raw),
    "currency_code": lambda _f, raw, currencies: _currency(raw, currencies),
}


def new_code(taken: Mapping[str, int]) -> str:
    """An autogenerated code in the seed's style (``FFZ-5N4-C7M-S78``)."""
    while True:
        groups = ("".join(secrets.choice(_CODE_ALPHABET) for _ in range(3)) for _ in range(4))
        code = "-".join(groups)
        if code not in taken:
            return code


class BcStore:
    """One store's certificates: by id (sorted id list for O(page) slicing) and by code."""

    def __init__(self, currency: str, currencies: frozenset[str], now: Callable[[], float]):
        self.currency = currency
        self.currencies = currencies | {currency}
        self._now = now
        self.records: dict[int, BcCertificate] = {}
        self.ids: list[int] = []  # ascending, because ids only grow
        self.by_code: dict[str, int] = {}
        self.next_id = 1

    def create(self, body: Mapping[str, Any]) -> BcCertificate:
        fields = parse_fields(body, self.currencies)
        missing = [name for name in REQUIRED if name not in fields]
        if missing:
            raise BcError(400, f"The required field '{missing[0]}' was not supplied.")
        code = fields.pop("code", None) or new_code(self.by_code)
        self._check_code_free(code, None)
        fields.setdefault("balance", fields["amount"])
        fields.setdefault("currency_code", self.currency)
        fields.setdefault("purchase_date", int(self._now()))
        record = BcCertificate(id=self.next_id, code=code, **fields)
        self.add(record)
        return record

    def add(self, record: BcCertificate) -> None:
        """Store a record built elsewhere (seeding); its id must be the next one."""
        self._check_code_free(record.code, None)
        self.records[record.id] = record
        self.ids.append(record.id)
        self.by_code[record.code] = record.id
        self.next_id = record.id + 1

    def update(self, cert_id: int, body: Mapping[str, Any]) -> BcCertificate:
        record = self.get(cert_id)
        fields = parse_fields(body, self.currencies)
        if "code" in fields:
            self._check_code_free(fields["code"], cert_id)
            del self.by_code[record.code]
            self.by_code[fields["code"]] = cert_id
        for name, value in fields.items():
            setattr(record, name, value)
        return record

    def get(self, cert_id: int) -> BcCertificate:
        record = self.records.get(cert_id)
        if record is None:
            raise BcError(404, f"Gift certificate {cert_id} was not found.")
        return record

    def delete(self, cert_id: int) -> None:
        record = self.get(cert_id)
        del self.records[cert_id]
        del self.by_code[record.code]
        del self.ids[bisect.bisect_left(self.ids, cert_id)]

    def delete_all(self) -> None:
        self.records.clear()
        self.ids.clear()
        self.by_code.clear()

    def _check_code_free(self, code: str, owner: int | None) -> None:
        holder = self.by_code.get(code)
        if holder is not None and holder != owner:
            raise BcError(409, f"The gift certificate code {code!r} is already in use.")

    def page(self, page: int, limit: int, filters: Mapping[str, str]) -> list[BcCertificate]:
        """Page ``page`` (1-based) of the records matching ``filters``, sorted by id."""
        start = (page - 1) * limit
        if not filters:
            return [self.records[i] for i in self.ids[start : start + limit]]
        return list(itertools.islice(self._matching(filters), start, start + limit))

    def _matching(self, filters: Mapping[str, str]) -> Iterator[BcCertificate]:
        low = _filter_int(filters, "min_id", 0)
        high = _filter_int(filters, "max_id", self.next_id)
        if "code" in filters:
            cert_id = self.by_code.get(filters["code"])
            candidates = [cert_id] if cert_id is not None else []
        else:
            candidates = self.ids[bisect.bisect_left(self.ids, low) :]
        exact = {k: v for k, v in filters.items() if k not in ("min_id", "max_id", "code")}
        for cert_id in candidates:
            record = self.records[cert_id]
            if low <= record.id <= high and _matches(record, exact):
                yield record


def _filter_int(filters: Mapping[str, str], name: str, default: int) -> int:
    raw = filters.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise BcError(400, f"The filter '{name}' must be an integer, got {raw!r}.") from err


def _matches(record: BcCertificate, exact: Mapping[str, str]) -> bool:
    for name, wanted in exact.items():
        value = getattr(record, name)
        if name == "order_id":
            if str(value) != wanted.strip():
                return False
        elif value != wanted:
            return False
    return True
