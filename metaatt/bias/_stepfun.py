"""Log-likelihood of the step-function selection model and its gradient (vectorized).

Model (Vevea & Hedges 1995): ``y_i ~ N(mu_i, s_i^2)`` with ``mu_i = x_i' beta`` and
``s_i^2 = v_i + tau^2``, observed with relative probability ``w(p_i) = delta_j`` when the
p-value ``p_i`` of ``y_i / sqrt(v_i)`` lies in ``(alpha_{j-1}, alpha_j]`` (``delta_1 = 1``).
The density of an observed outcome is ``w(p_i) phi_i(y_i) / A_i`` with
``A_i = sum_j delta_j P_ij`` and ``P_ij`` the probability under ``N(mu_i, s_i^2)`` that the
p-value falls in interval ``j``; every interval is a range (two for two-sided p-values) of
``y`` between ``sqrt(v_i) Phi^{-1}(.)`` bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["StepData", "p_values", "step_data"]

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
