"""The SFCC companion endpoint (``giftcert-sync/v1``), emulated as docs/companion.md defines it.

Served at ``/s/-/dw/custom/giftcert-sync/v1`` behind the same bearer tokens as OCAPI; the
certificates it creates and re-issues are the site's ordinary OCAPI certificates.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from syncd.sandbox.sfcc_state import SfccCertificate, invalid
from syncd.sandbox.sfcc_store import STORE_KEY, SfccStore

COMPANION_BASE = "/s/-/dw/custom/giftcert-sync/v1"
COMPANION_ONE_ROUTE = "sfcc-companion-one"


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


def _with_code(request: web.Request, record: SfccCertificate) -> dict[str, Any]:
    store = request.app[STORE_KEY]
    document = record.document(data_link(request, store, record.merchant_id))
    document["gift_certificate_code"] = record.code  # what only the companion reveals
    return document


async def create(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    record = store.create_with_code(await json_object(request))
    return web.json_response(_with_code(request, record), status=201)


async def get_by_code(request: web.Request) -> web.Response:
    record = request.app[STORE_KEY].get_by_code(request.match_info["code"])
    return web.json_response(_with_code(request, record))


async def put_balance(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    code = request.match_info["code"]
    store.get_by_code(code)  # 404 before looking at the body
    body = await json_object(request)
    if "balance" not in body:
        raise invalid("balance")
    record = store.reissue(code, body["balance"])
    return web.json_response(_with_code(request, record))


def routes() -> list[web.RouteDef]:
    base = COMPANION_BASE + "/gift_certificates"
    return [
        web.post(base, create),
        web.get(base + "/{code}", get_by_code, name=COMPANION_ONE_ROUTE, allow_head=False),
        web.put(base + "/{code}/balance", put_balance),
    ]
