"""Exact Bayesian normal-normal model against independent references and published numbers.

Reference values: tests/reference/bayes_exact.py computes every summary from scratch with
mpmath (20 digits, tanh-sinh quadrature) for the eight schools and held-out random datasets,
over every prior family (fixture tests/reference/fixtures/bayes_exact.json).
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt import MetaattError, bayes
from tests.reference_data import load_fixture

FIXTURE = load_fixture("bayes_exact")
CASES = {case["name"]: case for case in FIXTURE["cases"]}
RTOL = 1e-6  # the issue asks for 1e-4 or better


def make_tau_prior(spec):
    family = spec["family"]
    if family == "half_normal":
        return bayes.HalfNormal(spec["scale"])
    if family == "half_cauchy":
        return bayes.HalfCauchy(spec["scale"])
    if family == "half_student_t":
        return bayes.HalfStudentT(spec["nu"], spec["scale"])
    if family == "uniform":
        return bayes.Uniform(spec["low"], math.inf if spec["high"] is None else spec["high"])
    if family == "lognormal_tau2":
        return bayes.LogNormalTau2(spec["mu"], spec["sigma"])
    if family == "log_student_t_tau2":
        return bayes.LogStudentTTau2(spec["location"], spec["scale"], spec["nu"])
    raise AssertionError(family)


def fit_case(case, **kwargs):
    mu_prior = case["mu_prior"]
    return bayes.pool(
        case["yi"],
        case["vi"],
        tau_prior=make_tau_prior(case["tau_prior"]),
        mu_prior=None if mu_prior is None else bayes.Normal(mu_prior["mean"], mu_prior["sd"]),
        level=case["level"],
        threshold=case["threshold"],
        **kwargs,
    )


def assert_summary(actual, expected, what):
    """Relative tolerance RTOL; values near 0 are compared on the scale of the posterior sd."""
    scale = expected["sd"] if math.isfinite(expected.get("sd", math.inf)) else 1.0
    for key, value in expected.items():
        got = actual[key] if isinstance(actual, dict | pd.Series) else getattr(actual, key)
        assert got == pytest.approx(value, rel=RTOL, abs=RTOL * scale), f"{what}.{key}"


@pytest.mark.parametrize("name", list(CASES))
def test_against_independent_high_precision_integration(name):
    case = CASES[name]
    res = fit_case(case)
    assert_summary(res.mu, case["mu"], "mu")
    assert_summary(res.tau, case["tau"], "tau")
    assert_summary(res.predictive, case["predictive"], "predictive")
    for index, expected in case["theta"].items():
        row = res.theta.iloc[int(index)]
        assert_summary(row, expected, f"theta[{index}]")
    assert res.prob_mu_above == pytest.approx(case["prob_mu_above"], rel=RTOL, abs=1e-9)
    assert res._posterior.log_evidence == pytest.approx(case["log_evidence"], rel=1e-8)
    if "bf10_heterogeneity" in case:
        assert res.bf10_heterogeneity == pytest.approx(case["bf10_heterogeneity"], rel=RTOL)
    else:
        assert math.isnan(res.bf10_heterogeneity)
    if "bf10_effect" in case:
        assert res.bf10_effect == pytest.approx(case["bf10_effect"], rel=RTOL)
    else:
        assert math.isnan(res.bf10_effect)


# ---------------------------------------------------------------- eight schools (case 22)
SCHOOLS_Y = [28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16]
SCHOOLS_SE = [14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]
SCHOOLS = list("ABCDEFGH")


def test_eight_schools_half_cauchy_reproduces_bayesmeta():
    """Roever (2020) / bayesmeta vignette: half-Cauchy(25) on tau, N(0, 50) on mu.

    bayesmeta integrates tau exactly (its tau numbers agree to 1e-6 here) but represents
    the mu and shrinkage marginals by a discretized mixture (DIRECT algorithm, accuracy
    bound delta = 1% in divergence per step; Roever & Friede 2017): those published numbers
    are accurate to about 1e-4 (mu) and 2e-3 (shrinkage) relative, which the independent
    mpmath reference confirms; metaatt's values are the exact ones (tested above).
    """
    res = bayes.pool(
        SCHOOLS_Y,
        sei=SCHOOLS_SE,
        labels=SCHOOLS,
        tau_prior=bayes.HalfCauchy(25),
        mu_prior=bayes.Normal(0, 50),
    )
    assert res.tau.median == pytest.approx(4.758539, rel=1e-6)
    assert res.tau.mean == pytest.approx(5.884511, rel=1e-6)
    assert (res.tau.hpd_low, res.tau.hpd_high) == pytest.approx((0.0, 15.165894), abs=1e-5)
    assert res.mu.median == pytest.approx(7.962961, rel=1e-4)
    assert res.mu.mean == pytest.approx(7.985729, rel=1e-4)
    assert res.mu.sd == pytest.approx(4.995762, rel=1e-4)
    assert res.mu.hpd_low == pytest.approx(-1.823353, rel=2e-3)
    assert res.mu.hpd_high == pytest.approx(17.824562, rel=2e-4)
    assert res.prob_mu_above == pytest.approx(0.9487521, rel=1e-4)
    medians = res.theta.set_index("study")["median"]
    assert medians["A"] == pytest.approx(10.093581, rel=2e-3)
    assert medians["G"] == pytest.approx(9.786985, rel=2e-3)
    assert medians["H"] == pytest.approx(8.266594, rel=1e-3)


def test_eight_schools_joint_maximum_likelihood():
    """bayesmeta's 'ML joint' mu = 7.870546 is the maximum-likelihood point (tau = 0): the
    common-effect estimate, which metaatt.pool(method='ML') returns."""
    with pytest.warns(metaatt.BoundaryWarning):
        ml = metaatt.pool(SCHOOLS_Y, sei=SCHOOLS_SE, method="ML")
    assert ml.tau2 == 0.0
    assert ml.estimate == pytest.approx(7.870546, rel=1e-6)


def test_eight_schools_uniform_prior_reproduces_bayesmeta():
    """bayesmeta's default priors: improper uniform on tau, flat on mu (Roever 2020)."""
    res = bayes.pool(SCHOOLS_Y, sei=SCHOOLS_SE, tau_prior=bayes.Uniform(), mu_prior=None)
    assert res.mu.median == pytest.approx(8.055861, rel=1e-4)
    assert res.mu.hpd_low == pytest.approx(-2.176157, rel=2e-3)
    assert res.mu.hpd_high == pytest.approx(18.406330, rel=2e-4)
    assert res.tau.median == pytest.approx(5.227732, rel=1e-4)
    assert math.isnan(res.bf10_effect) and math.isnan(res.bf10_heterogeneity)
    assert any("not defined" in note for note in res.notes)


