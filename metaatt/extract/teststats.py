"""Standardized mean differences from printed test statistics: t, F(1, df), p, chi^2, eta^2.

Every function is vectorized over studies, accepts numbers, arrays or column names of
``data=``, and returns a table with ``yi`` (Hedges' g), ``vi``, ``metric`` and ``formula``.
The design decides the metric: a within-person (paired) statistic gives the change-score
``d_z`` (metric ``"d_z"``), an independent-groups statistic gives a between-group d
(``"d_between_post"``). Both are Hedges-corrected so that they equal metafor's ``SMCC`` and
``SMD`` computed from the underlying means.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import MetaattError
from ._common import check_range, effect_frame, hedges_j, read_vectors, require_one_design

__all__ = ["from_chi2", "from_eta2", "from_f", "from_p", "from_t_independent", "from_t_paired"]

PAIRED_FORMULA = "g_z = J(n-1) t / sqrt(n); v = 1/n + g^2/(2n)"
INDEPENDENT_FORMULA = "g = J(n1+n2-2) t sqrt(1/n1 + 1/n2); v = 1/n1 + 1/n2 + g^2/(2(n1+n2))"


def _paired(t: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = hedges_j(n - 1) * t / np.sqrt(n)
    return g, 1 / n + g**2 / (2 * n)


def _independent(t: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = hedges_j(n1 + n2 - 2) * t * np.sqrt(1 / n1 + 1 / n2)
    return g, 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))


def _check_sizes(v: dict[str, np.ndarray], labels: Any) -> None:
    if "n" in v:
        check_range(v["n"], "n", low=3, labels=labels, what="patients measured twice")
    for name in ("n1", "n2"):
        if name in v:
            check_range(v[name], name, low=1, labels=labels, what="group size")
    if "n1" in v and "n2" in v:
        check_range(v["n1"] + v["n2"], "n1 + n2", low=4, labels=labels)


def _check_sign(v: dict[str, np.ndarray], labels: Any) -> None:
    sign = v["sign"]
    bad = ~np.isin(sign, (1.0, -1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise MetaattError(
            f"sign: row {i + 1} is {sign[i]:g}; must be 1 (scores rose / arm above comparator) "
            "or -1"
        )


def _labels(data: pd.DataFrame | None) -> list[str] | None:
    if data is not None and "study" in data.columns:
        return [str(x) for x in data["study"]]
    return None


def _from_t(
    t: np.ndarray, design: str, v: dict[str, np.ndarray], data: pd.DataFrame | None, prefix: str
) -> pd.DataFrame:
    if design == "within":
        yi, vi = _paired(t, v["n"])
        return effect_frame(yi, vi, "d_z", f"{prefix}; {PAIRED_FORMULA}", data, t=t)
    yi, vi = _independent(t, v["n1"], v["n2"])
    return effect_frame(yi, vi, "d_between_post", f"{prefix}; {INDEPENDENT_FORMULA}", data, t=t)


def from_t_paired(t: Any, n: Any, *, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Change-score d_z (Hedges-corrected) from a paired t statistic.

    Parameters
    ----------
    t
        Paired t statistic, signed as post minus pre on the instrument's scale.
    n
        Number of patients measured on both occasions (the t test has n - 1 df).
    data
        Optional table; ``t`` and ``n`` may then be column names. Its columns are kept.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (g_z), ``vi``, ``metric`` (``"d_z"``), ``formula``.

    Notes
    -----
    ``d_z = t / sqrt(n)`` because ``t = M_change / (SD_change / sqrt(n))``;
    ``g_z = J(n - 1) d_z`` and ``v = 1/n + g_z^2 / (2n)``: exactly metafor's ``SMCC`` computed
    from the mean and SD of the change scores.

    References
    ----------
    Morris, S. B., & DeShon, R. P. (2002). Combining effect size estimates in meta-analysis
    with repeated measures and independent-groups designs. Psychological Methods, 7(1),
    105-125, Table 1. Gibbons, R. D., Hedeker, D. R., & Davis, J. M. (1993). Estimation of
    effect size from a series of experiments involving paired comparisons. Journal of
    Educational Statistics, 18(3), 271-279.

    Examples
    --------
    >>> from metaatt.extract import from_t_paired
    >>> round(float(from_t_paired(3.0, 25).yi[0]), 4)
    0.581
    """
    labels = _labels(data)
    v = read_vectors(data, labels, t=t, n=n)
    _check_sizes(v, labels)
    yi, vi = _paired(v["t"], v["n"])
    return effect_frame(yi, vi, "d_z", PAIRED_FORMULA, data)


