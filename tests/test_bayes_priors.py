"""Priors of metaatt.bayes: densities, distribution functions, validation, empirical tables."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from metaatt import MetaattError
from metaatt.bayes import (
    HalfCauchy,
    HalfNormal,
    HalfStudentT,
    LogNormalTau2,
    LogStudentTTau2,
    Normal,
    Uniform,
    prior_from_spec,
    rhodes_prior,
    turner_prior,
)
from metaatt.bayes.empirical import RHODES_OUTCOMES, TURNER_OUTCOMES

PROPER = [
    HalfNormal(0.5),
    HalfCauchy(25.0),
    HalfStudentT(3.0, 0.3),
    HalfStudentT(0.7, 2.0),
    Uniform(0.0, 2.0),
    Uniform(0.05, 1.5),
    LogNormalTau2(-2.56, 1.74),
    LogStudentTTau2(-3.44, 2.59),
]


def _integrate_density(prior, upper=math.inf):
    low, high = prior.support
    high = min(high, upper)

    def f(u):  # integrate in log(tau): handles the pole of the log-t prior at 0
        t = math.exp(u)
        return math.exp(float(prior.logpdf(np.array([t]))[0])) * t

    lo = math.log(low) if low > 0 else -200.0
    hi = math.log(high) if math.isfinite(high) else 200.0
    mid = min(math.log(prior.scale_hint), hi)
    total = sum(
        integrate.quad(f, a, b, limit=400, epsabs=0, epsrel=1e-11)[0]
        for a, b in ((lo, mid), (mid, hi))
        if a < b
    )
    return total


@pytest.mark.parametrize("prior", PROPER, ids=lambda p: p.describe())
def test_density_integrates_to_one(prior):
    assert _integrate_density(prior) == pytest.approx(1.0, rel=1e-8)


@pytest.mark.parametrize("prior", PROPER, ids=lambda p: p.describe())
def test_cdf_is_the_integral_of_the_density_and_ppf_inverts_it(prior):
    q = np.array([0.01, 0.3, 0.5, 0.9])
    taus = prior.ppf(q)
    np.testing.assert_allclose(prior.cdf(taus), q, rtol=1e-10)
    for t, p in zip(taus, q, strict=True):
        assert _integrate_density(prior, upper=float(t)) == pytest.approx(p, rel=1e-7)


def test_densities_match_scipy():
    t = np.array([0.0, 0.1, 0.7, 3.0])
    np.testing.assert_allclose(
        np.exp(HalfNormal(0.5).logpdf(t)), stats.halfnorm.pdf(t, scale=0.5), rtol=1e-12
    )
    np.testing.assert_allclose(
        np.exp(HalfCauchy(2.0).logpdf(t)), stats.halfcauchy.pdf(t, scale=2.0), rtol=1e-12
    )
    np.testing.assert_allclose(
        np.exp(HalfStudentT(3, 0.3).logpdf(t)), 2 * stats.t.pdf(t / 0.3, 3) / 0.3, rtol=1e-12
    )
    # log-normal on tau^2: P(tau <= x) = P(tau^2 <= x^2)
    ln = LogNormalTau2(-2.56, 1.74)
    x = np.array([0.05, 0.3, 1.2])
    np.testing.assert_allclose(
        ln.cdf(x), stats.lognorm.cdf(x**2, s=1.74, scale=math.exp(-2.56)), rtol=1e-12
    )
    lt = LogStudentTTau2(-3.44, 2.59)
    np.testing.assert_allclose(lt.cdf(x), stats.t.cdf((np.log(x**2) + 3.44) / 2.59, 5), rtol=1e-12)


def test_half_student_t_cdf_is_accurate_for_tiny_tau():
    prior = HalfStudentT(4.0, 1.0)
    tiny = np.array([1e-10])
    # the distribution function near 0 is density(0) * tau
    assert prior.cdf(tiny)[0] == pytest.approx(math.exp(prior.logpdf(np.array([0.0]))[0]) * 1e-10)


def test_support_and_improper_uniform():
    flat = Uniform()
    assert not flat.proper and flat.support == (0.0, math.inf)
    assert flat.tail_exponent == 0.0
    assert np.isneginf(Uniform(0.1, 1.0).logpdf(np.array([0.05, 1.5]))).all()
    assert HalfCauchy(1.0).tail_exponent == 2.0
    assert HalfStudentT(3.0, 1.0).tail_exponent == 4.0
    assert math.isinf(HalfNormal(1.0).tail_exponent)
    assert np.isinf(LogStudentTTau2(-3.0, 2.0).logpdf(np.array([0.0])))[0]


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: HalfNormal(0), "HalfNormal: scale must be a positive finite number"),
        (lambda: HalfNormal(-1.0), "scale"),
        (lambda: HalfCauchy(float("inf")), "HalfCauchy: scale"),
        (lambda: HalfStudentT(0, 1.0), "HalfStudentT: nu"),
        (lambda: HalfStudentT(3, -2.0), "HalfStudentT: scale"),
        (lambda: Uniform(-1.0, 2.0), "Uniform: low"),
        (lambda: Uniform(2.0, 1.0), "Uniform: high must exceed low"),
        (lambda: Normal(0.0, 0.0), "Normal: sd"),
        (lambda: Normal(float("nan"), 1.0), "Normal: mean"),
        (lambda: LogNormalTau2(-2.0, 0.0), "LogNormalTau2: sigma"),
        (lambda: LogStudentTTau2(-2.0, 1.0, nu=-5), "LogStudentTTau2: nu"),
        (lambda: HalfNormal("wide"), "HalfNormal: scale must be a number"),
    ],
)
def test_bad_prior_parameters_are_named(factory, match):
    with pytest.raises(MetaattError, match=match):
        factory()


def test_prior_from_spec():
    assert prior_from_spec({"distribution": "half-normal", "scale": 0.5}) == HalfNormal(0.5)
    assert prior_from_spec({"distribution": "half_cauchy", "scale": 2}) == HalfCauchy(2.0)
    assert prior_from_spec({"distribution": "uniform", "low": 0}) == Uniform(0.0)
    assert prior_from_spec({"distribution": "normal", "mean": 0, "sd": 1}) == Normal(0.0, 1.0)
    assert prior_from_spec(None) is None
    with pytest.raises(MetaattError, match="tau_prior: distribution must be one of"):
        prior_from_spec({"distribution": "gamma"}, "tau_prior")
    with pytest.raises(MetaattError, match="unknown parameter"):
        prior_from_spec({"distribution": "half-normal", "scale": 1, "sd": 2})
    with pytest.raises(MetaattError, match="expected a prior"):
        prior_from_spec(0.5)


# ---------------------------------------------------------------- empirical priors
def test_turner_prior_published_cells():
    """Turner et al. (2015), Table IV; general setting LN(-2.56, 1.74^2)."""
    general = turner_prior()
    assert (general.mu, general.sigma) == (-2.56, 1.74)
    p = turner_prior("all_cause_mortality", "pharmacological", "placebo/control")
    assert (p.mu, p.sigma) == (-3.95, 1.34)
    p = turner_prior("mental_health", "non-pharmacological", "placebo")
    assert (p.mu, p.sigma) == (-2.34, 1.72)
    p = turner_prior("mental_health", "non-pharmacological", "pharmacological")
    assert (p.mu, p.sigma) == (-1.09, 1.27)
    p = turner_prior("subjective", "non-pharmacological", "non-pharmacological")
    assert (p.mu, p.sigma) == (-2.26, 1.45)
    p = turner_prior("pain", "pharma", "pharma")
    assert (p.mu, p.sigma) == (-2.06, 1.58)
    assert "Table IV" in p.source and "pain" in p.source


def test_turner_comparators_are_symmetric_and_complete():
    for key in TURNER_OUTCOMES:
        a = turner_prior(key, "placebo/control", "non-pharmacological")
        b = turner_prior(key, "non-pharmacological", "placebo/control")
        assert (a.mu, a.sigma) == (b.mu, b.sigma)
        assert a.mu < 0 and 1.0 < a.sigma < 2.0
    with pytest.raises(MetaattError, match="both cannot be placebo/control"):
        turner_prior("pain", "placebo", "control")
    with pytest.raises(MetaattError, match="did you mean 'mental_health'"):
        turner_prior("mental_helth")
    with pytest.raises(MetaattError, match="comparator1: unknown comparator"):
        turner_prior("pain", "surgery", "placebo")


def test_rhodes_prior_published_cells():
    """Rhodes et al. (2015), Table 3 (areas other than cancer/respiratory) and A.3.1."""
    general = rhodes_prior()
    assert (general.location, general.scale, general.nu) == (-3.44, 2.59, 5.0)
    p = rhodes_prior("mental_health", "pharmacological", "placebo/control")
    assert (p.location, p.scale) == (-2.99, 2.16)
    p = rhodes_prior("obstetric", "pharmacological", "pharmacological")
    assert (p.location, p.scale) == (-4.40, 2.31)
    p = rhodes_prior("subjective", "non-pharmacological", "placebo/control", area="respiratory")
    assert (p.location, p.scale) == (-4.52, 2.41)
    # the cell with the documented caveat: kept as published, flagged in the source
    p = rhodes_prior("mental_health", "non-pharmacological", "placebo/control")
    assert (p.location, p.scale) == (-3.85, 1.93)
    assert "check the paper" in p.source


def test_rhodes_prior_rules():
    for key in RHODES_OUTCOMES:
        a = rhodes_prior(key, "non-pharmacological", "pharmacological")
        b = rhodes_prior(key, "placebo", "non-pharmacological")
        assert (a.location, a.scale) == (b.location, b.scale)  # any non-pharmacological
    with pytest.raises(MetaattError, match="area: the cancer table"):
        rhodes_prior("mental_health", area="cancer")
    with pytest.raises(MetaattError, match="area: unknown medical area"):
        rhodes_prior("mental_health", area="cardiology")
