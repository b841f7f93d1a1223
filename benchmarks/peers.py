"""The peers benchmarks/run.py measures metaatt against, when they are installed.

* metafor (R) through ``Rscript benchmarks/metafor_timing.R``;
* statsmodels ``combine_effects`` (DerSimonian-Laird ``chi2`` and Paule-Mandel
  ``iterated``; statsmodels has no REML);
* PyMARE ``meta_regression(method="REML")`` with its Q-profile interval.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def metafor_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(metafor)); library(jsonlite)"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def metafor_timings(
    single: tuple[np.ndarray, np.ndarray], batch: pd.DataFrame, repeats: int
) -> dict[str, Any]:
    """Run metafor_timing.R on the same data; seconds per fit (median and min)."""
    with tempfile.TemporaryDirectory() as tmp:
        single_csv = Path(tmp) / "single.csv"
        batch_csv = Path(tmp) / "batch.csv"
        pd.DataFrame({"yi": single[0], "vi": single[1]}).to_csv(single_csv, index=False)
        batch[["g", "yi", "vi"]].to_csv(batch_csv, index=False)
        out = subprocess.run(
            [
                "Rscript",
                "--vanilla",
                str(HERE / "metafor_timing.R"),
                str(single_csv),
                str(batch_csv),
                str(repeats),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def statsmodels_single(yi: np.ndarray, vi: np.ndarray) -> Callable[[], Any]:
    from statsmodels.stats.meta_analysis import combine_effects

    def run() -> Any:
        res = combine_effects(yi, vi, method_re="iterated")
        return res.conf_int(use_t=False)

    return run


def pymare_single(yi: np.ndarray, vi: np.ndarray) -> Callable[[], Any]:
    import pymare

    def run() -> Any:
        res = pymare.meta_regression(yi, vi, method="REML")
        return res.get_fe_stats(), res.get_heterogeneity_stats(), res.get_re_stats()

    return run


def pymare_batch(yi: np.ndarray, vi: np.ndarray) -> Callable[[], Any]:
    """PyMARE fits several datasets at once: columns of (k, B) arrays."""
    import pymare

    def run() -> Any:
        res = pymare.meta_regression(yi.T, vi.T, method="REML")
        return res.get_fe_stats(), res.get_heterogeneity_stats()

    return run


def statsmodels_batch(yi: np.ndarray, vi: np.ndarray) -> Callable[[], Any]:
    """statsmodels has no batch API: one combine_effects call per analysis."""
    from statsmodels.stats.meta_analysis import combine_effects

    def run() -> Any:
        return [
            combine_effects(y, v, method_re="iterated").conf_int()
            for y, v in zip(yi, vi, strict=True)
        ]

    return run
