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

from ._roots import bracketed_newton
from ._wls import Design
from .tau2 import q_profile_equation, upper_bracket

__all__ = ["Tau2Interval", "q_profile_interval"]


@dataclass(frozen=True)
class Tau2Interval:
    """Q-profile bounds for ``B`` analyses (``nan`` where ``k - p < 1``)."""

    low: np.ndarray
    high: np.ndarray
    ci_null: np.ndarray  # both bounds fell below 0 (interval is the null set)


def _solve(design: Design, target: np.ndarray, active: np.ndarray) -> np.ndarray:
    fun = q_profile_equation(design, target)
    f0, _ = fun(np.zeros(target.shape))
    positive = active & (f0 > 0.0)
    result = np.zeros(target.shape)
    if positive.any():
        hi = upper_bracket(design, fun, active=positive, name="Q-profile")
        hi = np.where(positive, hi, 0.0)
        root, _, _ = bracketed_newton(fun, np.zeros(target.shape), hi)
        result = np.where(positive, root, 0.0)
    return result


def q_profile_interval(design: Design, level: float) -> Tau2Interval:
    """Q-profile ``level`` confidence interval for tau^2 for every analysis in ``design``."""
    df = design.df.astype(float)
    active = df >= 1
    safe_df = np.where(active, df, 1.0)
    alpha = 1.0 - level
    upper_quantile = special.chdtri(safe_df, alpha / 2.0)  # chi2_{1 - alpha/2}
    lower_quantile = special.chdtri(safe_df, 1.0 - alpha / 2.0)  # chi2_{alpha/2}
    low = _solve(design, upper_quantile, active)
    high = _solve(design, lower_quantile, active)
    fun = q_profile_equation(design, lower_quantile)
    f0, _ = fun(np.zeros(df.shape))
    ci_null = active & (f0 <= 0.0)
    nan = np.full(df.shape, np.nan)
    return Tau2Interval(np.where(active, low, nan), np.where(active, high, nan), ci_null)
