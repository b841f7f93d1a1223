"""Tables of refitted models (leave-one-out, cumulative).

Forest plots of these tables: :func:`metaatt.plot.from_leave_one_out` and
:func:`metaatt.plot.from_cumulative` relabel them as forest frames (the full-data fit in
``attrs`` becomes the pooled row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._fit import critical_value, two_sided_p
from ..bias._common import ModelSpec
from ._batch import SubsetFits

__all__ = ["SUBSET_COLUMNS", "subset_table"]

SUBSET_COLUMNS = (
    "study",
    "k",
    "estimate",
    "se",
    "statistic",
    "df",
    "pval",
    "ci_low",
    "ci_high",
    "q",
    "q_pval",
    "tau2",
    "tau2_at_boundary",
    "i2",
    "h2",
)


def subset_table(
    spec: ModelSpec,
    fits: SubsetFits,
    studies: list[str],
    variant: str,
    full: SubsetFits,
) -> pd.DataFrame:
    """One row per refit: the pooled estimate, its test and CI, and heterogeneity."""
    estimate = fits.coef[:, 0]
    se = fits.se[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = estimate / se
        half = critical_value(spec.level, fits.df) * se
    half_full = critical_value(spec.level, full.df) * full.se[:, 0]
    ci_full = (full.coef[0, 0] - half_full[0], full.coef[0, 0] + half_full[0])
    frame = pd.DataFrame(
        {
            "study": studies,
            "k": fits.k,
            "estimate": estimate,
            "se": se,
            "statistic": statistic,
            "df": fits.df,
            "pval": two_sided_p(statistic, fits.df),
            "ci_low": estimate - half,
            "ci_high": estimate + half,
            "q": fits.qe,
            "q_pval": fits.qe_pval,
            "tau2": fits.tau2,
            "tau2_at_boundary": fits.at_boundary,
            "i2": fits.i2,
            "h2": fits.h2,
        }
    )
    frame.attrs.update(
        {
            "variant": variant,
            "measure": spec.measure,
            "level": spec.level,
            "synthetic": spec.synthetic,
            "method": spec.method,
            "test": spec.test,
            "estimate": float(full.coef[0, 0]),
            "ci_low": float(ci_full[0]),
            "ci_high": float(ci_full[1]),
        }
    )
    return frame
