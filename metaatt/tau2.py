"""Estimators of the between-study variance tau^2: small pure functions in a registry.

Every estimator takes a batched :class:`~metaatt._wls.Design` (``B`` analyses, see
:mod:`metaatt._wls`) and returns a :class:`Tau2Estimate` with one value per analysis. The
model is ``y = X beta + u + e`` with ``u ~ N(0, tau2 I)`` and ``e ~ N(0, diag(v))``.

Notation: ``P_a = A - A X (X'AX)^{-1} X'A`` for weights ``a`` (``A = diag(a)``),
``Q_a = y' P_a y``, ``w = 1 / (v + tau2)``, ``Sigma = diag(v + tau2)``, ``df = k - p``.

========  =====================================================================  =====================================
method    estimating equation                                                    standard error
========  =====================================================================  =====================================
DL        ``(Q_w0 - df) / tr(P_w0)``, ``w0 = 1/v``                               ``sqrt(2 tr(P Sigma P Sigma)) / tr(P)``
HE        ``(Q_1 - tr(P_1 V)) / df`` (ordinary least squares)                    ``sqrt(2 tr(P Sigma P Sigma)) / df``
GENQ      ``(Q_a - tr(P_a V)) / tr(P_a)``, user weights ``a``                    ``sqrt(2 tr(P Sigma P Sigma)) / tr(P)``
HS        ``(Q_w0 - k) / sum(w0)``                                               ``sqrt(2 tr(P Sigma P Sigma)) / sum(w0)``
HSk       ``(k/df Q_w0 - k) / sum(w0)``                                          ``k/df`` times the HS one
SJ        ``tau0 Q_a / df``, ``a = 1/(v + tau0)``, ``tau0 = sum (y - ybar)^2 / k``  ``tau0 sqrt(2 tr(P Sigma P Sigma)) / df``
ML        ``sum w^2 e^2 = sum w``                                                ``sqrt(2 / sum w^2)``
REML      ``y'PPy = tr(P)``                                                      ``sqrt(2 / tr(PP))``
PM, EB    ``Q_w = df`` (generalized Q equals its expectation)                    ``sqrt(2 k^2 / df) / sum w``
PMM       ``Q_w = median of chi^2_df``                                           as PM
========  =====================================================================  =====================================

Negative solutions are truncated at 0 (``at_boundary`` records this). The iterative
estimators (ML, REML, PM, EB, PMM) are solved exactly, to ``1e-12`` relative, by
bracketed Newton steps (:mod:`metaatt._roots`); when the equation has no positive root the
estimate is the boundary value 0. The ML and REML likelihoods can be bimodal: the reported
maximum is the one metafor's Fisher scoring reaches from the Hedges start, and a higher one
elsewhere is recorded in ``higher_maximum`` (see :mod:`metaatt._likelihood`).

References
----------
DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical
Trials, 7, 177-188. Hedges, L. V., & Olkin, I. (1985). Statistical methods for
meta-analysis (ch. 9). Hunter, J. E., & Schmidt, F. L. (2004). Methods of meta-analysis
(2nd ed.). Sidik, K., & Jonkman, J. N. (2005). Simple heterogeneity variance estimation for
meta-analysis. JRSS C, 54, 367-384. Paule, R. C., & Mandel, J. (1982). Consensus values and
weighting factors. J Res Natl Bur Stand, 87, 377-385. Morris, C. N. (1983). Parametric
empirical Bayes inference. JASA, 78, 47-55. Viechtbauer, W. (2005). Bias and efficiency of
meta-analytic variance estimators in the random-effects model. JEBS, 30, 261-293.
DerSimonian, R., & Kacker, R. (2007). Random-effects model for meta-analysis of clinical
trials: an update. Contemporary Clinical Trials, 28, 105-114 (GENQ, PMM: Jackson, D.,
Turner, R., Rhodes, K., & Viechtbauer, W. (2014). Methods for calculating confidence and
credible intervals for the residual between-study variance in random effects
meta-regression models. BMC Med Res Methodol, 14, 103).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._frozen import build
from ._likelihood import hedges_start, maximise_likelihood
from ._qgen import q_equation, solve_q_equation
from ._roots import bracketed_newton
from ._wls import Design, WLSFit, wls
from .errors import ConvergenceError

__all__ = ["TAU2_ESTIMATORS", "Tau2Estimate", "estimate_tau2"]


@dataclass(frozen=True)
class Tau2Estimate:
    """tau^2 for ``B`` analyses with its standard error and how it was reached."""

    tau2: np.ndarray
    se: np.ndarray
    at_boundary: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    #: ML/REML only: a tau^2 where the likelihood is higher than at the reported local
    #: maximum (NaN when the reported value is the global maximum found)
    higher_maximum: np.ndarray | None = None


def _closed_form(tau2_raw: np.ndarray, se_fun: Callable[[np.ndarray], np.ndarray]) -> Tau2Estimate:
    tau2 = np.maximum(tau2_raw, 0.0)
    n = tau2.shape[0]
    return Tau2Estimate(
        tau2, se_fun(tau2), tau2_raw <= 0.0, np.ones(n, dtype=bool), np.zeros(n, dtype=int)
    )


def _sigma(design: Design, tau2: np.ndarray) -> np.ndarray:
    return design.v + tau2[:, None]


def _fixed_effect_fit(design: Design) -> WLSFit:
    return design.fe_fit


def _generalized_q(design: Design, a: np.ndarray | None) -> Tau2Estimate:
    """Method of moments with weights ``a`` (``None``: inverse-variance, the cached FE fit)."""
    fit = design.fe_fit if a is None else wls(design, a)
    trace_p = fit.trace_p()
    raw = (fit.q - fit.trace_ps(design.v)) / trace_p
    return _closed_form(raw, lambda t2: np.sqrt(2.0 * fit.trace_psps(_sigma(design, t2))) / trace_p)


def tau2_dl(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """DerSimonian-Laird: method of moments with inverse-variance weights."""
    return _generalized_q(design, None)


def tau2_he(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Hedges (Cochran's ANOVA) estimator: method of moments with unit weights."""
    return _generalized_q(design, design.mask.copy())


