"""Tables of refitted models (leave-one-out, cumulative) and their forest frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._fit import critical_value, two_sided_p
from ..bias._common import ModelSpec
from ..errors import MetaattError
from ._batch import SubsetFits

__all__ = ["SUBSET_COLUMNS", "forest_frame", "subset_table"]

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


def forest_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The forest-plot frame of a :func:`leave_one_out` or :func:`cumulative` table.

    Rows: one per refit (``kind = "study"``, labelled "Omitting <study>" or "+ <study>"),
    then the full-data estimate (``kind = "pooled"``, drawn as a reference line). Plots
    draw this frame and compute nothing.
    """
    variant = table.attrs.get("variant")
    if variant not in ("leave_one_out", "cumulative"):
        raise MetaattError(
            "forest_frame: expected the table returned by leave_one_out() or cumulative()"
        )
    prefix = "Omitting " if variant == "leave_one_out" else "+ "
    rows = pd.DataFrame(
        {
            "label": [f"{prefix}{s}" for s in table["study"]],
            "estimate": table["estimate"].to_numpy(),
            "ci_low": table["ci_low"].to_numpy(),
            "ci_high": table["ci_high"].to_numpy(),
            "weight": np.nan,
            "kind": "study",
            "group": None,
        }
    )
    full = table.attrs.get("estimate", np.nan)
    pooled = pd.DataFrame(
        [
            {
                "label": "All studies",
                "estimate": full,
                "ci_low": table.attrs.get("ci_low", np.nan),
                "ci_high": table.attrs.get("ci_high", np.nan),
                "weight": np.nan,
                "kind": "pooled",
                "group": None,
            }
        ]
    )
    frame = pd.concat([rows, pooled], ignore_index=True)
    title = "Leave-one-out analysis" if variant == "leave_one_out" else "Cumulative meta-analysis"
    frame.attrs.update(
        {
            "measure": table.attrs.get("measure"),
            "level": table.attrs.get("level"),
            "synthetic": table.attrs.get("synthetic", False),
            "heterogeneity": "",
            "title": title,
            "variant": variant,
        }
    )
    return frame
