"""Exact posterior of the normal-normal hierarchical model by numerical integration over tau.

Model (Roever 2020, eqs. 1-3): ``y_i | theta_i ~ N(theta_i, v_i)``,
``theta_i | mu, tau ~ N(mu, tau^2)``, ``mu ~ N(m0, s0^2)`` (or flat), ``tau ~ p(tau)``.

For fixed tau everything is normal (Roever 2020, sec. 2.3): with
``w_i = 1 / (v_i + tau^2)`` and the prior counted as one more observation,

    mu | tau, y ~ N(mu_hat, V),  V = 1 / (sum w_i + 1/s0^2),
    mu_hat = V (sum w_i y_i + m0 / s0^2),
    theta_i | tau, y ~ N(B_i mu_hat + (1 - B_i) y_i, (1 - B_i) v_i + B_i^2 V),
    B_i = v_i / (v_i + tau^2),
    theta_new | tau, y ~ N(mu_hat, V + tau^2),

and the marginal likelihood of tau (mu integrated out) is

    log p(y | tau) = -1/2 sum log(2 pi (v_i + tau^2)) - Q/2 + 1/2 log(2 pi V)
                     - 1/2 log(2 pi s0^2),
    Q = sum w_i (y_i - mu_hat)^2 + (mu_hat - m0)^2 / s0^2

(the s0 terms vanish for the flat prior). The marginal posterior p(tau | y) is proportional
to p(tau) p(y | tau); it is integrated over u = log(tau) with an adaptive composite
Gauss-Legendre rule (:mod:`._quadrature`), and each other marginal is the resulting finite
normal mixture (:mod:`._mixture`).

References
----------
Roever C (2020). Bayesian random-effects meta-analysis using the bayesmeta R package.
Journal of Statistical Software 93(6):1-51. doi:10.18637/jss.v093.i06
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..errors import MetaattError
from ._mixture import NormalMixture
from ._quadrature import LogRule, build_rule, partial_integrals
from .priors import Normal, TauPrior

__all__ = ["ExactPosterior", "conditional_mu", "log_marginal_likelihood"]

_LOG2PI = math.log(2.0 * math.pi)
_DROP_TAIL = 46.0  # tail range: e^-46 of the peak density is negligible


def conditional_mu(
    tau: np.ndarray, yi: np.ndarray, vi: np.ndarray, mu_prior: Normal | None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of mu given tau (vectorized over tau): (mu_hat, V)."""
    w = 1.0 / (vi[None, :] + np.asarray(tau)[:, None] ** 2)
    prec = w.sum(axis=1)
    num = w @ yi
    if mu_prior is not None:
        prec = prec + 1.0 / mu_prior.sd**2
        num = num + mu_prior.mean / mu_prior.sd**2
    return num / prec, 1.0 / prec


def log_marginal_likelihood(
    tau: np.ndarray, yi: np.ndarray, vi: np.ndarray, mu_prior: Normal | None
) -> np.ndarray:
    """log p(y | tau) with mu integrated out (flat mu prior: up to its constant)."""
    tau = np.asarray(tau, dtype=float)
    s2 = vi[None, :] + tau[:, None] ** 2
    mu_hat, V = conditional_mu(tau, yi, vi, mu_prior)
    q = ((yi[None, :] - mu_hat[:, None]) ** 2 / s2).sum(axis=1)
    out = -0.5 * np.log(s2).sum(axis=1) - 0.5 * len(yi) * _LOG2PI - 0.5 * q
    out = out + 0.5 * (_LOG2PI + np.log(V))
    if mu_prior is not None:
        out = out - 0.5 * (mu_hat - mu_prior.mean) ** 2 / mu_prior.sd**2
        out = out - 0.5 * (_LOG2PI + 2.0 * math.log(mu_prior.sd))
    return out


def log_likelihood_at(tau: np.ndarray, yi: np.ndarray, vi: np.ndarray, mu: float) -> np.ndarray:
    """log p(y | mu, tau) for fixed mu (the null model of the effect Bayes factor)."""
    s2 = vi[None, :] + np.asarray(tau, dtype=float)[:, None] ** 2
    return -0.5 * (np.log(s2) + _LOG2PI + (yi[None, :] - mu) ** 2 / s2).sum(axis=1)


