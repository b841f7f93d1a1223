"""The speed-ups of the engine keep every number: fast paths against the general ones."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import metaatt
from metaatt._fit import fit_model
from metaatt._pooled import INTERVAL_COLUMNS, pooled_statistics
from metaatt._roots import bracketed_newton
from metaatt._wls import Design
from metaatt.tau2 import estimate_tau2


def _data(k: int, seed: int, tau2: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = np.exp(rng.uniform(np.log(0.005), np.log(0.5), k))
    return rng.normal(0.1, np.sqrt(vi + tau2)), vi


@pytest.mark.parametrize("method", ["ML", "REML", "PM", "PMM", "DL", "SJ"])
@pytest.mark.parametrize("k", [2, 3, 7, 30])
def test_intercept_kernel_equals_general_wls_path(method, k):
    """X = None (power sums) and an explicit column of ones (general WLS) agree."""
    yi, vi = _data(k, seed=k)
    fast = fit_model(Design.single(yi, vi), method, "hksj", 0.95)
    general = fit_model(Design.single(yi, vi, np.ones((k, 1))), method, "hksj", 0.95)
    a, b = pooled_statistics(fast), pooled_statistics(general)
    for name in ("estimate", "se", "tau2", "se_tau2", "tau2_ci_low", "tau2_ci_high", "i2", "pval"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-10, atol=1e-13, err_msg=name)


def test_scalar_root_finder_takes_the_same_steps_as_the_vector_one():
    """B = 1 runs in Python floats; the same equation stacked twice runs in arrays."""
    yi, vi = _data(9, seed=4)
    single = Design.single(yi, vi)
    double = Design(
        np.vstack([yi, yi]), np.vstack([vi, vi]), np.ones((2, 9)), None, np.array([9, 9]), 1
    )
    a = estimate_tau2(single, "REML")
    b = estimate_tau2(double, "REML")
    np.testing.assert_allclose(b.tau2, a.tau2[0], rtol=1e-14)
    assert (b.iterations == a.iterations[0]).all()


def test_compaction_changes_no_root():
    """Dropping converged analyses from the iteration (restrict) gives the same roots."""
    rng = np.random.default_rng(8)
    B, k = 300, 12
    vi = rng.uniform(0.01, 0.4, (B, k))
    yi = rng.normal(0.0, np.sqrt(vi + rng.choice([0.0, 0.05, 1.0], (B, 1))))
    design = Design(yi, vi, np.ones((B, k)), None, np.full(B, k), 1)
    equation = design.intercept

    from metaatt._equations import InterceptEquation

    restrictable = InterceptEquation(equation, "reml")

    def plain(tau2):  # the same equation without restrict(): no compaction
        return restrictable(tau2)

    lo, hi = np.zeros(B), np.full(B, 50.0)
    positive = restrictable(lo)[0] > 0
    hi = np.where(positive, hi, 0.0)
    x1, ok1, it1 = bracketed_newton(restrictable, lo, hi)
    x2, ok2, it2 = bracketed_newton(plain, lo, hi)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(it1, it2)
    assert ok1.all() and ok2.all()


def test_lazy_interval_fields_are_frozen_and_identical():
    yi, vi = _data(11, seed=2)
    result = metaatt.pool(yi, vi, test="hksj")
    full = pooled_statistics(result._fit)
    copy = pickle.loads(pickle.dumps(result))  # before the intervals were ever asked for
    for name in INTERVAL_COLUMNS:
        assert getattr(result, name) == full[name][0]
        assert getattr(copy, name) == full[name][0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.tau2_ci_low = 0.0  # type: ignore[misc]
    assert {"tau2_ci_low", "i2_ci_high", "tau2_ci_null"} <= set(result.to_dict())
    other = result.confidence_interval(0.8)
    assert other.tau2_ci_low > result.tau2_ci_low and other.level == 0.8
    with pytest.raises(AttributeError, match="no attribute 'tau2_ci'"):
        result.tau2_ci  # noqa: B018


def test_lazy_tables_match_inputs():
    result = metaatt.pool([0.1, 0.9, 0.2], [0.02, 0.03, 0.01])
    assert result.labels == ("Study 1", "Study 2", "Study 3")
    assert list(result.data.columns) == ["study", "yi", "vi"]
    assert result.excluded.empty and list(result.excluded.columns) == ["study", "row", "reason"]
    assert result.to_dict()["labels"] == ["Study 1", "Study 2", "Study 3"]


def test_large_single_analysis_is_exact():
    """k = 200,000: the power sums (centred outcomes) lose no accuracy against WLS."""
    rng = np.random.default_rng(1)
    k = 200_000
    vi = rng.uniform(0.01, 1.0, k)
    yi = 50.0 + rng.normal(0.0, np.sqrt(vi + 0.3))
    fast = pooled_statistics(fit_model(Design.single(yi, vi), "REML", "z", 0.95))
    general = pooled_statistics(
        fit_model(Design.single(yi, vi, np.ones((k, 1))), "REML", "z", 0.95)
    )
    for name in ("estimate", "se", "tau2", "tau2_ci_low", "tau2_ci_high"):
        np.testing.assert_allclose(fast[name], general[name], rtol=1e-9, err_msg=name)


def test_padded_design_constructor_and_padding_flag():
    design = Design.padded(
        [np.array([0.1, 0.3]), np.array([0.2])], [np.array([0.1, 0.2]), np.array([0.3])]
    )
    np.testing.assert_array_equal(design.mask, [[1.0, 1.0], [1.0, 0.0]])
    assert design.has_padding and not Design.single([0.1, 0.2], [0.1, 0.1]).has_padding
    np.testing.assert_array_equal(design.v_range[0], [0.1, 0.3])
    np.testing.assert_array_equal(design.v_range[1], [0.2, 0.3])
    fit = fit_model(design, "REML", "z", 0.95)
    single = fit_model(Design.single([0.1, 0.3], [0.1, 0.2]), "REML", "z", 0.95)
    np.testing.assert_allclose(fit.coef[0], single.coef[0], rtol=1e-12)
    np.testing.assert_allclose(fit.tau2[0], single.tau2[0], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("restricted", [True, False])
def test_kernel_likelihood_and_score_scan_equal_the_general_ones(restricted):
    from metaatt import _likelihood as estimators

    rng = np.random.default_rng(12)
    B, k = 5, 9
    vi = rng.uniform(0.01, 0.3, (B, k))
    yi = rng.normal(0.5, np.sqrt(vi + 0.2))
    fast = Design(yi, vi, np.ones((B, k)), None, np.full(B, k), 1)
    general = Design(yi, vi, np.ones((B, k)), np.ones((B, k, 1)), np.full(B, k), 1)
    tau2 = rng.uniform(0.0, 1.0, B)
    np.testing.assert_allclose(
        estimators.log_likelihood(fast, tau2, restricted),
        estimators.log_likelihood(general, tau2, restricted),
        rtol=1e-12,
    )
    make = estimators.reml_score if restricted else estimators.ml_score
    points = np.outer(np.ones(B), [0.0, 0.01, 0.1, 1.0, 5.0]) + tau2[:, None]
    np.testing.assert_allclose(
        estimators.scan(fast, make, points),
        estimators.scan(general, make, points),
        rtol=1e-9,
        atol=1e-12,
    )
    single = Design.single(yi[0], vi[0])
    np.testing.assert_allclose(
        estimators.scan(single, make, points[:1]), estimators.scan(fast, make, points)[:1]
    )


BIMODAL = [
    (  # score negative at 0, a dip, then the maximum (tests/test_pool_properties.py)
        [
            -0.36930046,
            -0.57922482,
            0.97708873,
            0.17025828,
            1.71225454,
            0.75921803,
            0.38234231,
            -0.24566244,
            0.38765262,
        ],
        [
            0.43577336,
            0.14697452,
            0.30355833,
            0.38987937,
            0.35945694,
            0.45811316,
            0.43089486,
            0.45952763,
            0.01816093,
        ],
    ),
    (  # boundary maximum from the Hedges start, a higher one inside
        [0.588131, -0.364661, 0.169215, 0.332956],
        [0.005279, 0.109365, 0.348634, 0.431801],
    ),
]


@pytest.mark.parametrize("method", ["ML", "REML"])
def test_one_analysis_likelihood_path_equals_the_batched_one(method):
    """metaatt._likelihood_one (B = 1, floats) against _maximise_likelihood (B > 1)."""
    rng = np.random.default_rng(21)
    cases = list(BIMODAL)
    for k in (2, 3, 5, 9, 25):
        for tau2 in (0.0, 0.05, 0.5):
            vi = np.exp(rng.uniform(np.log(0.005), np.log(0.5), k))
            cases.append((rng.normal(0.2, np.sqrt(vi + tau2)), vi))
    for yi, vi in cases:
        yi, vi = np.asarray(yi, float), np.asarray(vi, float)
        k = len(yi)
        one = estimate_tau2(Design.single(yi, vi), method)
        two = estimate_tau2(
            Design(
                np.vstack([yi, yi]), np.vstack([vi, vi]), np.ones((2, k)), None, np.array([k, k]), 1
            ),
            method,
        )
        np.testing.assert_allclose(two.tau2, one.tau2[0], rtol=1e-10, atol=1e-14)
        np.testing.assert_array_equal(two.at_boundary, one.at_boundary[0])
        np.testing.assert_allclose(two.higher_maximum, one.higher_maximum[0], rtol=1e-8)
