"""ML and REML: the likelihood maximum metafor's Fisher scoring reaches, computed exactly.

metafor starts Fisher scoring at the Hedges (HE) estimate and, if the likelihood at 0 is
higher than at the maximum it converged to, reports 0. The (restricted) likelihood can be
bimodal, so which local maximum is reached matters: it is the nearest one in the ascent
direction from the start (the first root of the score above the start when the score is
positive there, the last root below it otherwise, or the boundary 0). That root is
bracketed on a grid of the score up to :func:`likelihood_upper_bound` (beyond which the
score is provably negative) and refined by bracketed Newton steps
(:mod:`metaatt._roots`). The same grid reveals other local maxima: when one of them has a
higher likelihood its location is returned as well (``higher_maximum``), so that callers
can warn; metafor's choice is kept so that results stay comparable.

Scores (``P``, ``w``, ``e`` as in :mod:`metaatt.tau2`): ML ``(sum w^2 e^2 - sum w) / 2``,
REML ``(y'PPy - tr P) / 2`` (Viechtbauer 2005, eqs. 9 and 12). Without moderators the
grid is evaluated only where the sign of the score is not already known
(:mod:`metaatt._score_scan`), and the Newton steps are taken on ``1 - tr(P) / y'PPy``
(or ``1 - sum w / y'PPy``), which has the same sign and roots and is nearly linear in
tau^2 (:meth:`metaatt._intercept.InterceptSums.score_ratio`); one analysis is handled
with float bookkeeping (:mod:`metaatt._likelihood_one`).

References
----------
Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics, 30(3), 261-293.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._equations import InterceptEquation
from ._likelihood_one import SCAN_FRACTIONS, maximise_intercept_one, maximise_one
from ._roots import bracketed_newton
from ._score_scan import score_on_grid
from ._wls import Design, wls
from .errors import ConvergenceError

__all__ = [
    "SCAN_POINTS",
    "hedges_start",
    "likelihood_upper_bound",
    "log_likelihood",
    "maximise_likelihood",
    "ml_score",
    "reml_score",
    "scan",
]

#: grid points scanned for sign changes of the score (the likelihood can be multimodal)
SCAN_POINTS = SCAN_FRACTIONS.size
_SCAN_FRACTIONS = SCAN_FRACTIONS
_SCAN_CELLS = 4_000_000  # evaluate the scan in one tiled pass below this many cells


def hedges_start(design: Design) -> np.ndarray:
    """The Hedges (HE) estimate, metafor's starting value for the iterative estimators."""
    df = design.df
    if (df >= 1).all():
        return np.maximum((design.ols_rss - design.ols_trace_v) / df, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        he = (design.ols_rss - design.ols_trace_v) / df
    return np.where(df >= 1, np.maximum(he, 0.0), 0.0)


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


def reml_score(design: Design) -> Callable:
    """The REML score ``(y'PPy - tr P) / 2`` and its derivative ``tr(PP) / 2 - y'PPPy``."""
    if design.X is None:
        return InterceptEquation(design.intercept, "reml")

    def fun(tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit = wls(design, design.weights(tau2))
        we = fit.a * fit.resid  # P y
        score = 0.5 * (np.einsum("bk,bk->b", we, we) - fit.trace_p())
        slope = 0.5 * fit.trace_psps(design.mask) - fit.quad_form(we)
        return score, slope

    return fun


def ml_score(design: Design) -> Callable:
    """The ML score ``(sum w^2 e^2 - sum w) / 2`` and its derivative."""
    if design.X is None:
        return InterceptEquation(design.intercept, "ml")

    def fun(tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit = wls(design, design.weights(tau2))
        we = fit.a * fit.resid
        score = 0.5 * (np.einsum("bk,bk->b", we, we) - fit.a.sum(axis=-1))
        slope = 0.5 * np.einsum("bk,bk->b", fit.a, fit.a) - fit.quad_form(we)
        return score, slope

    return fun


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


def scan(design: Design, make_score: Callable, points: np.ndarray) -> np.ndarray:
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


def _grid_with_start(upper: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid ``upper * fractions`` with the start inserted after equal values.

    Returns the ``(B, SCAN_POINTS + 1)`` sorted points and the position of the start.
    """
    at_start = np.add.reduce(upper[:, None] * _SCAN_FRACTIONS <= start[:, None], axis=1)
    g = np.arange(SCAN_POINTS + 1)
    source = np.minimum(g - (g > at_start[:, None]), SCAN_POINTS - 1)
    points = upper[:, None] * _SCAN_FRACTIONS[source]  # the grid values, bit for bit
    return np.where(g == at_start[:, None], start[:, None], points), at_start


def maximise_likelihood(
    design: Design, restricted: bool, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(tau2, at_boundary, converged, iterations, higher_maximum)`` per analysis.

    See the module docstring; ``higher_maximum`` is NaN where the reported maximum is the
    highest one found.
    """
    make_score = reml_score if restricted else ml_score
    n = design.k.shape[0]
    if n == 1 and design.X is None:  # one analysis in floats (metaatt._likelihood_one)
        return maximise_intercept_one(design, restricted, name)
    upper = likelihood_upper_bound(design, restricted)
    start = np.minimum(hedges_start(design), upper)
    if n == 1:  # the same steps with float bookkeeping
        points, at_start = _grid_with_start(upper, start)
        return maximise_one(
            make_score(design),
            name,
            points=points[0].tolist(),
            at_start=int(at_start[0]),
            f=scan(design, make_score, points)[0].tolist(),
            log_likelihoods=lambda taus, grid: [
                float(log_likelihood(design, np.array([t]), restricted)[0])
                for t in [*taus, *(points[0, g] for g in grid)]
            ],
        )
    rows = np.arange(n)
    points, at_start = _grid_with_start(upper, start)
    if design.X is None:  # Newton steps on 1 - b / a (InterceptSums.score_ratio)
        f, a = score_on_grid(design.intercept, points, at_start, restricted)
        kind = "reml-ratio" if restricted else "ml-ratio"
        equation = InterceptEquation(design.intercept, kind)
    else:
        f = scan(design, make_score, points)
        equation, a = make_score(design), None
    last = points.shape[1] - 1
    g = np.arange(last + 1)[None, :]
    f_start = f[rows, at_start]
    # ascending from the start: first non-positive score above it ...
    right = np.where((g > at_start[:, None]) & (f <= 0.0), g, last + 1)
    first_right = right.min(axis=1)
    # ... or, descending, the last positive score below it (none: the boundary 0)
    left = np.where((g < at_start[:, None]) & (f > 0.0), g, -1)
    last_left = left.max(axis=1)
    go_right = f_start > 0.0
    interior = np.where(go_right, first_right <= last, last_left >= 0)
    lo_idx = np.where(go_right, first_right - 1, last_left)
    lo_idx = np.clip(lo_idx, 0, last - 1)
    lo = np.where(interior, points[rows, lo_idx], 0.0)
    hi = np.where(interior, points[rows, lo_idx + 1], 0.0)
    f_lo, f_hi = f[rows, lo_idx], f[rows, lo_idx + 1]
    if a is not None:  # the equation's values: 1 - b / a = 2 f / a
        with np.errstate(divide="ignore", invalid="ignore"):
            f_lo, f_hi = 2.0 * f_lo / a[rows, lo_idx], 2.0 * f_hi / a[rows, lo_idx + 1]
    x0 = _secant_start(lo, hi, f_lo, f_hi)
    root, ok, iterations = bracketed_newton(equation, lo, hi, x0=x0)
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
    higher = _higher_maximum(design, make_score, restricted, points, f, ll)
    return tau2, tau2 == 0.0, converged, np.where(interior, iterations, 0), higher


def _higher_maximum(
    design: Design,
    make_score: Callable,
    restricted: bool,
    points: np.ndarray,
    f: np.ndarray,
    ll: np.ndarray,
) -> np.ndarray:
    """Where another local maximum has a higher likelihood than ``ll`` (NaN: nowhere).

    Candidates are the grid points just below a sign change of the score from + to -
    (the likelihood rises from there to a maximum inside the cell).
    """
    n = points.shape[0]
    rows = np.arange(n)
    rising = np.zeros_like(f, dtype=bool)
    rising[:, :-1] = (f[:, :-1] > 0.0) & (f[:, 1:] <= 0.0)
    higher = np.full(n, np.nan)
    if not rising.any():
        return higher
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
    return higher


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
