"""Mantel-Haenszel pooling of 2x2 tables (odds ratio, risk ratio, risk difference)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validate import check_choice, check_level
from ..errors import MetaattError
from ._common import heterogeneity, wald
from ._tables import corrections, read_tables, study_outcomes
from .result import TwoByTwoResult

__all__ = ["mantel_haenszel"]

MEASURES = ("OR", "RR", "RD")


def _expected_cell(a_total: np.ndarray, n1, n2, m1, psi: float) -> np.ndarray:
    """``A`` with ``A (n2 - m1 + A) / ((n1 - A)(m1 - A)) = psi`` inside its bounds."""
    lo = np.maximum(0.0, m1 - n2)
    hi = np.minimum(n1, m1)
    qa = 1.0 - psi
    qb = n2 - m1 + psi * (n1 + m1)
    qc = -psi * n1 * m1
    if abs(qa) < 1e-12:
        return -qc / qb
    disc = np.sqrt(np.maximum(qb**2 - 4.0 * qa * qc, 0.0))
    roots = np.stack([(-qb + disc) / (2.0 * qa), (-qb - disc) / (2.0 * qa)])
    inside = (roots >= lo - 1e-9) & (roots <= hi + 1e-9)
    return np.where(inside[0], roots[0], roots[1])


def _odds_ratio_tests(a, b, c, d, psi: float, correct: bool) -> dict[str, float]:
    """CMH and Cochran tests of OR = 1; Breslow-Day and Tarone tests of a common OR."""
    n1, n2, m1, m2 = a + b, c + d, a + c, b + d
    n = n1 + n2
    informative = (m1 > 0) & (m2 > 0)
    expected = n1 * m1 / n
    delta = abs(np.sum(a - expected))
    deviation = delta - (0.5 if correct and delta >= 0.5 else 0.0)
    product = n1 * n2 * m1 * m2
    cmh = deviation**2 / np.sum(product / (n**2 * (n - 1)))
    cochran = deviation**2 / np.sum(product / n**3)
    out = {
        "cmh": float(cmh),
        "cmh_pval": float(special.chdtrc(1, cmh)),
        "cochran": float(cochran),
        "cochran_pval": float(special.chdtrc(1, cochran)),
    }
    a_i, n1_i, n2_i, m1_i = a[informative], n1[informative], n2[informative], m1[informative]
    df = int(informative.sum()) - 1
    if df >= 1 and np.isfinite(psi) and psi > 0:
        big_a = _expected_cell(a_i, n1_i, n2_i, m1_i, psi)
        var = 1.0 / (
            1 / big_a + 1 / (n1_i - big_a) + 1 / (m1_i - big_a) + 1 / (n2_i - m1_i + big_a)
        )
        bd = float(np.sum((a_i - big_a) ** 2 / var))
        ta = bd - float(np.sum(a_i - big_a) ** 2 / np.sum(var))
        out.update(
            breslow_day=bd,
            breslow_day_pval=float(special.chdtrc(df, bd)),
            tarone=ta,
            tarone_pval=float(special.chdtrc(df, ta)),
            tarone_df=df,
        )
    return out


def _pooled(measure: str, a, b, c, d) -> tuple[float, float, np.ndarray]:
    """MH estimate (log scale for ratios), its SE, and the MH weights."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    if measure == "OR":
        r, s = a * d / n, b * c / n
        sum_r, sum_s = r.sum(), s.sum()
        if sum_r == 0 or sum_s == 0:
            raise MetaattError(
                "mantel_haenszel: the Mantel-Haenszel odds ratio is "
                f"{'0' if sum_r == 0 else 'infinite'}: no table has events in "
                f"{'group 1 with non-events in group 2' if sum_r == 0 else 'group 2 with non-events in group 1'}"
            )
        p, q = (a + d) / n, (b + c) / n
        var = (
            np.sum(p * r) / (2 * sum_r**2)
            + np.sum(p * s + q * r) / (2 * sum_r * sum_s)
            + np.sum(q * s) / (2 * sum_s**2)
        )
        return float(np.log(sum_r / sum_s)), float(np.sqrt(var)), s
    if measure == "RR":
        r, s = a * n2 / n, c * n1 / n
        sum_r, sum_s = r.sum(), s.sum()
        if sum_r == 0 or sum_s == 0:
            raise MetaattError(
                "mantel_haenszel: the Mantel-Haenszel risk ratio is "
                f"{'0' if sum_r == 0 else 'infinite'}: group {1 if sum_r == 0 else 2} has no "
                "events in any table"
            )
        var = np.sum((n1 * n2 * (a + c) - a * c * n) / n**2) / (sum_r * sum_s)
        return float(np.log(sum_r / sum_s)), float(np.sqrt(var)), s
    w = n1 * n2 / n
    sum_w = w.sum()
    rd = float(np.sum((a * n2 - c * n1) / n) / sum_w)
    p = (n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2.0) / n**2
    q = (a * (n2 - c) + c * (n1 - a)) / (2.0 * n)
    var = (rd * p.sum() + q.sum()) / sum_w**2
    return rd, float(np.sqrt(var)), w