# ---------------------------------------------------------------- invariances (hypothesis)
def _data(draw, k_min=2, k_max=12):
    k = draw(st.integers(k_min, k_max))
    y = draw(st.lists(st.floats(-2, 2), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(0.01, 0.5), min_size=k, max_size=k))
    return np.array(y), np.array(v)


@st.composite
def datasets(draw):
    return _data(draw)


@settings(max_examples=15, deadline=None)
@given(datasets(), st.randoms(use_true_random=False))
def test_study_order_does_not_matter(data, rnd):
    y, v = data
    order = list(range(len(y)))
    rnd.shuffle(order)
    a = bayes.pool(y, v, mu_prior=bayes.Normal(0, 2))
    b = bayes.pool(y[order], v[order], mu_prior=bayes.Normal(0, 2))
    for name in ("mu", "tau", "predictive"):
        np.testing.assert_allclose(
            list(getattr(a, name).to_dict().values()),
            list(getattr(b, name).to_dict().values()),
            rtol=1e-7,
            atol=1e-9,
        )
    np.testing.assert_allclose(
        a.theta["median"].to_numpy()[order], b.theta["median"].to_numpy(), rtol=1e-7, atol=1e-9
    )
    assert a.bf10_effect == pytest.approx(b.bf10_effect, rel=1e-7)


@settings(max_examples=15, deadline=None)
@given(datasets(), st.floats(-5, 5), st.floats(0.1, 20))
def test_location_scale_equivariance(data, shift, factor):
    """y -> a + b y, v -> b^2 v, priors rescaled: mu -> a + b mu, tau -> b tau, BFs fixed."""
    y, v = data
    a = bayes.pool(y, v, tau_prior=bayes.HalfCauchy(0.5), mu_prior=bayes.Normal(0.2, 1.5))
    b = bayes.pool(
        shift + factor * y,
        factor**2 * v,
        tau_prior=bayes.HalfCauchy(0.5 * factor),
        mu_prior=bayes.Normal(shift + 0.2 * factor, 1.5 * factor),
        threshold=shift,
    )
    for key in ("mean", "median", "ci_low", "ci_high", "hpd_low", "hpd_high"):
        assert getattr(b.mu, key) == pytest.approx(
            shift + factor * getattr(a.mu, key), rel=1e-6, abs=1e-6 * factor
        )
        assert getattr(b.tau, key) == pytest.approx(
            factor * getattr(a.tau, key), rel=1e-6, abs=1e-7 * factor
        )
    assert b.mu.sd == pytest.approx(factor * a.mu.sd, rel=1e-6)
    assert b.prob_mu_above == pytest.approx(a.prob_mu_above, rel=1e-6, abs=1e-9)
    assert b.bf10_heterogeneity == pytest.approx(a.bf10_heterogeneity, rel=1e-6)