def from_t_independent(
    t: Any, n1: Any, n2: Any, *, data: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Between-group Hedges' g from an independent-groups t statistic.

    Parameters
    ----------
    t
        t statistic, signed as arm (group 1) minus comparator (group 2).
    n1, n2
        Group sizes.
    data
        Optional table for column names; its columns are kept.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (g), ``vi``, ``metric`` (``"d_between_post"``), ``formula``.

    Notes
    -----
    ``d = t sqrt(1/n1 + 1/n2)``, ``g = J(n1 + n2 - 2) d``,
    ``v = 1/n1 + 1/n2 + g^2 / (2 (n1 + n2))``: metafor's ``SMD`` computed from the means and
    the pooled SD that produced the t.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction
    to meta-analysis. Wiley, ch. 7 (eq. 4.18-4.24). Hedges, L. V. (1981), eq. 6e.
    """
    labels = _labels(data)
    v = read_vectors(data, labels, t=t, n1=n1, n2=n2)
    _check_sizes(v, labels)
    yi, vi = _independent(v["t"], v["n1"], v["n2"])
    return effect_frame(yi, vi, "d_between_post", INDEPENDENT_FORMULA, data)


def from_f(
    f: Any,
    *,
    design: str,
    n: Any = None,
    n1: Any = None,
    n2: Any = None,
    sign: Any = 1,
    df_effect: Any = 1,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Hedges' g from an F statistic with 1 numerator df.

    Parameters
    ----------
    f
        F(1, df) statistic (>= 0).
    design
        ``"within"`` (pre vs post, same patients; needs ``n``) or ``"between"`` (arm vs
        comparator; needs ``n1`` and ``n2``).
    n, n1, n2
        Sample sizes.
    sign
        ``1`` or ``-1``: direction of the difference (F has no sign).
    df_effect
        Numerator degrees of freedom; must be 1 (an F with more df is not a two-group
        contrast and cannot be converted).
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric`` (``"d_z"`` or ``"d_between_post"``), ``formula``, ``t``.

    Notes
    -----
    ``F(1, df) = t^2``, so ``t = sign sqrt(F)`` and the paired / independent t formulas apply
    (:func:`from_t_paired`, :func:`from_t_independent`).

    References
    ----------
    Rosenthal, R. (1994). Parametric measures of effect size. In H. Cooper & L. V. Hedges
    (Eds.), The handbook of research synthesis (pp. 231-244). Russell Sage. Lipsey, M. W., &
    Wilson, D. B. (2001). Practical meta-analysis. Sage, Appendix B.
    """
    labels = _labels(data)
    v = read_vectors(data, labels, f=f, n=n, n1=n1, n2=n2, sign=sign, df_effect=df_effect)
    require_one_design(design, v.get("n"), v.get("n1"), v.get("n2"))
    _check_sizes(v, labels)
    _check_sign(v, labels)
    check_range(v["f"], "f", low=0, labels=labels)
    check_range(v["df_effect"], "df_effect", low=1, high=1, labels=labels, what="F(1, df) only")
    t = v["sign"] * np.sqrt(v["f"])
    return _from_t(t, design, v, data, "t = sign sqrt(F)")


def from_p(
    p: Any,
    *,
    design: str,
    n: Any = None,
    n1: Any = None,
    n2: Any = None,
    sign: Any = 1,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Hedges' g from a two-sided p-value of a t test and the sample size(s).

    Parameters
    ----------
    p
        Two-sided p-value, ``0 < p <= 1``. A bound such as ``p < .001`` gives a conservative
        (smaller) effect when the bound is entered.
    design
        ``"within"`` (paired t, df = n - 1) or ``"between"`` (independent t, df = n1 + n2 - 2).
    n, n1, n2
        Sample sizes.
    sign
        ``1`` or ``-1``: direction of the difference.
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric``, ``formula``, ``t``.

    Notes
    -----
    ``|t| = F_t^{-1}(1 - p/2; df)`` (the t quantile), ``t = sign |t|``, then the t formulas.

    References
    ----------
    Borenstein et al. (2009), ch. 7; Lipsey & Wilson (2001), Appendix B.
    """
    labels = _labels(data)
    v = read_vectors(data, labels, p=p, n=n, n1=n1, n2=n2, sign=sign)
    require_one_design(design, v.get("n"), v.get("n1"), v.get("n2"))
    _check_sizes(v, labels)
    _check_sign(v, labels)
    check_range(v["p"], "p", low=0, high=1, low_open=True, labels=labels, what="two-sided p")
    df = v["n"] - 1 if design == "within" else v["n1"] + v["n2"] - 2
    t = v["sign"] * stats.t.isf(v["p"] / 2, df)
    return _from_t(t, design, v, data, "|t| = qt(1 - p/2, df), t = sign |t|")


def from_eta2(
    eta2: Any,
    *,
    design: str,
    kind: str = "partial_eta2",
    df_error: Any = None,
    n: Any = None,
    n1: Any = None,
    n2: Any = None,
    sign: Any = 1,
    df_effect: Any = 1,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Hedges' g from eta^2 or partial eta^2 of a 1-df effect.

    Parameters
    ----------
    eta2
        The printed eta^2 (``0 <= eta2 < 1``).
    design
        ``"within"`` or ``"between"`` (see :func:`from_f`).
    kind
        ``"partial_eta2"`` or ``"eta2"``; recorded in the formula (see Notes).
    df_error
        Error degrees of freedom of the F test. Default: ``n - 1`` (within) or
        ``n1 + n2 - 2`` (between), the one-way design.
    n, n1, n2, sign, df_effect, data
        As in :func:`from_f`.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric``, ``formula``, ``t``.

    Notes
    -----
    Partial eta^2 = SS_effect / (SS_effect + SS_error) = F df_effect / (F df_effect +
    df_error), so with df_effect = 1 ``F = eta^2 df_error / (1 - eta^2)`` exactly. For
    classical eta^2 = SS_effect / SS_total the same formula is exact in a one-way design and
    conservative (F too small) when other effects take variance from SS_total.

    References
    ----------
    Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.), ch. 8.
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science.
    Frontiers in Psychology, 4, 863, eq. 12-13.
    """
    labels = _labels(data)
    if kind not in ("partial_eta2", "eta2"):
        raise MetaattError(f"kind: unknown value {kind!r}; choose 'partial_eta2' or 'eta2'")
    v = read_vectors(
        data, labels, eta2=eta2, n=n, n1=n1, n2=n2, sign=sign, df_effect=df_effect,
        df_error=df_error,
    )  # fmt: skip
    require_one_design(design, v.get("n"), v.get("n1"), v.get("n2"))
    _check_sizes(v, labels)
    _check_sign(v, labels)
    check_range(v["eta2"], "eta2", low=0, high=1, high_open=True, labels=labels)
    check_range(v["df_effect"], "df_effect", low=1, high=1, labels=labels, what="1-df effects only")
    if "df_error" in v:
        check_range(v["df_error"], "df_error", low=0, low_open=True, labels=labels)
        df_error = v["df_error"]
    else:
        df_error = v["n"] - 1 if design == "within" else v["n1"] + v["n2"] - 2
    f = v["eta2"] * df_error / (1 - v["eta2"])
    t = v["sign"] * np.sqrt(f)
    return _from_t(t, design, v, data, f"F = {kind} df_error / (1 - {kind}); t = sign sqrt(F)")


def from_chi2(
    chi2: Any, n: Any, *, sign: Any = 1, data: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Between-group d from a 1-df chi-square of an arm x outcome 2x2 table.

    Parameters
    ----------
    chi2
        Pearson chi-square with 1 df (no continuity correction), ``>= 0``.
    n
        Total number of patients in the table (both arms).
    sign
        ``1`` or ``-1``: direction (arm more often in the outcome category than comparator).
    data
        Optional table for column names.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (d), ``vi``, ``metric`` (``"d_between_post"``), ``formula``, ``phi``.

    Notes
    -----
    ``phi = sign sqrt(chi2 / N)``; ``d = 2 phi / sqrt(1 - phi^2)`` and
    ``v = 4 v_phi / (1 - phi^2)^3`` with ``v_phi = (1 - phi^2)^2 / (N - 1)``, i.e.
    ``v = 4 / ((N - 1)(1 - phi^2))``. This is the point-biserial conversion; for a
    dichotomous outcome prefer the log odds ratio from the cell counts when they are printed.

    References
    ----------
    Rosenthal, R. (1994), eq. 16-19 (in Cooper & Hedges, Handbook of research synthesis).
    Borenstein et al. (2009), eq. 6.1 and 7.5-7.6.
    """
    labels = _labels(data)
    v = read_vectors(data, labels, chi2=chi2, n=n, sign=sign)
    check_range(v["n"], "n", low=3, labels=labels, what="total sample size")
    _check_sign(v, labels)
    check_range(v["chi2"], "chi2", low=0, labels=labels)
    phi = v["sign"] * np.sqrt(v["chi2"] / v["n"])
    check_range(np.abs(phi), "chi2", high=1, high_open=True, labels=labels, what="chi2 must be < n")
    yi = 2 * phi / np.sqrt(1 - phi**2)
    vi = 4 / ((v["n"] - 1) * (1 - phi**2))
    formula = "phi = sign sqrt(chi2/N); d = 2 phi/sqrt(1 - phi^2); v = 4/((N-1)(1 - phi^2))"
    return effect_frame(yi, vi, "d_between_post", formula, data, phi=phi)
