"""Fit the (mixed-effects) meta-analytic model for ``B`` analyses at once.

Given a :class:`~metaatt._wls.Design`, a tau^2 estimator and a test, :func:`fit_model`
returns every number of metafor's ``rma.uni`` output as arrays with a leading analysis
axis: coefficients, their (Knapp-Hartung adjusted) covariance, tests and confidence
intervals, tau^2 and its standard error, Cochran's Q, I^2 and H^2.

Formulas
--------
* ``b = (X'WX)^{-1} X'Wy`` with ``W = diag(1 / (v + tau2))``, ``Var(b) = (X'WX)^{-1}``.
  With user weights ``a`` (method GENQ): ``b = (X'AX)^{-1} X'Ay`` and the sandwich
  ``Var(b) = (X'AX)^{-1} X'A Sigma A X (X'AX)^{-1}``.
* Knapp & Hartung (2003) / Sidik & Jonkman (2002): ``Var(b)`` is multiplied by
  ``s2w = Q_gen(tau2) / (k - p)`` and tests use ``t_{k-p}``; the ad hoc variant
  (Knapp & Hartung 2003; Roever et al. 2015) uses ``max(1, s2w)``.
* ``QE = sum (y - X b_FE)^2 / v`` with ``k - p`` df (Cochran 1954).
* Typical within-study variance ``s2 = (k - p) / tr(P_FE)`` and, for random-effects
  models, ``I2 = 100 tau2 / (tau2 + s2)``, ``H2 = (tau2 + s2) / s2`` (Higgins & Thompson
  2002, eq. 9 generalised as in metafor); for the common-effect model
  ``I2 = 100 max(0, (QE - df) / QE)`` and ``H2 = QE / df``.
* Prediction interval (intercept-only): ``b +/- crit sqrt(Var(b) + tau2)`` with ``crit``
  from the test distribution (Riley et al. 2011; metafor's ``predict.rma``).

References
----------
Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with
a single covariate. Statistics in Medicine, 22, 2693-2710. Roever, C., Knapp, G., &
Friede, T. (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification for
random-effects meta-analysis with few studies. BMC Med Res Methodol, 15, 99. Higgins,
J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
Statistics in Medicine, 21, 1539-1558. Riley, R. D., Higgins, J. P. T., & Deeks, J. J.
(2011). Interpretation of random effects meta-analyses. BMJ, 342, d549.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ._frozen import build
from ._wls import Design, wls
from .tau2 import Tau2Estimate, estimate_tau2

__all__ = [
    "TESTS",
    "ModelFit",
    "critical_value",
    "fit_model",
    "per_distinct_df",
    "two_sided_p",
    "two_sided_p_one",
]

#: test name -> (distribution, Knapp-Hartung scaling, ad hoc floor at 1)
TESTS: dict[str, tuple[str, bool, bool]] = {
    "z": ("norm", False, False),
    "t": ("t", False, False),
    "hksj": ("t", True, False),
    "hksj-adhoc": ("t", True, True),
}


def per_distinct_df(quantile: Callable, df: np.ndarray, p: float) -> np.ndarray:
    """``quantile(df, p)`` computed once per distinct ``df`` (many analyses share a df).

    Inverse distribution functions cost far more than a lookup; a batch of ``B``
    analyses usually has a handful of distinct degrees of freedom.
    """
    if df.size < 64:
        return quantile(df, p)
    distinct, inverse = np.unique(df, return_inverse=True)
    return quantile(distinct, p)[inverse]


@functools.lru_cache(maxsize=256)
def _critical_one(q: float, df: float) -> float:
    """The quantile ``q`` of the normal (``df = inf``) or t distribution, cached.

    One analysis at a time asks for the same few (level, df) pairs over and over.
    """
    if math.isinf(df):
        return float(special.ndtri(q))
    with np.errstate(invalid="ignore"):
        return float(special.stdtrit(df, q))


def critical_value(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value: normal where ``df`` is infinite, Student t otherwise.

    A scalar ``df`` gives a float.
    """
    q = 0.5 + level / 2.0
    if not isinstance(df, np.ndarray) or df.ndim == 0:  # one value: cached
        return _critical_one(q, float(df))  # type: ignore[return-value]
    df = np.asarray(df, dtype=float)
    if df.shape == (1,):
        return np.array([_critical_one(q, df.item(0))])
    finite = np.isfinite(df)
    if not finite.any():
        return np.full(df.shape, special.ndtri(q))
    with np.errstate(invalid="ignore"):
        t_crit = per_distinct_df(special.stdtrit, np.where(finite, df, 1.0), q)
    return t_crit if finite.all() else np.where(finite, t_crit, special.ndtri(q))


def _scalar(value: Any) -> bool:
    return not isinstance(value, np.ndarray) or value.ndim == 0


def two_sided_p_one(statistic: float, df: float) -> float:
    """:func:`two_sided_p` of one statistic (Python floats in, a Python float out)."""
    a = -abs(statistic)
    return float(2.0 * (special.ndtr(a) if math.isinf(df) else special.stdtr(df, a)))


