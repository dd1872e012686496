"""Hostile answers a store might give, switched on through :class:`~.faults.Faults`:

* ``redirect_to`` — every platform request is answered ``redirect_status`` with a
  ``Location`` on another origin (path and query kept);
* ``repeat_pages`` — a list request gets the first page, whatever page it asked for
  (``page``, ``start`` or ``offset`` reset);
* ``list_total`` — list answers state this many records (SFCC ``total``, 3dcart
  ``countonly``), whatever the store holds;
* ``rate_reset_ms`` — every ``X-Rate-Limit-Time-Reset-Ms`` header says this;
* ``trickle_ms`` — the body is sent one byte at a time, this many milliseconds apart.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from syncd.sandbox.faults import Faults

# The first page in each platform's pagination parameter.
_FIRST_PAGE = {"page": "1", "start": "0", "offset": "1"}
_RESET = "X-Rate-Limit-Time-Reset-Ms"


def redirect(request: web.Request, faults: Faults) -> web.Response | None:
    """The redirect answer, when ``redirect_to`` is set."""
    if not faults.redirect_to:
        return None
    location = faults.redirect_to + request.path_qs
    return web.Response(status=faults.redirect_status, headers={"Location": location})


def first_page(request: web.Request, faults: Faults) -> web.Request:
    """``request`` as a request for the first page, when ``repeat_pages`` is set."""
    reset = {k: v for k, v in _FIRST_PAGE.items() if k in request.query}
    if not faults.repeat_pages or not reset:
        return request
    return request.clone(rel_url=request.rel_url.update_query(reset))


def restate(response: web.StreamResponse, faults: Faults, *, is_list: bool) -> None:
    """Apply ``rate_reset_ms`` and, on a list answer, ``list_total``."""
    if faults.rate_reset_ms is not None and _RESET in response.headers:
        response.headers[_RESET] = str(faults.rate_reset_ms)
    if not is_list or faults.list_total is None or not isinstance(response, web.Response):
        return
    if response.status != 200 or not isinstance(response.body, bytes):
        return
    document = json.loads(response.body)
    if isinstance(document, dict):
        for key in ("total", "TotalCount"):  # SFCC pages, 3dcart countonly
            if key in document:
                document[key] = faults.list_total
        response.body = json.dumps(document).encode()


async def trickle(
    request: web.Request, response: web.StreamResponse, faults: Faults
) -> web.StreamResponse:
    """``response`` sent one byte every ``trickle_ms``; stops when the client hangs up."""
    if faults.trickle_ms <= 0 or not isinstance(response, web.Response):
        return response
    body = response.body if isinstance(response.body, bytes) else b""
    slow = web.StreamResponse(status=response.status, headers=response.headers)
    slow.content_length = len(body)
    await slow.prepare(request)
    try:
        for index in range(len(body)):
            await slow.write(body[index : index + 1])
            await asyncio.sleep(faults.trickle_ms / 1000)
        await slow.write_eof()
    except ConnectionError:
        pass  # the client gave up: what a trickling store would see
    return slow
