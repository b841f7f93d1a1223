"""Step-function selection model: log-likelihood, analytic gradient and its maximization.

Model (Vevea & Hedges 1995): ``y_i ~ N(mu_i, s_i^2)`` with ``mu_i = x_i' beta`` and
``s_i^2 = v_i + tau^2``, observed with relative probability ``w(p_i) = delta_j`` when the
p-value ``p_i`` of ``y_i / sqrt(v_i)`` lies in ``(alpha_{j-1}, alpha_j]`` (``delta_1 = 1``).
The density of an observed outcome is ``w(p_i) phi_i(y_i) / A_i`` with
``A_i = sum_j delta_j P_ij`` and ``P_ij`` the probability under ``N(mu_i, s_i^2)`` that the
p-value falls in interval ``j``; every interval is a range (two for two-sided p-values) of
``y`` between ``sqrt(v_i) Phi^{-1}(.)`` bounds.

:func:`maximize` runs L-BFGS-B (restarted until the likelihood stops improving, since it
can stop early on these surfaces) and polishes with projected Newton steps on a
Richardson-extrapolated numerical Hessian of the analytic gradient (:func:`hessian`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special

__all__ = [
    "DELTA_MAX",
    "DELTA_MIN",
    "Problem",
    "StepData",
    "hessian",
    "maximize",
    "p_values",
    "step_data",
]

#: bounds of the selection weights (metafor's default ``delta.max`` is 100)
DELTA_MAX = 100.0
DELTA_MIN = 1e-10

_LOG_2PI = np.log(2.0 * np.pi)


def p_values(yi: np.ndarray, vi: np.ndarray, alternative: str) -> np.ndarray:
    """One- or two-sided p-values of ``z_i = y_i / sqrt(v_i)``."""
    z = yi / np.sqrt(vi)
    if alternative == "greater":
        return special.ndtr(-z)
    if alternative == "less":
        return special.ndtr(z)
    return 2.0 * special.ndtr(-np.abs(z))


@dataclass(frozen=True)
class StepData:
    """Data and interval bounds (on the y scale) of a step-function selection model."""

    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray  # (k, p)
    group: np.ndarray  # (k,) interval index of each observed p-value
    counts: np.ndarray  # (c,) number of p-values per interval
    lower: np.ndarray  # (pieces, k, c) lower bounds of the y ranges
    upper: np.ndarray  # (pieces, k, c) upper bounds

    @property
    def c(self) -> int:
        return len(self.counts)

    def loglik(
        self, beta: np.ndarray, tau2: float, delta: np.ndarray, *, gradient: bool = False
    ) -> tuple[float, np.ndarray | None]:
        """Log-likelihood and (optionally) its gradient in ``(beta, tau2, delta_2..c)``."""
        mu = self.X @ beta
        s2 = self.vi + tau2
        s = np.sqrt(s2)
        r = self.yi - mu
        hi = (self.upper - mu[None, :, None]) / s[None, :, None]
        lo = (self.lower - mu[None, :, None]) / s[None, :, None]
        # interval probabilities, computed in the tail where it is more accurate
        right = lo > 0
        prob = np.where(
            right, special.ndtr(-lo) - special.ndtr(-hi), special.ndtr(hi) - special.ndtr(lo)
        ).sum(axis=0)  # (k, c)
        a = prob @ delta
        with np.errstate(divide="ignore"):
            log_w = np.log(delta[self.group])
        ll = float(np.sum(log_w - 0.5 * (_LOG_2PI + np.log(s2) + r**2 / s2) - np.log(a)))
        if not gradient:
            return ll, None
        finite_hi, finite_lo = np.isfinite(hi), np.isfinite(lo)
        hi0, lo0 = np.where(finite_hi, hi, 0.0), np.where(finite_lo, lo, 0.0)
        phi_hi = np.where(finite_hi, _phi(hi0), 0.0)
        phi_lo = np.where(finite_lo, _phi(lo0), 0.0)
        d_mu = ((phi_lo - phi_hi).sum(axis=0) / s[:, None]) @ delta  # dA/dmu
        hi_term = phi_hi * hi0
        lo_term = phi_lo * lo0
        d_s = ((lo_term - hi_term).sum(axis=0) / s[:, None]) @ delta  # dA/ds
        g_beta = self.X.T @ (r / s2 - d_mu / a)
        g_tau2 = np.sum(-0.5 / s2 + 0.5 * r**2 / s2**2 - d_s / (a * 2.0 * s))
        with np.errstate(divide="ignore", invalid="ignore"):
            g_delta = self.counts / delta - (prob / a[:, None]).sum(axis=0)
        return ll, np.concatenate([g_beta, [g_tau2], g_delta[1:]])


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x**2) / np.sqrt(2.0 * np.pi)


def step_data(
    yi: np.ndarray, vi: np.ndarray, X: np.ndarray, steps: np.ndarray, alternative: str
) -> StepData:
    """Bounds of every interval for every study, and the interval of each observed p."""
    p = p_values(yi, vi, alternative)
    edges = np.concatenate([[0.0], steps])  # alpha_0 = 0 < alpha_1 < ... < alpha_c = 1
    group = np.searchsorted(steps, p, side="left")  # (alpha_{j-1}, alpha_j]
    group = np.minimum(group, len(steps) - 1)
    counts = np.bincount(group, minlength=len(steps))
    se = np.sqrt(vi)[:, None]
    a_lo, a_hi = edges[:-1][None, :], edges[1:][None, :]
    if alternative == "greater":  # p = 1 - Phi(z): z in [Phi^-1(1 - a_hi), Phi^-1(1 - a_lo))
        lower = se * special.ndtri(1.0 - a_hi)
        upper = se * special.ndtri(1.0 - a_lo)
        lower, upper = lower[None], upper[None]
    elif alternative == "less":  # p = Phi(z): z in (Phi^-1(a_lo), Phi^-1(a_hi)]
        lower = (se * special.ndtri(a_lo))[None]
        upper = (se * special.ndtri(a_hi))[None]
    else:  # p = 2(1 - Phi(|z|)): |z| in [Phi^-1(1 - a_hi/2), Phi^-1(1 - a_lo/2))
        inner = se * special.ndtri(1.0 - a_hi / 2.0)
        outer = se * special.ndtri(1.0 - a_lo / 2.0)
        lower = np.stack([inner, -outer])
        upper = np.stack([outer, -inner])
    shape = (lower.shape[0], len(yi), len(steps))
    return StepData(
        yi=yi,
        vi=vi,
        X=X,
        group=group,
        counts=counts,
        lower=np.broadcast_to(lower, shape).copy(),
        upper=np.broadcast_to(upper, shape).copy(),
    )


class Problem:
    """Negative log-likelihood over the free parameters, with bounds."""

    def __init__(self, data: StepData, p: int, fit_tau2: bool) -> None:
        self.data, self.p, self.fit_tau2 = data, p, fit_tau2

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        beta = theta[: self.p]
        tau2 = float(theta[self.p]) if self.fit_tau2 else 0.0
        rest = theta[self.p + int(self.fit_tau2) :]
        return beta, tau2, np.concatenate([[1.0], rest])

    def objective(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        beta, tau2, delta = self.unpack(theta)
        ll, grad = self.data.loglik(beta, tau2, delta, gradient=True)
        if not self.fit_tau2:
            grad = np.delete(grad, self.p)
        return -ll, -grad

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.objective(theta)[1]

    def bounds(self) -> list[tuple[float | None, float | None]]:
        b: list[tuple[float | None, float | None]] = [(None, None)] * self.p
        if self.fit_tau2:
            b.append((0.0, None))
        # every interval holds a p-value, so the likelihood vanishes as a delta -> 0: a tiny
        # positive lower bound keeps the objective finite for the line searches
        return b + [(DELTA_MIN, DELTA_MAX)] * (self.data.c - 1)


def maximize(problem: Problem, start: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Maximize the log-likelihood: restarted L-BFGS-B, then projected Newton steps."""
    bounds = problem.bounds()
    lows = np.array([-np.inf if lo is None else lo for lo, _ in bounds])
    highs = np.array([np.inf if hi is None else hi for _, hi in bounds])
    theta = np.clip(np.asarray(start, dtype=float), lows, highs)
    value = problem.objective(theta)[0]
    for _ in range(50):  # L-BFGS-B can stop early on these surfaces; restart until stable
        res = optimize.minimize(
            problem.objective,
            theta,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30},
        )
        improved = value - float(res.fun)
        if np.isfinite(res.fun) and improved >= 0.0:
            theta, value = np.asarray(res.x, dtype=float), float(res.fun)
        if not improved > 1e-12 * max(1.0, abs(value)):
            break
    for _ in range(50):  # Newton steps with backtracking on the parameters off the bounds
        grad = problem.gradient(theta)
        free = ~(((theta <= lows) & (grad > 0)) | ((theta >= highs) & (grad < 0)))
        if np.max(np.abs(grad[free]), initial=0.0) < 1e-12:
            break
        hess = hessian(problem.gradient, theta)[np.ix_(free, free)]
        try:
            step = np.linalg.solve(hess, grad[free])
        except np.linalg.LinAlgError:
            break
        moved = False
        for shrink in 0.5 ** np.arange(30):
            candidate = theta.copy()
            candidate[free] = np.clip(theta[free] - shrink * step, lows[free], highs[free])
            new_value = problem.objective(candidate)[0]
            if np.isfinite(new_value) and new_value <= value:
                moved = not np.array_equal(candidate, theta)
                theta, value = candidate, new_value
                break
        if not moved:
            break
    grad = problem.gradient(theta)
    at_bound = (theta <= lows) | (theta >= highs)
    ok = bool(np.max(np.abs(grad[~at_bound]), initial=0.0) < 1e-5)
    return theta, -value, ok


def hessian(gradient: Any, theta: np.ndarray) -> np.ndarray:
    """Symmetrized Hessian by Richardson-extrapolated central differences of the gradient."""
    n = len(theta)
    hess = np.empty((n, n))
    for j in range(n):
        h = 1e-4 * max(abs(theta[j]), 1e-2)
        e = np.zeros(n)
        e[j] = h
        d1 = (gradient(theta + e) - gradient(theta - e)) / (2 * h)
        d2 = (gradient(theta + e / 2) - gradient(theta - e / 2)) / h
        hess[:, j] = (4 * d2 - d1) / 3
    return 0.5 * (hess + hess.T)
