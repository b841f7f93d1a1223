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

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._wls import Design, wls
from .tau2 import Tau2Estimate, estimate_tau2

__all__ = ["TESTS", "ModelFit", "critical_value", "fit_model", "two_sided_p"]

#: test name -> (distribution, Knapp-Hartung scaling, ad hoc floor at 1)
TESTS: dict[str, tuple[str, bool, bool]] = {
    "z": ("norm", False, False),
    "t": ("t", False, False),
    "hksj": ("t", True, False),
    "hksj-adhoc": ("t", True, True),
}


def critical_value(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value: normal where ``df`` is infinite, Student t otherwise."""
    df = np.asarray(df, dtype=float)
    q = 0.5 + level / 2.0
    with np.errstate(invalid="ignore"):
        t_crit = special.stdtrit(np.where(np.isfinite(df), df, 1.0), q)
    return np.where(np.isfinite(df), t_crit, special.ndtri(q))


def two_sided_p(statistic: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value of a z (``df = inf``) or t statistic; ``df`` broadcasts on the left."""
    stat = np.asarray(statistic, dtype=float)
    df = np.asarray(df, dtype=float)
    df = np.broadcast_to(df.reshape(df.shape + (1,) * (stat.ndim - df.ndim)), stat.shape)
    finite = np.isfinite(df)
    a = -np.abs(stat)
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
        with np.errstate(invalid="ignore"):
            return np.where(
                self.qe_df > 0, special.chdtrc(np.maximum(self.qe_df, 1), self.qe), np.nan
            )


def fit_model(
    design: Design,
    method: str,
    test: str,
    level: float,
    user_weights: np.ndarray | None = None,
) -> ModelFit:
    """Estimate tau^2 with ``method`` and fit the model; see the module docstring."""
    estimate = estimate_tau2(design, method, user_weights)
    tau2 = estimate.tau2
    w = design.weights(tau2)
    fit = wls(design, w)
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
    saturated = df_resid < 1  # k <= p: no residual df, so no t test and no scaling (z)
    distribution, scaled, adhoc = TESTS[test]
    with np.errstate(invalid="ignore", divide="ignore"):
        knha_scale = np.where(scaled & ~saturated, fit.q / df_resid, 1.0)
    if adhoc:
        knha_scale = np.maximum(knha_scale, 1.0)
    vcov = vcov * knha_scale[:, None, None]
    t_test = distribution == "t"
    df = np.where(t_test & ~saturated, df_resid, np.inf)

    fe = wls(design, design.mask / design.v)
    qe = fe.q
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(saturated, np.nan, df_resid / fe.trace_p())
        if method == "EE":
            i2 = np.where(qe > 0, 100.0 * np.maximum(qe - df_resid, 0.0) / qe, 0.0)
            h2 = np.where(saturated, np.nan, qe / df_resid)
            i2 = np.where(saturated, np.nan, i2)
        else:
            i2 = 100.0 * tau2 / (tau2 + s2)
            h2 = (tau2 + s2) / s2
    return ModelFit(
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
