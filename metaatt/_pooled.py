"""Every number reported for an intercept-only (pooled) model, as arrays over analyses.

:func:`pooled_statistics` is the single place where a fitted intercept-only
:class:`~metaatt._fit.ModelFit` becomes the reported quantities, so that ``pool`` (one
analysis) and ``pool_batch`` (many) cannot disagree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ._fit import ModelFit, critical_value, two_sided_p
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
    out = _statistics(fit, level, _whole)
    if intervals:
        out.update(heterogeneity_intervals(fit, level))
    return out


def pooled_scalars(
    fit: ModelFit, level: float | None = None, names: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """:func:`pooled_statistics` of analysis 0 as Python scalars (without the intervals).

    The same arithmetic on scalars instead of length-1 arrays: for one analysis that is
    several times cheaper. ``names`` selects statistics (default: all).
    """
    level = fit.level if level is None else level
    values = _statistics(fit, level, _first)
    return {name: convert(values[name]) for name, convert in _converters(names or tuple(values))}


@functools.lru_cache(maxsize=8)
def _converters(names: tuple[str, ...]) -> tuple[tuple[str, type], ...]:
    return tuple((name, _PYTHON_TYPE.get(name, float)) for name in names)


#: the Python type of each statistic (float unless listed)
_PYTHON_TYPE: dict[str, type] = {"k": int, "q_df": int, "iterations": int, "tau2_at_boundary": bool}


def _whole(values: np.ndarray) -> np.ndarray:
    return values


def _first(values: np.ndarray) -> Any:
    return values.item(0)


def _statistics(fit: ModelFit, level: float, take: Callable) -> dict[str, Any]:
    """The statistics of :func:`pooled_statistics`, of ``take(array)`` of each input."""
    estimate = take(fit.coef[:, 0])
    variance = take(fit.vcov[:, 0, 0])
    df = take(fit.df)
    se = np.sqrt(variance)
    if not isinstance(se, np.ndarray) and se > 0.0:  # one analysis (scalars), SE > 0
        statistic = estimate / se
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = estimate / se  # se = 0 (identical outcomes, hksj): +-inf, as metafor
    crit = critical_value(level, df)
    half = crit * se
    tau2 = take(fit.tau2)
    pi_half = crit * np.sqrt(variance + tau2)  # prediction interval (Riley et al. 2011)
    pi_low, pi_high = estimate - pi_half, estimate + pi_half
    if fit.design.any_saturated:  # heterogeneity is undefined where k - p < 1
        undefined = take(fit.qe_df) < 1
        tau2 = np.where(undefined, np.nan, tau2)
        pi_low = np.where(undefined, np.nan, pi_low)
        pi_high = np.where(undefined, np.nan, pi_high)
    estimate_tau2 = fit.tau2_estimate
    return {
        "k": take(fit.design.k.copy()),
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
        "se_tau2": take(estimate_tau2.se),
        "tau": np.sqrt(tau2),
        "i2": take(fit.i2),
        "h2": take(fit.h2),
        "q": take(fit.qe),
        "q_df": take(fit.qe_df.astype(int)),
        "q_pval": take(fit.qe_pval),
        "s2": take(fit.s2),
        "hksj_scale": take(fit.knha_scale),
        "tau2_at_boundary": take(estimate_tau2.at_boundary),
        "iterations": take(estimate_tau2.iterations),
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
