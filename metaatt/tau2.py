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
estimate is the boundary value 0. The ML and REML likelihoods can be bimodal: their score is
scanned for every local maximum and the global maximum on ``[0, inf)`` is returned (metafor's
Fisher scoring returns the local maximum it reaches from its start).

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ._intercept import InterceptEquation
from ._likelihood_one import maximise_one
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
    root, converged, iterations = bracketed_newton(fun, zeros, hi, x0=_hedges_start(design))
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


def _hedges_start(design: Design) -> np.ndarray:
    """The Hedges (HE) estimate, metafor's starting value for the iterative estimators."""
    df = design.df
    if (df >= 1).all():
        return np.maximum((design.ols_rss - design.ols_trace_v) / df, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        he = (design.ols_rss - design.ols_trace_v) / df
    return np.where(df >= 1, np.maximum(he, 0.0), 0.0)


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


def _reml_score(design: Design) -> Callable:
    if design.X is None:
        return InterceptEquation(design.intercept, "reml")

    def fun(tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit = wls(design, design.weights(tau2))
        we = fit.a * fit.resid  # P y
        score = 0.5 * (np.einsum("bk,bk->b", we, we) - fit.trace_p())
        slope = 0.5 * fit.trace_psps(design.mask) - fit.quad_form(we)
        return score, slope

    return fun


def _ml_score(design: Design) -> Callable:
    if design.X is None:
        return InterceptEquation(design.intercept, "ml")

    def fun(tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit = wls(design, design.weights(tau2))
        we = fit.a * fit.resid
        score = 0.5 * (np.einsum("bk,bk->b", we, we) - fit.a.sum(axis=-1))
        slope = 0.5 * np.einsum("bk,bk->b", fit.a, fit.a) - fit.quad_form(we)
        return score, slope

    return fun


def _iterative(design: Design, fun: Callable, name: str, se_fun: Callable) -> Tau2Estimate:
    tau2, boundary, converged, its = _solve_on_half_line(design, fun, name)
    return Tau2Estimate(tau2, se_fun(tau2), boundary, converged, its)


# --- likelihood maximisation (ML, REML) ---------------------------------------------------

#: grid points scanned for sign changes of the score (the likelihood can be multimodal)
SCAN_POINTS = 24
_SCAN_CELLS = 4_000_000  # evaluate the scan in one tiled pass below this many cells
_SCAN_FRACTIONS = np.concatenate([[0.0], np.geomspace(1e-6, 1.0, SCAN_POINTS - 1)])


def likelihood_upper_bound(design: Design, restricted: bool) -> np.ndarray:
    """A tau^2 beyond which the (restricted) likelihood score is provably negative.

    With ``c = RSS_OLS / m`` (``m = k - p`` for REML, ``k`` for ML) and ``d = max v - min v``,
    ``sum w^2 e^2 <= RSS_OLS / (min v + tau2)^2`` and ``tr(P) >= (k - p) / (max v + tau2)``
    (``sum w >= k / (max v + tau2)``), so the score is negative once
    ``u = min v + tau2 > (c + sqrt(c^2 + 4 c d)) / 2``.
    """
    m = np.maximum(design.df if restricted else design.k, 1).astype(float)
    c = design.ols_rss / m
    vmin, vmax = design.v_range
    u = 0.5 * (c + np.sqrt(c * c + 4.0 * c * (vmax - vmin)))
    return np.maximum(u - vmin, 0.0) * (1.0 + 1e-9)


def _tiled(design: Design, repeats: int) -> Design:
    X = None if design.X is None else np.repeat(design.X, repeats, axis=0)
    return Design(
        np.repeat(design.y, repeats, axis=0),
        np.repeat(design.v, repeats, axis=0),
        np.repeat(design.mask, repeats, axis=0),
        X,
        np.repeat(design.k, repeats),
        design.p,
    )


def _scan(design: Design, make_score: Callable, points: np.ndarray) -> np.ndarray:
    """The score at ``points`` (shape ``(B, G)``), in one tiled pass or point by point."""
    n, g = points.shape
    if design.X is None:  # power sums on the grid, no tiled copy of the design
        return make_score(design).scan(points)
    if n * g * design.y.shape[1] <= _SCAN_CELLS:
        f, _ = make_score(_tiled(design, g))(points.reshape(-1))
        return f.reshape(n, g)
    score = make_score(design)
    return np.column_stack([score(points[:, j])[0] for j in range(g)])


def log_likelihood(design: Design, tau2: np.ndarray, restricted: bool) -> np.ndarray:
    """(Restricted) profile log-likelihood of tau^2, up to a constant.

    ``-1/2 [sum log(v + tau2) + sum w e^2]`` plus ``-1/2 log det(X'WX)`` for REML.
    """
    if design.X is None:
        return design.intercept.log_likelihood(tau2, restricted)
    w = design.weights(tau2)
    fit = wls(design, w)
    logv = np.einsum("bk,bk->b", design.mask, np.log(design.v + tau2[:, None]))
    value = -0.5 * (logv + fit.q)
    if restricted:
        value = value - 0.5 * np.linalg.slogdet(design.xtax(w))[1]
    return value


def _maximise_likelihood(design: Design, make_score: Callable, name: str, restricted: bool):
    """The likelihood maximum metafor's Fisher scoring reaches, computed exactly.

    metafor starts Fisher scoring at the Hedges (HE) estimate and, if the likelihood at 0 is
    higher than at the maximum it converged to, reports 0. The likelihood can be bimodal, so
    which local maximum is reached matters: it is the nearest one in the ascent direction
    from the start (the first root of the score above the start when the score is positive
    there, the last root below it otherwise, or the boundary 0). That root is bracketed on a
    grid of the score up to :func:`likelihood_upper_bound` and refined by bracketed Newton
    steps. The same grid reveals other local maxima: when one of them has a higher
    likelihood its location is returned as well (``higher_maximum``), so that callers can
    warn; metafor's choice is kept so that results stay comparable.
    """
    n = design.k.shape[0]
    rows = np.arange(n)
    upper = likelihood_upper_bound(design, restricted)
    fractions = _SCAN_FRACTIONS
    grid = upper[:, None] * fractions[None, :]
    start = np.minimum(_hedges_start(design), upper)
    if n == 1:  # the same steps with float bookkeeping (metaatt._likelihood_one)
        return maximise_one(
            design,
            make_score,
            name,
            restricted,
            fractions=fractions,
            upper=float(upper[0]),
            start=float(start[0]),
            scan=_scan,
            log_likelihood=log_likelihood,
        )
    points = np.concatenate([grid, start[:, None]], axis=1)
    order = np.argsort(points, axis=1, kind="stable")
    points = np.take_along_axis(points, order, axis=1)
    f = _scan(design, make_score, points)
    at_start = np.argmax(order == SCAN_POINTS, axis=1)  # position of the start in each row
    g = np.arange(points.shape[1])[None, :]
    f_start = f[rows, at_start]
    # ascending from the start: first non-positive score above it ...
    right = np.where((g > at_start[:, None]) & (f <= 0.0), g, points.shape[1])
    first_right = right.min(axis=1)
    # ... or, descending, the last positive score below it (none: the boundary 0)
    left = np.where((g < at_start[:, None]) & (f > 0.0), g, -1)
    last_left = left.max(axis=1)
    go_right = f_start > 0.0
    interior = np.where(go_right, first_right < points.shape[1], last_left >= 0)
    lo_idx = np.where(go_right, first_right - 1, last_left)
    lo_idx = np.clip(lo_idx, 0, points.shape[1] - 2)
    lo = np.where(interior, points[rows, lo_idx], 0.0)
    hi = np.where(interior, points[rows, lo_idx + 1], 0.0)
    score = make_score(design)
    root, ok, iterations = bracketed_newton(
        score, lo, hi, x0=_secant_start(lo, hi, f[rows, lo_idx], f[rows, lo_idx + 1])
    )
    tau2 = np.where(interior, root, 0.0)
    tau2 = np.where(f_start == 0.0, start, tau2)
    converged = ok | ~interior
    if not converged.all():
        bad = int(np.flatnonzero(~converged)[0])
        raise ConvergenceError(
            f"method {name!r}: the tau2 estimating equation did not converge "
            f"(analysis {bad + 1}, last value {root[bad]:.6g})"
        )
    ll = log_likelihood(design, tau2, restricted)
    ll0 = log_likelihood(design, np.zeros(n), restricted)
    to_zero = ll0 > ll  # metafor: "Fisher scoring may have gotten stuck"; reports 0
    tau2 = np.where(to_zero, 0.0, tau2)
    ll = np.maximum(ll, ll0)
    # any grid point (on the rising side of another maximum) with a higher likelihood?
    rising = np.zeros_like(f, dtype=bool)
    rising[:, :-1] = (f[:, :-1] > 0.0) & (f[:, 1:] <= 0.0)
    higher = np.full(n, np.nan)
    if rising.any():
        cand_ll = np.full(f.shape, -np.inf)
        per_row = rising.sum(axis=1)
        if per_row.max() == 1:  # at most one candidate per analysis: no copy of the data
            c = np.argmax(rising, axis=1)
            has = per_row == 1
            values = log_likelihood(design, points[rows, c], restricted)
            cand_ll[rows[has], c[has]] = values[has]
        else:  # every candidate of every analysis in one evaluation
            r, c = np.nonzero(rising)
            cand_ll[r, c] = log_likelihood(_subset(design, r), points[r, c], restricted)
        best = np.argmax(cand_ll, axis=1)
        best_ll = cand_ll[rows, best]
        gap = best_ll > ll + 1e-9 * (1.0 + np.abs(ll))
        if gap.any():  # rare: locate that other maximum exactly, for the message
            sub = _subset(design, gap)
            j = best[gap]
            other, _, _ = bracketed_newton(
                make_score(sub), points[gap, j], points[gap, np.minimum(j + 1, points.shape[1] - 1)]
            )
            higher[gap] = other
    return tau2, tau2 == 0.0, converged, np.where(interior, iterations, 0), higher


def _secant_start(lo: Any, hi: Any, f_lo: Any, f_hi: Any) -> Any:
    """Where the chord through the bracketing grid values crosses 0 (midpoint if flat).

    A far better Newton start than the midpoint of a grid cell (the score is smooth on it).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x = lo + (hi - lo) * f_lo / (f_lo - f_hi)
    return np.where(np.isfinite(x) & (x >= lo) & (x <= hi), x, 0.5 * (lo + hi))


def _subset(design: Design, rows: np.ndarray) -> Design:
    X = None if design.X is None else design.X[rows]
    sub = Design(design.y[rows], design.v[rows], design.mask[rows], X, design.k[rows], design.p)
    if "intercept" in design.__dict__ and len(sub.k) > 1:  # reuse the power-sum table
        sub.__dict__["intercept"] = design.intercept.subset(np.asarray(rows))
    return sub


def _likelihood_estimate(
    design: Design, make_score: Callable, name: str, restricted: bool, se_fun: Callable
) -> Tau2Estimate:
    tau2, boundary, converged, its, higher = _maximise_likelihood(
        design, make_score, name, restricted
    )
    return Tau2Estimate(tau2, se_fun(tau2), boundary, converged, its, higher)


def tau2_ml(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Maximum likelihood; SE from the expected information ``sum w^2 / 2``."""

    def se(tau2: np.ndarray) -> np.ndarray:
        w = design.weights(tau2)
        return np.sqrt(2.0 / np.einsum("bk,bk->b", w, w))

    return _likelihood_estimate(design, _ml_score, "ML", False, se)


def tau2_reml(design: Design, weights: np.ndarray | None = None) -> Tau2Estimate:
    """Restricted maximum likelihood; SE from the expected information ``tr(PP) / 2``."""

    def se(tau2: np.ndarray) -> np.ndarray:
        if design.X is None:
            return np.sqrt(2.0 / design.intercept.trace_pp(tau2))
        fit = wls(design, design.weights(tau2))
        return np.sqrt(2.0 / fit.trace_psps(design.mask))

    return _likelihood_estimate(design, _reml_score, "REML", True, se)


def _pm_se(design: Design) -> Callable:
    def se(tau2: np.ndarray) -> np.ndarray:
        sum_w = design.weights(tau2).sum(axis=-1)
        return np.sqrt(2.0 * design.k**2 / design.df) / sum_w

    return se


def _paule_mandel(design: Design, target: np.ndarray, name: str) -> Tau2Estimate:
    # a positive root exactly where Q_gen(0) exceeds the target (and there is a residual df)
    active = (design.df >= 1) & (design.fe_fit.q > target)
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
    saturated = design.df < 1
    if not saturated.any():
        return TAU2_ESTIMATORS[method](design, weights)
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
