"""The ML/REML maximum of :func:`metaatt.tau2._maximise_likelihood` for one analysis.

Same steps as the batched version (metafor's Fisher-scoring basin from the Hedges start,
located on a grid of the score and refined by bracketed Newton steps; the boundary check;
a higher maximum elsewhere on the grid), with the bookkeeping over the 25 grid points in
Python floats: for one analysis the array version spends most of its time on array
overhead. The score, the likelihood and the root finder are the shared ones, passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._roots import bracketed_newton
from ._wls import Design
from .errors import ConvergenceError

__all__ = ["maximise_one"]


def maximise_one(
    design: Design,
    make_score: Callable,
    name: str,
    restricted: bool,
    *,
    fractions: np.ndarray,
    upper: float,
    start: float,
    scan: Callable[[Design, Callable, np.ndarray], np.ndarray],
    log_likelihood: Callable[[Design, np.ndarray, bool], np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(tau2, at_boundary, converged, iterations, higher_maximum)``, each of shape ``(1,)``."""
    grid = (upper * fractions).tolist()
    at_start = sum(1 for g in grid if g <= start)  # a stable sort puts the start after ties
    points = [*grid[:at_start], start, *grid[at_start:]]
    f = scan(design, make_score, np.array([points]))[0].tolist()
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
    score = make_score(design)
    tau2, converged, iterations = 0.0, True, 0
    if interior:
        lo, hi = points[lo_idx], points[lo_idx + 1]
        x0 = _chord(lo, hi, f[lo_idx], f[lo_idx + 1])
        root, ok, its = bracketed_newton(score, np.array([lo]), np.array([hi]), np.array([x0]))
        tau2, converged, iterations = float(root[0]), bool(ok[0]), int(its[0])
    if f_start == 0.0:
        tau2 = start
    if not converged:
        raise ConvergenceError(
            f"method {name!r}: the tau2 estimating equation did not converge "
            f"(analysis 1, last value {tau2:.6g})"
        )
    ll = _ll(log_likelihood, design, tau2, restricted)
    ll0 = _ll(log_likelihood, design, 0.0, restricted)
    if ll0 > ll:  # metafor: "Fisher scoring may have gotten stuck"; reports 0
        tau2 = 0.0
    ll = max(ll, ll0)
    higher = math.nan
    rising = [g for g in range(last) if f[g] > 0.0 and f[g + 1] <= 0.0]
    if rising:
        cand_ll = [_ll(log_likelihood, design, points[g], restricted) for g in rising]
        best = max(range(len(rising)), key=cand_ll.__getitem__)  # first of equal maxima
        if cand_ll[best] > ll + 1e-9 * (1.0 + abs(ll)):  # rare: locate the other maximum
            j = rising[best]
            other, _, _ = bracketed_newton(
                score, np.array([points[j]]), np.array([points[min(j + 1, last)]])
            )
            higher = float(other[0])
    return (
        np.array([tau2]),
        np.array([tau2 == 0.0]),
        np.array([converged]),
        np.array([iterations if interior else 0]),
        np.array([higher]),
    )


def _chord(lo: float, hi: float, f_lo: float, f_hi: float) -> float:
    """:func:`metaatt.tau2._secant_start` in floats (same arithmetic)."""
    try:
        x = lo + (hi - lo) * f_lo / (f_lo - f_hi)
    except ZeroDivisionError:
        return 0.5 * (lo + hi)
    return x if math.isfinite(x) and lo <= x <= hi else 0.5 * (lo + hi)


def _ll(log_likelihood: Callable, design: Design, tau2: float, restricted: bool) -> Any:
    return float(log_likelihood(design, np.array([tau2]), restricted)[0])
