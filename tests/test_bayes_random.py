"""metaatt.bayes exact integration on random held-out inputs against scipy's adaptive
quadrature (written from the model's formulas, independently of metaatt's quadrature)."""

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaatt import bayes


def _quad_reference(y, v, prior, mu_prior):
    """P(mu > 0), E[mu] and E[tau] by adaptive quadrature over tau (scipy), written from the
    formulas directly: p(tau | y) ~ p(tau) * prod N(y_i | mu_hat, v_i + tau^2) * sqrt(V) ..."""
    from scipy import integrate, special

    def parts(t):
        w = 1 / (v + t * t)
        prec, num = w.sum(), (w * y).sum()
        if mu_prior is not None:
            prec += 1 / mu_prior.sd**2
            num += mu_prior.mean / mu_prior.sd**2
        m, V = num / prec, 1 / prec
        log_lik = -0.5 * np.sum(np.log(2 * np.pi / w) + w * (y - m) ** 2) + 0.5 * np.log(
            2 * np.pi * V
        )
        if mu_prior is not None:
            log_lik += -0.5 * (m - mu_prior.mean) ** 2 / mu_prior.sd**2 - 0.5 * np.log(
                2 * np.pi * mu_prior.sd**2
            )
        return m, V, log_lik + float(prior.logpdf(np.array([t]))[0])

    grid = np.geomspace(1e-6 * np.sqrt(v.min()), 1e3 * (np.ptp(y) + np.sqrt(v.max())), 400)
    peak = max(parts(t)[2] for t in grid)

    def f(t, what):
        m, V, lp = parts(t)
        dens = np.exp(lp - peak)
        return dens * {"one": 1.0, "mu": m, "tau": t, "p": special.ndtr(m / np.sqrt(V))}[what]

    lo, hi = prior.support
    hi = min(hi, grid[-1])
    cuts = [lo, *[g for g in grid[::40] if lo < g < hi], hi]

    # heavy-tailed posteriors (k = 1, half-Cauchy) keep mass beyond the grid: integrate on
    if math.isinf(prior.support[1]):
        cuts.append(np.inf)

    def total(what):
        with warnings.catch_warnings():  # E[tau] may be infinite (then it is not compared)
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return sum(
                integrate.quad(f, a, b, args=(what,), epsabs=0, epsrel=1e-12, limit=200)[0]
                for a, b in itertools.pairwise(cuts)
            )

    z = total("one")
    return total("p") / z, total("mu") / z, total("tau") / z


PRIORS = [
    lambda s: bayes.HalfNormal(s),
    lambda s: bayes.HalfCauchy(s),
    lambda s: bayes.HalfStudentT(4, s),
    lambda s: bayes.Uniform(0, 5 * s),
    lambda s: bayes.LogNormalTau2(2 * np.log(s), 1.5),
]


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 40),
    st.floats(-3, 3),
    st.floats(0, 2),
    st.sampled_from(range(len(PRIORS))),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_random_inputs_against_scipy_quad(k, log_scale, het, prior_index, proper_mu, seed):
    """Held-out random data over six orders of magnitude of scale, every prior family."""
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    v = (scale * rng.uniform(0.1, 1.0, k)) ** 2
    y = scale * rng.normal(0.3, np.sqrt(v / scale**2 + het**2))
    prior = PRIORS[prior_index](scale * 0.5)
    mu_prior = bayes.Normal(0, 3 * scale) if proper_mu else None
    if k == 1 and not proper_mu and prior_index == 3:
        mu_prior = bayes.Normal(0, 3 * scale)
    res = bayes.pool(y, v, tau_prior=prior, mu_prior=mu_prior)
    p, mean_mu, mean_tau = _quad_reference(y, v, prior, mu_prior)
    assert res.prob_mu_above == pytest.approx(p, rel=1e-6, abs=1e-9)
    assert res.mu.mean == pytest.approx(mean_mu, rel=1e-6, abs=1e-7 * scale)
    if math.isfinite(res.tau.mean):
        assert res.tau.mean == pytest.approx(mean_tau, rel=1e-6, abs=1e-7 * scale)
