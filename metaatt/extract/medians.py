"""Means and SDs from medians with the interquartile range and/or the range.

Three reporting scenarios (Wan et al. 2014; Luo et al. 2018):

* ``C1``: minimum ``a``, median ``m``, maximum ``b``;
* ``C2``: ``a``, first quartile ``q1``, ``m``, third quartile ``q3``, ``b``;
* ``C3``: ``q1``, ``m``, ``q3``.

Both estimators assume roughly normal data; record their use as an assumption.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import describe_row, first_bad
from ..errors import MetaattError
from ._common import check_range, read_vectors

__all__ = ["MIN_N_MEDIANS", "luo_mean", "mean_sd_from_median", "wan_sd"]

#: smallest n for which the median-based estimators are used (their weights were derived for
#: n >= 5; below that the approximations are poor)
MIN_N_MEDIANS = 5


def _xi(n: np.ndarray) -> np.ndarray:
    return 2 * stats.norm.ppf((n - 0.375) / (n + 0.25))


def _eta(n: np.ndarray) -> np.ndarray:
    return 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))


def _scenario(v: dict[str, np.ndarray]) -> np.ndarray:
    """``C1`` (range), ``C2`` (range and IQR), ``C3`` (IQR) or ``""`` (neither) per row."""
    has_range = np.isfinite(v["minimum"]) & np.isfinite(v["maximum"])
    has_iqr = np.isfinite(v["q1"]) & np.isfinite(v["q3"])
    return np.select([has_range & has_iqr, has_range, has_iqr], ["C2", "C1", "C3"], "").astype(
        object
    )


def _read(
    n: Any,
    median: Any,
    q1: Any,
    q3: Any,
    minimum: Any,
    maximum: Any,
    data: pd.DataFrame | None,
    need_median: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str] | None]:
    labels = [str(x) for x in data["study"]] if data is not None and "study" in data else None
    v = read_vectors(
        data,
        labels,
        nan_ok=("q1", "q3", "minimum", "maximum"),
        n=n,
        median=median,
        q1=q1,
        q3=q3,
        minimum=minimum,
        maximum=maximum,
    )
    k = len(v["n"])
    nan = np.full(k, np.nan)
    for name in ("median", "q1", "q3", "minimum", "maximum"):
        v.setdefault(name, nan)
    if need_median and np.isnan(v["median"]).any():
        raise MetaattError(
            f"median: {describe_row(first_bad(np.isnan(v['median'])), labels)} is missing"
        )
    for pair in (("q1", "q3"), ("minimum", "maximum")):
        a, b = (np.isnan(v[p]) for p in pair)
        if (a != b).any():
            i = first_bad(a != b)
            raise MetaattError(
                f"{pair[0]}, {pair[1]}: {describe_row(i, labels)} gives only one of the two"
            )
    check_range(v["n"], "n", low=MIN_N_MEDIANS, labels=labels, what="median-based estimators")
    scenario = _scenario(v)
    if (scenario == "").any():
        i = first_bad(scenario == "")
        raise MetaattError(
            f"q1, q3, minimum, maximum: {describe_row(i, labels)} needs the quartiles and/or "
            "the range"
        )
    order = ["minimum", "q1", "median", "q3", "maximum"]
    stacked = np.column_stack([v[o] for o in order])
    running = np.fmax.accumulate(stacked, axis=1)  # largest value so far, NaN-skipping
    unordered = (stacked[:, 1:] < running[:, :-1]).any(axis=1)
    if unordered.any():
        i = first_bad(unordered)
        present = stacked[i][~np.isnan(stacked[i])]
        raise MetaattError(
            f"minimum, q1, median, q3, maximum: {describe_row(i, labels)} is not ordered "
            f"(min <= q1 <= median <= q3 <= max): {present.tolist()}"
        )
    return v, scenario, labels


def wan_sd(
    n: Any,
    *,
    q1: Any = None,
    q3: Any = None,
    minimum: Any = None,
    maximum: Any = None,
    data: pd.DataFrame | None = None,
) -> np.ndarray:
    """Wan et al. (2014) estimate of the SD from the IQR and/or the range.

    Parameters
    ----------
    n
        Sample size (>= 5).
    q1, q3
        First and third quartiles (give both or neither).
    minimum, maximum
        Sample minimum and maximum (give both or neither).
    data
        Optional table for column names.

    Returns
    -------
    numpy.ndarray
        Estimated SDs.

    Notes
    -----
    With ``xi(n) = 2 Phi^-1((n - 0.375)/(n + 0.25))`` and
    ``eta(n) = 2 Phi^-1((0.75 n - 0.125)/(n + 0.25))``:
    C1 ``SD = (b - a)/xi(n)`` (eq. 7); C3 ``SD = (q3 - q1)/eta(n)`` (eq. 16);
    C2 ``SD = (b - a)/(2 xi(n)) + (q3 - q1)/(2 eta(n))`` (eq. 12).

    References
    ----------
    Wan, X., Wang, W., Liu, J., & Tong, T. (2014). Estimating the sample mean and standard
    deviation from the sample size, median, range and/or interquartile range. BMC Medical
    Research Methodology, 14, 135.
    """
    return _wan(*_read(n, None, q1, q3, minimum, maximum, data, need_median=False)[:2])


def _wan(v: dict[str, np.ndarray], scenario: np.ndarray) -> np.ndarray:
    by_range = (v["maximum"] - v["minimum"]) / _xi(v["n"])
    by_iqr = (v["q3"] - v["q1"]) / _eta(v["n"])
    return np.select(
        [scenario == "C1", scenario == "C3"], [by_range, by_iqr], (by_range + by_iqr) / 2
    )


def luo_mean(
    n: Any,
    median: Any,
    *,
    q1: Any = None,
    q3: Any = None,
    minimum: Any = None,
    maximum: Any = None,
    data: pd.DataFrame | None = None,
) -> np.ndarray:
    """Luo et al. (2018) estimate of the mean from the median and the IQR and/or range.

    Parameters
    ----------
    n
        Sample size (>= 5).
    median
        Sample median.
    q1, q3, minimum, maximum
        Quartiles and/or range (each pair complete or absent).
    data
        Optional table for column names.

    Returns
    -------
    numpy.ndarray
        Estimated means.

    Notes
    -----
    C1: ``w (a + b)/2 + (1 - w) m``, ``w = 4/(4 + n^0.75)`` (eq. 7).
    C3: ``w (q1 + q3)/2 + (1 - w) m``, ``w = 0.7 + 0.39/n`` (eq. 11).
    C2: ``w1 (a + b)/2 + w2 (q1 + q3)/2 + (1 - w1 - w2) m``, ``w1 = 2.2/(2.2 + n^0.75)``,
    ``w2 = 0.7 - 0.72/n^0.55`` (eq. 15).

    References
    ----------
    Luo, D., Wan, X., Liu, J., & Tong, T. (2018). Optimally estimating the sample mean from
    the sample size, median, mid-range, and/or mid-quartile range. Statistical Methods in
    Medical Research, 27(6), 1785-1805 (online 2016).
    """
    return _luo(*_read(n, median, q1, q3, minimum, maximum, data, need_median=True)[:2])


def _luo(v: dict[str, np.ndarray], scenario: np.ndarray) -> np.ndarray:
    n_ = v["n"]
    mid_range = (v["minimum"] + v["maximum"]) / 2
    mid_iqr = (v["q1"] + v["q3"]) / 2
    m = v["median"]
    w_c1 = 4 / (4 + n_**0.75)
    w_c3 = 0.7 + 0.39 / n_
    w1 = 2.2 / (2.2 + n_**0.75)
    w2 = 0.7 - 0.72 / n_**0.55
    return np.select(
        [scenario == "C1", scenario == "C3"],
        [w_c1 * mid_range + (1 - w_c1) * m, w_c3 * mid_iqr + (1 - w_c3) * m],
        w1 * mid_range + w2 * mid_iqr + (1 - w1 - w2) * m,
    )


def mean_sd_from_median(
    n: Any,
    median: Any,
    *,
    q1: Any = None,
    q3: Any = None,
    minimum: Any = None,
    maximum: Any = None,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean (Luo et al. 2018) and SD (Wan et al. 2014) from a median with IQR and/or range.

    Parameters
    ----------
    n, median, q1, q3, minimum, maximum, data
        See :func:`luo_mean` and :func:`wan_sd`.

    Returns
    -------
    pandas.DataFrame
        ``mean``, ``sd``, ``scenario`` (``C1``, ``C2`` or ``C3``) and ``method`` (a text to
        record as an assumption).

    Notes
    -----
    See :func:`luo_mean` and :func:`wan_sd` for the formulas.

    References
    ----------
    Wan et al. (2014); Luo et al. (2018); Cochrane Handbook (2023), section 6.5.2.5.

    Examples
    --------
    >>> from metaatt.extract import mean_sd_from_median
    >>> out = mean_sd_from_median(50, 4.0, q1=3.0, q3=5.5)
    >>> round(float(out["mean"][0]), 4), round(float(out["sd"][0]), 4)
    (4.1769, 1.9083)
    """
    v, scenario, _ = _read(n, median, q1, q3, minimum, maximum, data, need_median=True)
    mean, sd = _luo(v, scenario), _wan(v, scenario)
    given = {"C1": "median and range", "C2": "median, IQR and range", "C3": "median and IQR"}
    method = [
        f"mean (Luo et al. 2018) and SD (Wan et al. 2014) estimated from the {given[s]}, "
        "assuming roughly normal data"
        for s in scenario
    ]
    return pd.DataFrame({"mean": mean, "sd": sd, "scenario": scenario, "method": method})
