"""Regression tests for funnel-plot asymmetry (Egger's test and its variants).

The observed outcomes are regressed on a measure of precision (the standard error by
default). A non-zero slope means that small and large studies disagree, which makes the
funnel plot asymmetric; the intercept is the "limit estimate" of the effect in a study of
infinite precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._fit import critical_value, fit_model, two_sided_p
from .._format import TextSummary, fmt
from .._validate import check_choice, check_level
from .._wls import Design, wls
from ..errors import MetaattError
from ._common import ModelSpec, model_spec, require_studies, sample_sizes
from ._report import SYNTHETIC_BANNER, dataclass_dict, html_block, stat_line

__all__ = ["PREDICTORS", "EggerTestResult", "egger_test"]

#: predictor name -> (description, needs sample sizes, has a limit estimate)
PREDICTORS: dict[str, tuple[str, bool, bool]] = {
    "sei": ("standard error", False, True),
    "vi": ("sampling variance", False, True),
    "ni": ("sample size", True, False),
    "ninv": ("inverse of the sample size", True, True),
    "sqrtni": ("square root of the sample size", True, False),
    "sqrtninv": ("inverse square root of the sample size", True, True),
}
MODELS = ("rma", "lm")


@dataclass(frozen=True, repr=False)
class EggerTestResult(TextSummary):
    """Regression test for funnel-plot asymmetry (metafor's ``regtest``).

    ``statistic`` (z, or t with ``df`` degrees of freedom) and ``pval`` test the slope of
    the predictor; ``estimate`` with ``ci_low``/``ci_high`` is the limit estimate (the
    intercept; NaN for predictors without one or for models with moderators). ``coef`` and
    ``coef_se`` are the fitted line's coefficients (intercept first, predictor last), for
    drawing the line in a funnel plot; ``tau2`` is the residual heterogeneity of the
    ``rma`` model (NaN for ``lm``).
    """

    model: str
    predictor: str
    method: str
    test: str
    level: float
    k: int
    statistic: float
    df: float
    pval: float
    estimate: float
    ci_low: float
    ci_high: float
    coef: np.ndarray
    coef_se: np.ndarray
    tau2: float
    synthetic: bool = False

    @property
    def intercept(self) -> float:
        """Intercept of the fitted line."""
        return float(self.coef[0])

    @property
    def slope(self) -> float:
        """Coefficient of the predictor."""
        return float(self.coef[-1])

    def to_dict(self) -> dict[str, Any]:
        return dataclass_dict(self)

    def to_frame(self) -> pd.DataFrame:
        """One row: the test and the limit estimate."""
        return pd.DataFrame(
            [
                {
                    "model": self.model,
                    "predictor": self.predictor,
                    "k": self.k,
                    "statistic": self.statistic,
                    "df": self.df,
                    "pval": self.pval,
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                }
            ]
        )

    def summary(self) -> str:
        """Laid out like metafor's ``print.regtest``."""
        description = PREDICTORS[self.predictor][0]
        if self.model == "lm":
            kind = "Weighted Regression with Multiplicative Dispersion"
        elif self.method == "EE":
            kind = "Equal-Effects Meta-Regression Model"
        else:
            kind = f"Mixed-Effects Meta-Regression Model (tau^2 estimator: {self.method})"
        lines = [SYNTHETIC_BANNER, ""] if self.synthetic else []
        lines += [
            "Regression Test for Funnel Plot Asymmetry",
            "",
            f"Model:     {kind}",
            f"Predictor: {description} ({self.predictor}), k = {self.k}",
            "",
            "Test for Funnel Plot Asymmetry: " + stat_line("z", self.statistic, self.df, self.pval),
        ]
        if np.isfinite(self.estimate):
            pct = f"{100 * self.level:g}%"
            lines.append(
                f"Limit Estimate (as {self.predictor} -> 0):   b = {fmt(self.estimate)} "
                f"({pct} CI: {fmt(self.ci_low)} to {fmt(self.ci_high)})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"EggerTestResult(model={self.model!r}, predictor={self.predictor!r}, "
            f"statistic={self.statistic:.4g}, pval={self.pval:.4g}, estimate={self.estimate:.4g})"
        )

    def _repr_html_(self) -> str:
        return html_block("Regression test for funnel plot asymmetry", self.summary())


def predictor_values(spec: ModelSpec, predictor: str, ni: Any, function: str) -> np.ndarray:
    """The predictor column for each study."""
    if predictor == "sei":
        return np.sqrt(spec.vi)
    if predictor == "vi":
        return spec.vi.copy()
    n = sample_sizes(spec, ni, function)
    return {"ni": n, "ninv": 1.0 / n, "sqrtni": np.sqrt(n), "sqrtninv": 1.0 / np.sqrt(n)}[predictor]


def fit_line(
    spec: ModelSpec, pred: np.ndarray, model: str, level: float
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Fit ``yi ~ X + pred``; return coefficients, their SEs, test df and tau^2."""
    X = np.column_stack([spec.design_matrix(), pred])
    design = Design.single(spec.yi, spec.vi, X)
    if model == "rma":
        weights = None if spec.user_weights is None else spec.user_weights[None, :]
        fit = fit_model(design, spec.method, spec.test, level, weights)
        return fit.coef[0], fit.se[0], float(fit.df[0]), float(fit.tau2[0])
    # weighted least squares with a multiplicative dispersion term (Egger et al. 1997)
    ls = wls(design, design.mask / design.v)
    df = spec.k - X.shape[1]
    dispersion = ls.q[0] / df
    se = np.sqrt(np.diag(ls.inv_xtax[0]) * dispersion)
    return ls.coef[0], se, float(df), float("nan")


def egger_test(
    result: Any,
    model: str = "rma",
    predictor: str = "sei",
    *,
    ni: Any = None,
    level: float | None = None,
) -> EggerTestResult:
    """Regression test for funnel-plot asymmetry (Egger's test), as metafor's ``regtest``.

    Parameters
    ----------
    result
        A fitted model (:func:`metaatt.pool`; a meta-regression result also works: the
        predictor is then added to its moderators).
    model
        ``"rma"`` (default): a (mixed-effects) meta-regression with the same tau^2 method
        and test as ``result``; ``"lm"``: weighted least squares with weights ``1/vi`` and
        a multiplicative dispersion term, t test with ``k - p - 1`` df (the classical Egger
        test).
    predictor
        ``"sei"`` (standard errors, default), ``"vi"`` (sampling variances), ``"ni"``,
        ``"ninv"``, ``"sqrtni"``, ``"sqrtninv"`` (sample sizes and transformations).
    ni
        Sample sizes (values or a column of the analysed data) for the ``ni`` predictors;
        by default the ``ni`` column of the data.
    level
        Confidence level of the limit estimate's interval (default: the result's level).

    Returns
    -------
    EggerTestResult
        The test of the predictor's coefficient, the limit estimate (for ``sei``, ``vi``,
        ``ninv``, ``sqrtninv`` in models without moderators) and the fitted line.

    Notes
    -----
    ``rma``: ``y_i = b0 + b1 x_i + u_i + e_i`` with ``u_i ~ N(0, tau^2)``,
    ``e_i ~ N(0, v_i)``; the test is ``b1 / SE(b1)`` (z, or t with ``k - 2`` df under
    Knapp-Hartung). ``lm``: ``b = (X'WX)^{-1} X'Wy``, ``W = diag(1/v_i)``,
    ``Var(b) = phi (X'WX)^{-1}`` with ``phi = sum w_i e_i^2 / (k - 2)``; with
    ``x_i = sqrt(v_i)`` this equals regressing ``y_i / sqrt(v_i)`` on ``1 / sqrt(v_i)``
    (Egger et al. 1997). The intercept is the limit estimate (the precision-effect test,
    PET, with ``sei``; PEESE with ``vi``: Stanley & Doucouliagos 2014).

    References
    ----------
    Egger, M., Davey Smith, G., Schneider, M., & Minder, C. (1997). Bias in meta-analysis
    detected by a simple, graphical test. BMJ, 315, 629-634. Sterne, J. A. C., & Egger, M.
    (2005). Regression methods to detect publication and other bias in meta-analysis. In
    Rothstein, Sutton & Borenstein (Eds.), Publication bias in meta-analysis (pp. 99-110).
    Stanley, T. D., & Doucouliagos, H. (2014). Meta-regression approximations to reduce
    publication selection bias. Research Synthesis Methods, 5, 60-78.

    Examples
    --------
    Magnesium trials without ISIS-4 (Egger et al. 2001; metafor's ``regtest`` example:
    t = -3.1783, df = 13, limit estimate -0.1512):

    >>> import numpy as np, metaatt
    >>> ai = np.array([1, 9, 2, 1, 10, 1, 1, 0, 6, 1, 2, 5, 4, 90, 4])
    >>> n1 = np.array([40, 135, 200, 48, 150, 59, 25, 22, 76, 27, 89, 23, 130, 1159, 107])
    >>> ci = np.array([2, 23, 7, 1, 8, 9, 3, 1, 11, 7, 12, 13, 8, 118, 17])
    >>> n2 = np.array([36, 135, 200, 46, 148, 56, 23, 21, 75, 27, 80, 33, 122, 1157, 108])
    >>> a, b, c, d = ai + 0.5 * (ai == 0), n1 - ai, ci + 0.5 * (ai == 0), n2 - ci
    >>> b = b + 0.5 * (ai == 0); d = d + 0.5 * (ai == 0)
    >>> yi, vi = np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
    >>> res = metaatt.egger_test(metaatt.pool(yi, vi, method="EE"), model="lm")
    >>> print(f"{res.statistic:.4f} {res.df:g} {res.estimate:.4f}")
    -3.1783 13 -0.1512
    """
    function = "egger_test"
    spec = model_spec(result, function)
    model = check_choice(model, "model", MODELS)
    predictor = check_choice(predictor, "predictor", tuple(PREDICTORS))
    level = spec.level if level is None else check_level(level)
    require_studies(spec.k, spec.p + 2, function, "one residual degree of freedom")
    pred = predictor_values(spec, predictor, ni, function)
    if np.ptp(pred) == 0.0:
        raise MetaattError(
            f"{function}: the predictor {predictor!r} has the same value for every study, "
            "so its slope cannot be estimated"
        )
    coef, se, df, tau2 = fit_line(spec, pred, model, level)
    if not np.all(np.isfinite(se)):
        raise MetaattError(
            f"{function}: the regression on {predictor!r} is singular (the predictor is "
            "collinear with the model's moderators)"
        )
    statistic = float(coef[-1] / se[-1])
    pval = float(two_sided_p(np.array([statistic]), np.array([df]))[0])
    estimate = ci_low = ci_high = float("nan")
    if PREDICTORS[predictor][2] and spec.intercept_only:
        half = float(critical_value(level, np.array([df]))[0]) * se[0]
        estimate, ci_low, ci_high = float(coef[0]), float(coef[0] - half), float(coef[0] + half)
    return EggerTestResult(
        model=model,
        predictor=predictor,
        method=spec.method,
        test=spec.test,
        level=level,
        k=spec.k,
        statistic=statistic,
        df=df,
        pval=pval,
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        coef=np.asarray(coef, dtype=float),
        coef_se=np.asarray(se, dtype=float),
        tau2=tau2,
        synthetic=spec.synthetic,
    )
