"""Every number reported for an intercept-only (pooled) model, as arrays over analyses.

:func:`pooled_statistics` is the single place where a fitted intercept-only
:class:`~metaatt._fit.ModelFit` becomes the reported quantities, so that ``pool`` (one
analysis) and ``pool_batch`` (many) cannot disagree.
"""

from __future__ import annotations

import numpy as np

from ._fit import ModelFit, critical_value, two_sided_p
from .qprofile import q_profile_interval

__all__ = ["INTERVAL_COLUMNS", "POOLED_COLUMNS", "heterogeneity_intervals", "pooled_statistics"]

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


#: the statistics derived from the Q-profile interval (see :func:`heterogeneity_intervals`)
INTERVAL_COLUMNS = (
    "tau2_ci_low",
    "tau2_ci_high",
    "tau_ci_low",
    "tau_ci_high",
    "i2_ci_low",
    "i2_ci_high",
    "h2_ci_low",
    "h2_ci_high",
    "tau2_ci_null",
)


def pooled_statistics(
    fit: ModelFit, level: float | None = None, *, intervals: bool = True
) -> dict[str, np.ndarray]:
    """The reported statistics of ``fit`` (intercept-only) at confidence ``level``.

    Heterogeneity quantities are NaN where they are undefined (``k = 1``); for the
    common-effect model tau^2 is 0 by assumption and its Q-profile interval is still
    reported, since it describes the data rather than the model. ``intervals=False``
    leaves out the Q-profile based columns (:data:`INTERVAL_COLUMNS`), which
    :func:`heterogeneity_intervals` computes on their own.
    """
    level = fit.level if level is None else level
    undefined = fit.qe_df < 1
    estimate = fit.coef[:, 0]
    variance = fit.vcov[:, 0, 0]
    se = np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimate / se  # se = 0 (identical outcomes under hksj): +-inf, as metafor
    crit = critical_value(level, fit.df)
    half = crit * se
    tau2 = fit.tau2
    pi_half = crit * np.sqrt(variance + tau2)  # prediction interval (Riley et al. 2011)
    pi_low, pi_high = estimate - pi_half, estimate + pi_half
    if undefined.any():
        nan = np.full(undefined.shape, np.nan)
        tau2 = np.where(undefined, nan, tau2)
        pi_low = np.where(undefined, nan, pi_low)
        pi_high = np.where(undefined, nan, pi_high)
    out = {
        "k": fit.design.k.copy(),
        "estimate": estimate,
        "se": se,
        "statistic": statistic,
        "df": fit.df,
        "pval": two_sided_p(statistic, fit.df),
        "ci_low": estimate - half,
        "ci_high": estimate + half,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "tau2": tau2,
        "se_tau2": fit.tau2_estimate.se,
        "tau": np.sqrt(tau2),
        "i2": fit.i2,
        "h2": fit.h2,
        "q": fit.qe,
        "q_df": fit.qe_df.astype(int),
        "q_pval": fit.qe_pval,
        "s2": fit.s2,
        "hksj_scale": fit.knha_scale,
        "tau2_at_boundary": fit.tau2_estimate.at_boundary,
        "iterations": fit.tau2_estimate.iterations,
    }
    if intervals:
        out.update(heterogeneity_intervals(fit, level))
    return out


def heterogeneity_intervals(fit: ModelFit, level: float | None = None) -> dict[str, np.ndarray]:
    """Q-profile interval of tau^2 and the tau, I^2 and H^2 intervals derived from it."""
    level = fit.level if level is None else level
    interval = q_profile_interval(fit.design, level)
    s2 = fit.s2
    low, high = interval.low, interval.high
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "tau2_ci_low": low,
            "tau2_ci_high": high,
            "tau_ci_low": np.sqrt(low),
            "tau_ci_high": np.sqrt(high),
            "i2_ci_low": 100.0 * low / (low + s2),
            "i2_ci_high": 100.0 * high / (high + s2),
            "h2_ci_low": (low + s2) / s2,
            "h2_ci_high": (high + s2) / s2,
            "tau2_ci_null": interval.ci_null,
        }