def mantel_haenszel(
    ai: Any = None,
    bi: Any = None,
    ci: Any = None,
    di: Any = None,
    *,
    n1i: Any = None,
    n2i: Any = None,
    measure: str = "OR",
    data: pd.DataFrame | None = None,
    labels: Any = None,
    correct: bool = True,
    level: float = 0.95,
    add: float | tuple[float, float] = 0.5,
    to: str | tuple[str, str] = "only0",
    drop00: bool | tuple[bool, bool] = True,
    missing: str = "raise",
) -> TwoByTwoResult:
    """Mantel-Haenszel common-effect pooling of 2x2 tables, as metafor's ``rma.mh``.

    Parameters
    ----------
    ai, bi, ci, di
        Cell counts (arrays or column names of ``data``): events and non-events in group 1
        (``ai``, ``bi``) and group 2 (``ci``, ``di``). Instead of ``bi``, ``di`` give the
        group sizes ``n1i``, ``n2i``.
    measure
        ``"OR"`` (log odds ratio), ``"RR"`` (log risk ratio) or ``"RD"`` (risk difference).
    data
        Table holding the named columns (kept in the result).
    labels
        Study labels (array or column name); default: the ``study`` column when present.
    correct
        Continuity correction of the Cochran-Mantel-Haenszel test (odds ratios).
    level
        Confidence level in (0, 1).
    add, to, drop00
        Continuity correction of the studies' own outcomes (used for Q, I^2 and the forest
        plot), as metafor's ``escalc``: ``add`` is added to the cells of tables with a zero
        cell (``to="only0"``), of all tables (``"all"``), of all tables if any has a zero
        (``"if0all"``) or never (``"none"``); ``drop00`` leaves out tables without events
        (or with only events) in both groups. The pooled estimate uses the raw counts
        unless pairs are given: the second value of each then applies to the pooling
        (a second ``drop00=True`` removes double-zero tables from the analysis).
    missing
        ``"raise"`` (default) for tables with a missing count, or ``"exclude"`` them with a
        warning (they are listed in the result's ``excluded``).

    Returns
    -------
    TwoByTwoResult
        Estimate (log scale for OR/RR), SE, z test, CI, Q, I^2, H^2; for odds ratios also the
        CMH and Cochran tests and the Breslow-Day and Tarone tests.

    Notes
    -----
    With ``n_i = n1_i + n2_i``:

    * OR: ``OR_MH = sum R_i / sum S_i``, ``R = ad/n``, ``S = bc/n``; variance of
      ``log OR_MH`` by Robins, Breslow & Greenland (1986):
      ``sum PR / (2 R+^2) + sum (PS + QR) / (2 R+ S+) + sum QS / (2 S+^2)`` with
      ``P = (a + d)/n``, ``Q = (b + c)/n``.
    * RR: ``RR_MH = sum (a n2/n) / sum (c n1/n)``; ``Var(log RR_MH) =
      sum (n1 n2 m1 - a c n)/n^2 / (sum a n2/n  sum c n1/n)`` (Greenland & Robins 1985).
    * RD: ``RD_MH = sum (a n2 - c n1)/n / sum n1 n2/n``; variance of Sato, Greenland &
      Robins (1989).
    * CMH test: ``(|sum (a - n1 m1/n)| - 1/2)^2 / sum n1 n2 m1 m2 / (n^2 (n - 1))`` (the
      1/2 only with ``correct``); Cochran's test uses ``n^3`` in the variance. Breslow-Day:
      ``sum (a - A)^2 / Var(A)`` with ``A`` the expected count under ``OR_MH``; Tarone's
      correction subtracts ``(sum a - sum A)^2 / sum Var(A)``; df = informative tables - 1.
    * ``Q = sum (y_i - b_MH)^2 / v_i`` over the studies' own outcomes.

    References
    ----------
    Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data from
    retrospective studies of disease. JNCI, 22, 719-748. Robins, J., Breslow, N., &
    Greenland, S. (1986). Estimators of the Mantel-Haenszel variance consistent in both
    sparse data and large-strata limiting models. Biometrics, 42, 311-323. Greenland, S., &
    Robins, J. M. (1985). Estimation of a common effect parameter from sparse follow-up
    data. Biometrics, 41, 55-68. Sato, T., Greenland, S., & Robins, J. M. (1989). On the
    variance estimator for the Mantel-Haenszel risk difference. Biometrics, 45, 1323-1324.
    Tarone, R. E. (1985). On heterogeneity tests based on efficient scores. Biometrika, 72,
    91-95. Breslow, N. E., & Day, N. E. (1980). Statistical methods in cancer research,
    vol. 1, sec. 4.4.

    Examples
    --------
    Rothman, Greenland & Lash (2008), Table 15-1, at the 90% level: RD 0.0349
    [-0.0176, 0.0874]:

    >>> import metaatt
    >>> res = metaatt.mantel_haenszel([8, 22], [98, 76], [5, 16], [115, 69],
    ...                               measure="RD", level=0.90)
    >>> print(f"{res.estimate:.4f} [{res.ci_low:.4f}, {res.ci_high:.4f}]")
    0.0349 [-0.0176, 0.0874]
    """
    measure = check_choice(measure, "measure", MEASURES)
    level = check_level(level)
    tables = read_tables(ai, bi, ci, di, n1i, n2i, data, labels, missing)
    for_studies, for_pooling = corrections(add, to, drop00)
    yi, vi = study_outcomes(tables, measure, for_studies)
    a, b, c, d, dropped = for_pooling.apply(tables)
    keep = ~dropped
    if not keep.any():
        raise MetaattError("mantel_haenszel: every table was dropped (drop00)")
    estimate, se, w = _pooled(measure, a[keep], b[keep], c[keep], d[keep])
    weights = np.zeros(tables.k)
    weights[keep] = 100.0 * w / w.sum()
    tests = {}
    if measure == "OR":
        tests = _odds_ratio_tests(
            a[keep], b[keep], c[keep], d[keep], float(np.exp(estimate)), bool(correct)
        )
    het = heterogeneity(yi, vi, estimate)
    return TwoByTwoResult(
        method="MH",
        measure=measure,
        level=level,
        k=int(keep.sum()),
        estimate=estimate,
        se=se,
        yi=yi,
        vi=vi,
        weights=weights,
        labels=tables.labels,
        data=tables.data,
        excluded=tables.excluded,
        correct=bool(correct),
        synthetic=tables.synthetic,
        **wald(estimate, se, level),
        **het,
        **tests,
    )