def _tail_exponent(prior: TauPrior, k: int, mu_prior: Normal | None) -> float:
    """a such that the posterior density of tau falls like tau^-a for large tau."""
    return prior.tail_exponent + (k if mu_prior is not None else k - 1)


@dataclass(frozen=True)
class _TauIntegrand:
    """Unnormalized log posterior density of u = log(tau) for one likelihood."""

    prior: TauPrior
    loglik: object  # callable tau -> log-likelihood

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        tau = np.exp(u)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.prior.logpdf(tau) + u + self.loglik(tau.ravel()).reshape(u.shape)  # type: ignore[operator]
        return np.where(np.isnan(out), -np.inf, out)


def _build(
    prior: TauPrior,
    loglik: object,
    yi: np.ndarray,
    vi: np.ndarray,
    decay: float,
    moment: int,
) -> tuple[LogRule, _TauIntegrand, float]:
    """Rule over log(tau) for ``prior x loglik``; ``decay`` = a - 1, the tail rate in u."""
    integrand = _TauIntegrand(prior, loglik)
    low, high = prior.support
    data_scale = max(
        float(np.sqrt(vi.max())), float(np.ptp(yi)), float(np.abs(yi).max()), prior.scale_hint
    )
    small = 1e-4 * min(float(np.sqrt(vi.min())), prior.scale_hint)
    tau_atom = 0.0
    log_atom = -np.inf
    if low > 0:
        u_lo = math.log(low)
    else:
        tau_atom = small
        u_lo = math.log(small)
        mass = float(prior.cdf(np.array([small]))[0])
        if mass > 0:
            log_atom = math.log(mass) + float(loglik(np.array([small]))[0])  # type: ignore[operator]
    if math.isfinite(high):
        u_hi = math.log(high)
    else:
        # the integrand of the highest moment needed decays like exp(-(decay - moment) u)
        rate = decay - moment
        span = 50.0 if not math.isfinite(rate) else max(50.0, _DROP_TAIL / max(rate, 1e-3) + 10)
        u_hi = min(math.log(data_scale) + span, 300.0)

    def weight(u: np.ndarray) -> np.ndarray:
        return moment * u

    rule = build_rule(
        integrand, u_lo, u_hi, log_atom=log_atom, tail_weight=weight if moment else None
    )
    return rule, integrand, tau_atom


