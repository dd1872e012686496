"""The SFCC sandbox's store: one site's gift certificates and every change to them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from syncd.money import minor_units
from syncd.sandbox.sfcc_state import (
    CREATE_FIELDS,
    CREATE_STATUSES,
    PATCH_FIELDS,
    NowFn,
    OcapiFault,
    SfccCertificate,
    Transaction,
    check_state,
    check_status,
    check_text_fields,
    code_not_found,
    invalid,
    masked,
    new_code,
    not_found,
    parse_money_object,
    refuse_unknown,
)

# What a companion create may set: the GiftCertificate properties the Script API can write
# (no merchant ID, no order number, no balance).
COMPANION_FIELDS = frozenset({*CREATE_FIELDS, "code", "status"} - {"order_no", "merchant_id"})
CODE_MAX = 255


class SfccStore:
    """One site's certificates: insertion-ordered (list of merchant ids for O(page) slicing),
    with a plain-code index for the companion, the Shop API and the shopper routes."""

    def __init__(
        self,
        site: str,
        currency: str,
        max_amount: Decimal,
        now: NowFn,
        *,
        refuse_deleted_code_reuse: bool = False,
    ) -> None:
        self.site = site
        self.currency = currency
        self.max_amount = max_amount
        self._now = now
        self.records: dict[str, SfccCertificate] = {}
        self.order: list[str] = []
        self.by_code: dict[str, str] = {}  # plain code -> merchant_id
        self.deleted_codes: set[str] = set()  # codes of certificates deleted through OCAPI
        self.refuse_deleted_code_reuse = refuse_deleted_code_reuse
        self._serial = 0

    def create(self, body: Mapping[str, Any]) -> SfccCertificate:
        """OCAPI create: the platform generates the code."""
        refuse_unknown(body, CREATE_FIELDS | {"status"})
        return self._create(body, new_code(self.by_code))

    def create_with_code(self, body: Mapping[str, Any]) -> SfccCertificate:
        """Companion create: the caller chooses the code (docs/companion.md). Checked in the
        contract's order: unknown fields, code, amount, people/message, e-mail, enabled,
        status; then uniqueness (409)."""
        refuse_unknown(body, COMPANION_FIELDS)
        code = body.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > CODE_MAX:
            raise invalid("code")
        amount = self._companion_amount(body.get("amount"))
        changes = check_text_fields(body)
        status = check_status(body.get("status", "issued"), CREATE_STATUSES)
        if code in self.by_code:
            raise OcapiFault(
                409,
                "GiftCertificateCodeNotUniqueException",
                f"A gift certificate with code '{masked(code)}' already exists on site "
                f"'{self.site}'.",
                {"siteId": self.site},
            )
        if self.refuse_deleted_code_reuse and code in self.deleted_codes:
            raise OcapiFault(
                409,
                "GiftCertificateCodeNotReusableException",
                f"The code '{masked(code)}' was refused by site '{self.site}' although no gift "
                "certificate has it (a deleted one may still hold it).",
                {"siteId": self.site},
            )
        return self._insert(code, amount, status, changes, None)

    def _companion_amount(self, raw: object) -> Decimal:
        """The create amount: a Money object in the site currency, no more decimals than the
        currency has, in (0, max]."""
        if not isinstance(raw, dict):
            raise invalid("amount")
        value = raw.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid("amount.value")
        exponent = Decimal(str(value)).normalize().as_tuple().exponent
        same_currency = raw.get("currency_mnemonic") == self.currency
        if same_currency and isinstance(exponent, int) and -exponent > minor_units(self.currency):
            raise invalid(
                "amount.value",
                f"The amount {value!r} has more decimals than {self.currency} allows.",
            )
        return parse_money_object(raw, "amount", self.currency, self.max_amount, positive=True)

    def _create(self, body: Mapping[str, Any], code: str) -> SfccCertificate:
        if "amount" not in body:
            raise invalid(
                "amount",
                "The gift certificate could not be created because the "
                "field 'Amount' is missing or incorrect.",
            )
        amount = parse_money_object(
            body["amount"], "amount", self.currency, self.max_amount, positive=True
        )
        changes = check_text_fields(body)
        status = check_status(body.get("status", "issued"), CREATE_STATUSES)
        return self._insert(code, amount, status, changes, body.get("merchant_id"))

    def _insert(
        self,
        code: str,
        amount: Decimal,
        status: str,
        changes: Mapping[str, Any],
        merchant_id_raw: object,
    ) -> SfccCertificate:
        merchant_id = self._merchant_id(merchant_id_raw)
        now = self._now()
        record = SfccCertificate(
            merchant_id, code, self.currency, amount, amount, now, now, status=status, **changes
        )
        record.transactions.append(Transaction("create", amount, now, record.order_no))
        self.add(record)
        return record

    def _merchant_id(self, raw: object) -> str:
        if raw is None:
            return self.next_merchant_id()
        if not isinstance(raw, str) or not raw.strip():
            raise invalid("merchant_id")
        if raw in self.records:
            raise OcapiFault(
                400,
                "GiftCertificateCreateMerchantIDNotUniqueException",
                f"The merchant ID '{raw}' is already used on site '{self.site}'.",
                {"siteId": self.site},
            )
        return raw

    def next_merchant_id(self) -> str:
        """A new generated merchant id (SFCC makes one when the creator gives none)."""
        while True:
            self._serial += 1
            generated = f"gc-{self._serial:08d}"
            if generated not in self.records:
                return generated

    def add(self, record: SfccCertificate) -> None:
        self.records[record.merchant_id] = record
        self.order.append(record.merchant_id)
        self.by_code[record.code] = record.merchant_id

    def get(self, merchant_id: str) -> SfccCertificate:
        record = self.records.get(merchant_id)
        if record is None:
            raise not_found(merchant_id, self.site)
        return record

    def get_by_code(self, code: str) -> SfccCertificate:
        merchant_id = self.by_code.get(code)
        if merchant_id is None:
            raise code_not_found(code, self.site)
        return self.records[merchant_id]

    def patch(self, merchant_id: str, body: Mapping[str, Any]) -> SfccCertificate:
        record = self.get(merchant_id)
        refuse_unknown(body, PATCH_FIELDS | {"status", "_resource_state"})
        check_state(record, body.get("_resource_state"))
        changes = check_text_fields(body)
        if "status" in body:
            changes["status"] = check_status(body["status"], CREATE_STATUSES | {record.status})
        for name, value in changes.items():
            setattr(record, name, value)
        record.touch(self._now())
        return record

    def delete(self, merchant_id: str, state: str | None) -> None:
        record = self.get(merchant_id)
        check_state(record, state)
        del self.records[merchant_id]
        del self.by_code[record.code]
        self.deleted_codes.add(record.code)
        self.order.remove(merchant_id)  # O(n), but deletions are rare next to page reads

    def redeem(self, record: SfccCertificate, amount: Decimal) -> None:
        now = self._now()
        record.balance -= amount
        record.transactions.append(Transaction("redeem", amount, now))
        record.settle_status()
        record.touch(now)

    def page(self, start: int, count: int) -> list[SfccCertificate]:
        return [self.records[m] for m in self.order[start : start + count]]

    def reset(self) -> None:
        self.records.clear()
        self.order.clear()
        self.by_code.clear()
        self.deleted_codes.clear()


STORE_KEY = web.AppKey("sfcc_store", SfccStore)
