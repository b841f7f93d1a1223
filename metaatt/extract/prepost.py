"""Pre/post designs: standardized mean change (via ``metaatt.escalc``), the pre-post-control
d of Morris (2008), and pre-post correlations recovered from printed statistics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_number, describe_row, first_bad
from ..errors import MetaattError
from ._common import check_range, effect_frame, hedges_j, read_vectors

__all__ = [
    "d_ppc1",
    "d_ppc2",
    "from_change",
    "from_pre_post",
    "r_from_sd_change",
    "r_from_t",
]


def _escalc(measure: str, **inputs: Any) -> pd.DataFrame:
    from ..effects import escalc  # imported on use: escalc is a sibling package

    return escalc(measure, **inputs)


def _reason(es: pd.DataFrame) -> dict[str, Any]:
    """escalc's ``reason`` column (why a row has no estimate), when it flags any row."""
    if "reason" in es.columns and es["reason"].notna().any():
        return {"reason": es["reason"].to_numpy(dtype=object)}
    return {}


def _labels(data: pd.DataFrame | None) -> list[str] | None:
    return [str(x) for x in data["study"]] if data is not None and "study" in data else None


def from_pre_post(
    m_pre: Any,
    sd_pre: Any,
    m_post: Any,
    n: Any,
    *,
    r: Any = None,
    assumed_r: float | None = None,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Raw-score standardized mean change (SMCR) with an explicit record of the r used.

    Parameters
    ----------
    m_pre, sd_pre, m_post
        Pre-test mean and SD, post-test mean (same patients).
    n
        Patients measured on both occasions.
    r
        Pre-post correlations; entries may be missing (NaN) when ``assumed_r`` is given.
    assumed_r
        Value imputed where ``r`` is missing; every imputation is recorded in
        ``assumptions`` and ``r_source``.
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi`` (metafor ``SMCR``), ``metric`` (``"d_raw_change"``), ``formula``,
        ``r_used``, ``r_source`` (``"reported"`` or ``"imputed"``), ``assumptions``.

    Notes
    -----
    ``g = J(n-1) (M_post - M_pre) / SD_pre``, ``v = 2(1 - r)/n + g^2/(2n)`` (Becker 1988, with
    the variance as corrected in metafor's documentation; Borenstein et al. 2009 eq. 4.28 is
    wrong). Computed by ``metaatt.escalc("SMCR", ...)``.

    References
    ----------
    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal of
    Mathematical and Statistical Psychology, 41, 257-278. Morris, S. B. (2000). Distribution
    of the standardized mean change effect size for meta-analysis on repeated measures.
    British Journal of Mathematical and Statistical Psychology, 53, 17-29.
    """
    labels = _labels(data)
    v = read_vectors(
        data, labels, nan_ok=("r",), m_pre=m_pre, sd_pre=sd_pre, m_post=m_post, n=n, r=r
    )
    k = len(v["n"])
    check_range(v["sd_pre"], "sd_pre", low=0, low_open=True, labels=labels)
    check_range(v["n"], "n", low=3, labels=labels)
    r_values = v.get("r", np.full(k, np.nan))
    missing = np.isnan(r_values)
    if missing.any():
        if assumed_r is None:
            i = first_bad(missing)
            raise MetaattError(
                f"r: {describe_row(i, labels)} has no pre-post correlation; give r or "
                "assumed_r= (recorded as an assumption)"
            )
        assumed_r = check_number(assumed_r, "assumed_r", low=-1, high=1)
        r_values = np.where(missing, float(assumed_r), r_values)
    check_range(r_values, "r", low=-1, high=1, labels=labels)
    es = _escalc("SMCR", m1i=v["m_post"], m2i=v["m_pre"], sd1i=v["sd_pre"], ni=v["n"], ri=r_values)
    assumptions = np.where(missing, f"pre-post r imputed as {assumed_r}", "")
    return effect_frame(
        es["yi"].to_numpy(),
        es["vi"].to_numpy(),
        "d_raw_change",
        "SMCR: g = J(n-1)(M_post - M_pre)/SD_pre; v = 2(1-r)/n + g^2/(2n)",
        data,
        r_used=r_values,
        r_source=np.where(missing, "imputed", "reported"),
        assumptions=assumptions,
        **_reason(es),
    )


def from_change(
    m_change: Any, sd_change: Any, n: Any, *, data: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Change-score standardized mean change (SMCC, d_z) from the mean and SD of change.

    Parameters
    ----------
    m_change
        Mean change, post minus pre.
    sd_change
        SD of the change scores.
    n
        Patients measured on both occasions.
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric`` (``"d_z"``), ``formula``.

    Notes
    -----
    ``g = J(n-1) M_change / SD_change``, ``v = 1/n + g^2/(2n)``: ``metaatt.escalc("SMCC")``
    with ``m1i = M_change, m2i = 0, sd1i = SD_change, sd2i = 0, ri = 0`` (the documented way
    to enter a reported change SD in metafor).

    References
    ----------
    Gibbons, R. D., Hedeker, D. R., & Davis, J. M. (1993). Journal of Educational Statistics,
    18(3), 271-279. Morris & DeShon (2002).
    """
    labels = _labels(data)
    v = read_vectors(data, labels, m_change=m_change, sd_change=sd_change, n=n)
    check_range(v["sd_change"], "sd_change", low=0, low_open=True, labels=labels)
    check_range(v["n"], "n", low=3, labels=labels)
    k = len(v["n"])
    es = _escalc(
        "SMCC",
        m1i=v["m_change"],
        m2i=np.zeros(k),
        sd1i=v["sd_change"],
        sd2i=np.zeros(k),
        ni=v["n"],
        ri=np.zeros(k),
    )
    return effect_frame(
        es["yi"].to_numpy(),
        es["vi"].to_numpy(),
        "d_z",
        "SMCC: g = J(n-1) M_change/SD_change; v = 1/n + g^2/(2n)",
        data,
        **_reason(es),
    )


def d_ppc2(
    m_pre: Any,
    sd_pre: Any,
    m_post: Any,
    n: Any,
    m_pre_c: Any,
    sd_pre_c: Any,
    m_post_c: Any,
    n_c: Any,
    *,
    r: Any,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Morris (2008) pre-post-control effect size d_ppc2 (pooled pre-test SD).

    Parameters
    ----------
    m_pre, sd_pre, m_post, n
        Treatment arm: pre mean and SD, post mean, size.
    m_pre_c, sd_pre_c, m_post_c, n_c
        Control arm: the same.
    r
        Pre-post correlation (assumed common to both arms).
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric`` (``"d_ppc"``), ``formula``.

    Notes
    -----
    ``SD_pre,pooled = sqrt(((n - 1) SD_pre^2 + (n_c - 1) SD_pre,c^2) / (n + n_c - 2))``,
    ``d = J(n + n_c - 2) [(M_post - M_pre) - (M_post,c - M_pre,c)] / SD_pre,pooled`` (eq. 8),
    ``v = 2(1 - r)(1/n + 1/n_c) + d^2 / (2(n + n_c))`` (the large-sample form of eq. 25).

    References
    ----------
    Morris, S. B. (2008). Estimating effect sizes from pretest-posttest-control group designs.
    Organizational Research Methods, 11(2), 364-386.

    Examples
    --------
    Carlson & Schmidt (1999), study 1 of Morris (2008, Table 5), d_ppc2 = 0.7684:

    >>> from metaatt.extract import d_ppc2
    >>> out = d_ppc2(30.6, 15.0, 38.5, 20, 23.1, 13.8, 19.7, 20, r=0.47)
    >>> round(float(out.yi[0]), 4)
    0.7684
    """
    labels = _labels(data)
    v = read_vectors(
        data, labels, m_pre=m_pre, sd_pre=sd_pre, m_post=m_post, n=n, m_pre_c=m_pre_c,
        sd_pre_c=sd_pre_c, m_post_c=m_post_c, n_c=n_c, r=r,
    )  # fmt: skip
    for name in ("sd_pre", "sd_pre_c"):
        check_range(v[name], name, low=0, low_open=True, labels=labels)
    for name in ("n", "n_c"):
        check_range(v[name], name, low=2, labels=labels)
    check_range(v["r"], "r", low=-1, high=1, labels=labels)
    n_t, n_c_ = v["n"], v["n_c"]
    sd_pool = np.sqrt(
        ((n_t - 1) * v["sd_pre"] ** 2 + (n_c_ - 1) * v["sd_pre_c"] ** 2) / (n_t + n_c_ - 2)
    )
    diff = (v["m_post"] - v["m_pre"]) - (v["m_post_c"] - v["m_pre_c"])
    d = hedges_j(n_t + n_c_ - 2) * diff / sd_pool
    vi = 2 * (1 - v["r"]) * (1 / n_t + 1 / n_c_) + d**2 / (2 * (n_t + n_c_))
    formula = (
        "Morris 2008 d_ppc2: J(n+n_c-2)[(post-pre) - (post_c-pre_c)]/SD_pre,pooled; "
        "v = 2(1-r)(1/n + 1/n_c) + d^2/(2(n+n_c))"
    )
    return effect_frame(d, vi, "d_ppc", formula, data)


def d_ppc1(
    m_pre: Any,
    sd_pre: Any,
    m_post: Any,
    n: Any,
    m_pre_c: Any,
    sd_pre_c: Any,
    m_post_c: Any,
    n_c: Any,
    *,
    r: Any,
    r_c: Any = None,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Difference of the arms' raw-score standardized mean changes (Becker 1988; Morris d_ppc1).

    Parameters
    ----------
    m_pre, sd_pre, m_post, n, m_pre_c, sd_pre_c, m_post_c, n_c
        As in :func:`d_ppc2`; each arm is standardized by its own pre-test SD.
    r, r_c
        Pre-post correlations of the arms (``r_c`` defaults to ``r``).
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi = g_T - g_C``, ``vi = v_T + v_C``, ``metric`` (``"d_ppc"``), ``formula``.

    Notes
    -----
    ``g_arm`` is metafor's ``SMCR`` (see :func:`from_pre_post`); the arms are independent, so
    the variances add.

    References
    ----------
    Becker (1988); Morris (2008), eq. 6-7 and Table 5.
    """
    r_c = r if r_c is None else r_c
    arm = from_pre_post(m_pre, sd_pre, m_post, n, r=r, data=data)
    try:
        control = from_pre_post(m_pre_c, sd_pre_c, m_post_c, n_c, r=r_c, data=data)
    except MetaattError as err:  # the control arm's arguments carry the suffix _c
        name, _, rest = str(err).partition(":")
        renamed = {"m_pre": "m_pre_c", "sd_pre": "sd_pre_c", "m_post": "m_post_c", "n": "n_c"}
        renamed["r"] = "r_c" if r_c is not r else "r"
        raise MetaattError(f"{renamed.get(name, name)}:{rest}") from None
    return effect_frame(
        arm["yi"].to_numpy() - control["yi"].to_numpy(),
        arm["vi"].to_numpy() + control["vi"].to_numpy(),
        "d_ppc",
        "g_T - g_C (SMCR per arm); v = v_T + v_C",
        data,
        **_arm_reasons(arm, control),
    )


def _arm_reasons(arm: pd.DataFrame, control: pd.DataFrame) -> dict[str, Any]:
    """A ``reason`` column naming the arm whose SMCR is undefined (nothing NaN unexplained)."""
    texts = [
        [f"{name} arm: {text}" if isinstance(text, str) and text else "" for text in frame]
        for name, frame in (
            ("treatment", arm.get("reason", pd.Series([None] * len(arm)))),
            ("control", control.get("reason", pd.Series([None] * len(control)))),
        )
    ]
    joined = ["; ".join(t for t in pair if t) or None for pair in zip(*texts, strict=True)]
    return {"reason": np.array(joined, dtype=object)} if any(joined) else {}


def r_from_sd_change(
    sd_pre: Any, sd_post: Any, sd_change: Any, *, data: pd.DataFrame | None = None
) -> np.ndarray:
    """Pre-post correlation implied by the SDs of pre, post and change scores.

    Parameters
    ----------
    sd_pre, sd_post, sd_change
        The three standard deviations (> 0).
    data
        Optional table for column names.

    Returns
    -------
    numpy.ndarray
        ``r``; a :class:`MetaattError` names a row whose SDs imply ``|r| > 1`` (inconsistent).

    Notes
    -----
    ``SD_change^2 = SD_pre^2 + SD_post^2 - 2 r SD_pre SD_post``, hence
    ``r = (SD_pre^2 + SD_post^2 - SD_change^2) / (2 SD_pre SD_post)``.

    References
    ----------
    Higgins, J. P. T., et al. (Eds.) (2023). Cochrane Handbook, section 6.5.2.8 (imputing a
    change-from-baseline SD using a correlation coefficient).
    """
    labels = _labels(data)
    v = read_vectors(data, labels, sd_pre=sd_pre, sd_post=sd_post, sd_change=sd_change)
    for name in ("sd_pre", "sd_post", "sd_change"):
        check_range(v[name], name, low=0, low_open=True, labels=labels)
    r = (v["sd_pre"] ** 2 + v["sd_post"] ** 2 - v["sd_change"] ** 2) / (
        2 * v["sd_pre"] * v["sd_post"]
    )
    outside = ~((r >= -1) & (r <= 1))
    if outside.any():
        i = first_bad(outside)
        raise MetaattError(
            f"sd_change: {describe_row(i, labels)} gives an implied r outside [-1, 1] "
            f"(r = {r[i]:g}); check sd_pre, sd_post and sd_change"
        )
    return r


def r_from_t(
    t: Any,
    n: Any,
    m_pre: Any,
    m_post: Any,
    sd_pre: Any,
    sd_post: Any,
    *,
    data: pd.DataFrame | None = None,
) -> np.ndarray:
    """Pre-post correlation implied by a paired t statistic with the means and SDs.

    Parameters
    ----------
    t
        Paired t statistic (non-zero).
    n
        Patients measured twice.
    m_pre, m_post, sd_pre, sd_post
        Means and SDs at both occasions.
    data
        Optional table for column names.

    Returns
    -------
    numpy.ndarray
        ``r``.

    Notes
    -----
    ``SD_change = |M_post - M_pre| sqrt(n) / |t|``, then :func:`r_from_sd_change`.

    References
    ----------
    Cochrane Handbook (2023), section 6.5.2.3 (SDs from t statistics) and 6.5.2.8.
    """
    labels = _labels(data)
    v = read_vectors(data, labels, t=t, n=n, m_pre=m_pre, m_post=m_post)
    zero = v["t"] == 0
    if zero.any():
        raise MetaattError(f"t: {describe_row(first_bad(zero), labels)} is 0; r is undefined")
    check_range(v["n"], "n", low=3, labels=labels)
    sd_change = np.abs(v["m_post"] - v["m_pre"]) * np.sqrt(v["n"]) / np.abs(v["t"])
    if (sd_change == 0).any():
        i = first_bad(sd_change == 0)
        raise MetaattError(
            f"m_pre, m_post: {describe_row(i, labels)} has no mean change; r is undefined"
        )
    try:
        return r_from_sd_change(sd_pre, sd_post, sd_change, data=data)
    except MetaattError as err:  # name the arguments the caller gave, not the derived SD
        text = str(err)
        if text.startswith("sd_change:"):
            text = "t, m_pre, m_post" + text.removeprefix("sd_change").replace(
                "sd_change", "t, m_pre, m_post (SD of change = |M_post - M_pre| sqrt(n) / |t|)"
            )
        raise MetaattError(text) from None
