"""Vectorized safeguarded Newton root finding (Newton steps inside a shrinking bracket).

Used for every iterative estimator (ML, REML, PM, PMM) and for the Q-profile interval, one
root per analysis, all analyses at once. The method is ``rtsafe`` (Press et al. 2007,
Numerical Recipes, 3rd ed., section 9.4): a Newton step is taken when it stays inside the
bracket and shrinks the step fast enough, a bisection step otherwise, so convergence is
guaranteed once a sign change is bracketed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["XTOL", "bracketed_newton"]

#: convergence tolerance on the root, relative to ``1 + |x|``
XTOL = 1e-12
MAXITER = 500


def bracketed_newton(
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    x0: np.ndarray | None = None,
    *,
    xtol: float = XTOL,
    maxiter: int = MAXITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find ``x`` in ``[lo, hi]`` with ``fun(x)[0] == 0`` where ``f(lo) > 0 > f(hi)``.

    Parameters
    ----------
    fun
        Maps ``x`` (shape ``(B,)``) to ``(f, df/dx)``, each of shape ``(B,)``.
    lo, hi
        Brackets with ``f(lo) > 0`` and ``f(hi) < 0`` (the function may be non-monotone
        inside; a root of the bracket is returned).
    x0
        Starting values (clipped into the bracket); the midpoint when omitted.

    Notes
    -----
    When ``fun`` has a ``restrict(rows)`` method returning the same equation for a subset
    of its rows, iterations continue on the unfinished analyses only (the others keep
    their root), so the cost follows the mean rather than the maximum iteration count.

    Returns
    -------
    x, converged, iterations
        Roots, a boolean flag per analysis, and the number of iterations used.
    """
    if np.shape(lo) == (1,):  # one root: bookkeeping in floats
        low, high = float(lo[0]), float(hi[0])
        start = 0.5 * (low + high) if x0 is None else min(max(float(x0[0]), low), high)
        return _scalar_newton(fun, low, high, start, xtol, maxiter)
    lo = np.array(lo, dtype=float, copy=True)
    hi = np.array(hi, dtype=float, copy=True)
    x = 0.5 * (lo + hi) if x0 is None else np.clip(np.asarray(x0, dtype=float), lo, hi)
    state = _State(lo, hi, x)
    restrict = getattr(fun, "restrict", None)
    active = np.arange(x.shape[0])  # rows still iterating
    for _ in range(maxiter):
        still = state.step(fun, active if len(active) < x.shape[0] else slice(None), xtol)
        if not still.any():
            break
        if restrict is not None and len(active) >= _COMPACT_MIN and still.sum() <= len(active) // 2:
            keep = np.flatnonzero(still)
            active = active[keep]
            fun = fun.restrict(keep)
            restrict = fun.restrict
    return state.x, state.done, state.iterations


#: compact the iteration to the unfinished analyses (when ``fun`` can be restricted to a
#: subset of rows) once at least this many are in play and half of them have finished
_COMPACT_MIN = 64


class _State:
    """Brackets, iterates and step sizes of every root; :meth:`step` advances some rows."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> None:
        self.lo, self.hi, self.x = lo, hi, np.array(x, dtype=float)
        self.step_old = hi - lo
        self.done = np.zeros(x.shape, dtype=bool)
        self.iterations = np.zeros(x.shape, dtype=int)

    def step(self, fun: Callable, rows: np.ndarray | slice, xtol: float) -> np.ndarray:
        """One safeguarded Newton step for ``rows``; returns which of them go on."""
        x, lo, hi, step_old = self.x[rows], self.lo[rows], self.hi[rows], self.step_old[rows]
        done = self.done[rows]
        f, fp = fun(x)
        done = done | (f == 0)
        positive = f > 0
        lo = np.where(positive & ~done, x, lo)
        hi = np.where(~positive & ~done, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - f / fp
            ok = (
                np.isfinite(newton)
                & (newton > lo)
                & (newton < hi)
                & (np.abs(2.0 * f) <= np.abs(step_old * fp))
            )
        x_new = np.where(ok, newton, 0.5 * (lo + hi))
        step = np.abs(x_new - x)
        x_new = np.where(done, x, x_new)
        self.iterations[rows] += ~done
        step_old = np.where(done, step_old, step)
        tol = xtol * (1.0 + np.abs(x_new))
        done = done | (step <= tol) | ((hi - lo) <= tol)
        self.x[rows], self.lo[rows], self.hi[rows] = x_new, lo, hi
        self.step_old[rows], self.done[rows] = step_old, done
        return ~done


def _as_float(value: np.ndarray | float) -> float:
    if isinstance(value, float):
        return value
    return float(value[0]) if np.ndim(value) else float(value)


def _scalar_newton(
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: float,
    hi: float,
    x: float,
    xtol: float,
    maxiter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`bracketed_newton` for one analysis: the same steps, in Python floats.

    Array bookkeeping costs far more than the arithmetic when there is one root, so the
    bracket logic runs on floats (IEEE doubles, so every step is bitwise the same as the
    array version); ``fun`` receives and returns arrays of shape ``(1,)``, or floats when
    it has a true ``takes_float`` attribute.
    """
    step_old = hi - lo
    done = False
    iterations = 0
    floats = getattr(fun, "takes_float", False)  # evaluates floats directly (no arrays)
    for _ in range(maxiter):
        if floats:
            f, fp = fun(x)
        else:
            f, fp = fun(np.array([x]))
            f, fp = _as_float(f), _as_float(fp)
        done = f == 0
        if not done:
            if f > 0:
                lo = x
            else:
                hi = x
        try:
            newton = x - f / fp
        except (ZeroDivisionError, OverflowError):
            newton = math.nan
        ok = math.isfinite(newton) and lo < newton < hi and abs(2.0 * f) <= abs(step_old * fp)
        x_new = newton if ok else 0.5 * (lo + hi)
        step = abs(x_new - x)
        if done:
            x_new = x
        else:
            iterations += 1
            step_old = step
        tol = xtol * (1.0 + abs(x_new))
        x = x_new
        if done or step <= tol or (hi - lo) <= tol:
            done = True
            break
    return np.array([x]), np.array([done]), np.array([iterations])
