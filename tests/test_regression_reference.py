"""meta_regression against metafor 3.8 (fixtures from tests/reference/regression.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.errors import BoundaryWarning
from tests.reference_data import METAFOR_TESTS, load_fixture

FIXTURE = load_fixture("regression")


def _through_origin(case):
    """No intercept and the constant is not in the span of X (metafor 3.8 centres yi)."""
    if case["intercept"]:
        return False
    X = np.array(case["X"], dtype=float)
    ones = np.ones(len(X))
    return np.linalg.lstsq(X, ones, rcond=None)[1].sum() > 1e-8 if len(X) > X.shape[1] else False


ALL = list(FIXTURE["published"].values()) + FIXTURE["random"]
CASES = [c for c in ALL if not _through_origin(c)]
ORIGIN = [c for c in ALL if _through_origin(c)]
RTOL = 1e-6


def names_of(case):
    names = case["mod_names"]
    return [names] if isinstance(names, str) else list(names)


def arr(values):
    return np.array(values, dtype=float)


def fit_case(case, **kwargs):
    X = np.array(case["X"], dtype=float)
    mods = pd.DataFrame(X, columns=names_of(case))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        return metaatt.meta_regression(
            case["yi"],
            case["vi"],
            mods,
            method=case["method"],
            test=METAFOR_TESTS[case["test"]],
            intercept=case["intercept"],
            weights=case["weights"],
            **kwargs,
        )


def close(actual, expected, rtol=RTOL, atol=1e-10):
    np.testing.assert_allclose(actual, arr(expected), rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_coefficients_and_heterogeneity(case):
    res = fit_case(case)
    exp = case["expected"]
    assert res.k == exp["k"] and res.p == exp["p"]
    close(res.coef, exp["coef"])
    close(res.se, exp["se"])
    close(res.statistic, exp["zval"])
    close(res.pval, exp["pval"])
    close(res.ci_low, exp["ci_lb"])
    close(res.ci_high, exp["ci_ub"])
    close(res.vcov, exp["vb"])
    close(res.tau2, exp["tau2"], atol=1e-12)
    if exp["se_tau2"] is not None:
        close(res.se_tau2, exp["se_tau2"])
    close(res.i2, exp["I2"], atol=1e-8)
    close(res.h2, exp["H2"])
    close(res.qe, exp["QE"])
    close(res.qe_pval, exp["QEp"], atol=1e-14)
    close(res.qm, exp["QM"])
    close(res.qm_pval, exp["QMp"], atol=1e-14)
    assert res.qm_df == exp["QMdf"][0]
    assert list(np.array(res.btt) + 1) == list(np.atleast_1d(exp["btt"]))
    if exp["R2"] is None:
        assert np.isnan(res.r2)
    elif exp.get("tau2_RE") is not None and exp["tau2_RE"] < 1e-8:
        # metafor's tau2_RE is numerically 0 but positive (1e-14): its R^2 is then 0/0
        assert res.tau2_intercept_only == 0.0 and res.r2 == 0.0
    else:
        close(res.r2, exp["R2"], atol=1e-8)
    if res.intercept and exp.get("tau2_RE") is not None and exp["tau2_RE"] >= 1e-8:
        close(res.tau2_intercept_only, exp["tau2_RE"])


@pytest.mark.parametrize(
    "case", [c for c in CASES if "tau2_ci" in c["expected"]], ids=lambda c: c["name"]
)
def test_tau2_q_profile_interval(case):
    res = fit_case(case)
    exp = case["expected"]
    close([res.tau2_ci_low, res.tau2_ci_high], exp["tau2_ci"], rtol=1e-6, atol=1e-9)
    close([res.i2_ci_low, res.i2_ci_high], exp["I2_ci"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "case", [c for c in CASES if "pred" in c["expected"]], ids=lambda c: c["name"]
)
def test_predictions(case):
    res = fit_case(case)
    pred = case["expected"]["pred"]
    new = np.array(pred["newmods"], dtype=float).reshape(len(pred["pred"]), -1)
    if not case["intercept"]:
        # without an intercept the model's design rows are the moderators themselves
        assert new.shape[1] == res.p
    out = res.predict(new)
    close(out["pred"], pred["pred"])
    close(out["se"], pred["se"])
    close(out["ci_low"], pred["ci_lb"])
    close(out["ci_high"], pred["ci_ub"])
    close(out["pi_low"], pred["pi_lb"])
    close(out["pi_high"], pred["pi_ub"])
    # a table with the moderator names gives the same predictions
    table = pd.DataFrame(new, columns=names_of(case))
    np.testing.assert_allclose(res.predict(table)["pred"], out["pred"], rtol=1e-12)


@pytest.mark.parametrize(
    "case", [c for c in CASES if "btt_alt" in c["expected"]], ids=lambda c: c["name"]
)
def test_omnibus_test_of_chosen_coefficients(case):
    alt = case["expected"]["btt_alt"]
    position = int(alt["btt"]) - 1  # R is 1-based
    res = fit_case(case, btt=[position])
    close(res.qm, alt["QM"])
    close(res.qm_pval, alt["QMp"], atol=1e-14)
    by_name = fit_case(case, btt=res.coef_names[position])
    assert by_name.qm == pytest.approx(res.qm, rel=1e-12)


# ------------------------------------------------------------------ published values
# The printed values were produced at metafor's default convergence threshold (1e-5) and
# rounded to 4 decimals; metafor's own tests compare them at 1% relative. Here: 0.1%
# relative or 2e-4 absolute. The full-precision comparisons are above.
PRINTED = {"rel": 1e-3, "abs": 2e-4}


def printed(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=PRINTED["rel"], atol=PRINTED["abs"])


def published(name):
    return fit_case(FIXTURE["published"][name])


def test_bcg_printed_values():
    """reference-cases.md case 1 (metafor rma.uni.html): tau^2 0.1108, R^2 64.63%, QM 12.2043."""
    res = published("bcg_ablat_year")
    printed(res.tau2, 0.1108)
    printed(res.se_tau2, 0.0845)
    printed(res.i2, 71.98)
    printed(res.r2, 64.63)
    printed(res.qe, 28.3251)
    printed(res.qm, 12.2043)  # printed at metafor's default threshold
    printed(res.coef, [-3.5455, -0.0280, 0.0019])
    printed(res.se, [29.0959, 0.0102, 0.0147])


def test_bcg_ablat_tau2_interval():
    """case 1: mods = ~ ablat, tau^2 0.0764 [0.0167, 0.7849], I^2 68.3931 [32.1080, 95.6976]."""
    res = published("bcg_ablat")
    printed(res.tau2, 0.0764)
    printed([res.tau2_ci_low, res.tau2_ci_high], (0.0167, 0.7849))
    printed(res.i2, 68.3931)
    printed([res.i2_ci_low, res.i2_ci_high], (32.1080, 95.6976))


def test_raudenbush_weeks():
    """case 4: Raudenbush (2009) Table 16.3, mods = ~ weeks.c: tau^2 0, b (0.4072, -0.1572)."""
    res = published("raudenbush_weeks")
    assert res.tau2 == 0.0
    printed(res.coef, [0.4072, -0.1572])
    printed(res.statistic, [4.6782, -4.3884])
    printed(res.qe, 16.5708)


def test_raudenbush_boundary_warning():
    case = FIXTURE["published"]["raudenbush_weeks"]
    with pytest.warns(BoundaryWarning, match="residual tau\\^2 is 0"):
        res = metaatt.meta_regression(case["yi"], case["vi"], np.array(case["X"])[:, 0])
    assert any("boundary" in n for n in res.notes)


def test_linde_dl():
    """case 8: Viechtbauer (2007b), DL: tau^2 .0475, R^2 47.3778; Table II coefficients
    (0.4763, -0.0058, -0.0672, -0.0016); predicted RR 2.6657 [1.4560, 4.8806] at
    baseline 12.5 and 1.2639 [0.9923, 1.6099] at 23.6."""
    res = published("linde_dl")
    printed(res.tau2, 0.0475)
    printed(res.r2, 47.3778)
    printed(res.coef, [0.4763, -0.0058, -0.0672, -0.0016])
    pred = res.predict([[0, 12.5 - 20, 0], [0, 23.6 - 20, 0]])
    printed(
        np.exp(pred[["pred", "ci_low", "ci_high"]].to_numpy()),
        [[2.6657, 1.4560, 4.8806], [1.2639, 0.9923, 1.6099]],
    )


@pytest.mark.parametrize(
    ("method", "tau2"),
    [
        ("HS", 0.0253),
        ("HE", 0.0388),
        ("DL", 0.0475),
        ("GENQ", 0.06),
        ("SJ", 0.0912),
        ("PM", 0.0633),
        ("ML", 0.024),
        ("REML", 0.0558),
        ("EB", 0.0633),
    ],
)
def test_linde_estimators(method, tau2):
    """case 8: tau^2 by estimator in the linde2005 meta-regression."""
    printed(published(f"linde_{method.lower()}").tau2, tau2)


def test_berkey_eb():
    """case 9: Berkey et al. (1995): EB (-0.6303, -0.0268), se (0.1591, 0.0110), tau^2 0.1572,
    R^2 41.3844; fixed effects (-0.5949, -0.0282), se (0.0696, 0.0040)."""
    res = published("berkey_eb")
    printed(res.coef, [-0.6303, -0.0268])
    printed(res.se, [0.1591, 0.0110])
    printed(res.tau2, 0.1572)
    printed(res.r2, 41.3844)
    fe = published("berkey_fe")
    printed(fe.coef, [-0.5949, -0.0282])
    printed(fe.se, [0.0696, 0.0040])
    printed(fe.r2, 54.4099)  # adjusted R^2 of the weighted fit, as metafor


def test_lipsey_wilson():
    """case 10: FE ANOVA on random: QM 7.0739 (p .0078), QE 7.6901 (p .4643); DL regression
    coefficients 0.33106915, -0.32691858, -0.00682302, QM 5.5711, tau^2 0.00488, R^2 81.2023."""
    fe = published("lipsey_fe_random")
    printed(fe.qm, 7.0739)
    printed(fe.qm_pval, 0.0078)
    printed(fe.qe, 7.6901)
    printed(fe.qe_pval, 0.4643)
    dl = published("lipsey_dl")
    np.testing.assert_allclose(dl.coef, [0.33106915, -0.32691858, -0.00682302], atol=5e-9)
    printed(dl.qm, 5.5711)
    printed(dl.tau2, 0.00488)
    printed(dl.r2, 81.2023)


@pytest.mark.parametrize("case", ORIGIN, ids=lambda c: c["name"])
def test_regression_through_origin_differs_from_metafor_only_by_centring(case):
    """metafor 3.8 mean-centres yi for QE and tau^2 even without an intercept (see the
    meta_regression Notes); metaatt's fit of the centred outcomes reproduces its numbers."""
    centred = dict(case, yi=list(np.array(case["yi"]) - np.mean(case["yi"])))
    res = fit_case(centred)
    close(res.qe, case["expected"]["QE"])
    close(res.tau2, case["expected"]["tau2"], atol=1e-12)
    own = fit_case(case)
    X = np.array(case["X"], dtype=float)
    y, v = np.array(case["yi"]), np.array(case["vi"])
    w = 1.0 / v
    b = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    assert own.qe == pytest.approx(float(np.sum(w * (y - X @ b) ** 2)), rel=1e-10)
