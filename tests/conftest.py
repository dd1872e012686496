"""Suite-wide setup: Hypothesis profiles and the shared fixtures.

Hypothesis profile from $HYPOTHESIS_PROFILE: ``dev`` (default, quick), ``ci`` (what .ci/run
uses), ``long`` (a soak run, ``make test-long``).
"""

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = ["tests.fixtures_ledger"]
