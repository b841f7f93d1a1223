"""Models emit the same warning classes as ``pool`` where the same situation arises, and
record each message in the result's ``notes``; batch functions flag in columns instead.

Situations: tau^2 = 0 on the boundary (BoundaryWarning), a likelihood with a higher second
maximum (MultimodalLikelihoodWarning), a zero Knapp-Hartung scale (DegenerateStatisticWarning),
one study (HeterogeneityUndefinedWarning). The data are constructed for each situation
(the bimodal ML example is the one of tests/test_pool_properties.py).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import (
    BoundaryWarning,
    DegenerateStatisticWarning,
    HeterogeneityUndefinedWarning,
    MultimodalLikelihoodWarning,
)

# tau^2 = 0 for every estimator (Q < df)
FLAT_Y = np.array([0.10, 0.12, 0.11, 0.13, 0.115, 0.105])
FLAT_V = np.array([0.02, 0.03, 0.025, 0.02, 0.03, 0.02])
# ML likelihood bimodal: Fisher scoring from the Hedges start stays at 0, higher near 0.1015
BI_Y = np.array([0.588131, -0.364661, 0.169215, 0.332956])
BI_V = np.array([0.005279, 0.109365, 0.348634, 0.431801])
# heterogeneous second group
HET_Y = np.array([0.1, 0.5, 0.9, -0.3])
HET_V = np.array([0.01, 0.02, 0.01, 0.015])


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [(w.category, str(w.message)) for w in caught]


def _check(result, caught, category, text):
    """One warning of ``category`` containing ``text``, also in ``result.notes``."""
    messages = [m for c, m in caught if issubclass(c, category)]
    assert any(text in m for m in messages), (category, caught)
    assert all(issubclass(c, metaatt.MetaattWarning) for c, _ in caught), caught
    for message in messages:
        assert message in result.notes


# ------------------------------------------------------------------------------ boundary
@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: metaatt.pool(FLAT_Y, FLAT_V), "estimate of tau^2 is 0"),
        (lambda: metaatt.meta_regression(FLAT_Y, FLAT_V, np.arange(6.0)),
         "estimate of the residual tau^2 is 0"),
        (lambda: metaatt.subgroup_analysis(np.r_[FLAT_Y, HET_Y], np.r_[FLAT_V, HET_V], ["a"] * 6 + ["b"] * 4),
         "estimate of tau^2 is 0 in subgroup 'a'"),
        (lambda: metaatt.subgroup_analysis(FLAT_Y, FLAT_V, ["a", "b"] * 3, tau2="common"),
         "estimate of the common tau^2 is 0"),
        (lambda: metaatt.multilevel(FLAT_Y, FLAT_V, study=[1, 1, 2, 2, 3, 3]), "variance is 0"),
    ],
    ids=["pool", "meta_regression", "subgroups", "subgroups-common", "multilevel"],
)  # fmt: skip
def test_boundary_warning_everywhere(call, text):
    result, caught = _caught(call)
    _check(result, caught, BoundaryWarning, text)


# --------------------------------------------------------------------------- multimodal
@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: metaatt.pool(BI_Y, BI_V, method="ML"), "higher near tau^2 = 0.1015"),
        (lambda: metaatt.meta_regression(BI_Y, BI_V, np.ones(4), intercept=False, method="ML"),
         "higher near the residual tau^2 = 0.1015"),
        (lambda: metaatt.subgroup_analysis(np.r_[BI_Y, HET_Y], np.r_[BI_V, HET_V], ["a"] * 4 + ["b"] * 4,
                                           method="ML"),
         "likelihood in subgroup 'a' has more than one maximum"),
    ],
    ids=["pool", "meta_regression", "subgroups"],
)  # fmt: skip
def test_multimodal_warning_everywhere(call, text):
    result, caught = _caught(call)
    _check(result, caught, MultimodalLikelihoodWarning, text)


# ------------------------------------------------------------------- zero HKSJ scale
SAME = np.full(5, 0.25)  # exact in binary: Q is exactly 0
LINE_X = np.arange(5.0)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: metaatt.pool(SAME, FLAT_V[:5], test="hksj"), "generalized Q statistic is 0"),
        (lambda: metaatt.meta_regression(0.5 * LINE_X, np.full(5, 0.04), LINE_X, test="hksj"),
         "generalized Q statistic is 0"),
        (lambda: metaatt.subgroup_analysis(np.r_[SAME, HET_Y], np.r_[FLAT_V[:5], HET_V], ["a"] * 5 + ["b"] * 4,
                                           test="hksj"),
         "generalized Q statistic is 0 in subgroup 'a'"),
        (lambda: metaatt.subgroup_analysis(np.r_[SAME, SAME * 2], np.r_[FLAT_V[:5], FLAT_V[:5]], ["a"] * 5 + ["b"] * 5,
                                           test="hksj", tau2="common"),
         "generalized Q statistic is 0"),
    ],
    ids=["pool", "meta_regression", "subgroups", "subgroups-common"],
)  # fmt: skip
def test_degenerate_hksj_warning_everywhere(call, text):
    result, caught = _caught(call)
    _check(result, caught, DegenerateStatisticWarning, text)


def test_degenerate_meta_regression_reports_na_omnibus_test_as_metafor():
    """metafor 3.8.1, rma(y, v, mods = ~x, test = "knha") with y = x / 2 exactly: the
    coefficient SEs are 0 and QM, its p-value are NA (the covariance matrix is 0)."""
    with pytest.warns(DegenerateStatisticWarning), pytest.warns(BoundaryWarning):
        res = metaatt.meta_regression(0.5 * LINE_X, np.full(5, 0.04), LINE_X, test="hksj")
    assert res.se.tolist() == [0.0, 0.0] and res.hksj_scale == 0.0
    assert np.isnan(res.qm) and np.isnan(res.qm_pval)
    assert res.statistic[1] == np.inf and res.pval[1] == 0.0
    assert "F(df1 = 1, df2 = 3) = NA, p-val = NA" in res.summary()


def test_degenerate_subgroup_test_prints_na():
    with pytest.warns(DegenerateStatisticWarning), pytest.warns(BoundaryWarning):
        res = metaatt.subgroup_analysis(
            np.r_[SAME, SAME * 2], np.r_[FLAT_V[:5], FLAT_V[:5]], ["a"] * 5 + ["b"] * 5,
            test="hksj", tau2="common",
        )  # fmt: skip
    assert np.isnan(res.q_between)
    assert "F(1, 8) = NA, p = NA" in res.summary()


# ----------------------------------------------------------------------------- k = 1
def test_single_study_warning():
    result, caught = _caught(lambda: metaatt.pool([0.3], [0.02], test="hksj"))
    _check(result, caught, HeterogeneityUndefinedWarning, "a z test is used")
    result, caught = _caught(
        lambda: metaatt.subgroup_analysis(np.r_[HET_Y, 0.2], np.r_[HET_V, 0.02], ["a"] * 4 + ["b"],
                                          test="hksj")
    )  # fmt: skip
    _check(result, caught, HeterogeneityUndefinedWarning, "so a z test is used for them")
    # models that need more studies than coefficients refuse k = 1 outright
    with pytest.raises(metaatt.MetaattError):
        metaatt.meta_regression([0.3], [0.02], [1.0])


def test_overall_model_of_a_subgroup_analysis_notes_without_warning():
    result, caught = _caught(
        lambda: metaatt.subgroup_analysis(FLAT_Y, FLAT_V, ["a", "b"] * 3, method="DL")
    )
    assert {c for c, _ in caught} == {BoundaryWarning}  # about the subgroups only
    assert any("estimate of tau^2 is 0" in n for n in result.overall.notes)


# ------------------------------------------------------------------ batch functions
def test_batch_functions_flag_in_columns_without_warning():
    """Under filterwarnings=error any warning here fails the test."""
    long = pd.DataFrame(
        {
            "g": [1] * 6 + [2] * 5 + [3],
            "yi": [*FLAT_Y, *SAME, 0.2],
            "vi": [*FLAT_V, *FLAT_V[:5], 0.1],
        }
    )
    frame = metaatt.pool_batch(long, by="g", test="hksj")
    assert frame.tau2_at_boundary.tolist()[:2] == [True, True]
    assert frame.hksj_scale[1] == 0.0
    assert frame.heterogeneity_undefined.tolist() == [False, False, True]
    res = metaatt.pool(np.r_[FLAT_Y, HET_Y], np.r_[FLAT_V, HET_V], method="DL")
    loo = metaatt.leave_one_out(res)
    cum = metaatt.cumulative(res)
    assert loo.tau2_at_boundary.dtype == bool and cum.tau2_at_boundary.dtype == bool
    assert cum.tau2_at_boundary[1:6].all()  # the first six studies are homogeneous
    assert not cum.tau2_at_boundary[0]  # one study: heterogeneity undefined, not a boundary
    assert not loo.tau2_at_boundary.any()
    infl = metaatt.influence(res)
    assert len(infl) == 10
    with pytest.warns(BoundaryWarning):
        reg = metaatt.meta_regression(FLAT_Y, FLAT_V, np.arange(6.0), method="DL")
    perm = metaatt.permutation_test(reg, iterations=50, random_seed=1)
    assert 0 <= perm.pval[1] <= 1
