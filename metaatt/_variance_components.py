"""Maximise the three-level (restricted) likelihood and profile it for confidence intervals.

:func:`maximize` runs bounded L-BFGS-B (scipy) on the two variance components with the
analytic score, then polishes with Newton steps (Hessian by central differences of the
analytic score) on the components not held at the boundary 0, until the step is below
``1e-12`` relative: the estimates are converged far beyond metafor's default.

:func:`profile_interval` finds, for one component, the values where the profile
log-likelihood (maximised over the other component) lies ``chi2_{1, level} / 2`` below its
maximum (metafor's ``confint.rma.mv``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize, special

from ._nested import LikelihoodParts, NestedStructure
from .errors import ConvergenceError

__all__ = ["Maximum", "maximize", "profile_interval"]

XTOL = 1e-12


class Maximum:
    """The maximum: sigma2, log-likelihood, fit and the number of iterations."""

    def __init__(self, sigma2: np.ndarray, parts: LikelihoodParts, iterations: int) -> None:
        self.sigma2 = sigma2
        self.parts = parts
        self.iterations = iterations


def _start(structure: NestedStructure) -> float:
    """A scale for the variance components: the DerSimonian-Laird tau^2 of all rows."""
    w = structure.inv_v
    X = structure.X
    xtwx = X.T @ (w[:, None] * X)
    b = np.linalg.solve(xtwx, X.T @ (w * structure.y))
    q = float(np.sum(w * (structure.y - X @ b) ** 2))
    trace = structure.fixed_effects_trace()
    tau2 = (q - (structure.k - structure.p)) / trace
    return float(max(tau2, 0.01 * float(np.median(structure.v)), 1e-8))


def _hessian(grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray, scale: float) -> np.ndarray:
    H = np.empty((2, 2))
    for j in range(2):
        h = 1e-5 * max(abs(x[j]), scale)
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] = max(down[j] - h, 0.0)
        H[:, j] = (grad(up) - grad(down)) / (up[j] - down[j])
    return 0.5 * (H + H.T)


def maximize(structure: NestedStructure, method: str) -> Maximum:
    """Maximise the ``method`` (``"ML"``/``"REML"``) log-likelihood over sigma2 >= 0."""
    scale = _start(structure)

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        parts = structure.parts(theta * scale, method)
        return -parts.loglik, -parts.gradient * scale

    out = optimize.minimize(
        negative,
        np.array([0.5, 0.5]),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None), (0.0, None)],
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 5000, "maxls": 50},
    )
    x = np.maximum(out.x * scale, 0.0)
    grad = lambda s: structure.parts(s, method).gradient  # noqa: E731
    iterations = int(out.nit)
    for _ in range(30):
        iterations += 1
        g = grad(x)
        free = ~((x <= 0.0) & (g <= 0.0))
        if not free.any():
            break
        H = _hessian(grad, x, scale)
        Hf = H[np.ix_(free, free)]
        if not np.all(np.linalg.eigvalsh(Hf) < 0):
            break  # not concave here (L-BFGS-B stopped at a boundary or saddle): keep x
        step = np.zeros(2)
        step[free] = -np.linalg.solve(Hf, g[free])
        new = np.maximum(x + step, 0.0)
        before = structure.parts(x, method).loglik
        # near the maximum the likelihood is flat to rounding: a Newton step that loses no
        # more than rounding error still shrinks the score, so it is taken
        if structure.parts(new, method).loglik < before - 1e-13 * (1.0 + abs(before)):
            break  # no further progress at machine precision
        moved = np.abs(new - x)
        x = new
        if np.all(moved <= XTOL * (np.abs(x) + scale * 1e-6)):
            break
    parts = structure.parts(x, method)
    g = parts.gradient
    bad = (x > 0) & (np.abs(g) * np.maximum(x, scale) > 1e-6 * (1.0 + abs(parts.loglik)))
    if bad.any() or not np.isfinite(parts.loglik):
        raise ConvergenceError(
            f"multilevel: the {method} likelihood did not converge (sigma2 = {x.tolist()}, "
            f"score = {g.tolist()})"
        )
    return Maximum(x, parts, iterations)


def _maximize_other(
    structure: NestedStructure, method: str, j: int, value: float, scale: float
) -> float:
    """Profile log-likelihood: fix component ``j`` at ``value``, maximise the other."""
    other = 1 - j

    def grad_other(x: float) -> float:
        s = np.empty(2)
        s[j], s[other] = value, x
        return float(structure.parts(s, method).gradient[other])

    best = 0.0
    if grad_other(0.0) > 0.0:
        hi = scale
        for _ in range(200):
            if grad_other(hi) < 0.0:
                break
            hi *= 2.0
        best = optimize.brentq(grad_other, 0.0, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    s = np.empty(2)
    s[j], s[other] = value, best
    return structure.parts(s, method).loglik


def profile_interval(
    structure: NestedStructure, method: str, maximum: Maximum, j: int, level: float
) -> tuple[float, float]:
    """Profile-likelihood ``level`` interval for variance component ``j`` (0 = between)."""
    scale = _start(structure)
    target = maximum.parts.loglik - 0.5 * float(special.chdtri(1, 1.0 - level))
    estimate = float(maximum.sigma2[j])

    def excess(x: float) -> float:
        return _maximize_other(structure, method, j, x, scale) - target

    if estimate <= 0.0 or excess(0.0) >= 0.0:
        low = 0.0
    else:
        low = optimize.brentq(excess, 0.0, estimate, xtol=1e-15, rtol=1e-13)
    hi = max(estimate, scale) * 2.0
    for _ in range(200):
        if excess(hi) < 0.0:
            break
        hi *= 2.0
    else:  # pragma: no cover - the likelihood always falls off eventually
        return low, np.inf
    high = optimize.brentq(excess, estimate, hi, xtol=1e-15, rtol=1e-13)
    return low, high
