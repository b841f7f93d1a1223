"""Invariants of metaatt.pool (hypothesis), and a second-method check of the iterative
estimators: the ML/REML estimates maximise independently coded log-likelihoods and the
PM estimate solves the generalized Q equation (scipy optimisers, no shared code)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize

import metaatt

METHODS = ("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def meta_data(draw, min_k=2, max_k=25):
    k = draw(st.integers(min_k, max_k))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    tau2 = draw(st.sampled_from([0.0, 0.01, 0.1, 1.0]))
    vi = rng.uniform(0.005, 0.5, size=k)
    yi = rng.normal(0.2, np.sqrt(vi + tau2))
    return yi, vi


def quiet_pool(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        return metaatt.pool(*args, **kwargs)


@SETTINGS
@given(data=meta_data(), method=st.sampled_from(METHODS), seed=st.integers(0, 1000))
def test_study_order_does_not_matter(data, method, seed):
    yi, vi = data
    order = np.random.default_rng(seed).permutation(len(yi))
    a = quiet_pool(yi, vi, method=method)
    b = quiet_pool(yi[order], vi[order], method=method)
    for name in ("estimate", "se", "tau2", "i2", "q", "tau2_ci_low", "tau2_ci_high", "pi_low"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(b.weights, a.weights[order], rtol=1e-9)


@SETTINGS
@given(
    data=meta_data(),
    method=st.sampled_from(METHODS),
    scale=st.floats(0.01, 100.0),
    shift=st.floats(-50, 50),
    test=st.sampled_from(["z", "hksj"]),
)
def test_location_and_scale_equivariance(data, method, scale, shift, test):
    """y -> a + b y with v -> b^2 v: estimate -> a + b estimate, se -> |b| se,
    tau2 -> b^2 tau2; I2, H2, Q and p-values of heterogeneity are unchanged."""
    yi, vi = data
    a = quiet_pool(yi, vi, method=method, test=test)
    b = quiet_pool(shift + scale * yi, scale**2 * vi, method=method, test=test)
    assert b.estimate == pytest.approx(shift + scale * a.estimate, rel=1e-7, abs=1e-8 * scale)
    assert b.se == pytest.approx(scale * a.se, rel=1e-7)
    assert b.tau2 == pytest.approx(scale**2 * a.tau2, rel=1e-7, abs=1e-12 * scale**2)
    assert b.tau2_ci_high == pytest.approx(
        scale**2 * a.tau2_ci_high, rel=1e-7, abs=1e-12 * scale**2
    )
    for name in ("i2", "h2", "q", "q_pval"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-7, abs=1e-9)


@SETTINGS
@given(data=meta_data(), method=st.sampled_from(METHODS))
def test_sign_flip(data, method):
    """Swapping the two arms (y -> -y) flips the estimate and keeps the heterogeneity."""
    yi, vi = data
    a = quiet_pool(yi, vi, method=method)
    b = quiet_pool(-yi, vi, method=method)
    assert b.estimate == pytest.approx(-a.estimate, rel=1e-9, abs=1e-12)
    assert b.ci_low == pytest.approx(-a.ci_high, rel=1e-9, abs=1e-12)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-9, abs=1e-14)


@SETTINGS
@given(data=meta_data(), method=st.sampled_from(METHODS[1:]))
def test_tau2_to_zero_is_the_common_effect_model(data, method):
    """Shrinking the spread of the estimates drives every tau2 estimate to 0, and the
    random-effects fit then equals the common-effect fit."""
    yi, vi = data
    squeezed = yi.mean() + 1e-4 * (yi - yi.mean())
    re = quiet_pool(squeezed, vi, method=method)
    ee = quiet_pool(squeezed, vi, method="EE")
    if method == "SJ":  # SJ is positive by construction; it is O(spread^2)
        assert re.tau2 < 1e-6
        assert re.estimate == pytest.approx(ee.estimate, abs=1e-6)
    else:
        assert re.tau2 == 0.0
        assert re.tau2_at_boundary
        assert re.estimate == pytest.approx(ee.estimate, rel=1e-12)
        assert re.se == pytest.approx(ee.se, rel=1e-12)


def _reml_loglik(tau2, yi, vi):
    w = 1.0 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return -0.5 * (np.sum(np.log(vi + tau2)) + np.log(np.sum(w)) + np.sum(w * (yi - mu) ** 2))


def _ml_loglik(tau2, yi, vi):
    w = 1.0 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return -0.5 * (np.sum(np.log(vi + tau2)) + np.sum(w * (yi - mu) ** 2))


@SETTINGS
@given(data=meta_data(min_k=3), method=st.sampled_from(["ML", "REML"]))
def test_likelihood_estimates_maximise_an_independent_likelihood(data, method):
    yi, vi = data
    loglik = _reml_loglik if method == "REML" else _ml_loglik
    res = quiet_pool(yi, vi, method=method)
    upper = 10.0 * (np.var(yi) + vi.max())
    opt = optimize.minimize_scalar(
        lambda t: -loglik(t, yi, vi),
        bounds=(0.0, upper),
        method="bounded",
        options={"xatol": 1e-12},
    )
    best = max(opt.x, 0.0)
    if res.tau2 == 0.0:
        assert loglik(0.0, yi, vi) >= loglik(best, yi, vi) - 1e-9
    else:
        assert res.tau2 == pytest.approx(best, rel=1e-5, abs=1e-9)
    assert loglik(res.tau2, yi, vi) >= loglik(best, yi, vi) - 1e-9


@SETTINGS
@given(data=meta_data(min_k=3))
def test_paule_mandel_solves_the_generalized_q_equation(data):
    yi, vi = data
    res = quiet_pool(yi, vi, method="PM")

    def q_minus_df(tau2):
        w = 1.0 / (vi + tau2)
        mu = np.sum(w * yi) / np.sum(w)
        return np.sum(w * (yi - mu) ** 2) - (len(yi) - 1)

    if q_minus_df(0.0) <= 0:
        assert res.tau2 == 0.0
    else:
        root = optimize.brentq(q_minus_df, 0.0, 1e6, xtol=1e-14, rtol=1e-14)
        assert res.tau2 == pytest.approx(root, rel=1e-8)


def test_extreme_scales_converge():
    rng = np.random.default_rng(1)
    for scale in (1e-6, 1.0, 1e6):
        yi = scale * rng.normal(size=30)
        vi = scale**2 * rng.uniform(1e-4, 1.0, size=30)
        for method in ("ML", "REML", "PM", "PMM"):
            res = quiet_pool(yi, vi, method=method)
            assert np.isfinite(res.tau2) and res.tau2 >= 0
            assert np.isfinite(res.tau2_ci_high)


def test_large_k():
    rng = np.random.default_rng(2)
    vi = rng.uniform(0.01, 0.2, size=20_000)
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    res = quiet_pool(yi, vi, method="REML", test="hksj")
    assert res.tau2 == pytest.approx(0.05, rel=0.1)
    assert res.k == 20_000
