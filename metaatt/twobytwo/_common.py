"""Pieces shared by the Mantel-Haenszel and Peto methods."""

from __future__ import annotations

import numpy as np
from scipy import special

from .._fit import critical_value

__all__ = ["heterogeneity", "wald"]


def wald(estimate: float, se: float, level: float) -> dict[str, float]:
    """z statistic, two-sided p-value and the ``level`` confidence interval."""
    z = estimate / se
    half = float(critical_value(level, np.inf)) * se
    return {
        "statistic": float(z),
        "pval": float(2.0 * special.ndtr(-abs(z))),
        "ci_low": float(estimate - half),
        "ci_high": float(estimate + half),
    }


def heterogeneity(
    yi: np.ndarray, vi: np.ndarray, estimate: float, q: float | None = None
) -> dict[str, float]:
    """Cochran's Q of the studies' own outcomes about the pooled estimate, with I^2, H^2.

    ``Q = sum (y_i - b)^2 / v_i`` (unless given) over the ``k_yi`` tables with an outcome,
    ``df = k_yi - 1``, ``I^2 = 100 max(0, (Q - df) / Q)``, ``H^2 = Q / df``.
    """
    ok = np.isfinite(yi) & np.isfinite(vi)
    k_yi = int(ok.sum())
    df = k_yi - 1
    if q is None:
        q = float(np.sum((yi[ok] - estimate) ** 2 / vi[ok])) if k_yi else 0.0
    if df < 1:
        return {
            "q": q,
            "q_df": max(df, 0),
            "q_pval": float("nan"),
            "i2": float("nan"),
            "h2": float("nan"),
            "k_yi": k_yi,
        }
    return {
        "q": q,
        "q_df": df,
        "q_pval": float(special.chdtrc(df, q)),
        "i2": 100.0 * max(0.0, (q - df) / q) if q > 0 else 0.0,
        "h2": q / df,
        "k_yi": k_yi,
    }
