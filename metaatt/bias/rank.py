"""Begg and Mazumdar's rank correlation test for funnel-plot asymmetry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._format import TextSummary, fmt
from ._common import model_spec, require_intercept_only, require_studies
from ._report import SYNTHETIC_BANNER, dataclass_dict, html_block, p_clause

__all__ = ["EXACT_MAX_K", "RankCorrelationResult", "rank_correlation_test"]

#: without ties the p-value is exact (as metafor, which asks cor.test for it) up to this
#: many studies; beyond, the exact distribution is too costly and the normal approximation
#: (which it approaches) is used
EXACT_MAX_K = 500


@dataclass(frozen=True, repr=False)
class RankCorrelationResult(TextSummary):
    """Kendall's tau between standardized outcomes and sampling variances, with its p-value.

    ``exact`` says whether the p-value comes from the exact permutation distribution
    (no ties and ``k <= 500``) or the normal approximation with the tie-corrected variance.
    """

    tau: float
    pval: float
    k: int
    exact: bool
    synthetic: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclass_dict(self)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:
        lines = [SYNTHETIC_BANNER, ""] if self.synthetic else []
        method = "exact" if self.exact else "normal approximation"
        lines += [
            "Rank Correlation Test for Funnel Plot Asymmetry",
            "",
            f"Kendall's tau = {fmt(self.tau)}, p {p_clause(self.pval)} (k = {self.k}, {method})",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"RankCorrelationResult(tau={self.tau:.4g}, pval={self.pval:.4g}, k={self.k})"

    def _repr_html_(self) -> str:
        return html_block("Rank correlation test for funnel plot asymmetry", self.summary())


def rank_correlation_test(result: Any) -> RankCorrelationResult:
    """Begg and Mazumdar's rank correlation test, as metafor's ``ranktest``.

    Parameters
    ----------
    result
        A fitted model without moderators (:func:`metaatt.pool`). The test does not depend
        on the model: the same tau and p-value result whatever the method.

    Returns
    -------
    RankCorrelationResult
        Kendall's tau (tau-b) and its two-sided p-value.

    Notes
    -----
    With the common-effect estimate ``b = sum w_i y_i / sum w_i`` (``w_i = 1/v_i``), the
    standardized outcomes ``y*_i = (y_i - b) / sqrt(v_i - 1/sum w)`` are correlated with
    ``v_i`` by Kendall's tau. Without ties the p-value is exact (the permutation
    distribution of the number of discordant pairs), as in metafor, which requests the
    exact test from R's ``cor.test`` whatever ``k``; here only up to ``k = 500``, beyond
    which the exact distribution is too costly. With ties (or larger ``k``) the normal
    approximation with the tie-corrected variance of Kendall's S is used, without
    continuity correction, as ``cor.test`` does. Needs ``k >= 3``.

    References
    ----------
    Begg, C. B., & Mazumdar, M. (1994). Operating characteristics of a rank correlation
    test for publication bias. Biometrics, 50, 1088-1101. Kendall, M. G. (1970). Rank
    correlation methods (4th ed.), ch. 4.

    Examples
    --------
    BCG trials (metafor's ``ranktest`` example: tau = 0.0256, p = 0.9524):

    >>> import numpy as np, metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> n1, n2 = bcg.tpos + bcg.tneg, bcg.cpos + bcg.cneg
    >>> yi = np.log(bcg.tpos / n1) - np.log(bcg.cpos / n2)
    >>> vi = 1 / bcg.tpos - 1 / n1 + 1 / bcg.cpos - 1 / n2
    >>> rt = metaatt.rank_correlation_test(metaatt.pool(yi, vi))
    >>> print(f"{rt.tau:.4f} {rt.pval:.4f}")
    0.0256 0.9524
    """
    function = "rank_correlation_test"
    spec = model_spec(result, function)
    require_intercept_only(spec, function)
    require_studies(spec.k, 3, function)
    w = 1.0 / spec.vi
    b = np.sum(w * spec.yi) / np.sum(w)
    standardized = (spec.yi - b) / np.sqrt(spec.vi - 1.0 / np.sum(w))
    ties = min(np.unique(standardized).size, np.unique(spec.vi).size) < spec.k
    exact = spec.k <= EXACT_MAX_K and not ties
    res = stats.kendalltau(standardized, spec.vi, method="exact" if exact else "asymptotic")
    return RankCorrelationResult(
        tau=float(res.statistic),
        pval=float(min(1.0, res.pvalue)),
        k=spec.k,
        exact=exact,
        synthetic=spec.synthetic,
    )
