"""Listing decode + parse cost per record: ``python -m bench.parse``.

Serves the three sandboxes on loopback once, seeded with
:func:`~syncd.sandbox.server.seed_certificates`, and has each connector fetch one list page
of ``--records`` certificates, so every page is rendered by its sandbox's own list handler.
Then, in this process and without I/O, it times what a connector does with such a page
during a listing: decode the body (:func:`syncd.platforms._wire.parse_json`) and parse its
records (the connector's ``_parse_page``). CPU time (``time.process_time``), the median of
``--repeats`` runs of ``--loops`` pages each, printed as µs per record.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from syncd.config import load_settings
from syncd.log import configure_logging
from syncd.model import ListingPage
from syncd.platforms import _wire
from syncd.platforms.factory import make_connector
from syncd.platforms.http import Response
from syncd.platforms.shift4shop_listing import Page
from syncd.sandbox.server import PLATFORMS, Sandboxes, write_private

Parse = Callable[[Any], ListingPage]


async def capture_pages(records: int) -> dict[str, tuple[Response, Parse]]:
    """Per platform: one list-page answer of ``records`` certificates as the sandbox sent
    it, and the connector's own page parser for it (the connector is closed, the parser
    never does I/O)."""
    captured: dict[str, tuple[Response, Parse]] = {}
    async with Sandboxes.start(seed=records) as sandboxes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "syncd.toml"
            write_private(path, sandboxes.config_toml(f"sqlite:///{tmp}/ledger.db"))
            settings = load_settings(path, environ={})
        for store in settings.stores:
            store = store.model_copy(update={"page_size": records})
            connector: Any = make_connector(store, settings.groups[0].defaults)
            try:
                page = await _first_page(store.platform, connector)
            finally:
                await connector.aclose()
            captured[store.platform] = (page, _parser(store.platform, connector))
    return {platform: captured[platform] for platform in PLATFORMS}


async def _first_page(platform: str, connector: Any) -> Response:
    """The answer to the connector's first list-page request, recorded on the way."""
    answers: list[Response] = []
    request = connector.http.request

    async def recording(method: str, url: str, **kwargs: Any) -> Response:
        response: Response = await request(method, url, **kwargs)
        params = kwargs.get("params") or {}
        if method == "GET" and ("limit" in params or "count" in params):
            answers.append(response)
        return response

    connector.http.request = recording
    listing = connector.list_certificates()
    try:
        async for _item in listing:
            if answers:
                break
    finally:
        await listing.aclose()
    first = answers[0]
    if first.status != 200:
        raise RuntimeError(f"{platform}: list page answered HTTP {first.status}")
    return first


def _parser(platform: str, connector: Any) -> Parse:
    if platform == "shift4shop":
        return lambda body: connector._parse_page(Page(1, len(body), body))
    if platform == "bigcommerce":
        return lambda body: connector._parse_page(body, 1)
    return lambda body: connector._parse_page(0, body["data"])


def time_page(response: Response, parse: Parse, loops: int) -> tuple[float, float]:
    """CPU seconds for ``loops`` decodes, and for ``loops`` decodes + parses."""
    decode_only = time.process_time()
    for _ in range(loops):
        _wire.parse_json("bench", response, "bench page")
    decoded = time.process_time() - decode_only
    both = time.process_time()
    for _ in range(loops):
        page = parse(_wire.parse_json("bench", response, "bench page"))
    parsed = time.process_time() - both
    if page.problems:
        raise RuntimeError(f"the page did not parse cleanly: {page.problems[0]}")
    return decoded, parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200, help="records per page")
    parser.add_argument("--loops", type=int, default=50, help="pages per timed run")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs (median)")
    args = parser.parse_args(argv)
    configure_logging(level="warning")
    pages = asyncio.run(capture_pages(args.records))
    print("| platform | body bytes | decode µs/record | decode + parse µs/record |")
    print("|---|---|---|---|")
    for platform, (response, parse) in pages.items():
        time_page(response, parse, max(1, args.loops // 5))  # warm the caches up
        runs = [time_page(response, parse, args.loops) for _ in range(args.repeats)]
        per_record = 1e6 / (args.loops * args.records)
        decode = statistics.median(r[0] for r in runs) * per_record
        total = statistics.median(r[1] for r in runs) * per_record
        print(f"| {platform} | {len(response.body):,} | {decode:.2f} | {total:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
