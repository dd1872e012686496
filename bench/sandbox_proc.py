"""One sandbox store in its own process, for the benchmark.

``python -m bench.sandbox_proc PLATFORM N`` serves one sandbox on a free loopback port,
seeded with the N certificates of ``seed_certificates(N)``, prints ``url <URL>`` then
``ready``, and reads commands on stdin (one per line, answered ``ok``):

* ``ratelimit QUOTA WINDOW_MS`` — BigCommerce only: the rate-limit quota from now on.

It runs in its own process so its CPU and memory stay out of syncd's figures (the parent
reads them from ``/proc/<pid>``).
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from syncd.sandbox import bigcommerce, sfcc, shift4shop
from syncd.sandbox.common import serve
from syncd.sandbox.server import seed_certificates

_MODULES = {"shift4shop": shift4shop, "bigcommerce": bigcommerce, "sfcc": sfcc}


def _command(app: web.Application, line: str) -> str:
    words = line.split()
    if len(words) == 3 and words[0] == "ratelimit" and bigcommerce.BC_LIMITER_KEY in app:
        limiter = app[bigcommerce.BC_LIMITER_KEY]
        limiter.quota, limiter.window_ms = int(words[1]), int(words[2])
        limiter._start, limiter._used = None, 0  # a fresh window from the next request
        return "ok"
    return f"error unknown command {line.strip()!r}"


async def _main(platform: str, count: int) -> None:
    module = _MODULES[platform]
    app = module.create_app()
    module.seed(app, seed_certificates(count))
    runner, url = await serve(app)
    print(f"url {url}\nready", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            print(_command(app, line), flush=True)
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2])))
