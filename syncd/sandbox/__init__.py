"""Local stand-ins for the three platforms' APIs (one aiohttp app per store).

See :mod:`syncd.sandbox.common` for the shared fault/stat/shopper machinery,
:mod:`syncd.sandbox.shift4shop`, :mod:`syncd.sandbox.bigcommerce`, :mod:`syncd.sandbox.sfcc`
for the platforms, and :mod:`syncd.sandbox.server` for running all three together.
"""
