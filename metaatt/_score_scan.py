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
COARSE = (0, 12, 17, 19, 20, 21, 22, 23, 24)
#: relative margin by which a bound must clear 0 (far above the rounding error of a score)
MARGIN = 1e-9


def score_on_grid(
    sums: InterceptSums, points: np.ndarray, at_start: np.ndarray, restricted: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The score at ``points`` (``(B, 25)``, sorted per row; the start at ``at_start``).

    Exact values where evaluated; ``+inf``/``-inf`` where the sign is proven by the bounds
    above without an evaluation. Also returns ``a = y'PPy`` (NaN where not evaluated).
    """
    n, size = points.shape
    cols = np.array(sorted({c for c in COARSE if c < size} | {0, size - 1}))
    rows = np.arange(n)
    a = np.full((n, size), np.nan)
    b = np.full((n, size), np.nan)
    for j in cols:
        a[:, j], b[:, j] = sums.score_parts(points[:, j], restricted)
    a_s, b_s = sums.score_parts(points[rows, at_start], restricted)
    a[rows, at_start], b[rows, at_start] = a_s, b_s
    sign = _signs(a[:, cols], b[:, cols], a_s[:, None], b_s[:, None], at_start[:, None], cols)
    evaluated = np.zeros((n, size), dtype=bool)
    evaluated[:, cols] = True
    evaluated[rows, at_start] = True
    needed = (sign == 0) & ~evaluated
    if needed.any():
        r, c = np.nonzero(needed)
        a[r, c], b[r, c] = sums.subset(r).score_parts(points[r, c], restricted)
    f = 0.5 * (a - b)
    proven = ~(evaluated | needed)
    return np.where(proven, np.where(sign > 0, np.inf, -np.inf), f), a


def _signs(
    a: np.ndarray,
    b: np.ndarray,
    a_start: np.ndarray,
    b_start: np.ndarray,
    at_start: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """Proven sign of the score at every grid position (``+1``, ``-1``, 0: not proven).

    ``a``, ``b``: the parts at the coarse positions ``cols``; the start (at ``at_start``)
    splits the range it falls in. Evaluated positions get some value (not used).
    """
    a_lo, b_lo, a_hi, b_hi = a[:, :-1], b[:, :-1], a[:, 1:], b[:, 1:]
    whole = _sign(_above(a_hi, b_lo), _above(b_hi, a_lo))
    left = _sign(_above(a_start, b_lo), _above(b_start, a_lo))  # [coarse, start]
    right = _sign(_above(a_hi, b_start), _above(b_hi, a_start))  # [start, coarse]
    position = np.arange(cols[-1] + 1)
    range_of = np.minimum(np.searchsorted(cols, position, side="right") - 1, len(cols) - 2)
    inside = (at_start > cols[:-1]) & (at_start < cols[1:])
    split = np.where(position < at_start, left[:, range_of], right[:, range_of])
    return np.where(inside[:, range_of], split, whole[:, range_of])


def _above(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x > y`` by a relative margin (NaN: False)."""
    return x - y > MARGIN * (np.abs(x) + np.abs(y))


def _sign(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    return positive.view(np.int8) - negative.view(np.int8)
