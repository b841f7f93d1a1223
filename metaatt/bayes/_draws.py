"""Posterior summaries computed from MCMC draws (used by the NUTS models)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .result import PosteriorSummary

__all__ = ["DrawsPosterior", "shortest_interval", "summarize_columns", "summarize_draws"]


def shortest_interval(draws: np.ndarray, level: float) -> np.ndarray:
    """Shortest intervals containing a fraction ``level`` of the draws (empirical HPD),
    for each column of ``draws`` (shape (n,) or (n, d)); returns shape (2,) or (d, 2)."""
    x = np.sort(np.asarray(draws, dtype=float), axis=0)
    n = x.shape[0]
    inside = min(max(math.ceil(level * n), 1), n)
    widths = x[inside - 1 :] - x[: n - inside + 1]
    i = np.argmin(widths, axis=0)
    lo = np.take_along_axis(x, np.expand_dims(i, 0), axis=0)[0]
    hi = np.take_along_axis(x, np.expand_dims(i + inside - 1, 0), axis=0)[0]
    return np.stack([lo, hi], axis=-1)


def summarize_columns(draws: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Per column of ``draws`` (n, p): mean, sd, median, equal-tailed and shortest
    intervals (the columns of the ``theta`` and coefficient tables)."""
    alpha = (1.0 - level) / 2.0
    hpd = shortest_interval(draws, level)
    return {
        "mean": draws.mean(axis=0),
        "sd": draws.std(axis=0, ddof=1),
        "median": np.median(draws, axis=0),
        "ci_low": np.quantile(draws, alpha, axis=0),
        "ci_high": np.quantile(draws, 1.0 - alpha, axis=0),
        "hpd_low": hpd[:, 0],
        "hpd_high": hpd[:, 1],
    }


def summarize_draws(draws: np.ndarray, level: float) -> PosteriorSummary:
    """Mean, sd, median, equal-tailed and shortest intervals of a sample."""
    x = np.asarray(draws, dtype=float).ravel()
    alpha = (1.0 - level) / 2.0
    lo, med, hi = np.quantile(x, [alpha, 0.5, 1.0 - alpha])
    hpd = shortest_interval(x, level)
    return PosteriorSummary(
        mean=float(x.mean()),
        sd=float(x.std(ddof=1)) if len(x) > 1 else math.nan,
        median=float(med),
        ci_low=float(lo),
        ci_high=float(hi),
        hpd_low=float(hpd[0]),
        hpd_high=float(hpd[1]),
        level=level,
    )


class DrawsPosterior:
    """Density, tail probabilities and plotting grids from draws of mu, tau and a new
    study's effect. Densities are Gaussian kernel estimates (tau reflected at 0); for the
    normal model the predictive density is the exact mixture of N(mu_s, tau_s^2) over
    draws s (Rao-Blackwellized)."""

    def __init__(
        self, mu: np.ndarray, tau: np.ndarray, predictive: np.ndarray, normal_effects: bool
    ) -> None:
        self.draws = {"mu": np.ravel(mu), "tau": np.ravel(tau), "predictive": np.ravel(predictive)}
        self.normal_effects = normal_effects

    def prob_above(self, param: str, threshold: float) -> float:
        return float(np.mean(self.draws[param] > threshold))

    def grid(self, param: str, points: int) -> np.ndarray:
        x = self.draws[param]
        if param == "tau":
            return np.linspace(0.0, float(np.quantile(x, 0.995)), points)
        lo, hi = np.quantile(x, [0.0005, 0.9995])
        return np.linspace(float(lo), float(hi), points)

    def density(self, param: str, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if param == "predictive" and self.normal_effects:
            mu, tau = self.draws["mu"], self.draws["tau"]
            sd = np.maximum(tau, 1e-300)
            step = max(1, len(mu) // 4000)  # a few thousand components are plenty
            z = (x[:, None] - mu[None, ::step]) / sd[None, ::step]
            return (np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sd[None, ::step])).mean(axis=1)
        draws = self.draws[param]
        if np.ptp(draws) == 0:
            return np.zeros_like(x)
        if param == "tau":
            kde = stats.gaussian_kde(np.concatenate([draws, -draws]))
            return np.where(x >= 0, 2.0 * kde(x), 0.0)
        return stats.gaussian_kde(draws)(x)
