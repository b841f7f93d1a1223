"""Every number reported for an intercept-only (pooled) model, as arrays over analyses.

:func:`pooled_statistics` is the single place where a fitted intercept-only
:class:`~metaatt._fit.ModelFit` becomes the reported quantities, so that ``pool`` (one
analysis) and ``pool_batch`` (many) cannot disagree.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._fit import ModelFit, critical_value, two_sided_p, two_sided_p_one
from .qprofile import q_profile_interval

__all__ = [
    "INTERVAL_COLUMNS",
    "POOLED_COLUMNS",
    "heterogeneity_intervals",
    "pooled_scalars",
    "pooled_statistics",
]

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
    out = _statistics(fit, level)
    if intervals:
        out.update(heterogeneity_intervals(fit, level))
    return out


def pooled_scalars(
    fit: ModelFit, level: float | None = None, names: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """:func:`pooled_statistics` of analysis 0 as Python scalars (without the intervals).

    The same arithmetic on Python floats instead of length-1 arrays (:func:`_scalars`):
    for one analysis that is several times cheaper. ``names`` selects statistics
    (default: all).
    """
    values = _scalars(fit, fit.level if level is None else level)
    return values if names is None else {name: values[name] for name in names}


def _scalars(fit: ModelFit, level: float) -> dict[str, Any]:
    """:func:`_statistics` of analysis 0, step for step on Python scalars.

    ``math.sqrt`` and numpy's square root are both the correctly rounded IEEE square root,
    so every value is bitwise the one :func:`pooled_statistics` reports.
    """
    estimate = fit.coef.item(0)
    variance = fit.vcov.item(0)
    df = fit.df.item(0)
    se = math.sqrt(variance)
    if se > 0.0:
        statistic = estimate / se
    else:  # se = 0 (identical outcomes, hksj): +-inf, as metafor (or NaN for 0/0)
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = float(np.float64(estimate) / se)
    crit = critical_value(level, df)
    half = crit * se
    tau2 = fit.tau2.item(0)
    pi_half = crit * math.sqrt(variance + tau2)  # prediction interval (Riley et al. 2011)
    pi_low, pi_high = estimate - pi_half, estimate + pi_half
    if fit.design.any_saturated and fit.qe_df.item(0) < 1:  # heterogeneity undefined
        tau2 = pi_low = pi_high = math.nan
    estimate_tau2 = fit.tau2_estimate
    return {
        "k": int(fit.design.k.item(0)),
        "estimate": estimate,
        "se": se,
        "statistic": statistic,
        "df": df,
        "pval": two_sided_p_one(statistic, df),
        "ci_low": estimate - half,
        "ci_high": estimate + half,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "tau2": tau2,
        "se_tau2": estimate_tau2.se.item(0),
        "tau": math.sqrt(tau2),
        "i2": fit.i2.item(0),
        "h2": fit.h2.item(0),
        "q": fit.qe.item(0),
        "q_df": int(fit.qe_df.item(0)),
        "q_pval": fit.qe_pval_one,
        "s2": fit.s2.item(0),
        "hksj_scale": fit.knha_scale.item(0),
        "tau2_at_boundary": bool(estimate_tau2.at_boundary.item(0)),
        "iterations": int(estimate_tau2.iterations.item(0)),
    }


def _statistics(fit: ModelFit, level: float) -> dict[str, np.ndarray]:
    """The statistics of :func:`pooled_statistics` (arrays over analyses)."""
    estimate = fit.coef[:, 0]
    variance = fit.vcov[:, 0, 0]
    df = fit.df
    se = np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimate / se  # se = 0 (identical outcomes, hksj): +-inf, as metafor
    crit = critical_value(level, df)
    half = crit * se
    tau2 = fit.tau2
    pi_half = crit * np.sqrt(variance + tau2)  # prediction interval (Riley et al. 2011)
    pi_low, pi_high = estimate - pi_half, estimate + pi_half
    if fit.design.any_saturated:  # heterogeneity is undefined where k - p < 1
        undefined = fit.qe_df < 1
        tau2 = np.where(undefined, np.nan, tau2)
        pi_low = np.where(undefined, np.nan, pi_low)
        pi_high = np.where(undefined, np.nan, pi_high)
    estimate_tau2 = fit.tau2_estimate
    return {
        "k": fit.design.k.copy(),
        "estimate": estimate,
        "se": se,
        "statistic": statistic,
        "df": df,
        "pval": two_sided_p(statistic, df),
        "ci_low": estimate - half,
        "ci_high": estimate + half,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "tau2": tau2,
        "se_tau2": estimate_tau2.se,
        "tau": np.sqrt(tau2),
        "i2": fit.i2,
        "h2": fit.h2,
        "q": fit.qe,
        "q_df": fit.qe_df.astype(int),
        "q_pval": fit.qe_pval,
        "s2": fit.s2,
        "hksj_scale": fit.knha_scale,
        "tau2_at_boundary": estimate_tau2.at_boundary,
        "iterations": estimate_tau2.iterations,
    }


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
