"""The SFCC companion (``giftcert-sync/v1``), emulated as docs/companion.md defines it.

Served at ``/s/-/dw/custom/giftcert-sync/v1`` behind the same bearer tokens as OCAPI; the
certificates it creates are the site's ordinary OCAPI certificates. It does what the
cartridge in ``companion/sfcc`` can do on a real instance, and nothing more:

* ``POST gift_certificates`` — create with a given code (201); 409 ``code-not-unique``, or
  ``code-not-reusable`` when ``refuse_deleted_code_reuse`` is on and a deleted certificate
  had the code;
* ``GET gift_certificates/{code}`` — look up by plain code;
* ``GET gift_certificates/by-merchant-id/{merchant_id}`` — reveal the plain code.

Faults are RFC 9457 problem documents, as SCAPI's ``RESTResponseMgr.createError`` renders
them. There is no in-place balance change (no real instance can make one): a balance changes
by OCAPI DELETE + create, and every call names its site (``siteId``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from syncd.sandbox.sfcc_state import OcapiFault, SfccCertificate, invalid, iso, masked
from syncd.sandbox.sfcc_store import STORE_KEY, SfccStore

COMPANION_BASE = "/s/-/dw/custom/giftcert-sync/v1"
COMPANION_ONE_ROUTE = "sfcc-companion-one"
COMPANION_REVEAL_ROUTE = "sfcc-companion-reveal"

CUSTOM_ERRORS = "https://api.commercecloud.salesforce.com/documentation/error/v1/custom-errors/"
SYSTEM_ERRORS = "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/"

# The sandbox's fault kinds, as the companion names them: (type URL, title).
PROBLEMS: dict[str, tuple[str, str]] = {
    "InvalidGiftCertificateException": (CUSTOM_ERRORS + "invalid-field", "Invalid field"),
    "GiftCertificateAmountOutOfRangeException": (
        CUSTOM_ERRORS + "amount-out-of-range",
        "Amount out of range",
    ),
    "InvalidRecipientEmailException": (
        CUSTOM_ERRORS + "invalid-recipient-email",
        "Invalid recipient e-mail",
    ),
    "InvalidGiftCertificateStatusException": (CUSTOM_ERRORS + "invalid-status", "Invalid status"),
    "GiftCertificateCodeNotUniqueException": (CUSTOM_ERRORS + "code-not-unique", "Code not unique"),
    "GiftCertificateCodeNotReusableException": (
        CUSTOM_ERRORS + "code-not-reusable",
        "Code not reusable",
    ),
    "GiftCertificateNotFoundException": (
        CUSTOM_ERRORS + "gift-certificate-not-found",
        "Gift certificate not found",
    ),
    "SiteRequiredException": (CUSTOM_ERRORS + "site-required", "Site required"),
    "SiteNotFoundException": (SYSTEM_ERRORS + "site-not-found", "Site Not Found"),
    "InvalidAccessTokenException": (SYSTEM_ERRORS + "unauthorized", "Unauthorized"),
    "NotFoundException": (SYSTEM_ERRORS + "resource-not-found", "Resource Not Found"),
}
# Fault arguments the companion renders (as ``c_<name>``); any other is dropped.
EXTENSIONS = ("fieldId", "siteId", "value")
TEXT_FIELDS = (
    "description",
    "message",
    "recipient_name",
    "sender_name",
    "recipient_email",
    "order_no",
)


def problem_response(
    status: int, kind: str, message: str, arguments: dict[str, Any]
) -> web.Response:
    """An RFC 9457 document for a sandbox fault (``application/problem+json``)."""
    url, title = PROBLEMS.get(kind, (SYSTEM_ERRORS + "internal-server-error", kind))
    body: dict[str, Any] = {"type": url, "title": title, "detail": message}
    body |= {f"c_{name}": arguments[name] for name in EXTENSIONS if name in arguments}
    return web.json_response(body, status=status, content_type="application/problem+json")


def is_companion_path(path: str) -> bool:
    return path.startswith(COMPANION_BASE + "/") or path == COMPANION_BASE


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, else an ``InvalidGiftCertificateException``."""
    try:
        body = await request.json()
    except ValueError as err:
        raise invalid("body", "The request body is not a JSON document.") from err
    if not isinstance(body, dict):
        raise invalid("body", "The request body must be a JSON object.")
    return body


def data_link_base(request: web.Request, store: SfccStore) -> str:
    """The OCAPI Data URL prefix of the site's certificates, on the host the client called
    (computed once per page: yarl URL building per record would dominate a big listing)."""
    path = f"/s/-/dw/data/v23_2/sites/{store.site}/gift_certificates/"
    return str(request.url.origin()) + path


def data_link(request: web.Request, store: SfccStore, merchant_id: str) -> str:
    """The OCAPI Data URL of one certificate."""
    return data_link_base(request, store) + quote(merchant_id, safe="")


def _money(value: Any, currency: str) -> dict[str, Any]:
    return {"currency_mnemonic": currency, "value": float(value)}


def companion_document(record: SfccCertificate) -> dict[str, Any]:
    """What the cartridge shows of a certificate: the Script API's properties, plain code
    included (no OCAPI ``_resource_state``, link or transactions: script cannot read them)."""
    document: dict[str, Any] = {
        "merchant_id": record.merchant_id,
        "gift_certificate_code": record.code,
        "masked_gift_certificate_code": masked(record.code),
        "amount": _money(record.amount, record.currency),
        "balance": _money(record.balance, record.currency),
        "status": record.status,
        "enabled": record.enabled,
        "creation_date": iso(record.created),
        "last_modified": iso(record.modified),
    }
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if value is not None:
            document[name] = value
    return document


def _site(request: web.Request) -> SfccStore:
    """The store, once the call's ``siteId`` names its site (required)."""
    store = request.app[STORE_KEY]
    site = request.query.get("siteId")
    if site is None:
        raise OcapiFault(
            400,
            "SiteRequiredException",
            "Call this API with the siteId query parameter of the site to sync.",
        )
    if site != store.site:
        raise OcapiFault(404, "SiteNotFoundException", f"No site with ID '{site}' was found.")
    return store


def _answer(record: SfccCertificate, status: int = 200) -> web.Response:
    return web.json_response(companion_document(record), status=status)


async def create(request: web.Request) -> web.Response:
    store = _site(request)
    return _answer(store.create_with_code(await json_object(request)), status=201)


async def get_by_code(request: web.Request) -> web.Response:
    return _answer(_site(request).get_by_code(request.match_info["code"]))


async def reveal(request: web.Request) -> web.Response:
    return _answer(_site(request).get(request.match_info["merchant_id"]))


def routes() -> list[web.RouteDef]:
    base = COMPANION_BASE + "/gift_certificates"
    return [
        web.post(base, create),
        web.get(
            base + "/by-merchant-id/{merchant_id}",
            reveal,
            name=COMPANION_REVEAL_ROUTE,
            allow_head=False,
        ),
        web.get(base + "/{code}", get_by_code, name=COMPANION_ONE_ROUTE, allow_head=False),
    ]