@settings(max_examples=10, deadline=None)
@given(datasets())
def test_sign_flip_mirrors_the_posterior(data):
    y, v = data
    a = bayes.pool(y, v, mu_prior=bayes.Normal(0, 1))
    b = bayes.pool(-y, v, mu_prior=bayes.Normal(0, 1))
    assert b.mu.mean == pytest.approx(-a.mu.mean, abs=1e-9)
    assert b.mu.ci_low == pytest.approx(-a.mu.ci_high, rel=1e-7, abs=1e-9)
    assert b.prob_mu_above == pytest.approx(1 - a.prob_mu_above, abs=1e-9)
    assert b.tau.median == pytest.approx(a.tau.median, rel=1e-8)


@settings(max_examples=10, deadline=None)
@given(datasets())
def test_tau_prior_at_zero_gives_the_common_effect_model(data):
    """A half-normal prior with a tiny scale pins tau at 0: with a flat mu prior the
    posterior of mu is N(mu_EE, se_EE^2), the common-effect (metafor rma, method='EE')."""
    y, v = data
    res = bayes.pool(y, v, tau_prior=bayes.HalfNormal(1e-9))
    ee = metaatt.pool(y, v, method="EE")
    assert res.mu.mean == pytest.approx(ee.estimate, rel=1e-8, abs=1e-10)
    assert res.mu.sd == pytest.approx(ee.se, rel=1e-7)
    assert res.mu.ci_low == pytest.approx(ee.ci_low, rel=1e-7, abs=1e-9)
    assert res.mu.ci_high == pytest.approx(ee.ci_high, rel=1e-7, abs=1e-9)
    assert res.bf10_heterogeneity == pytest.approx(1.0, abs=1e-6)


# ---------------------------------------------------------------- edge cases
def test_single_study():
    res = bayes.pool([0.42], [0.09], mu_prior=bayes.Normal(0, 1))
    case = CASES["k1_halfnormal_normal"]
    assert res.mu.median == pytest.approx(case["mu"]["median"], rel=RTOL)
    assert res.k == 1


def test_improper_posterior_is_refused():
    with pytest.raises(MetaattError, match=r"tau_prior: .*improper posterior"):
        bayes.pool([0.1, 0.3], [0.01, 0.02], tau_prior=bayes.Uniform())
    # k = 2 with a normal prior on mu is fine
    res = bayes.pool(
        [0.1, 0.3], [0.01, 0.02], tau_prior=bayes.Uniform(), mu_prior=bayes.Normal(0, 1)
    )
    assert math.isinf(res.tau.mean) and math.isinf(res.tau.sd)
    assert math.isfinite(res.tau.median)
    assert any("infinite" in note for note in res.notes)


def test_bayes_factors_respond_to_the_data():
    strong = bayes.pool([1.0, 1.2, 0.9, 1.1], [0.01] * 4, mu_prior=bayes.Normal(0, 1))
    assert strong.bf10_effect > 100
    assert strong.bf10_heterogeneity < 1
    spread = bayes.pool([-1.0, 1.2, -0.9, 1.1], [0.01] * 4, mu_prior=bayes.Normal(0, 1))
    assert spread.bf10_heterogeneity > 1e6
    skipped = bayes.pool([0.1, 0.2], [0.01, 0.02], mu_prior=bayes.Normal(0, 1), bayes_factors=False)
    assert math.isnan(skipped.bf10_effect) and math.isnan(skipped.bf10_heterogeneity)


def test_probability_and_threshold():
    res = bayes.pool(
        SCHOOLS_Y,
        sei=SCHOOLS_SE,
        tau_prior=bayes.HalfCauchy(25),
        mu_prior=bayes.Normal(0, 50),
        threshold=5.0,
    )
    assert res.probability(5.0) == pytest.approx(res.prob_mu_above, rel=1e-12)
    assert res.probability(res.mu.median) == pytest.approx(0.5, abs=1e-10)
    assert res.probability(res.tau.median, "tau") == pytest.approx(0.5, abs=1e-9)
    assert res.probability(res.predictive.ci_low, "predictive") == pytest.approx(0.975, abs=1e-9)


def test_intervals_have_the_requested_mass():
    res = bayes.pool(SCHOOLS_Y, sei=SCHOOLS_SE, tau_prior=bayes.HalfNormal(10), level=0.9)
    post = res._posterior
    for mix, summary in ((post.mu_mixture(), res.mu), (post.predictive_mixture(), res.predictive)):
        F = mix.cdf(np.array([[summary.hpd_low, summary.hpd_high]]))[0]
        assert F[1] - F[0] == pytest.approx(0.9, abs=1e-10)
        f = mix.pdf(np.array([[summary.hpd_low, summary.hpd_high]]))[0]
        assert f[0] == pytest.approx(f[1], rel=1e-7)
        assert summary.hpd_high - summary.hpd_low <= summary.ci_high - summary.ci_low + 1e-12
    F = post.tau_cdf(np.array([res.tau.hpd_low, res.tau.hpd_high]))
    assert F[1] - F[0] == pytest.approx(0.9, abs=1e-10)
