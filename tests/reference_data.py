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


@cache
def load_fixture(name: str) -> Any:
    """Parsed JSON fixture ``tests/reference/fixtures/<name>.json``."""
    return json.loads((FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))


def load_reference_csv(name: str) -> pd.DataFrame:
    """A published dataset copied into tests/reference/data/ (see its README for sources)."""
    return pd.read_csv(SHARED_DATA_DIR / f"{name}.csv")
