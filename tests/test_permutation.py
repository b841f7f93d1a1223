"""permutation_test: exact tests against metafor's permutest(exact = TRUE); random tests."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import metaatt
from metaatt.errors import BoundaryWarning, MetaattError
from metaatt.permutation import _arrangements, count_permutations
from tests.reference_data import METAFOR_TESTS, load_fixture

CASES = load_fixture("regression")["permutation"]


def fit(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        if case["X"] is None:
            return metaatt.pool(
                case["yi"], case["vi"], method=case["method"], test=METAFOR_TESTS[case["test"]]
            )
        return metaatt.meta_regression(
            case["yi"],
            case["vi"],
            np.array(case["X"], dtype=float),
            method=case["method"],
            test=METAFOR_TESTS[case["test"]],
        )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_exact_permutation_test_matches_permutest(case):
    res = fit(case)
    perm = metaatt.permutation_test(res, exact=True)
    assert perm.exact and perm.permutations == case["n_perm"]
    np.testing.assert_allclose(perm.pval, np.atleast_1d(case["pval"]), rtol=1e-12)
    assert perm.qm_pval == pytest.approx(case["QMp"], rel=1e-12)
    np.testing.assert_allclose(np.sort(perm.qm_perm), case["QM_perm_sorted"], rtol=1e-6, atol=1e-10)


def test_exact_test_is_automatic_when_feasible():
    case = next(c for c in CASES if c["name"] == "binary_k8_dl_knha")
    res = fit(case)
    auto = metaatt.permutation_test(res, iterations=1000)
    assert auto.exact and auto.permutations == 70
    random = metaatt.permutation_test(res, iterations=50, random_seed=1)
    assert not random.exact and random.permutations == 50
    # the first permutation is the observed data, so p >= 1/50
    assert random.qm_perm[0] == pytest.approx(res.qm)
    assert random.qm_pval >= 1 / 50


def test_random_permutations_are_reproducible_and_close_to_exact():
    case = next(c for c in CASES if c["name"] == "continuous_k6_reml")
    res = fit(case)
    a = metaatt.permutation_test(res, iterations=400, random_seed=7, exact=False)
    b = metaatt.permutation_test(res, iterations=400, random_seed=7, exact=False)
    np.testing.assert_array_equal(a.qm_perm, b.qm_perm)
    assert a.random_seed == 7 and not a.exact
    # Monte Carlo error of a p-value from 400 permutations is at most 0.025
    assert abs(a.qm_pval - case["QMp"]) < 0.1


def test_intercept_only_sign_flips_count():
    case = next(c for c in CASES if c["name"] == "intercept_only_k8_reml")
    res = fit(case)
    assert count_permutations(None, 8) == 256
    perm = metaatt.permutation_test(res)
    assert perm.exact and perm.kind == "sign flips"
    assert perm.qm_pval == pytest.approx(perm.pval[0])


def test_multiset_arrangements():
    arr = _arrangements(np.array([0, 0, 1, 1, 2]))
    assert arr.shape == (30, 5)  # 5! / (2! 2! 1!)
    assert len({tuple(a) for a in arr}) == 30
    assert all(sorted(a) == [0, 0, 1, 1, 2] for a in arr)
    X = np.array([[1, 0], [1, 0], [1, 1], [1, 1], [1, 2]], dtype=float)
    assert count_permutations(X, 5) == pytest.approx(30)


def test_printing_and_tables():
    case = next(c for c in CASES if c["name"] == "two_mods_k6_ml")
    perm = metaatt.permutation_test(fit(case))
    text = perm.summary()
    assert "exact test, all 720 distinct permutations" in text and "pval*" in text
    frame = perm.to_frame()
    assert list(frame.index) == ["intrcpt", "X1", "X2"]
    assert perm.to_dict()["permutations"] == 720
    assert "<table" in perm._repr_html_()


def test_bad_arguments():
    case = next(c for c in CASES if c["name"] == "continuous_k6_reml")
    res = fit(case)
    with pytest.raises(MetaattError, match="iterations: expected an integer >= 2"):
        metaatt.permutation_test(res, iterations=1)
    with pytest.raises(MetaattError, match="result: expected the result"):
        metaatt.permutation_test("not a model")
    big = metaatt.meta_regression(
        np.linspace(0, 1, 20) ** 2, np.full(20, 0.1), np.arange(20.0), method="EE"
    )
    with pytest.raises(MetaattError, match="too many for an exact test"):
        metaatt.permutation_test(big, exact=True)
