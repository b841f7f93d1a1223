"""The ML/REML maximum of :func:`metaatt._likelihood.maximise_likelihood` for one analysis.

Same steps as the batched version (metafor's Fisher-scoring basin from the Hedges start,
located on a grid of the score and refined by bracketed Newton steps; the boundary check;
a higher maximum elsewhere on the grid), with the bookkeeping over the 25 grid points in
Python floats: for one analysis the array version spends most of its time on array
overhead. Without moderators the bound, the start and the grid are computed here in floats
as well, with the same arithmetic as :func:`metaatt._likelihood.likelihood_upper_bound`
and :func:`metaatt._likelihood.hedges_start`, and the score on the whole grid is one
matrix product (:meth:`metaatt._intercept.InterceptEquation.scan`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable

import numpy as np

from ._equations import InterceptEquation
from ._intercept import GRID_CELLS
from ._roots import newton_one
from ._wls import Design
from .errors import ConvergenceError

__all__ = ["SCAN_FRACTIONS", "maximise_intercept_one", "maximise_one"]

#: the scan grid as fractions of the upper bound: 0 and 23 points from 1e-6 to 1
SCAN_FRACTIONS = np.concatenate([[0.0], np.geomspace(1e-6, 1.0, 23)])

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def maximise_intercept_one(design: Design, restricted: bool, name: str) -> Arrays:
    """:func:`maximise_one` for one analysis without moderators, from its power sums."""
    sums = design.intercept
    v = design.v[0]
    k = int(design.k[0])
    rss = float(sums.rss[0])
    vmin, vmax = float(np.minimum.reduce(v)), float(np.maximum.reduce(v))
    # likelihood_upper_bound and hedges_start, in floats
    c = rss / float(max(k - 1 if restricted else k, 1))
    upper = max(0.5 * (c + math.sqrt(c * c + 4.0 * c * (vmax - vmin))) - vmin, 0.0) * (1.0 + 1e-9)
    he = (rss - float(np.add.reduce(v)) * (1.0 - 1.0 / k)) / (k - 1) if k > 1 else 0.0
    start = min(max(he, 0.0), upper)
    points = (upper * SCAN_FRACTIONS).tolist()
    at_start = bisect.bisect_right(points, start)  # a stable sort puts the start after ties
    points.insert(at_start, start)
    if v.shape[0] * len(points) > GRID_CELLS:  # a long analysis: point by point
        score = InterceptEquation(sums, "reml" if restricted else "ml")
        f = score.scan(np.array([points]))[0].tolist()
        parts = s1 = None
    else:
        a, b, s1 = sums.grid_parts_one(points, restricted)
        f = (0.5 * (a - b)).tolist()
        parts = (a.tolist(), b.tolist())

    def equation(g: int) -> float:  # the value of the equation Newton solves at points[g]
        if parts is None:
            return f[g]
        return 1.0 - parts[1][g] / parts[0][g] if parts[0][g] > 0.0 else -math.inf

    root_equation = InterceptEquation(sums, "reml-ratio" if restricted else "ml-ratio")

    def log_likelihoods(taus: list[float], grid: list[int]) -> list[float]:
        # at each of taus, then at the grid points ``grid`` (from the grid's sums, if any)
        known = None if s1 is None else [None] * len(taus) + [s1[:, g].tolist() for g in grid]
        return sums.log_likelihoods_one([*taus, *(points[g] for g in grid)], restricted, known)

    return maximise_one(
        root_equation,
        name,
        points=points,
        at_start=at_start,
        f=f,
        log_likelihoods=log_likelihoods,
        equation=equation,
    )


def maximise_one(
    score: Callable,
    name: str,
    *,
    points: list[float],
    at_start: int,
    f: list[float],
    log_likelihoods: Callable[[list[float], list[int]], list[float]],
    equation: Callable[[int], float] | None = None,
) -> Arrays:
    """``(tau2, at_boundary, converged, iterations, higher_maximum)``, each of shape ``(1,)``.

    ``points`` is the sorted grid with the start at position ``at_start``, ``f`` the score
    there. ``score`` is the equation for the root finder (the score, or an equation with
    the same sign and roots, whose value at ``points[g]`` is ``equation(g)``; default ``f``).
    ``log_likelihoods(taus, grid)`` is the log-likelihood at each of ``taus`` and then at
    ``points[g]`` for each ``g`` in ``grid`` (all needed values in one call).
    """
    equation = f.__getitem__ if equation is None else equation
    last = len(points) - 1
    f_start = f[at_start]
    if f_start > 0.0:  # ascending from the start: the first non-positive score above it
        first_right = next((g for g in range(at_start + 1, last + 1) if f[g] <= 0.0), last + 1)
        interior = first_right <= last
        lo_idx = first_right - 1
    else:  # descending: the last positive score below it (none: the boundary 0)
        last_left = next((g for g in range(at_start - 1, -1, -1) if f[g] > 0.0), -1)
        interior = last_left >= 0
        lo_idx = last_left
    lo_idx = min(max(lo_idx, 0), last - 1)
    tau2, converged, iterations = 0.0, True, 0
    if interior:
        lo, hi = points[lo_idx], points[lo_idx + 1]
        x0 = _chord(lo, hi, equation(lo_idx), equation(lo_idx + 1))
        tau2, converged, iterations = newton_one(score, lo, hi, x0)
    if f_start == 0.0:
        tau2 = points[at_start]
    if not converged:
        raise ConvergenceError(
            f"method {name!r}: the tau2 estimating equation did not converge "
            f"(analysis 1, last value {tau2:.6g})"
        )
    # candidates for another maximum: grid points just below a + to - change of the score
    rising = [g for g, (here, above) in enumerate(itertools.pairwise(f)) if here > 0.0 >= above]
    ll, ll0, *cand_ll = log_likelihoods([tau2, 0.0], rising)
    if ll0 > ll:  # metafor: "Fisher scoring may have gotten stuck"; reports 0
        tau2 = 0.0
    ll = max(ll, ll0)
    higher = math.nan
    if rising:
        best = max(range(len(rising)), key=cand_ll.__getitem__)  # first of equal maxima
        if cand_ll[best] > ll + 1e-9 * (1.0 + abs(ll)):  # rare: locate the other maximum
            j = rising[best]
            lo, hi = points[j], points[min(j + 1, last)]
            higher = newton_one(score, lo, hi, 0.5 * (lo + hi))[0]
    return (
        np.array([tau2]),
        np.array([tau2 == 0.0]),
        np.array([converged]),
        np.array([iterations if interior else 0]),
        np.array([higher]),
    )


def _chord(lo: float, hi: float, f_lo: float, f_hi: float) -> float:
    """:func:`metaatt._likelihood._secant_start` in floats (same arithmetic)."""
    try:
        x = lo + (hi - lo) * f_lo / (f_lo - f_hi)
    except ZeroDivisionError:
        return 0.5 * (lo + hi)
    return x if math.isfinite(x) and lo <= x <= hi else 0.5 * (lo + hi)
