"""Priors on tau^2 in log form: the shapes of the published empirical priors.

``LogNormalTau2`` (Turner et al. 2015) and ``LogStudentTTau2`` (Rhodes et al. 2015) are
priors on log(tau^2); on the tau scale their densities carry the Jacobian ``2 tau``:
``p(tau) = 2 tau f_{tau^2}(tau^2)``. See :mod:`metaatt.bayes.empirical` for the tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from .priors import _LOG2, TauPrior, _finite, _positive

__all__ = ["LogNormalTau2", "LogStudentTTau2"]


@dataclass(frozen=True)
class LogNormalTau2(TauPrior):
    """Log-normal prior on tau^2: ``log(tau^2) ~ N(mu, sigma^2)``.

    The form of the empirical priors of Turner et al. (2015); ``source`` says where the
    parameters come from. On the tau scale the density is ``2 tau f_LN(tau^2)``.
    """

    mu: float
    sigma: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", _finite(self.mu, "mu", "LogNormalTau2"))
        object.__setattr__(self, "sigma", _positive(self.sigma, "sigma", "LogNormalTau2"))

    @property
    def scale_hint(self) -> float:
        return math.exp(self.mu / 2.0)

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_t2 = 2.0 * np.log(tau)
            z = (log_t2 - self.mu) / self.sigma
            out = _LOG2 - np.log(tau) - math.log(self.sigma) - 0.5 * math.log(2 * math.pi)
            out = out - 0.5 * z**2
        return np.where(tau > 0, out, -np.inf)

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore"):
            z = (2.0 * np.log(np.maximum(tau, 0.0)) - self.mu) / self.sigma
        return special.ndtr(z)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.exp((self.mu + self.sigma * special.ndtri(q)) / 2.0)

    def describe(self) -> str:
        text = f"log-normal on tau^2(mu = {self.mu:g}, sigma = {self.sigma:g})"
        return f"{text} [{self.source}]" if self.source else text

    def pymc(self, name: str) -> Any:
        import pymc as pm

        log_tau2 = pm.Normal(f"log_{name}2", mu=self.mu, sigma=self.sigma)
        return pm.Deterministic(name, pm.math.exp(log_tau2 / 2.0))


@dataclass(frozen=True)
class LogStudentTTau2(TauPrior):
    """Log-Student-t prior on tau^2: ``log(tau^2) ~ t_nu(location, scale)``.

    The form of the empirical priors of Rhodes et al. (2015) (``nu = 5``). The density on
    the tau scale, ``2 f_t((log tau^2 - location) / scale) / (scale tau)``, has an
    integrable pole at tau = 0.
    """

    location: float
    scale: float
    nu: float = 5.0
    source: str = ""

    def __post_init__(self) -> None:
        owner = "LogStudentTTau2"
        object.__setattr__(self, "location", _finite(self.location, "location", owner))
        object.__setattr__(self, "scale", _positive(self.scale, "scale", owner))
        object.__setattr__(self, "nu", _positive(self.nu, "nu", owner))

    @property
    def scale_hint(self) -> float:
        return math.exp(self.location / 2.0)

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (2.0 * np.log(tau) - self.location) / self.scale
            out = _LOG2 + stats.t.logpdf(z, self.nu) - math.log(self.scale) - np.log(tau)
        return np.where(tau > 0, out, np.where(tau == 0, np.inf, -np.inf))

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore"):
            z = (2.0 * np.log(np.maximum(tau, 0.0)) - self.location) / self.scale
        return stats.t.cdf(z, self.nu)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.exp((self.location + self.scale * stats.t.ppf(q, self.nu)) / 2.0)

    def describe(self) -> str:
        text = (
            f"log-Student-t on tau^2(location = {self.location:g}, scale = {self.scale:g}, "
            f"nu = {self.nu:g})"
        )
        return f"{text} [{self.source}]" if self.source else text

    def pymc(self, name: str) -> Any:
        import pymc as pm

        log_tau2 = pm.StudentT(f"log_{name}2", nu=self.nu, mu=self.location, sigma=self.scale)
        return pm.Deterministic(name, pm.math.exp(log_tau2 / 2.0))
