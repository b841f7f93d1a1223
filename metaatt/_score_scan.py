"""The ML/REML score on the scan grid, evaluated only where its sign is not already known.

:func:`metaatt._likelihood.maximise_likelihood` needs, for every analysis, the sign of the
score at 25 grid points (24 fractions of an upper bound, and the Hedges start), and its
value at the ends of the cell that brackets the reported root. Evaluating all 25 points
costs most of a batch fit, yet the sign at most of them is known from a few evaluations:
the score is ``(a - b) / 2`` with ``a = y'PPy`` and ``b = tr(P)`` (REML) or ``sum w``
(ML), and both parts are non-increasing in tau^2 (derivatives ``-2 y'PPPy``,
``-tr(PP)``, ``-sum w^2``; ``P`` is positive semi-definite). Hence on ``[s, t]``::

    (a(t) - b(s)) / 2  <=  score  <=  (a(s) - b(t)) / 2,

so ``a(t) > b(s)`` proves the score positive on the whole range and ``a(s) < b(t)``
proves it negative. The grid is first evaluated at a coarse subset of positions (and at the
start); every other position inside a range so proven gets the sign (``+inf`` or
``-inf``), and the positions of the remaining ranges are evaluated exactly. A range in
which the score changes sign is never proven, so the cells that bracket roots have exact
values at both ends: the result is what a full scan gives, at about 40% of its cost.
"""

from __future__ import annotations

import numpy as np

from ._intercept import InterceptSums

__all__ = ["COARSE", "score_on_grid"]

#: positions of the 25 sorted grid points always evaluated (dense near the upper bound,
#: where roots usually are: the bound is a few times the typical tau^2)
COARSE = (0, 10, 16, 19, 21, 22, 23, 24)
#: relative margin by which a bound must clear 0 (far above the rounding error of a score)
MARGIN = 1e-9


def score_on_grid(
    sums: InterceptSums, points: np.ndarray, at_start: np.ndarray, restricted: bool
) -> np.ndarray:
    """The score at ``points`` (``(B, 25)``, sorted per row; the start at ``at_start``).

    Exact values where evaluated; ``+inf``/``-inf`` where the sign is proven by the bounds
    above without an evaluation.
    """
    n, size = points.shape
    rows = np.arange(n)
    coarse = [c for c in COARSE if c < size]
    if coarse[-1] != size - 1:
        coarse.append(size - 1)
    evaluated = np.zeros((n, size), dtype=bool)
    evaluated[:, coarse] = True
    evaluated[rows, at_start] = True
    a = np.full((n, size), np.nan)
    b = np.full((n, size), np.nan)
    for j in coarse:
        a[:, j], b[:, j] = sums.score_parts(points[:, j], restricted)
    a[rows, at_start], b[rows, at_start] = sums.score_parts(points[rows, at_start], restricted)
    # the evaluated neighbours of every position: below (or at) and above (or at)
    position = np.arange(size)
    below = np.maximum.accumulate(np.where(evaluated, position, 0), axis=1)
    above = np.minimum.accumulate(np.where(evaluated, position, size - 1)[:, ::-1], axis=1)
    above = above[:, ::-1]
    rr = rows[:, None]
    positive = a[rr, above] > b[rr, below] * (1.0 + MARGIN)
    negative = a[rr, below] < b[rr, above] * (1.0 - MARGIN)
    needed = ~(evaluated | positive | negative)
    if needed.any():
        r, c = np.nonzero(needed)
        a[r, c], b[r, c] = sums.subset(r).score_parts(points[r, c], restricted)
    f = 0.5 * (a - b)
    if (evaluated | needed).all():
        return f
    return np.where(evaluated | needed, f, np.where(positive, np.inf, -np.inf))
