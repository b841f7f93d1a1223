"""Fail-safe N (file-drawer analysis): Rosenthal, Orwin and Rosenberg."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._format import TextSummary, fmt, fmt_p
from .._validate import check_choice, check_fraction
from ..errors import MetaattError
from ._common import model_spec, require_intercept_only
from ._report import SYNTHETIC_BANNER, dataclass_dict, html_block

__all__ = ["FailSafeNResult", "fail_safe_n"]

TYPES = ("Rosenthal", "Orwin", "Rosenberg")


@dataclass(frozen=True, repr=False)
class FailSafeNResult(TextSummary):
    """Number of unpublished null studies that would overturn the conclusion.

    ``fsnum`` is the fail-safe N (rounded up); ``pval`` the observed combined p-value
    (Rosenthal, Rosenberg), ``meanes`` the observed average outcome (Orwin, Rosenberg) and
    ``target`` the target average outcome (Orwin); unused entries are NaN.
    """

    type: str
    fsnum: int
    alpha: float
    pval: float
    meanes: float
    target: float
    k: int
    weighted: bool = False
    synthetic: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclass_dict(self)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:
        lines = [SYNTHETIC_BANNER, ""] if self.synthetic else []
        lines += [f"Fail-safe N Calculation Using the {self.type} Approach", ""]
        if self.type == "Orwin":
            kind = "weighted" if self.weighted else "unweighted"
            lines += [
                f"Average Effect Size ({kind}): {fmt(self.meanes)}",
                f"Target Effect Size:  {fmt(self.target)}",
            ]
        else:
            if self.type == "Rosenberg":
                lines.append(f"Average Effect Size:         {fmt(self.meanes)}")
            lines += [
                f"Observed Significance Level: {fmt_p(self.pval)}",
                f"Target Significance Level:   {self.alpha:g}",
            ]
        lines += ["", f"Fail-safe N: {self.fsnum} (k = {self.k})"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"FailSafeNResult(type={self.type!r}, fsnum={self.fsnum})"

    def _repr_html_(self) -> str:
        return html_block("Fail-safe N", self.summary())


def _ceil(value: float) -> int:
    # guard against values such as 6.000000000000004 that are integers up to rounding
    return int(np.ceil(np.round(value, 8)))


def _rosenthal(yi: np.ndarray, vi: np.ndarray, alpha: float) -> tuple[int, float]:
    k = len(yi)
    z_sum = abs(np.sum(yi / np.sqrt(vi)))
    pval = float(special.ndtr(-z_sum / np.sqrt(k)))
    n = (z_sum / special.ndtri(1.0 - alpha)) ** 2 - k if pval < alpha else 0.0
    return _ceil(max(0.0, n)), pval


def fail_safe_n(
    result: Any,
    type: str = "Rosenthal",
    *,
    alpha: float = 0.05,
    target: float | None = None,
    weighted: bool = False,
) -> FailSafeNResult:
    """Fail-safe N, as metafor's ``fsn``.

    Parameters
    ----------
    result
        A fitted model without moderators (:func:`metaatt.pool`); only its ``yi`` and
        ``vi`` are used.
    type
        ``"Rosenthal"`` (default), ``"Orwin"`` or ``"Rosenberg"``.
    alpha
        Target significance level (Rosenthal: one-sided; Rosenberg: two-sided).
    target
        Orwin: the target average outcome (default: half the observed average; a target of
        the opposite sign is flipped).
    weighted
        Orwin: use the inverse-variance weighted instead of the unweighted average.

    Returns
    -------
    FailSafeNResult

    Notes
    -----
    With ``z_i = y_i / sqrt(v_i)``:

    * Rosenthal: ``N = (sum z_i / z_{1-alpha})^2 - k``, the number of added studies with
      ``z = 0`` that bring Stouffer's ``sum z / sqrt(k + N)`` down to ``z_{1-alpha}``;
      observed ``p = 1 - Phi(|sum z_i| / sqrt(k))`` (Stouffer's method).
    * Orwin: ``N = k (m / target - 1)`` with ``m`` the (weighted) average outcome.
    * Rosenberg: added studies with outcome 0 and the average weight
      ``w_bar = mean(1/v_i)`` make the common-effect z test non-significant:
      ``N = k (sum w_i y_i)^2 / (z_{1-alpha/2}^2 sum w_i) - k``.

    Every N is rounded up and is 0 when the observed result is already beyond the target.
    metafor 4's "General" method (refitting the model with added studies) is not
    implemented.

    References
    ----------
    Rosenthal, R. (1979). The "file drawer problem" and tolerance for null results.
    Psychological Bulletin, 86, 638-641. Orwin, R. G. (1983). A fail-safe N for effect size
    in meta-analysis. Journal of Educational Statistics, 8, 157-159. Rosenberg, M. S. (2005).
    The file-drawer problem revisited: a general weighted method for calculating fail-safe
    numbers in meta-analysis. Evolution, 59, 464-468. Becker, B. J. (2005). Failsafe N or
    file-drawer number. In Rothstein, Sutton & Borenstein (Eds.), Publication bias in
    meta-analysis (pp. 111-125).

    Examples
    --------
    BCG trials, log risk ratios (metafor's ``fsn`` help-page example; metafor 3.8 gives
    Rosenthal 598 and Rosenberg 370):

    >>> import numpy as np, metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> n1, n2 = bcg.tpos + bcg.tneg, bcg.cpos + bcg.cneg
    >>> yi = np.log(bcg.tpos / n1) - np.log(bcg.cpos / n2)
    >>> vi = 1 / bcg.tpos - 1 / n1 + 1 / bcg.cpos - 1 / n2
    >>> res = metaatt.pool(yi, vi, method="EE")
    >>> metaatt.fail_safe_n(res).fsnum, metaatt.fail_safe_n(res, "Rosenberg").fsnum
    (598, 370)
    """
    function = "fail_safe_n"
    spec = model_spec(result, function)
    require_intercept_only(spec, function)
    kind = check_choice(type, "type", TYPES)
    alpha = check_fraction(alpha, "alpha")
    yi, vi, k = spec.yi, spec.vi, spec.k
    nan = float("nan")
    pval = meanes = goal = nan
    if kind == "Rosenthal":
        fsnum, pval = _rosenthal(yi, vi, alpha)
    elif kind == "Orwin":
        w = 1.0 / vi
        meanes = float(np.sum(w * yi) / np.sum(w)) if weighted else float(np.mean(yi))
        if target is None:
            goal = meanes / 2.0
        else:
            try:
                goal = float(target)
            except (TypeError, ValueError):
                raise MetaattError(f"target: expected a number, got {target!r}") from None
            if goal == 0.0 or not np.isfinite(goal):
                raise MetaattError(f"target: must be a non-zero finite number, got {target!r}")
            if np.sign(goal) != np.sign(meanes):
                goal = -goal
        fsnum = _ceil(max(0.0, k * (meanes / goal - 1.0))) if meanes != 0.0 else 0
    else:
        w = 1.0 / vi
        sum_w, sum_wy = np.sum(w), np.sum(w * yi)
        meanes = float(sum_wy / sum_w)
        z = sum_wy / np.sqrt(sum_w)
        pval = float(2.0 * special.ndtr(-abs(z)))
        crit = special.ndtri(1.0 - alpha / 2.0)
        n = k * sum_wy**2 / (crit**2 * sum_w) - k if pval < alpha else 0.0
        fsnum = _ceil(max(0.0, n))
    return FailSafeNResult(
        type=kind,
        fsnum=int(fsnum),
        alpha=alpha,
        pval=pval,
        meanes=meanes,
        target=goal,
        k=k,
        weighted=bool(weighted) if kind == "Orwin" else False,
        synthetic=spec.synthetic,
    )
