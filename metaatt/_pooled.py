"""Every number reported for an intercept-only (pooled) model, as arrays over analyses.

:func:`pooled_statistics` is the single place where a fitted intercept-only
:class:`~metaatt._fit.ModelFit` becomes the reported quantities, so that ``pool`` (one
analysis) and ``pool_batch`` (many) cannot disagree.
"""

from __future__ import annotations

import numpy as np

from ._fit import ModelFit, critical_value
from .qprofile import q_profile_interval

__all__ = ["POOLED_COLUMNS", "pooled_statistics"]

POOLED_COLUMNS = (
    "k",
    "estimate",
    "se",
    "statistic",
    "df",
    "pval",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "se_tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "tau",
    "tau_ci_low",
    "tau_ci_high",
    "i2",
    "i2_ci_low",
    "i2_ci_high",
    "h2",
    "h2_ci_low",
    "h2_ci_high",
    "q",
    "q_df",
    "q_pval",
    "s2",
    "hksj_scale",
    "tau2_at_boundary",
    "tau2_ci_null",
    "iterations",
)


def pooled_statistics(fit: ModelFit, level: float | None = None) -> dict[str, np.ndarray]:
    """The reported statistics of ``fit`` (intercept-only) at confidence ``level``.

    Heterogeneity quantities are NaN where they are undefined (``k = 1``); for the
    common-effect model tau^2 is 0 by assumption and its Q-profile interval is still
    reported, since it describes the data rather than the model.
    """
    level = fit.level if level is None else level
    undefined = fit.qe_df < 1
    nan = np.full(undefined.shape, np.nan)
    estimate = fit.coef[:, 0]
    se = fit.se[:, 0]
    half = critical_value(level, fit.df) * se
    pi_low, pi_high = fit.prediction_interval(level)
    tau2 = np.where(undefined, nan, fit.tau2)
    interval = q_profile_interval(fit.design, level)
    s2 = fit.s2
    with np.errstate(invalid="ignore", divide="ignore"):
        i2_bounds = [100.0 * t / (t + s2) for t in (interval.low, interval.high)]
        h2_bounds = [(t + s2) / s2 for t in (interval.low, interval.high)]
    return {
        "k": fit.design.k.copy(),
        "estimate": estimate,
        "se": se,
        "statistic": fit.statistic[:, 0],
        "df": fit.df,
        "pval": fit.pval[:, 0],
        "ci_low": estimate - half,
        "ci_high": estimate + half,
        "pi_low": np.where(undefined, nan, pi_low),
        "pi_high": np.where(undefined, nan, pi_high),
        "tau2": tau2,
        "se_tau2": fit.tau2_estimate.se,
        "tau2_ci_low": interval.low,
        "tau2_ci_high": interval.high,
        "tau": np.sqrt(tau2),
        "tau_ci_low": np.sqrt(interval.low),
        "tau_ci_high": np.sqrt(interval.high),
        "i2": fit.i2,
        "i2_ci_low": i2_bounds[0],
        "i2_ci_high": i2_bounds[1],
        "h2": fit.h2,
        "h2_ci_low": h2_bounds[0],
        "h2_ci_high": h2_bounds[1],
        "q": fit.qe,
        "q_df": fit.qe_df.astype(int),
        "q_pval": fit.qe_pval,
        "s2": s2,
        "hksj_scale": fit.knha_scale,
        "tau2_at_boundary": fit.tau2_estimate.at_boundary,
        "tau2_ci_null": interval.ci_null,
        "iterations": fit.tau2_estimate.iterations,
    }
