"""Load the JSON fixtures written by the R scripts in tests/reference/ (no R needed)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

REFERENCE_DIR = Path(__file__).parent / "reference"
FIXTURE_DIR = REFERENCE_DIR / "fixtures"
SHARED_DATA_DIR = REFERENCE_DIR / "data"

#: metafor's test names (as the R scripts record them) -> metaatt's
METAFOR_TESTS = {"z": "z", "t": "t", "knha": "hksj", "adhoc": "hksj-adhoc"}
#: iterative tau^2 estimators: compared at 1e-5 relative (closed forms at 1e-6)
ITERATIVE = frozenset({"ML", "REML", "EB", "PM", "PMM"})
#: the pooled statistics of rma.uni (+ predict) compared with metafor
POOLED_FIELDS = (
    "estimate",
    "se",
    "statistic",
    "pval",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "se_tau2",
    "i2",
    "h2",
    "q",
    "q_pval",
)
#: the Q-profile intervals of confint(rma.uni) compared with metafor
INTERVAL_FIELDS = (
    "tau2_ci_low",
    "tau2_ci_high",
    "i2_ci_low",
    "i2_ci_high",
    "h2_ci_low",
    "h2_ci_high",
)


def rtol_for(method: str) -> float:
    """The house tolerance: 1e-5 relative for iterative estimators, 1e-6 for closed forms."""
    return 1e-5 if method in ITERATIVE else 1e-6


@cache
def load_fixture(name: str) -> Any:
    """Parsed JSON fixture ``tests/reference/fixtures/<name>.json``."""
    return json.loads((FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))


def load_reference_csv(name: str) -> pd.DataFrame:
    """A published dataset copied into tests/reference/data/ (see its README for sources)."""
    return pd.read_csv(SHARED_DATA_DIR / f"{name}.csv")
