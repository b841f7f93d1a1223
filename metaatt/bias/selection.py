"""Step-function selection model (Vevea & Hedges 1995), fitted by maximum likelihood."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._fit import critical_value, fit_model, two_sided_p
from .._format import TextSummary, fmt, fmt_p, text_table
from .._validate import as_float_vector, check_choice, check_level
from .._wls import Design
from ..errors import ConvergenceWarning, MetaattError
from ._common import model_spec, require_studies
from ._report import SYNTHETIC_BANNER, dataclass_dict, html_block, p_clause
from ._stepfun import DELTA_MAX, Problem, hessian, maximize, step_data

__all__ = ["DELTA_MAX", "SelectionModelResult", "selection_model"]

ALTERNATIVES = ("greater", "less", "two.sided")


@dataclass(frozen=True, repr=False)
class SelectionModelResult(TextSummary):
    """A step-function selection model: the corrected model and the selection weights.

    ``coef``/``coef_se`` (``estimate``/``se`` for models without moderators), ``tau2`` and
    ``se_tau2`` are the maximum-likelihood estimates under selection; ``delta`` are the
    relative selection probabilities of the p-value intervals ``(steps[j-1], steps[j]]``
    (``delta[0] = 1`` by definition) with Wald tests of ``delta_j = 1``. ``lrt`` compares
    the model with the same model without selection (``lrt_df`` weights), ``lrt_tau2``
    tests ``tau2 = 0`` within the selection model.
    """

    steps: np.ndarray
    alternative: str
    method: str
    level: float
    k: int
    k_interval: np.ndarray
    coef: np.ndarray
    coef_se: np.ndarray
    tau2: float
    se_tau2: float
    delta: np.ndarray
    se_delta: np.ndarray
    zval_delta: np.ndarray
    pval_delta: np.ndarray
    ci_low_delta: np.ndarray
    ci_high_delta: np.ndarray
    lrt: float
    lrt_df: int
    lrt_pval: float
    lrt_tau2: float
    lrt_tau2_pval: float
    loglik: float
    loglik_null: float
    synthetic: bool = False

    @property
    def estimate(self) -> float:
        return float(self.coef[0])

    @property
    def se(self) -> float:
        return float(self.coef_se[0])

    @property
    def statistic(self) -> float:
        return self.estimate / self.se

    @property
    def pval(self) -> float:
        return float(two_sided_p(np.array([self.statistic]), np.array([np.inf]))[0])

    @property
    def ci_low(self) -> float:
        return self.estimate - float(critical_value(self.level, np.inf)) * self.se

    @property
    def ci_high(self) -> float:
        return self.estimate + float(critical_value(self.level, np.inf)) * self.se

    def intervals(self) -> list[str]:
        edges = np.concatenate([[0.0], self.steps])
        return [f"{lo:g} < p <= {hi:g}" for lo, hi in itertools.pairwise(edges)]

    def to_frame(self) -> pd.DataFrame:
        """One row per p-value interval: k, delta, se, z, p and CI."""
        return pd.DataFrame(
            {
                "interval": self.intervals(),
                "k": self.k_interval,
                "delta": self.delta,
                "se": self.se_delta,
                "zval": self.zval_delta,
                "pval": self.pval_delta,
                "ci_low": self.ci_low_delta,
                "ci_high": self.ci_high_delta,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        out = dataclass_dict(self)
        out.update(estimate=self.estimate, se=self.se, ci_low=self.ci_low, ci_high=self.ci_high)
        return out

    def summary(self) -> str:
        lines = [SYNTHETIC_BANNER, ""] if self.synthetic else []
        kind = "Equal-Effects" if self.method == "EE" else "Random-Effects"
        lines += [f"{kind} Step-Function Selection Model (k = {self.k}; ML estimation)", ""]
        if self.method != "EE":
            lines.append(f"tau^2: {fmt(self.tau2)} (SE = {fmt(self.se_tau2)})")
            lines.append(
                f"LRT for tau^2 = 0: {fmt(self.lrt_tau2)}, p {p_clause(self.lrt_tau2_pval)}"
            )
            lines.append("")
        pct = f"{100 * self.level:g}%"
        if len(self.coef) == 1:
            lines += [
                "Model Results:",
                text_table(
                    ["estimate", "se", "zval", "pval", "ci.lb", "ci.ub"],
                    [
                        [
                            fmt(self.estimate),
                            fmt(self.se),
                            fmt(self.statistic),
                            fmt_p(self.pval),
                            fmt(self.ci_low),
                            fmt(self.ci_high),
                        ]
                    ],
                ),
                "",
            ]
        lines += [
            "Test for Selection Model Parameters:",
            f"LRT(df = {self.lrt_df}) = {fmt(self.lrt)}, p-val {p_clause(self.lrt_pval)}",
            "",
            f"Selection Model Results ({self.alternative}; {pct} CIs):",
        ]
        rows = [
            [
                name,
                str(int(k)),
                fmt(d),
                "---" if i == 0 else fmt(s),
                "---" if i == 0 else fmt(z),
                "---" if i == 0 else fmt_p(p),
            ]
            for i, (name, k, d, s, z, p) in enumerate(
                zip(
                    self.intervals(),
                    self.k_interval,
                    self.delta,
                    self.se_delta,
                    self.zval_delta,
                    self.pval_delta,
                    strict=True,
                )
            )
        ]
        lines.append(text_table(["interval", "k", "delta", "se", "zval", "pval"], rows))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"SelectionModelResult(estimate={self.estimate:.4g}, tau2={self.tau2:.4g}, "
            f"delta={np.round(self.delta, 4).tolist()}, lrt={self.lrt:.4g})"
        )

    def _repr_html_(self) -> str:
        return html_block("Step-function selection model", self.summary(), self.to_frame())


def _check_steps(steps: Any) -> np.ndarray:
    values = as_float_vector(steps, "steps")
    if ((values <= 0) | (values > 1)).any():
        raise MetaattError(f"steps: every cut-point must lie in (0, 1], got {values.tolist()}")
    values = np.unique(values)
    if values[-1] < 1.0:
        values = np.append(values, 1.0)
    if len(values) < 2:
        raise MetaattError("steps: give at least one cut-point below 1 (e.g. steps=[0.025])")
    return values


def selection_model(
    result: Any,
    steps: Any,
    *,
    alternative: str = "greater",
    level: float | None = None,
) -> SelectionModelResult:
    """Step-function selection model, as metafor's ``selmodel(type = "stepfun")``.

    Parameters
    ----------
    result
        A fitted model (:func:`metaatt.pool`). A common-effect model gives a common-effect
        selection model; any random-effects method gives a random-effects selection model
        (always estimated by maximum likelihood, as in metafor).
    steps
        Cut-points of the p-value intervals in (0, 1]; 1 is added when missing. Every
        interval must contain at least one observed p-value.
    alternative
        Sidedness of the p-values that drive selection: ``"greater"`` (default; selection
        favours significant positive outcomes), ``"less"`` or ``"two.sided"``.
    level
        Confidence level (default: the result's level).

    Returns
    -------
    SelectionModelResult

    Notes
    -----
    The log-likelihood (Vevea & Hedges 1995, eq. 3) is
    ``sum_i [log w(p_i) + log phi((y_i - x_i'b) / s_i) - log s_i - log A_i]`` with
    ``s_i^2 = v_i + tau^2``, ``w(p) = delta_j`` for ``p`` in interval ``j`` (``delta_1 = 1``)
    and ``A_i = sum_j delta_j P(p_i in interval j)`` under ``N(x_i'b, s_i^2)``. It is
    maximized over ``b``, ``tau^2 >= 0`` and ``0 <= delta_j <= 100`` (L-BFGS-B with the
    analytic gradient, polished by Newton steps). Standard errors come from the inverse of
    the numerical Hessian on the original scale. ``LRT = 2 (ll - ll_0)`` with ``ll_0`` the
    maximum likelihood of the model without selection (``df`` = number of ``delta``);
    ``LRT_tau2`` compares with the selection model with ``tau^2 = 0``. Confidence bounds of
    ``delta`` are truncated at 0.

    References
    ----------
    Vevea, J. L., & Hedges, L. V. (1995). A general linear model for estimating effect size
    in the presence of publication bias. Psychometrika, 60, 419-435. Hedges, L. V. (1992).
    Modeling publication selection effects in meta-analysis. Statistical Science, 7,
    246-255. Vevea, J. L., & Woods, C. M. (2005). Publication bias in research synthesis:
    sensitivity analysis using a priori weight functions. Psychological Methods, 10,
    428-443.

    Examples
    --------
    BCG trials, log risk ratios, selection favouring significant negative outcomes
    (metafor 3.8 ``selmodel(res, type = "stepfun", steps = .025, alternative = "less")``:
    delta = 0.6355, tau^2 = 0.2912; the passive-smoking example of reference case 19 is
    in the tests):

    >>> import numpy as np, metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> n1, n2 = bcg.tpos + bcg.tneg, bcg.cpos + bcg.cneg
    >>> yi = np.log(bcg.tpos / n1) - np.log(bcg.cpos / n2)
    >>> vi = 1 / bcg.tpos - 1 / n1 + 1 / bcg.cpos - 1 / n2
    >>> sel = metaatt.selection_model(metaatt.pool(yi, vi), steps=[0.025], alternative="less")
    >>> print(f"{sel.delta[1]:.4f} {sel.tau2:.4f}")
    0.6355 0.2912
    """
    function = "selection_model"
    spec = model_spec(result, function)
    steps_arr = _check_steps(steps)
    alternative = check_choice(alternative, "alternative", ALTERNATIVES)
    level = spec.level if level is None else check_level(level)
    X = spec.design_matrix()
    fit_tau2 = spec.method != "EE"
    n_delta = len(steps_arr) - 1
    require_studies(spec.k, spec.p + int(fit_tau2) + n_delta + 1, function, "one per parameter")
    data = step_data(spec.yi, spec.vi, X, steps_arr, alternative)
    empty = np.flatnonzero(data.counts == 0)
    if empty.size:
        edges = np.concatenate([[0.0], steps_arr])
        names = ", ".join(f"({edges[j]:g}, {edges[j + 1]:g}]" for j in empty)
        raise MetaattError(
            f"{function}: no observed p-value ({alternative}) falls in the interval(s) {names}; "
            "every interval needs at least one study (choose other steps)"
        )

    # the model without selection, by ML (the null model of the likelihood ratio test)
    design = Design.single(spec.yi, spec.vi, X)
    null_fit = fit_model(design, "ML" if fit_tau2 else "EE", "z", level)
    beta0, tau20 = null_fit.coef[0], float(null_fit.tau2[0])
    s2 = spec.vi + tau20
    ll_null = float(-0.5 * np.sum(np.log(2 * np.pi * s2) + (spec.yi - X @ beta0) ** 2 / s2))

    problem = Problem(data, spec.p, fit_tau2)
    start = np.concatenate([beta0, [tau20] if fit_tau2 else [], np.ones(n_delta)])
    theta, ll, ok = maximize(problem, start)
    if not ok:
        warnings.warn(
            f"{function}: the likelihood maximization converged only loosely",
            ConvergenceWarning,
            stacklevel=2,
        )
    beta, tau2, delta = problem.unpack(theta)
    with np.errstate(all="ignore"):
        hess = hessian(problem.gradient, theta)
        try:
            cov = np.linalg.inv(hess)
            se_all = np.sqrt(np.diag(cov))
        except np.linalg.LinAlgError:
            se_all = np.full(len(theta), np.nan)
    coef_se = se_all[: spec.p]
    se_tau2 = float(se_all[spec.p]) if fit_tau2 else float("nan")
    se_delta = np.concatenate([[np.nan], se_all[spec.p + int(fit_tau2) :]])

    lrt_tau2 = lrt_tau2_pval = float("nan")
    if fit_tau2:
        fixed = Problem(data, spec.p, fit_tau2=False)
        start0 = np.concatenate([beta, delta[1:]])
        _, ll0_tau2, _ = maximize(fixed, start0)
        lrt_tau2 = max(0.0, 2.0 * (ll - ll0_tau2))
        lrt_tau2_pval = float(special.chdtrc(1, lrt_tau2))
    lrt = max(0.0, 2.0 * (ll - ll_null))
    crit = float(critical_value(level, np.inf))
    with np.errstate(invalid="ignore", divide="ignore"):
        zval_delta = (delta - 1.0) / se_delta
    pval_delta = 2.0 * special.ndtr(-np.abs(zval_delta))
    return SelectionModelResult(
        steps=steps_arr,
        alternative=alternative,
        method=spec.method,
        level=level,
        k=spec.k,
        k_interval=data.counts,
        coef=beta,
        coef_se=coef_se,
        tau2=tau2,
        se_tau2=se_tau2,
        delta=delta,
        se_delta=se_delta,
        zval_delta=zval_delta,
        pval_delta=pval_delta,
        ci_low_delta=np.maximum(0.0, delta - crit * se_delta),
        ci_high_delta=delta + crit * se_delta,
        lrt=lrt,
        lrt_df=n_delta,
        lrt_pval=float(special.chdtrc(n_delta, lrt)),
        lrt_tau2=lrt_tau2,
        lrt_tau2_pval=lrt_tau2_pval,
        loglik=ll,
        loglik_null=ll_null,
        synthetic=spec.synthetic,
    )