class ExactPosterior:
    """The posterior of the normal-normal model, integrated over tau.

    Attributes: ``tau`` nodes (atom at 0 first) and normalized ``weights``; ``mu_hat`` and
    ``V`` at every node; ``log_evidence`` (log marginal likelihood; only meaningful with
    proper priors); ``moments_exist`` for tau's mean and second moment.
    """

    def __init__(
        self, yi: np.ndarray, vi: np.ndarray, prior: TauPrior, mu_prior: Normal | None
    ) -> None:
        self.yi, self.vi, self.prior, self.mu_prior = yi, vi, prior, mu_prior
        k = len(yi)
        a = _tail_exponent(prior, k, mu_prior)
        if not a > 1.0:
            raise MetaattError(
                f"tau_prior: {prior.describe()} with k = {k} {'study' if k == 1 else 'studies'} "
                f"and a {'normal' if mu_prior is not None else 'flat'} mu prior gives an "
                "improper posterior; use a proper tau prior (e.g. HalfNormal or HalfCauchy)"
                + ("" if mu_prior is not None else " or a normal mu prior")
            )
        self.tail_exponent = a
        self.mean_exists = a > 2.0
        self.second_moment_exists = a > 3.0
        moment = 2 if self.second_moment_exists else (1 if self.mean_exists else 0)

        def loglik(tau: np.ndarray) -> np.ndarray:
            return log_marginal_likelihood(tau, yi, vi, mu_prior)

        self._loglik = loglik
        self.rule, self._integrand, self._tau_atom = _build(prior, loglik, yi, vi, a - 1, moment)
        self.log_evidence = self.rule.log_norm
        tau = np.exp(self.rule.nodes)
        w = np.exp(self.rule.log_weights)
        if self.rule.atom_mass > 0:
            # the mass below tau_atom sits at the prior's median there (for tau's moments;
            # the conditionals of mu and theta equal those at tau = 0 to O(tau_atom^2 / v))
            below = 0.5 * self.prior.cdf(np.array([self._tau_atom]))
            tau = np.concatenate([self.prior.ppf(below), tau])
            w = np.concatenate([[self.rule.atom_mass], w])
        keep = w > 1e-18
        self.tau_nodes, self.weights = tau[keep], w[keep] / w[keep].sum()
        self.mu_hat, self.V = conditional_mu(self.tau_nodes, yi, vi, mu_prior)

    # ------------------------------------------------------------------ mixtures
    def mu_mixture(self) -> NormalMixture:
        return NormalMixture(self.weights, self.mu_hat[None, :], np.sqrt(self.V)[None, :])

    def predictive_mixture(self) -> NormalMixture:
        sd = np.sqrt(self.V + self.tau_nodes**2)
        return NormalMixture(self.weights, self.mu_hat[None, :], sd[None, :])

    def theta_mixture(self) -> NormalMixture:
        t2 = self.tau_nodes[None, :] ** 2
        v = self.vi[:, None]
        B = v / (v + t2)
        means = B * self.mu_hat[None, :] + (1.0 - B) * self.yi[:, None]
        sds = np.sqrt((1.0 - B) * v + B**2 * self.V[None, :])
        return NormalMixture(self.weights, means, sds)

    def study_weights(self) -> np.ndarray:
        """Posterior expectation of each study's share of the inverse-variance weight (%)."""
        w = 1.0 / (self.vi[None, :] + self.tau_nodes[:, None] ** 2)
        share = w / w.sum(axis=1, keepdims=True)
        return 100.0 * (self.weights @ share)

    # ------------------------------------------------------------------ tau
    def tau_mean_sd(self) -> tuple[float, float]:
        mean = float(self.weights @ self.tau_nodes) if self.mean_exists else math.inf
        if not self.second_moment_exists:
            return mean, math.inf
        second = float(self.weights @ self.tau_nodes**2)
        return mean, math.sqrt(max(second - mean**2, 0.0))

    def tau_cdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        low = self.prior.support[0]
        out = np.zeros_like(tau)
        positive = tau > low
        inside_atom = positive & (tau < self._tau_atom)
        if inside_atom.any():  # mass in [0, tau_atom] spread like the prior
            ratio = self.prior.cdf(tau[inside_atom]) / self.prior.cdf(np.array([self._tau_atom]))
            out[inside_atom] = self.rule.atom_mass * ratio
        rest = positive & ~inside_atom
        if rest.any():
            out[rest] = partial_integrals(self._integrand, self.rule, np.log(tau[rest]))
        return out

    def tau_pdf(self, tau: np.ndarray) -> np.ndarray:
        """Marginal posterior density of tau (at tau = 0: the limit, possibly inf or 0)."""
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log = self.prior.logpdf(tau) + self._loglik(tau) - self.log_evidence
            out = np.exp(log)
        return np.where(np.isnan(out), 0.0, out)

    def tau_quantile(self, p: np.ndarray) -> np.ndarray:
        """Quantiles of tau: safeguarded Newton iteration in u = log(tau), vectorized."""
        p = np.atleast_1d(np.asarray(p, dtype=float))
        rule = self.rule
        out = np.empty_like(p)
        in_atom = p <= rule.atom_mass
        if in_atom.any():  # below tau_atom the posterior is the prior times a constant
            ref = float(self.prior.cdf(np.array([self._tau_atom]))[0])
            out[in_atom] = self.prior.ppf(p[in_atom] / rule.atom_mass * ref)
        rest = ~in_atom
        if not rest.any():
            return out
        q = p[rest]
        cum = rule.atom_mass + np.concatenate([[0.0], np.cumsum(rule.panel_mass)])
        panel = np.clip(np.searchsorted(cum, q) - 1, 0, len(rule.panel_mass) - 1)
        lo, hi = rule.edges[panel].copy(), rule.edges[panel + 1].copy()
        u = 0.5 * (lo + hi)
        for _ in range(80):
            f = partial_integrals(self._integrand, rule, u) - q
            lo, hi = np.where(f < 0, u, lo), np.where(f >= 0, u, hi)
            dens = np.exp(self._integrand(u) - rule.log_norm)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = u - f / dens
            inside = np.isfinite(step) & (step >= lo) & (step <= hi)
            u_new = np.where(inside, step, 0.5 * (lo + hi))
            done = (inside & (np.abs(step - u) < 1e-13)) | (hi - lo < 1e-13) | (f == 0)
            u = u_new
            if done.all():
                break
        out[rest] = np.exp(u)
        return out

    def tau_shortest_interval(self, level: float) -> tuple[float, float]:
        """Shortest interval of the tau posterior (assumed unimodal on its support).

        When the density is highest at an end of the support the interval starts (ends)
        there; otherwise F(b) - F(a) = level and f(a) = f(b) are solved by Newton iteration
        in (log a, log b), with bisection over the lower tail probability as fallback.
        """
        low, high = self.prior.support
        q_low_end, q_high_end = self.tau_quantile(np.array([level, 1.0 - level]))
        f_ends = self.tau_pdf(np.array([low, q_low_end, high, q_high_end]))
        if f_ends[0] >= f_ends[1]:
            return low, float(q_low_end)
        if math.isfinite(high) and f_ends[2] >= f_ends[3]:
            return float(q_high_end), high
        alpha = (1.0 - level) / 2.0
        u = np.log(self.tau_quantile(np.array([alpha, 1.0 - alpha])))
        rule, lf = self.rule, self._integrand
        h = 1e-5

        def log_f_tau(u: np.ndarray) -> np.ndarray:  # log density of tau at exp(u)
            return lf(u) - u - rule.log_norm

        for _ in range(40):
            F = partial_integrals(lf, rule, u)
            g1 = F[1] - F[0] - level
            lt = log_f_tau(np.concatenate([u, u - h, u + h]))
            g2 = lt[0] - lt[1]  # equal densities <=> equal log densities
            slope = (lt[4:6] - lt[2:4]) / (2 * h)
            dens_u = np.exp(lf(u) - rule.log_norm)
            jac = np.array([[-dens_u[0], dens_u[1]], [slope[0], -slope[1]]])
            try:
                step = np.linalg.solve(jac, np.array([g1, g2]))
            except np.linalg.LinAlgError:
                break
            u = u - np.clip(step, -0.5, 0.5)
            if abs(g1) < 1e-13 and np.abs(step).max() < 1e-11:
                return float(np.exp(u[0])), float(np.exp(u[1]))

        def g(p: float) -> float:
            ab = self.tau_quantile(np.array([p, p + level]))
            f = self.tau_pdf(ab)
            return float(f[0] - f[1])

        eps = 1e-10
        p = optimize.brentq(g, eps, 1.0 - level - eps, xtol=1e-14)
        a, b = self.tau_quantile(np.array([p, p + level]))
        return float(a), float(b)

    # ------------------------------------------------------------------ Bayes factors
    def log_bf_heterogeneity(self) -> float:
        """log BF10 for tau > 0 against tau = 0 (needs a proper tau prior)."""
        return self.log_evidence - float(self._loglik(np.array([0.0]))[0])

    def log_bf_effect(self) -> float:
        """log BF10 for mu != 0 against mu = 0 (needs a proper mu prior)."""
        yi, vi, prior = self.yi, self.vi, self.prior

        def loglik0(tau: np.ndarray) -> np.ndarray:
            return log_likelihood_at(tau, yi, vi, 0.0)

        a0 = prior.tail_exponent + len(yi)
        rule0, _, _ = _build(prior, loglik0, yi, vi, a0 - 1, 0)
        return self.log_evidence - rule0.log_norm

    # ------------------------------------------------------------------ queries for results
    def _mixture(self, param: str) -> NormalMixture:
        return self.mu_mixture() if param == "mu" else self.predictive_mixture()

    def prob_above(self, param: str, threshold: float) -> float:
        if param == "tau":
            return float(1.0 - self.tau_cdf(np.array([threshold]))[0])
        return float(1.0 - self._mixture(param).cdf(np.array([[threshold]]))[0, 0])

    def grid(self, param: str, points: int) -> np.ndarray:
        if param == "tau":
            low = self.prior.support[0]
            high = float(self.tau_quantile(np.array([0.995]))[0])
            if not np.isfinite(self.tau_pdf(np.array([low]))[0]):  # pole at 0 (log-t prior)
                low = float(self.tau_quantile(np.array([0.0005]))[0])
            return np.linspace(low, high, points)
        lo, hi = self._mixture(param).quantile(np.array([0.0005, 0.9995]))[0]
        return np.linspace(lo, hi, points)

    def density(self, param: str, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if param == "tau":
            return self.tau_pdf(x)
        return self._mixture(param).pdf(x[None, :])[0]