def tau2_genq(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Generalized Q estimator with user-supplied weights (DerSimonian & Kacker 2007)."""
    if weights is None:
        raise ValueError("weights: method 'GENQ' needs a weight for every study")
    return _generalized_q(design, weights * design.mask)


def _hunter_schmidt(design: Design, k_correction: bool) -> Tau2Estimate:
    fit = _fixed_effect_fit(design)
    factor = design.k / design.df if k_correction else np.ones(design.k.shape)
    sum_w = fit.a.sum(axis=-1)
    raw = (factor * fit.q - design.k) / sum_w
    return _closed_form(
        raw,
        lambda t2: factor * np.sqrt(2.0 * fit.trace_psps(_sigma(design, t2))) / sum_w,
    )


def tau2_hs(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Hunter-Schmidt estimator."""
    return _hunter_schmidt(design, k_correction=False)


def tau2_hsk(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Hunter-Schmidt estimator with the small-sample ``k / (k - p)`` correction."""
    return _hunter_schmidt(design, k_correction=True)


def tau2_sj(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Sidik-Jonkman estimator, started from ``tau0 = sum (y - mean(y))^2 / k``.

    The start ignores moderators (as metafor does): it is the variance of the outcomes
    about their unweighted mean, with divisor ``k`` (Sidik & Jonkman 2005, eq. 4).
    """
    mean = np.einsum("bk,bk->b", design.mask, design.y) / design.k
    tau0 = np.einsum("bk,bk->b", design.mask, (design.y - mean[:, None]) ** 2) / design.k
    fit = wls(design, design.weights(tau0))
    tau2 = tau0 * fit.q / design.df
    se = tau0 * np.sqrt(2.0 * fit.trace_psps(_sigma(design, tau2))) / design.df
    n = tau2.shape[0]
    return Tau2Estimate(tau2, se, tau2 <= 0.0, np.ones(n, dtype=bool), np.zeros(n, dtype=int))


# --- iterative estimators ---------------------------------------------------------------


def _solve_on_half_line(
    design: Design,
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    name: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Root of ``fun`` on ``[0, inf)`` per analysis; 0 when ``fun(0) <= 0``."""
    n = design.k.shape[0]
    zeros = np.zeros(n)
    f0, _ = fun(zeros)
    boundary = (f0 <= 0.0) | (design.df < 1)  # no residual df: nothing to estimate
    if boundary.all():
        return zeros, boundary, np.ones(n, dtype=bool), np.zeros(n, dtype=int)
    some = bool(boundary.any())
    hi = upper_bracket(design, fun, active=~boundary, name=name)
    if some:  # analyses on the boundary get a trivial bracket [0, 0] and stay put
        hi = np.where(boundary, 0.0, hi)
    root, converged, iterations = bracketed_newton(fun, zeros, hi, x0=hedges_start(design))
    if some:
        root = np.where(boundary, 0.0, root)
        converged = converged | boundary
        iterations = np.where(boundary, 0, iterations)
    if not converged.all():
        bad = int(np.flatnonzero(~converged)[0])
        raise ConvergenceError(
            f"method {name!r}: the tau2 estimating equation did not converge "
            f"(analysis {bad + 1}, last value {root[bad]:.6g})"
        )
    return root, boundary, converged, iterations


def upper_bracket(
    design: Design,
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    *,
    active: np.ndarray,
    name: str,
) -> np.ndarray:
    """A value ``hi`` with ``fun(hi) < 0`` for every active analysis (by doubling)."""
    scale = design.ols_rss / np.maximum(design.df, 1) + design.v_range[1]
    hi = np.maximum(scale, 1e-8)
    for _ in range(1100):
        f, _ = fun(hi)
        need = active & (f >= 0.0)
        if not need.any():
            return hi
        hi = np.where(need, hi * 2.0, hi)
    raise ConvergenceError(f"method {name!r}: no upper bound found for tau2 (data overflow?)")


def q_profile_equation(design: Design, target: np.ndarray) -> Callable:
    """``Q_gen(tau2) - target`` and its derivative ``-y'PPy``, for root finding."""
    return q_equation(design, target)


def _iterative(design: Design, fun: Callable, name: str, se_fun: Callable) -> Tau2Estimate:
    tau2, boundary, converged, its = _solve_on_half_line(design, fun, name)
    return Tau2Estimate(tau2, se_fun(tau2), boundary, converged, its)


# --- likelihood maximisation (ML, REML; metaatt._likelihood) --------------------------


def _likelihood_estimate(
    design: Design, name: str, restricted: bool, se_fun: Callable
) -> Tau2Estimate:
    tau2, boundary, converged, its, higher = maximise_likelihood(design, restricted, name)
    return build(
        Tau2Estimate,
        tau2=tau2,
        se=se_fun(tau2),
        at_boundary=boundary,
        converged=converged,
        iterations=its,
        higher_maximum=higher,
    )


def tau2_ml(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Maximum likelihood; SE from the expected information ``sum w^2 / 2``."""

    def se(tau2: np.ndarray) -> np.ndarray:
        w = design.weights(tau2)
        return np.sqrt(2.0 / np.einsum("bk,bk->b", w, w))

    return _likelihood_estimate(design, "ML", False, se)


def tau2_reml(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Restricted maximum likelihood; SE from the expected information ``tr(PP) / 2``."""

    def se(tau2: np.ndarray) -> np.ndarray:
        if design.X is None:
            trace = design.intercept.trace_pp(tau2)
            if isinstance(trace, float) and trace > 0.0:  # one analysis: the same, in floats
                return np.array([math.sqrt(2.0 / trace)])
            return np.sqrt(2.0 / np.reshape(trace, -1))
        fit = wls(design, design.weights(tau2))
        return np.sqrt(2.0 / fit.trace_psps(design.mask))

    return _likelihood_estimate(design, "REML", True, se)


def _pm_se(design: Design) -> Callable:
    def se(tau2: np.ndarray) -> np.ndarray:
        sum_w = design.weights(tau2).sum(axis=-1)
        return np.sqrt(2.0 * design.k**2 / design.df) / sum_w

    return se


def _paule_mandel(design: Design, target: np.ndarray, name: str) -> Tau2Estimate:
    # a positive root exactly where Q_gen(0) exceeds the target (and there is a residual df)
    active = (design.df >= 1) & (design.fe_statistics[0] > target)
    tau2, converged, iterations = solve_q_equation(design, target, active)
    if not converged.all():
        bad = int(np.flatnonzero(~converged)[0])
        raise ConvergenceError(
            f"method {name!r}: the tau2 estimating equation did not converge "
            f"(analysis {bad + 1}, last value {tau2[bad]:.6g})"
        )
    return Tau2Estimate(tau2, _pm_se(design)(tau2), ~active, converged, iterations)


def tau2_pm(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Paule-Mandel: the generalized Q statistic equals its expectation ``k - p``."""
    return _paule_mandel(design, design.df.astype(float), "PM")


def tau2_pmm(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Median-unbiased Paule-Mandel: generalized Q equals the median of chi^2 with k - p df."""
    return _paule_mandel(design, special.chdtri(design.df, 0.5), "PMM")


def tau2_zero(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """The common-effect (equal-effects) model: tau^2 is 0 by assumption."""
    n = design.k.shape[0]
    nan = np.full(n, np.nan)
    return Tau2Estimate(np.zeros(n), nan, np.zeros(n, bool), np.ones(n, bool), np.zeros(n, int))


#: name -> estimator; EB solves the same equation as PM (Morris 1983: with weights
#: ``1/(v + tau2)`` the empirical Bayes equation reduces to ``Q_w = k - p``).
TAU2_ESTIMATORS: dict[str, Callable[..., Tau2Estimate]] = {
    "EE": tau2_zero,
    "DL": tau2_dl,
    "HE": tau2_he,
    "HS": tau2_hs,
    "HSk": tau2_hsk,
    "SJ": tau2_sj,
    "ML": tau2_ml,
    "REML": tau2_reml,
    "EB": tau2_pm,
    "PM": tau2_pm,
    "PMM": tau2_pmm,
    "GENQ": tau2_genq,
}


def estimate_tau2(design: Design, method: str, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Dispatch to the registered estimator ``method`` (see :data:`TAU2_ESTIMATORS`).

    Analyses without residual degrees of freedom (``k <= p``) cannot inform tau^2: they get
    ``tau2 = 0`` (the model reproduces the data) and a NaN standard error; callers report
    heterogeneity as undefined for them.
    """
    if not design.any_saturated:
        return TAU2_ESTIMATORS[method](design, weights)
    saturated = design.df < 1
    with np.errstate(all="ignore"):
        est = TAU2_ESTIMATORS[method](design, weights)
    return Tau2Estimate(
        np.where(saturated, 0.0, est.tau2),
        np.where(saturated, np.nan, est.se),
        est.at_boundary & ~saturated,
        est.converged | saturated,
        np.where(saturated, 0, est.iterations),
        None if est.higher_maximum is None else np.where(saturated, np.nan, est.higher_maximum),
    )
