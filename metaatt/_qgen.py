"""The generalized Q statistic as a function of tau^2, and where it equals a target.

``Q_gen(tau2) = min_b sum_i (y_i - x_i b)^2 / (v_i + tau2)`` decreases monotonically in
tau^2, with derivative ``-y'PPy``. The Paule-Mandel estimators (``Q_gen = k - p`` or the
median of chi^2) and both Q-profile bounds solve ``Q_gen(tau2) = target``.

Bracket without evaluations: with ``RSS`` the unweighted (OLS) residual sum of squares,
``RSS / (max v + tau2) <= Q_gen(tau2) <= RSS / (min v + tau2)`` (replace every ``v_i`` by
the largest or smallest one: the minimum over ``b`` moves accordingly), so the root lies
in ``[RSS / target - max v, RSS / target - min v]``. Inside it the Newton steps are taken
on ``1 / target - 1 / Q_gen``, which is exactly linear in tau^2 when the ``v_i`` are equal
and nearly so otherwise, starting from the root of ``RSS / (vbar + tau2) = target`` with
``vbar = RSS / Q_gen(0)`` (the equal-variance model through ``Q_gen(0)``), so one to three
steps usually reach machine precision.

References
----------
Paule, R. C., & Mandel, J. (1982). Consensus values and weighting factors. J Res Natl Bur
Stand, 87, 377-385. Viechtbauer, W. (2007). Confidence intervals for the amount of
heterogeneity in meta-analysis. Statistics in Medicine, 26, 37-52.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._equations import InterceptEquation
from ._roots import bracketed_newton
from ._wls import Design, wls

__all__ = ["q_equation", "solve_q_equation"]


def q_equation(design: Design, target: np.ndarray | float) -> Callable:
    """``Q_gen(tau2) - target`` and its derivative ``-y'PPy``, for root finding."""
    if design.X is None:
        return InterceptEquation(design.intercept, "q", target)

    def fun(tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit = wls(design, design.weights(tau2))
        we = fit.a * fit.resid
        return fit.q - target, -np.einsum("bk,bk->b", we, we)

    return fun


def _inverse_q_equation(design: Design, target: np.ndarray) -> Callable:
    """``1 / target - 1 / Q_gen(tau2)`` and its derivative (same root, nearly linear)."""
    if design.X is None:
        return InterceptEquation(design.intercept, "inverse_q", target)
    fun = q_equation(design, 0.0)

    def inverse(tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q, slope = fun(tau2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return 1.0 / target - 1.0 / q, slope / (q * q)

    return inverse


def solve_q_equation(
    design: Design, target: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tau^2 with ``Q_gen(tau2) = target`` for the ``active`` analyses (0 for the others).

    The caller guarantees ``Q_gen(0) > target > 0`` for the active analyses.

    Returns
    -------
    root, converged, iterations
    """
    rss = design.ols_rss
    q0 = design.fe_statistics[0]  # Q_gen(0)
    v_min, v_max = design.v_range
    safe_target = np.where(active, target, 1.0)
    equation = _inverse_q_equation(design, safe_target)
    if active.shape == (1,) and active[0]:  # one analysis: the same steps, in floats
        centre = float(rss[0]) / float(target[0])
        slack = 1e-8 * (centre + float(v_max[0]))
        low = max(centre - float(v_max[0]) - slack, 0.0)
        high = max(centre - float(v_min[0]) + slack, low)
        start = centre - float(rss[0]) / float(q0[0])
        return bracketed_newton(equation, np.array([low]), np.array([high]), np.array([start]))
    centre = rss / safe_target
    slack = 1e-8 * (centre + v_max)  # round-off in the bounds must not exclude the root
    lo = np.where(active, np.maximum(centre - v_max - slack, 0.0), 0.0)
    hi = np.where(active, np.maximum(centre - v_min + slack, lo), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        start = centre - rss / q0
    root, converged, iterations = bracketed_newton(equation, lo, hi, start)
    if active.all():
        return root, converged, iterations
    return np.where(active, root, 0.0), converged | ~active, np.where(active, iterations, 0)
