"""The side door's registry routes (DESIGN.md §4.12), read-only:

* ``GET /v1/registries`` — every registry with its item totals (``?store=``, ``?group=``);
* ``GET /v1/registries/{store}/{id}`` — one registry: items and journal.

A registry's message and ship-to address are a shopper's personal data: shown only to a
request that carries the admin token. The side door registers these with
:func:`registry_routes`, handing over how to reach the ledger and who is the operator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from syncd.ledger import Ledger
from syncd.ledger.registries import RegistryLedger
from syncd.registries.render import detail_json, summary_json

LedgerOf = Callable[[web.Request], Ledger]
IsAdmin = Callable[[web.Request], bool]


def registry_routes(ledger_of: LedgerOf, is_admin: IsAdmin) -> list[web.RouteDef]:
    """The routes, for ``app.add_routes``."""

    async def listing(request: web.Request) -> web.Response:
        book = RegistryLedger(ledger_of(request))
        store, group = request.query.get("store"), request.query.get("group")
        summaries = await asyncio.to_thread(book.summaries, group=group, store=store)
        return web.json_response({"registries": [summary_json(s) for s in summaries]})

    async def one(request: web.Request) -> web.Response:
        store, remote_id = request.match_info["store"], request.match_info["registry_id"]
        book = RegistryLedger(ledger_of(request))
        detail = await asyncio.to_thread(book.find, remote_id, store)
        if detail is None:
            message = f"no registry {remote_id!r} on store {store!r}"
            return web.json_response({"error": message}, status=404)
        body = detail_json(detail, with_journal=True, personal=is_admin(request))
        return web.json_response(body)

    return [
        web.get("/v1/registries", listing),
        web.get("/v1/registries/{store}/{registry_id}", one),
    ]
