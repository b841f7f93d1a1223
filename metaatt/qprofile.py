"""Q-profile confidence interval for tau^2, and the I^2 and H^2 intervals derived from it.

The generalized Q statistic ``Q_gen(tau2) = sum w_i (y_i - x_i b_w)^2`` with
``w_i = 1 / (v_i + tau2)`` follows a chi^2 distribution with ``k - p`` degrees of freedom
at the true tau^2 and decreases monotonically in tau^2. The ``1 - alpha`` interval is the
set of tau^2 values with ``chi2_{alpha/2} <= Q_gen(tau2) <= chi2_{1 - alpha/2}``:

* the lower bound solves ``Q_gen(tau2) = chi2_{1 - alpha/2, k - p}`` (0 when
  ``Q_gen(0)`` is already below that quantile);
* the upper bound solves ``Q_gen(tau2) = chi2_{alpha/2, k - p}``; when ``Q_gen(0)`` is
  below it, both bounds are 0 and the interval is the null set (``ci_null``), as in metafor.

The I^2 and H^2 bounds are the tau^2 bounds pushed through
``I2 = 100 tau2 / (tau2 + s2)`` and ``H2 = (tau2 + s2) / s2``, with ``s2`` the typical
within-study variance.

The bounds are solved to 1e-10 without an upper search limit. metafor's ``confint`` solves
them with ``uniroot``'s default tolerance (about 1e-4) and searches the upper bound only up
to ``max(100, 10 tau2)`` (printing ``>100``); with ``control = list(tol = 1e-12,
tau2.max = 1e6)`` it gives the numbers computed here.

References
----------
Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in
meta-analysis. Statistics in Medicine, 26, 37-52. Knapp, G., Biggerstaff, B. J., & Hartung,
J. (2006). Assessing the amount of heterogeneity in random-effects meta-analysis.
Biometrical Journal, 48, 271-285.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._fit import per_distinct_df
from ._qgen import solve_q_equation
from ._wls import Design

__all__ = ["Tau2Interval", "q_profile_interval"]


@dataclass(frozen=True)
class Tau2Interval:
    """Q-profile bounds for ``B`` analyses (``nan`` where ``k - p < 1``)."""

    low: np.ndarray
    high: np.ndarray
    ci_null: np.ndarray  # both bounds fell below 0 (interval is the null set)


def _solve(design: Design, target: np.ndarray, active: np.ndarray) -> np.ndarray:
    if not active.any():
        return np.zeros(target.shape)
    return solve_q_equation(design, target, active)[0]


def q_profile_interval(design: Design, level: float) -> Tau2Interval:
    """Q-profile ``level`` confidence interval for tau^2 for every analysis in ``design``."""
    df = design.df.astype(float)
    active = df >= 1
    safe_df = np.where(active, df, 1.0)
    alpha = 1.0 - level
    upper_quantile = per_distinct_df(special.chdtri, safe_df, alpha / 2.0)  # chi2_{1-alpha/2}
    lower_quantile = per_distinct_df(special.chdtri, safe_df, 1.0 - alpha / 2.0)  # chi2_{alpha/2}
    qe = design.fe_statistics[0]  # Q_gen(0)
    low = _solve(design, upper_quantile, active & (qe > upper_quantile))
    high = _solve(design, lower_quantile, active & (qe > lower_quantile))
    ci_null = active & (qe <= lower_quantile)
    nan = np.full(df.shape, np.nan)
    return Tau2Interval(np.where(active, low, nan), np.where(active, high, nan), ci_null)
