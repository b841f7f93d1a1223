"""Peto's one-step odds ratio for 2x2 tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_level
from ..errors import MetaattError
from ._common import heterogeneity, wald
from ._tables import corrections, read_tables, study_outcomes
from .result import TwoByTwoResult

__all__ = ["peto"]


def peto(
    ai: Any = None,
    bi: Any = None,
    ci: Any = None,
    di: Any = None,
    *,
    n1i: Any = None,
    n2i: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    level: float = 0.95,
    add: float | tuple[float, float] = 0.5,
    to: str | tuple[str, str] = "only0",
    drop00: bool | tuple[bool, bool] = True,
    missing: str = "raise",
) -> TwoByTwoResult:
    """Peto's method for 2x2 tables (common-effect log odds ratio), as metafor's
    ``rma.peto``.

    Parameters
    ----------
    ai, bi, ci, di, n1i, n2i, data, labels, level, missing
        As :func:`metaatt.mantel_haenszel`.
    add, to, drop00
        Continuity correction of the studies' own Peto log odds ratios (used for Q, I^2 and
        the forest plot); pairs apply the second value to the pooling (default: raw counts).

    Returns
    -------
    TwoByTwoResult
        ``measure = "PETO"``: log odds ratio, SE, z test, CI, Q, I^2, H^2.

    Notes
    -----
    With ``O_i = a_i``, ``E_i = n1_i m1_i / n_i`` and the hypergeometric variance
    ``V_i = n1_i n2_i m1_i m2_i / (n_i^2 (n_i - 1))``: ``log OR = sum (O - E) / sum V``,
    ``SE = 1 / sqrt(sum V)``. Each study's own outcome is ``(O_i - E_i) / V_i`` with variance
    ``1 / V_i``. ``Q = sum (O - E)^2 / V - (sum (O - E))^2 / sum V`` (the tables' terms
    about the pooled estimate, from the counts used for pooling) with ``k_yi - 1`` df, as
    metafor. The z test equals the uncorrected Cochran-Mantel-Haenszel test.

    References
    ----------
    Yusuf, S., Peto, R., Lewis, J., Collins, R., & Sleight, P. (1985). Beta blockade during
    and after myocardial infarction: an overview of the randomized trials. Progress in
    Cardiovascular Diseases, 27, 335-371. Bradburn, M. J., Deeks, J. J., Berlin, J. A., &
    Localio, A. R. (2007). Much ado about nothing: a comparison of the performance of
    meta-analytical methods with rare events. Statistics in Medicine, 26, 53-77.

    Examples
    --------
    Rothman, Greenland & Lash (2008), Table 15-1 (metafor's ``rma.peto`` gives OR 1.3984
    [0.7658, 2.5535]):

    >>> import metaatt
    >>> res = metaatt.peto([8, 22], [98, 76], [5, 16], [115, 69])
    >>> print(", ".join(f"{v:.4f}" for v in res.exp().values()))
    1.3984, 0.7658, 2.5535
    """
    level = check_level(level)
    tables = read_tables(ai, bi, ci, di, n1i, n2i, data, labels, missing)
    for_studies, for_pooling = corrections(add, to, drop00)
    yi, vi = study_outcomes(tables, "PETO", for_studies)
    a, b, c, d, dropped = for_pooling.apply(tables)
    n1, n2, m1, m2 = a + b, c + d, a + c, b + d
    n = n1 + n2
    var = np.where(dropped, 0.0, n1 * n2 * m1 * m2 / (n**2 * (n - 1)))
    o_minus_e = np.where(dropped, 0.0, a - n1 * m1 / n)
    if var.sum() <= 0:
        raise MetaattError(
            "peto: no table carries information (every table has no events or only events)"
        )
    estimate = float(o_minus_e.sum() / var.sum())
    se = float(1.0 / np.sqrt(var.sum()))
    informative = var > 0
    q = float(
        np.sum(o_minus_e[informative] ** 2 / var[informative]) - o_minus_e.sum() ** 2 / var.sum()
    )
    het = heterogeneity(yi, vi, estimate, q=max(q, 0.0))
    return TwoByTwoResult(
        method="Peto",
        measure="PETO",
        level=level,
        k=int((~dropped).sum()),
        estimate=estimate,
        se=se,
        yi=yi,
        vi=vi,
        weights=100.0 * var / var.sum(),
        labels=tables.labels,
        data=tables.data,
        excluded=tables.excluded,
        correct=False,
        synthetic=tables.synthetic,
        **wald(estimate, se, level),
        **het,
    )