def two_sided_p(statistic: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value of a z (``df = inf``) or t statistic; ``df`` broadcasts on the left.

    Scalar ``statistic`` and ``df`` give a scalar.
    """
    if _scalar(statistic) and _scalar(df):  # the same calls on scalars
        return two_sided_p_one(float(statistic), float(df))
    stat = np.asarray(statistic, dtype=float)
    df = np.asarray(df, dtype=float)
    if stat.shape == (1,) and df.shape == (1,):  # one analysis: the same calls on floats
        return np.array([two_sided_p_one(stat.item(0), df.item(0))])
    if df.shape != stat.shape:
        df = np.broadcast_to(df.reshape(df.shape + (1,) * (stat.ndim - df.ndim)), stat.shape)
    finite = np.isfinite(df)
    a = -np.abs(stat)
    if not finite.any():
        return 2.0 * special.ndtr(a)
    if finite.all():
        return 2.0 * special.stdtr(df, a)
    return np.where(
        finite, 2.0 * special.stdtr(np.where(finite, df, 1.0), a), 2.0 * special.ndtr(a)
    )


@dataclass(frozen=True)
class ModelFit:
    """Every number of a fitted model, with a leading analysis axis of length ``B``."""

    design: Design
    method: str
    test: str
    level: float
    tau2_estimate: Tau2Estimate
    coef: np.ndarray  # (B, p)
    vcov: np.ndarray  # (B, p, p), after any Knapp-Hartung scaling
    df: np.ndarray  # (B,) test df; inf for z
    weights: np.ndarray  # (B, k) model weights (unnormalised)
    qe: np.ndarray
    qe_df: np.ndarray
    s2: np.ndarray  # typical within-study variance
    i2: np.ndarray  # percent
    h2: np.ndarray
    knha_scale: np.ndarray  # s2w (1 when not used)

    @property
    def tau2(self) -> np.ndarray:
        return self.tau2_estimate.tau2

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.einsum("bii->bi", self.vcov))

    @property
    def statistic(self) -> np.ndarray:
        """Wald z or t statistics (``+/-inf`` when a Knapp-Hartung SE is 0, NaN for 0/0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.coef / self.se

    @property
    def pval(self) -> np.ndarray:
        return two_sided_p(self.statistic, self.df)

    def crit(self, level: float | None = None) -> np.ndarray:
        return critical_value(self.level if level is None else level, self.df)

    def ci(self, level: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        half = self.crit(level)[:, None] * self.se
        return self.coef - half, self.coef + half

    def prediction_interval(self, level: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Prediction interval for the intercept-only model (column 0)."""
        half = self.crit(level) * np.sqrt(self.vcov[:, 0, 0] + self.tau2)
        return self.coef[:, 0] - half, self.coef[:, 0] + half

    @property
    def qe_pval(self) -> np.ndarray:
        if self.qe.shape == (1,):  # one analysis: the same call on floats
            return np.array([self.qe_pval_one])
        with np.errstate(invalid="ignore"):
            return np.where(
                self.qe_df > 0, special.chdtrc(np.maximum(self.qe_df, 1), self.qe), np.nan
            )

    @property
    def qe_pval_one(self) -> float:
        """:attr:`qe_pval` of analysis 0 as a Python float."""
        df = self.qe_df.item(0)
        if df <= 0:
            return math.nan
        return float(special.chdtrc(max(df, 1.0), self.qe.item(0)))


def fit_model(
    design: Design,
    method: str,
    test: str,
    level: float,
    user_weights: np.ndarray | None = None,
    *,
    tau2_estimate: Tau2Estimate | None = None,
) -> ModelFit:
    """Estimate tau^2 with ``method`` and fit the model; see the module docstring.

    ``tau2_estimate`` (the result of ``estimate_tau2(design, method)``) skips the
    estimation, e.g. to fit the same model with several tests.
    """
    if tau2_estimate is None:
        tau2_estimate = estimate_tau2(design, method, user_weights)
    estimate = tau2_estimate
    tau2 = estimate.tau2
    if (
        user_weights is None
        and design.has_power_sums
        and design.intercept.single
        and not design.any_saturated
    ):
        return _fit_one(design, method, test, level, estimate)
    if user_weights is None and design.has_power_sums:  # a lookup (metaatt._intercept)
        estimate_mu, variance, q_gen = design.intercept.wls(tau2)
        coef, vcov = estimate_mu[:, None], variance[:, None, None]
        model_weights = design.weights(tau2)
    else:
        w = design.weights(tau2)
        fit = wls(design, w)
        q_gen = None  # fit.q, computed below if the test needs it
        if user_weights is None:
            coef, vcov, model_weights = fit.coef, fit.inv_xtax, w
        else:
            a = user_weights * design.mask
            afit = wls(design, a)
            coef = afit.coef
            sigma = design.v + tau2[:, None]
            meat = design.xtax(a**2 * sigma)
            vcov = afit.inv_xtax @ meat @ afit.inv_xtax
            model_weights = a

    df_resid = design.df.astype(float)
    any_saturated = design.any_saturated  # k <= p: no residual df, no t test or scaling (z)
    saturated = df_resid < 1.0 if any_saturated else None
    distribution, scaled, adhoc = TESTS[test]
    if scaled:
        if q_gen is None:
            q_gen = fit.q
        if any_saturated:
            with np.errstate(invalid="ignore", divide="ignore"):
                knha_scale = np.where(saturated, 1.0, q_gen / df_resid)
        else:
            knha_scale = q_gen / df_resid
        if adhoc:
            knha_scale = np.maximum(knha_scale, 1.0)
        vcov = vcov * knha_scale[:, None, None]
    else:
        knha_scale = _filled(df_resid.shape[0], 1.0)
    if distribution == "t":
        df = np.where(saturated, np.inf, df_resid) if any_saturated else df_resid.copy()
    else:
        df = _filled(df_resid.shape[0], np.inf)

    qe, trace_p0 = design.fe_statistics
    if any_saturated or method == "EE" or not _all_positive(trace_p0):
        s2, i2, h2 = _heterogeneity_guarded(method, tau2, qe, trace_p0, df_resid)
    elif tau2.shape == (1,):  # one analysis: the same arithmetic on floats
        t, s2_one = tau2.item(0), df_resid.item(0) / trace_p0.item(0)
        s2 = np.array([s2_one])
        i2 = np.array([100.0 * t / (t + s2_one)])
        h2 = np.array([(t + s2_one) / s2_one])
    else:
        s2 = df_resid / trace_p0
        i2 = 100.0 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2
    return build(
        ModelFit,
        design=design,
        method=method,
        test=test,
        level=level,
        tau2_estimate=estimate,
        coef=coef,
        vcov=vcov,
        df=df,
        weights=model_weights,
        qe=qe,
        qe_df=df_resid,
        s2=s2,
        i2=i2,
        h2=h2,
        knha_scale=knha_scale,
    )


def _fit_one(
    design: Design, method: str, test: str, level: float, estimate: Tau2Estimate
) -> ModelFit:
    """:func:`fit_model` of one intercept-only analysis with ``k >= 2``, from its power sums.

    The same arithmetic on Python floats (IEEE doubles, so bitwise the same values);
    only the fields of the :class:`ModelFit` are arrays. For one small analysis the
    array version spends most of its time creating and indexing length-1 arrays.
    """
    sums = design.intercept
    tau2 = estimate.tau2.item(0)
    mu, variance, q_gen = sums.wls_one(tau2)
    df_resid = float(design.k.item(0) - design.p)
    distribution, scaled, adhoc = TESTS[test]
    knha_scale = 1.0
    if scaled:
        knha_scale = q_gen / df_resid
        if adhoc:
            knha_scale = max(knha_scale, 1.0)  # NaN stays NaN, as with np.maximum
        variance = variance * knha_scale
    qe, trace_p = design.fe_statistics  # cached: the Q-profile reuses them
    trace_p0 = trace_p.item(0)
    if method == "EE" or not trace_p0 > 0.0:
        s2, i2, h2 = _heterogeneity_guarded(
            method, estimate.tau2, qe, trace_p, np.array([df_resid])
        )
    else:
        s2_one = df_resid / trace_p0
        s2 = np.array([s2_one])
        i2 = np.array([100.0 * tau2 / (tau2 + s2_one)])
        h2 = np.array([(tau2 + s2_one) / s2_one])
    return build(
        ModelFit,
        design=design,
        method=method,
        test=test,
        level=level,
        tau2_estimate=estimate,
        coef=np.array([[mu]]),
        vcov=np.array([[[variance]]]),
        df=np.array([df_resid if distribution == "t" else math.inf]),
        weights=1.0 / (design.v + tau2),
        qe=qe,
        qe_df=np.array([df_resid]),
        s2=s2,
        i2=i2,
        h2=h2,
        knha_scale=np.array([knha_scale]),
    )


def _filled(n: int, value: float) -> np.ndarray:
    """``np.full(n, value)`` without its Python-level overhead."""
    out = np.empty(n)
    out.fill(value)
    return out


def _all_positive(values: np.ndarray) -> bool:
    """``(values > 0).all()``; one analysis without an array reduction."""
    if values.shape == (1,):
        return bool(values[0] > 0.0)
    return bool((values > 0.0).all())


def _heterogeneity_guarded(
    method: str,
    tau2: np.ndarray,
    qe: np.ndarray,
    trace_p0: np.ndarray,
    df_resid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``s2``, ``I2``, ``H2`` where some analysis has no residual df, or for the EE model."""
    saturated = df_resid < 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(saturated, np.nan, df_resid / trace_p0)
        if method == "EE":
            i2 = np.where(qe > 0, 100.0 * np.maximum(qe - df_resid, 0.0) / qe, 0.0)
            h2 = np.where(saturated, np.nan, qe / df_resid)
            i2 = np.where(saturated, np.nan, i2)
        else:
            i2 = 100.0 * tau2 / (tau2 + s2)
            h2 = (tau2 + s2) / s2
    return s2, i2, h2
