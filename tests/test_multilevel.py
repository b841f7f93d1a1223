"""multilevel() against metafor 3.8 rma.mv (fixtures from tests/reference/multilevel.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.errors import BoundaryWarning, MetaattError
from tests.reference_data import load_fixture, load_reference_csv

FIXTURE = load_fixture("multilevel")
CASES = list(FIXTURE["published"].values()) + FIXTURE["random"]


def fit(case, **kwargs):
    mods = None
    if case["X"] is not None:
        X = np.array(case["X"], dtype=float).reshape(len(case["yi"]), -1)
        mods = pd.DataFrame(X, columns=[f"m{j}" for j in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        return metaatt.multilevel(
            case["yi"],
            case["vi"],
            study=case["study"],
            es_id=case["es"],
            mods=mods,
            method=case["method"],
            test=case["test"],
            **kwargs,
        )


def arr(x):
    return np.atleast_1d(np.asarray(x, dtype=float))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_three_level_model_matches_rma_mv(case):
    res = fit(case)
    exp = case["expected"]
    table = res.to_frame()
    # iterative fits: 1e-5 relative for coefficients, 1e-4 for variance components; where
    # nlminb could not reach rel.tol 1e-12 metafor's default convergence (rel.tol 1e-10 on
    # the likelihood) leaves ~1e-5 in the estimates, so the coefficient tolerance is 5e-5
    # (relative, or 1e-5 standard errors absolute)
    rtol = 1e-5 if case["tight"] else 5e-5
    atol = 1e-5 * float(arr(exp["se"]).min())
    np.testing.assert_allclose(res.coef, arr(exp["coef"]), rtol=rtol, atol=atol)
    np.testing.assert_allclose(table.se, arr(exp["se"]), rtol=rtol)
    np.testing.assert_allclose(table.statistic, arr(exp["zval"]), rtol=rtol, atol=1e-5)
    np.testing.assert_allclose(table.pval, arr(exp["pval"]), rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(table.ci_low, arr(exp["ci_lb"]), rtol=rtol, atol=atol)
    np.testing.assert_allclose(table.ci_high, arr(exp["ci_ub"]), rtol=rtol, atol=atol)
    np.testing.assert_allclose(res.sigma2, arr(exp["sigma2"]), rtol=1e-4, atol=1e-6)
    assert [res.n_studies, res.n_clusters] == list(exp["s_nlevels"])
    # metaatt's maximum is at least as high as metafor's
    assert res.loglik >= exp["logLik"] - 1e-9
    np.testing.assert_allclose(res.loglik, exp["logLik"], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(
        [res.aic, res.bic, res.aicc], [exp["AIC"], exp["BIC"], exp["AICc"]], rtol=1e-8
    )
    np.testing.assert_allclose(res.qe, exp["QE"], rtol=1e-10)
    np.testing.assert_allclose(res.qe_pval, exp["QEp"], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(res.qm, exp["QM"], rtol=rtol)
    np.testing.assert_allclose(res.qm_pval, exp["QMp"], rtol=1e-4, atol=1e-10)
    np.testing.assert_allclose(res.i2_levels, arr(exp["I2"]), rtol=1e-4, atol=1e-4)
    if case["test"] == "t":
        assert res.df == res.k - res.p


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_profile_likelihood_intervals(case):
    res = fit(case)
    exp = case["expected"]
    for j, key in enumerate(("sigma2_ci_1", "sigma2_ci_2")):
        bounds = exp[key]
        if bounds is None or any(b is None for b in bounds):
            continue  # metafor could not find this bound
        np.testing.assert_allclose(
            [res.sigma2_ci_low[j], res.sigma2_ci_high[j]], bounds, rtol=1e-4, atol=1e-6
        )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_predictions(case):
    res = fit(case)
    pred = case["expected"]["pred"]
    if case["X"] is None:
        out = res.predict()
    else:
        out = res.predict(np.array(pred["newmods"], dtype=float))
    rtol = 1e-5 if case["tight"] else 5e-5
    for ours, theirs in [
        ("pred", "pred"),
        ("se", "se"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("pi_low", "pi_lb"),
        ("pi_high", "pi_ub"),
    ]:
        np.testing.assert_allclose(out[ours], arr(pred[theirs]), rtol=rtol, atol=1e-6)
    if res.intercept_only:
        assert res.pi_low == pytest.approx(out.pi_low[0]) and res.pi_high == pytest.approx(
            out.pi_high[0]
        )


def test_konstantopoulos_published_values():
    """reference-cases.md case 16: REML 0.1847 (se 0.0846), sigma2 (0.0651, 0.0327), logLik
    -7.9587, profile CIs [0.0222, 0.2072] and [0.0163, 0.0628]; ML 0.1845 (se 0.0805),
    sigma2 (0.0577, 0.0329), PI [-0.4262, 0.7951]."""
    dat = load_reference_csv("konstantopoulos2011")
    reml = metaatt.multilevel("yi", "vi", study="district", data=dat)
    assert isinstance(reml.estimate, float) and isinstance(reml.se, float)
    assert reml.estimate == pytest.approx(0.1847, abs=5e-5)
    assert reml.se == pytest.approx(0.0846, abs=5e-5)
    np.testing.assert_allclose(reml.sigma2, [0.0651, 0.0327], atol=5e-5)
    assert reml.loglik == pytest.approx(-7.9587, abs=5e-5)
    np.testing.assert_allclose(reml.sigma2_ci_low, [0.0222, 0.0163], atol=5e-5)
    np.testing.assert_allclose(reml.sigma2_ci_high, [0.2072, 0.0628], atol=5e-5)
    ml = metaatt.multilevel("yi", "vi", study="district", data=dat, method="ML", profile=False)
    assert ml.estimate == pytest.approx(0.1845, abs=5e-5)
    assert ml.se == pytest.approx(0.0805, abs=5e-5)
    np.testing.assert_allclose(ml.sigma2, [0.0577, 0.0329], atol=5e-5)
    assert (ml.pi_low, ml.pi_high) == pytest.approx((-0.4262, 0.7951), abs=5e-5)
    assert np.isnan(ml.sigma2_ci_low).all()
    # the two-level model of case 16 is pool(): 0.1279, tau2 0.0884
    two = metaatt.pool("yi", "vi", data=dat)
    assert two.estimate == pytest.approx(0.1279, abs=5e-5)


def test_es_id_groups_rows_and_levels_are_nested():
    """Rows sharing (study, es_id) share the level-2 effect; es_id values repeat across
    studies without being merged."""
    case = next(c for c in FIXTURE["random"] if c["es"] is not None)
    res = fit(case)
    pairs = {(s, e) for s, e in zip(case["study"], case["es"], strict=True)}
    assert res.n_clusters == len(pairs) < res.k


def test_printing_and_tables():
    res = fit(FIXTURE["published"]["konstantopoulos_year_t"])
    text = res.summary()
    assert "Multilevel Meta-Analysis Model (k = 56; method: REML)" in text
    assert "sigma^2.1" in text and "Test of Moderators" in text
    assert isinstance(res.se, np.ndarray) and res.se.shape == (2,)
    vc = res.variance_components()
    assert list(vc.index) == ["between-study", "within-study"]
    d = res.to_dict()
    assert d["sigma2"] == pytest.approx(list(res.sigma2)) and "<table" in res._repr_html_()


def test_bad_input():
    yi, vi = [0.1, 0.2, 0.3, 0.4], [0.01, 0.02, 0.03, 0.04]
    with pytest.raises(MetaattError, match="single effect size"):
        metaatt.multilevel(yi, vi, study=[1, 2, 3, 4])
    with pytest.raises(MetaattError, match="one study"):
        metaatt.multilevel(yi, vi, study=[1, 1, 1, 1])
    with pytest.raises(MetaattError, match=r"single effect size .*es_id"):
        metaatt.multilevel(yi, vi, study=[1, 1, 2, 2], es_id=[1, 1, 1, 1])
    with pytest.raises(MetaattError, match="study: 3 values for 4"):
        metaatt.multilevel(yi, vi, study=[1, 1, 2])
    with pytest.raises(MetaattError, match="method: unknown value 'DL'"):
        metaatt.multilevel(yi, vi, study=[1, 1, 2, 2], method="DL")
    with pytest.raises(MetaattError, match=r"study: row 3 .*missing"):
        metaatt.multilevel(yi, vi, study=[1, 1, None, 2])


def test_boundary_warning_when_a_component_is_zero():
    yi = [0.1, 0.1, 0.5, 0.5, 0.9, 0.9]
    vi = [0.01] * 6
    with pytest.warns(BoundaryWarning, match="within-study variance is 0"):
        res = metaatt.multilevel(yi, vi, study=[1, 1, 2, 2, 3, 3])
    assert res.sigma2[1] == 0.0 and res.sigma2_at_boundary == (False, True)
