"""robust() against metafor 3.8 robust() (CR1, CR0) and clubSandwich 0.5.8 (CR2)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.errors import BoundaryWarning, MetaattError
from tests.reference_data import load_fixture

FIXTURE = load_fixture("robust")
CASES = FIXTURE["cases"]


def arr(x):
    return np.atleast_1d(np.asarray(x, dtype=float))


def fit(case):
    X = None if case["X"] is None else np.array(case["X"], dtype=float).reshape(len(case["yi"]), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        if case["model"] == "mv":
            mods = (
                None if X is None else pd.DataFrame(X, columns=[f"m{j}" for j in range(X.shape[1])])
            )
            return metaatt.multilevel(
                case["yi"],
                case["vi"],
                study=case["study"],
                mods=mods,
                method=case["method"],
                profile=False,
            )
        if X is None:
            return metaatt.pool(
                case["yi"], case["vi"], method=case["method"], weights=case["weights"]
            )
        return metaatt.meta_regression(
            case["yi"], case["vi"], X, method=case["method"], weights=case["weights"]
        )


def tolerance(case):
    # rma.uni fits converge to 1e-12; rma.mv fits are iterative (nlminb) to ~1e-8
    return 1e-6 if case["model"] == "uni" else 1e-4


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("adjust", ["CR1", "CR0"])
def test_metafor_robust(case, adjust):
    res = fit(case)
    np.testing.assert_allclose(
        res.coef if hasattr(res, "coef") else [res.estimate],
        case["coef"],
        rtol=tolerance(case),
        atol=1e-8,
    )
    rob = metaatt.robust(res, cluster=case["cluster"], adjust=adjust)
    exp = case["expected"][adjust]
    rtol = tolerance(case)
    table = rob.to_frame()
    np.testing.assert_allclose(
        rob.vcov, np.array(exp["vb"], dtype=float).reshape(rob.vcov.shape), rtol=rtol, atol=1e-12
    )
    np.testing.assert_allclose(table.se, arr(exp["se"]), rtol=rtol)
    np.testing.assert_allclose(table.statistic, arr(exp["zval"]), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(table.pval, arr(exp["pval"]), rtol=10 * rtol, atol=1e-10)
    np.testing.assert_allclose(table.df, np.full(len(table), float(np.atleast_1d(exp["dfs"])[0])))
    np.testing.assert_allclose(table.ci_low, arr(exp["ci_lb"]), rtol=rtol, atol=1e-8)
    np.testing.assert_allclose(table.ci_high, arr(exp["ci_ub"]), rtol=rtol, atol=1e-8)
    np.testing.assert_allclose(rob.qm, exp["QM"], rtol=rtol)
    np.testing.assert_allclose(rob.qm_pval, exp["QMp"], rtol=10 * rtol, atol=1e-12)
    assert [rob.qm_df, rob.qm_df2] == list(arr(exp["QMdf"]))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_clubsandwich_cr2(case):
    res = fit(case)
    exp = case["expected"]["CR2"]
    if exp["df_denom"] <= 0:
        with pytest.warns(metaatt.MetaattWarning, match="HTZ omnibus test .* undefined"):
            rob = metaatt.robust(res, cluster=case["cluster"], adjust="CR2")
    else:
        rob = metaatt.robust(res, cluster=case["cluster"], adjust="CR2")
    rtol = tolerance(case)
    table = rob.to_frame()
    np.testing.assert_allclose(
        rob.vcov, np.array(exp["vb"], dtype=float).reshape(rob.vcov.shape), rtol=rtol, atol=1e-12
    )
    np.testing.assert_allclose(table.se, arr(exp["se"]), rtol=rtol)
    np.testing.assert_allclose(table.statistic, arr(exp["tstat"]), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(table.df, arr(exp["df"]), rtol=rtol)
    np.testing.assert_allclose(table.pval, arr(exp["pval"]), rtol=10 * rtol, atol=1e-10)
    np.testing.assert_allclose(table.ci_low, arr(exp["ci_lb"]), rtol=rtol, atol=1e-8)
    np.testing.assert_allclose(table.ci_high, arr(exp["ci_ub"]), rtol=rtol, atol=1e-8)
    assert rob.qm_df == exp["df_num"]
    np.testing.assert_allclose(rob.qm_df2, exp["df_denom"], rtol=rtol)
    if exp["df_denom"] <= 0:  # clubSandwich reports F = 0, p = NA; metaatt NaN for both
        assert np.isnan(rob.qm) and np.isnan(rob.qm_pval)
        return
    np.testing.assert_allclose(rob.qm, exp["Fstat"], rtol=rtol)
    np.testing.assert_allclose(rob.qm_pval, exp["p_val"], rtol=10 * rtol, atol=1e-12)


def test_bcg_published_values():
    """reference-cases.md case 1: robust(res, cluster = trial): vcov 0.032106, dfs 12, zval -3.98776."""
    case = CASES[0]
    rob = metaatt.robust(fit(case), cluster=case["cluster"], adjust="CR1")
    assert rob.vcov[0, 0] == pytest.approx(0.032106, abs=5e-7)
    assert rob.df == 12.0
    assert rob.statistic == pytest.approx(-3.98776, abs=5e-6)
    assert isinstance(rob.se, float)


def test_cluster_can_be_a_column_or_cover_excluded_rows():
    yi = [0.1, 0.3, np.nan, 0.2, 0.5, 0.4, 0.25]
    vi = [0.01, 0.02, 0.02, 0.015, 0.03, 0.02, 0.01]
    cl = ["a", "a", "b", "b", "c", "c", "d"]
    with pytest.warns(metaatt.StudyExcludedWarning):
        res = metaatt.pool(yi, vi, missing="exclude", method="DL")
    by_rows = metaatt.robust(res, cluster=cl)
    kept = [c for c, y in zip(cl, yi, strict=True) if not np.isnan(y)]
    assert by_rows.se == pytest.approx(metaatt.robust(res, cluster=kept).se, rel=1e-12)
    data = pd.DataFrame({"yi": yi[:2] + yi[3:], "vi": vi[:2] + vi[3:], "trial": kept})
    res2 = metaatt.pool("yi", "vi", data=data, method="DL")
    assert metaatt.robust(res2, cluster="trial").se == pytest.approx(by_rows.se, rel=1e-12)


def test_bad_input():
    res = metaatt.pool([0.1, 0.3, 0.2, 0.5], [0.01, 0.02, 0.015, 0.03], method="DL")
    with pytest.raises(MetaattError, match="cluster: 3 labels, but the model analysed 4"):
        metaatt.robust(res, cluster=[1, 2, 3])
    with pytest.raises(MetaattError, match="more clusters than coefficients"):
        metaatt.robust(res, cluster=[1, 1, 1, 1])
    with pytest.raises(MetaattError, match="adjust: unknown value 'CR3'"):
        metaatt.robust(res, cluster=[1, 2, 3, 4], adjust="CR3")
    with pytest.raises(MetaattError, match=r"cluster: row 2 .*no cluster label"):
        metaatt.robust(res, cluster=[1, None, 3, 4])
    with pytest.raises(MetaattError, match="result: expected the result"):
        metaatt.robust({"estimate": 1}, cluster=[1, 2])
    ml = metaatt.multilevel(
        [0.1, 0.3, 0.2, 0.5, 0.4, 0.6], [0.01] * 6, study=[1, 1, 2, 2, 3, 3], profile=False
    )
    with pytest.raises(MetaattError, match="split across clusters"):
        metaatt.robust(ml, cluster=[1, 2, 3, 3, 4, 4])


def test_printing():
    case = next(c for c in CASES if c["name"] == "konstantopoulos_year")
    rob = metaatt.robust(fit(case), cluster=case["cluster"])
    text = rob.summary()
    assert "Number of clusters: 11" in text and "Satterthwaite" in text
    assert rob.to_dict()["n_clusters"] == 11 and "<table" in rob._repr_html_()
    assert isinstance(rob.se, np.ndarray) and rob.df.shape == (2,)
