"""Invariants of meta-regression, subgroups, multilevel models, robust variances (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import metaatt
from metaatt.errors import BoundaryWarning

SETTINGS = settings(max_examples=20, deadline=None)
METHODS = st.sampled_from(["REML", "ML", "DL", "PM", "HE", "SJ", "EE"])


@st.composite
def datasets(draw, min_k=6, max_k=14):
    k = draw(st.integers(min_k, max_k))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.4, k)
    x1 = rng.normal(10, 3, k)
    x2 = rng.integers(0, 2, k).astype(float)
    x2[:2] = [0.0, 1.0]
    tau = draw(st.sampled_from([0.0, 0.1, 0.5]))
    yi = 0.2 + 0.03 * x1 - 0.2 * x2 + rng.normal(0, np.sqrt(vi + tau**2))
    return yi, vi, np.column_stack([x1, x2]), rng


def fit(yi, vi, X, method="REML", test="z"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        return metaatt.meta_regression(yi, vi, X, method=method, test=test)


@SETTINGS
@given(datasets(), METHODS, st.sampled_from(["z", "hksj"]))
def test_row_order_invariance(data, method, test):
    yi, vi, X, rng = data
    perm = rng.permutation(len(yi))
    a = fit(yi, vi, X, method, test)
    b = fit(yi[perm], vi[perm], X[perm], method, test)
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-7)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-7, abs=1e-12)
    assert b.qm == pytest.approx(a.qm, rel=1e-7)
    assert b.qe == pytest.approx(a.qe, rel=1e-9)


@SETTINGS
@given(datasets(), METHODS, st.floats(-50, 50))
def test_shifting_a_moderator_changes_only_the_intercept(data, method, shift):
    yi, vi, X, _ = data
    a = fit(yi, vi, X, method)
    shifted = X.copy()
    shifted[:, 0] += shift
    b = fit(yi, vi, shifted, method)
    np.testing.assert_allclose(b.coef[1:], a.coef[1:], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.se[1:], a.se[1:], rtol=1e-6)
    assert b.coef[0] == pytest.approx(a.coef[0] - a.coef[1] * shift, rel=1e-6, abs=1e-8)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-7, abs=1e-12)
    assert b.qm == pytest.approx(a.qm, rel=1e-6)
    assert b.r2 == pytest.approx(a.r2, rel=1e-6, abs=1e-8)


@SETTINGS
@given(datasets(), METHODS, st.floats(0.05, 20))
def test_scale_equivariance_of_yi(data, method, scale):
    yi, vi, X, _ = data
    a = fit(yi, vi, X, method)
    b = fit(scale * yi, scale**2 * vi, X, method)
    np.testing.assert_allclose(b.coef, scale * a.coef, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(b.se, scale * a.se, rtol=1e-6)
    np.testing.assert_allclose(b.statistic, a.statistic, rtol=1e-6, atol=1e-9)
    assert b.tau2 == pytest.approx(scale**2 * a.tau2, rel=1e-6, abs=1e-12)
    assert b.i2 == pytest.approx(a.i2, rel=1e-6, abs=1e-8)
    assert b.qm == pytest.approx(a.qm, rel=1e-6)


@SETTINGS
@given(datasets())
def test_tau2_zero_gives_the_fixed_effects_model(data):
    yi, vi, X, _ = data
    fixed = fit(yi, vi, X, "EE")
    fitted = X @ np.array([0.03, -0.2]) + 0.2
    homogeneous = fitted + 1e-4 * (yi - fitted)  # almost no residual heterogeneity
    re = fit(homogeneous, vi, X, "REML")
    fe = fit(homogeneous, vi, X, "EE")
    assert re.tau2 == 0.0
    np.testing.assert_allclose(re.coef, fe.coef, rtol=1e-12)
    np.testing.assert_allclose(re.se, fe.se, rtol=1e-12)
    assert fixed.tau2 == 0.0


@SETTINGS
@given(datasets(min_k=8), st.sampled_from(["separate", "common"]))
def test_subgroup_label_order_does_not_matter(data, mode):
    yi, vi, X, _ = data
    groups = np.where(X[:, 1] > 0, "b", "a")
    renamed = np.where(groups == "a", "z", "y")  # reversed alphabetical order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = metaatt.subgroup_analysis(yi, vi, groups, tau2=mode)
        b = metaatt.subgroup_analysis(yi, vi, renamed, tau2=mode)
    assert b.q_between == pytest.approx(a.q_between, rel=1e-8)
    np.testing.assert_allclose(
        b.groups.loc[["z", "y"], "estimate"], a.groups.loc[["a", "b"], "estimate"], rtol=1e-8
    )


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 10))
@example(618, 0.9)  # sigma2 ~ 2e-5 on a flat likelihood: once stopped 9e-5 short
def test_multilevel_invariances(seed, scale):
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(8), rng.integers(1, 4, 8))
    study[:2] = 0  # at least one study with two effects
    k = len(study)
    vi = rng.uniform(0.01, 0.2, k)
    yi = 0.3 + rng.normal(0, 0.3, 8)[study] + rng.normal(0, 0.2, k) + rng.normal(0, np.sqrt(vi))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        a = metaatt.multilevel(yi, vi, study=study, profile=False)
        perm = rng.permutation(k)
        b = metaatt.multilevel(yi[perm], vi[perm], study=study[perm], profile=False)
        c = metaatt.multilevel(scale * yi, scale**2 * vi, study=study, profile=False)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(b.sigma2, a.sigma2, rtol=1e-5, atol=1e-9)
    assert c.estimate == pytest.approx(scale * a.estimate, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(c.sigma2, scale**2 * a.sigma2, rtol=1e-5, atol=1e-9 * scale**2)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-9, abs=1e-9)


@SETTINGS
@given(datasets(min_k=8), st.sampled_from(["CR0", "CR1", "CR2"]), st.floats(0.1, 10))
def test_robust_order_and_scale(data, adjust, scale):
    yi, vi, X, rng = data
    cluster = np.arange(len(yi)) // 2
    a = metaatt.robust(fit(yi, vi, X, "DL"), cluster=cluster, adjust=adjust)
    perm = rng.permutation(len(yi))
    b = metaatt.robust(fit(yi[perm], vi[perm], X[perm], "DL"), cluster=cluster[perm], adjust=adjust)
    c = metaatt.robust(fit(scale * yi, scale**2 * vi, X, "DL"), cluster=cluster, adjust=adjust)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-7)
    np.testing.assert_allclose(b.df, a.df, rtol=1e-7)
    np.testing.assert_allclose(c.se, scale * a.se, rtol=1e-6)
    np.testing.assert_allclose(c.df, a.df, rtol=1e-6)


@settings(max_examples=10, deadline=None)
@given(datasets(min_k=6, max_k=9))
def test_permutation_p_values_are_valid(data):
    yi, vi, X, _ = data
    res = fit(yi, vi, X[:, :1], "DL")
    perm = metaatt.permutation_test(res, iterations=200, random_seed=1)
    assert np.all((perm.pval >= 1 / perm.permutations) & (perm.pval <= 1))
    assert 1 / perm.permutations <= perm.qm_pval <= 1
    # with one moderator the omnibus test and the slope test are the same test
    assert perm.qm_pval == pytest.approx(perm.pval[1])
