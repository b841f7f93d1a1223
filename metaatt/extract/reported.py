"""Effect sizes printed in a paper: a d with its standardizer, or an estimate with a Wald CI."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice, check_level, describe_row, first_bad
from ..errors import MetaattError
from ._common import check_range, effect_frame, hedges_j, read_vectors

__all__ = ["STANDARDIZERS", "from_ci", "from_d"]

#: standardizer -> (metric, design, variance formula); see :func:`from_d`
STANDARDIZERS: dict[str, tuple[str, str, str]] = {
    "d_z": ("d_z", "within", "v = 1/n + g^2/(2n)"),
    "d_pre": ("d_raw_change", "within", "v = 2(1-r)/n + g^2/(2n)"),
    "d_av": ("d_raw_change", "within", "v = 2(1-r)/n + g^2/(2n)"),
    "d_rm": ("d_raw_change", "within", "v = 2(1-r)/n + g^2/(2n)"),
    "d_between_post": ("d_between_post", "between", "v = 1/n1 + 1/n2 + g^2/(2(n1+n2))"),
    "d_ppc": ("d_ppc", "between", "v = 2(1-r)(1/n1 + 1/n2) + g^2/(2(n1+n2))"),
}


def from_d(
    d: Any,
    *,
    standardizer: str,
    n: Any = None,
    n1: Any = None,
    n2: Any = None,
    r: Any = None,
    hedges_corrected: bool | Any = False,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A printed standardized mean difference, its sampling variance and metric.

    Parameters
    ----------
    d
        The printed d (or g), signed as post minus pre / arm minus comparator.
    standardizer
        What the paper divided by: ``"d_z"`` (SD of change), ``"d_pre"`` (pre-test SD),
        ``"d_av"`` (average of pre and post SD), ``"d_rm"`` (repeated-measures d,
        ``d_z sqrt(2(1 - r))``), ``"d_between_post"`` (pooled SD of two groups),
        ``"d_ppc"`` (Morris 2008 pre-post-control d).
    n
        Patients measured twice (within-person standardizers).
    n1, n2
        Group sizes (``d_between_post``, ``d_ppc``).
    r
        Pre-post correlation; required by the raw-score within standardizers and ``d_ppc``.
    hedges_corrected
        Whether the printed value already includes Hedges' J; if not (default) it is
        multiplied by J (df ``n - 1`` within, ``n1 + n2 - 2`` between). A boolean or one per
        study.
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (g), ``vi``, ``metric``, ``formula``.

    Notes
    -----
    Variances (large-sample, Becker 1988; Morris & DeShon 2002; Morris 2008):

    ==================  ==========================================  ================
    standardizer        variance                                    metric
    ==================  ==========================================  ================
    d_z                 1/n + g^2/(2n)                              d_z
    d_pre, d_av, d_rm   2(1-r)/n + g^2/(2n)                         d_raw_change
    d_between_post      1/n1 + 1/n2 + g^2/(2(n1+n2))                d_between_post
    d_ppc               2(1-r)(1/n1 + 1/n2) + g^2/(2(n1+n2))        d_ppc
    ==================  ==========================================  ================

    For ``d_av`` the raw-score variance is an approximation (Algina & Keselman 2003 give a
    refinement); it treats the average SD like the pre-test SD.

    References
    ----------
    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal of
    Mathematical and Statistical Psychology, 41(2), 257-278. Morris, S. B., & DeShon, R. P.
    (2002), Table 2. Morris, S. B. (2008). Estimating effect sizes from pretest-posttest-control
    group designs. Organizational Research Methods, 11(2), 364-386, eq. 25.
    """
    check_choice(standardizer, "standardizer", tuple(STANDARDIZERS))
    metric, design, variance = STANDARDIZERS[standardizer]
    labels = [str(x) for x in data["study"]] if data is not None and "study" in data else None
    corrected = hedges_corrected
    if isinstance(corrected, str) and data is not None and corrected in data.columns:
        corrected = data[corrected]
    corrected = np.asarray(corrected)
    if corrected.dtype.kind not in "bif" or not np.isin(corrected.astype(float), (0, 1)).all():
        raise MetaattError("hedges_corrected: must be True/False (one value or one per study)")
    v = read_vectors(data, labels, d=d, n=n, n1=n1, n2=n2, r=r, corrected=corrected.astype(float))
    needs_r = standardizer not in ("d_z", "d_between_post")
    if design == "within":
        if "n" not in v:
            raise MetaattError(
                f"n: standardizer {standardizer!r} needs n (patients measured twice)"
            )
        check_range(v["n"], "n", low=3, labels=labels)
        df = v["n"] - 1
    else:
        if "n1" not in v or "n2" not in v:
            raise MetaattError(f"n1, n2: standardizer {standardizer!r} needs both group sizes")
        check_range(v["n1"], "n1", low=1, labels=labels)
        check_range(v["n2"], "n2", low=1, labels=labels)
        df = v["n1"] + v["n2"] - 2
    if needs_r:
        if "r" not in v:
            raise MetaattError(
                f"r: standardizer {standardizer!r} needs the pre-post correlation r for its "
                "variance (impute one and record it if the paper does not give it)"
            )
        check_range(v["r"], "r", low=-1, high=1, labels=labels)
    g = np.where(v["corrected"] == 1, v["d"], hedges_j(df) * v["d"])
    if standardizer == "d_z":
        vi = 1 / v["n"] + g**2 / (2 * v["n"])
    elif design == "within":
        vi = 2 * (1 - v["r"]) / v["n"] + g**2 / (2 * v["n"])
    elif standardizer == "d_between_post":
        vi = 1 / v["n1"] + 1 / v["n2"] + g**2 / (2 * (v["n1"] + v["n2"]))
    else:
        vi = 2 * (1 - v["r"]) * (1 / v["n1"] + 1 / v["n2"]) + g**2 / (2 * (v["n1"] + v["n2"]))
    formula = [
        f"{standardizer}: {'g as printed' if c else 'g = J(df) d'}; {variance}"
        for c in v["corrected"]
    ]
    return effect_frame(g, vi, metric, formula, data)


