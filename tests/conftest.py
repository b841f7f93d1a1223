"""Hypothesis profiles: random exploration locally, a fixed example sequence in CI.

``HYPOTHESIS_PROFILE=ci`` (set by ``.ci/run``) derandomizes the property tests so that a
landing is never decided by which random examples a run happened to draw; running the suite
locally keeps exploring new examples, and a failure found there is pinned with ``@example``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