def from_ci(
    estimate: Any,
    ci_low: Any,
    ci_high: Any,
    *,
    level: float = 0.95,
    log_scale: bool = False,
    metric: str = "generic",
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """yi and vi from an estimate and its (Wald) confidence interval.

    Parameters
    ----------
    estimate, ci_low, ci_high
        The printed estimate and interval bounds.
    level
        Confidence level of the printed interval (0.95, not 95).
    log_scale
        ``True`` for ratios (odds, risk, hazard ratios): the analysis is on the log scale,
        where their Wald intervals are symmetric.
    metric
        Metric label of the result (e.g. ``"log_or"``, ``"d_between_post"``).
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric``, ``formula``, ``ci_asymmetry`` (difference of the two
        half-widths on the analysis scale, relative to the full width; near 0 for a Wald
        interval on that scale, so a large value signals a wrong scale or a misprint).

    Notes
    -----
    ``yi = f(estimate)``, ``se = (f(upper) - f(lower)) / (2 z_{(1+level)/2})``,
    ``vi = se^2``, with ``f = log`` for ratios and the identity otherwise.

    References
    ----------
    Higgins, J. P. T., et al. (Eds.) (2023). Cochrane Handbook for Systematic Reviews of
    Interventions, version 6.4, section 6.3.1 (obtaining standard errors from confidence
    intervals) and 6.3.2.
    """
    level = check_level(level)
    if not isinstance(metric, str) or not metric:
        raise MetaattError(f"metric: expected the name of the metric (text), got {metric!r}")
    labels = [str(x) for x in data["study"]] if data is not None and "study" in data else None
    v = read_vectors(data, labels, estimate=estimate, ci_low=ci_low, ci_high=ci_high)
    est, low, high = v["estimate"], v["ci_low"], v["ci_high"]
    if log_scale:
        for name in ("estimate", "ci_low", "ci_high"):
            check_range(v[name], name, low=0, low_open=True, labels=labels, what="a ratio")
        est, low, high = np.log(est), np.log(low), np.log(high)
    bad = (low > est) | (est > high) | (low >= high)
    if bad.any():
        i = first_bad(bad)
        raise MetaattError(
            f"ci_low, ci_high: {describe_row(i, labels)} has interval "
            f"[{v['ci_low'][i]:g}, {v['ci_high'][i]:g}] around {v['estimate'][i]:g}; need "
            "ci_low < ci_high with the estimate inside"
        )
    z = stats.norm.isf((1 - level) / 2)
    sei = (high - low) / (2 * z)
    asym = ((high - est) - (est - low)) / (high - low)
    scale = "log " if log_scale else ""
    formula = f"yi = {scale}estimate; se = ({scale}upper - {scale}lower)/(2 z), level {level:g}"
    return effect_frame(est, sei**2, metric, formula, data, ci_asymmetry=asym)
