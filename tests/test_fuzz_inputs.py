"""Fuzz the models' inputs: every bad vector, option and shape ends in a clean result or a
MetaattError naming the argument (see tests/fuzz_helpers.py for the contract)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import metaatt
from metaatt.tau2 import TAU2_ESTIMATORS
from tests.fuzz_helpers import (
    BAD_VECTORS,
    ODD_VECTORS,
    assert_clean_result,
    assert_named_error,
    assert_ok_or_named,
    call,
)

YI = [0.1, 0.3, -0.2, 0.5, 0.25]
VI = [0.01, 0.02, 0.03, 0.015, 0.04]

#: model name -> function of (yi, vi, **options) with the extra arguments it needs
MODELS = {
    "pool": lambda y, v, **kw: metaatt.pool(y, v, **kw),
    "meta_regression": lambda y, v, **kw: metaatt.meta_regression(
        y, v, mods=[1.0, 2.0, 3.0, 4.0, 5.0], **kw
    ),
    "subgroup_analysis": lambda y, v, **kw: metaatt.subgroup_analysis(
        y, v, groups=list("aabbb"), **kw
    ),
    "multilevel": lambda y, v, **kw: metaatt.multilevel(y, v, study=[1, 1, 2, 2, 3], **kw),
    "aggregate": lambda y, v, **kw: metaatt.aggregate(y, v, cluster=[1, 1, 2, 2, 3], rho=0.5, **kw),
    "bayes.pool": lambda y, v, **kw: metaatt.bayes.pool(y, v, **kw),
}
#: fields checked for finiteness (aggregate returns a table)
FIELDS = {
    "aggregate": (),
    "subgroup_analysis": (),
    "meta_regression": ("coef", "se"),
    "bayes.pool": ("estimate", "ci_low", "ci_high"),
}
DEFAULT_FIELDS = ("estimate", "se", "ci_low", "ci_high")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("bad", BAD_VECTORS)
@pytest.mark.parametrize("argument", ["yi", "vi"])
def test_bad_vector_is_a_named_error(model, argument, bad):
    args = {"yi": YI, "vi": VI}
    args[argument] = BAD_VECTORS[bad]
    outcome = call(lambda: MODELS[model](args["yi"], args["vi"]))
    if bad in ("negative", "zero") and argument == "yi":
        # a negative or zero effect size is an ordinary value
        assert_clean_result(outcome, FIELDS.get(model, DEFAULT_FIELDS))
        return
    # a short yi can be reported through the argument that no longer matches it
    assert_named_error(outcome, argument, "lengths differ", "mods", "groups", "study", "cluster")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("odd", ODD_VECTORS)
@pytest.mark.parametrize("argument", ["yi", "vi"])
def test_odd_but_numeric_vector_gives_result_or_named_error(model, argument, odd):
    args = {"yi": YI, "vi": VI}
    args[argument] = ODD_VECTORS[odd]
    outcome = call(lambda: MODELS[model](args["yi"], args["vi"]))
    assert_ok_or_named(outcome, argument, fields=FIELDS.get(model, DEFAULT_FIELDS))


@pytest.mark.parametrize("model", ["pool", "meta_regression", "subgroup_analysis", "multilevel"])
@pytest.mark.parametrize("argument", ["method", "test", "level", "missing"])
@pytest.mark.parametrize("value", [None, 1, "xx", "reml ", ["REML"], np.nan, 95, -0.1, True])
def test_bad_option_is_a_named_error(model, argument, value):
    outcome = call(lambda: MODELS[model](YI, VI, **{argument: value}))
    assert_named_error(outcome, argument)


@pytest.mark.parametrize("method", sorted(set(TAU2_ESTIMATORS) - {"GENQ"}))
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("test", ["z", "t", "hksj", "hksj-adhoc"])
def test_small_k_gives_finite_estimate(method, k, test):
    outcome = call(lambda: metaatt.pool(YI[:k], VI[:k], method=method, test=test))
    assert outcome.error is None
    result = outcome.value
    assert np.isfinite([result.estimate, result.se]).all()
    if k == 1:  # heterogeneity is undefined, said by a warning, reported as NaN
        assert metaatt.HeterogeneityUndefinedWarning in outcome.metaatt_warnings
        assert np.isnan(result.tau2)
    else:
        assert np.isfinite(result.tau2)


@pytest.mark.parametrize("method", sorted(set(TAU2_ESTIMATORS) - {"GENQ"}))
def test_identical_effects_are_a_boundary_not_a_crash(method):
    outcome = call(lambda: metaatt.pool([0.2] * 5, [0.02] * 5, method=method, test="hksj"))
    assert outcome.error is None
    assert outcome.value.tau2 == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite([outcome.value.estimate, outcome.value.ci_low]).all()


@pytest.mark.parametrize(
    "weights", [[0, 1, 1, 1, 1], [-1, 1, 1, 1, 1], [np.nan, 1, 1, 1, 1], [0] * 5, "w"]
)
def test_bad_genq_weights_are_named(weights):
    outcome = call(lambda: metaatt.pool(YI, VI, method="GENQ", weights=weights))
    assert_named_error(outcome, "weights")


MODS = {
    "missing": [1, None, 3, 4, 5],
    "inf": [1, np.inf, 3, 4, 5],
    "huge": [1e300, 1, 2, 3, 4],
    "constant": [1] * 5,
    "collinear": np.c_[[1, 2, 3, 4, 5], [2, 4, 6, 8, 10]],
    "too many": np.arange(25.0).reshape(5, 5) ** 1.5,
    "dict": {"a": [1, 2, 3, 4, 5]},
    "3-d": np.zeros((5, 1, 1)),
    "unknown column": ["zz"],
    "bad formula": "~ zz",
    "Int64 NA": pd.array([1, None, 3, 4, 5], dtype="Int64"),
}


@pytest.mark.parametrize("mods", MODS)
def test_bad_moderators_are_named(mods):
    data = pd.DataFrame({"yi": YI, "vi": VI, "x": [1.0, 2, 3, 4, 5]})
    outcome = call(lambda: metaatt.meta_regression("yi", "vi", mods=MODS[mods], data=data))
    assert_named_error(outcome, "mods")


@pytest.mark.parametrize("btt", [[5], [-1], ["x"], [0.5], [[1]], [True], 1.5, np.nan, []])
def test_bad_btt_is_named(btt):
    outcome = call(lambda: metaatt.meta_regression(YI, VI, mods=[1, 2, 3, 4, 5], btt=btt))
    assert_named_error(outcome, "btt")


@pytest.mark.parametrize(
    "labels",
    [[[1], [2], [3], [4], [5]], {"a": 1}, pd.DataFrame({"g": list("aabbb")}), "zz", [None] * 5],
)
@pytest.mark.parametrize("argument", ["groups", "study", "cluster"])
def test_bad_grouping_labels_are_named(argument, labels):
    functions = {
        "groups": lambda g: metaatt.subgroup_analysis(YI, VI, groups=g),
        "study": lambda g: metaatt.multilevel(YI, VI, study=g),
        "cluster": lambda g: metaatt.aggregate(YI, VI, cluster=g, rho=0.5),
    }
    outcome = call(lambda: functions[argument](labels))
    assert_named_error(outcome, argument)


@pytest.mark.parametrize("rho", [None, -2, 2, np.nan, "a", [0.5, 0.5], {"x": 0.5}])
def test_bad_aggregate_rho_is_named(rho):
    outcome = call(lambda: metaatt.aggregate(YI, VI, cluster=[1, 1, 2, 2, 3], rho=rho))
    assert_named_error(outcome, "rho")


@pytest.mark.parametrize("rho", [[], [2], [np.nan], "x", {"a": 1}])
def test_bad_aggregate_sensitivity_grid_is_named(rho):
    outcome = call(lambda: metaatt.aggregate_sensitivity(YI, VI, cluster=[1, 1, 2, 2, 3], rho=rho))
    assert_named_error(outcome, "rho")


def test_table_inputs_duplicate_missing_columns_and_wrong_data():
    data = pd.DataFrame([YI, VI, VI]).T
    data.columns = ["yi", "vi", "vi"]
    assert_named_error(call(lambda: metaatt.pool("yi", "vi", data=data)), "vi")
    ok = pd.DataFrame({"yi": YI, "vi": VI})
    assert_named_error(call(lambda: metaatt.pool("yi", "vx", data=ok)), "vx")
    for model in ("pool", "subgroup_analysis", "multilevel"):
        outcome = call(lambda m=model: MODELS[m]("yi", "vi", data={"yi": YI, "vi": VI}))
        assert_named_error(outcome, "data")


def test_pandas_nullable_and_arrow_columns_with_a_nondefault_index():
    data = pd.DataFrame(
        {
            "yi": pd.array(YI, dtype="Float64"),
            "vi": pd.array([0.01, None, 0.03, 0.015, 0.04], dtype="Float64"),
        },
        index=list("edcba"),
    )
    outcome = call(lambda: metaatt.pool("yi", "vi", data=data, missing="exclude"))
    assert_clean_result(outcome)
    assert outcome.value.k == 4
    assert list(outcome.value.excluded["reason"]) == ["vi missing"]
    pytest.importorskip("pyarrow")
    arrow = data.astype({"yi": "string[pyarrow]"})
    outcome = call(lambda: metaatt.pool("yi", "vi", data=arrow, missing="exclude"))
    assert_clean_result(outcome)
    assert outcome.value.estimate == pytest.approx(
        metaatt.pool(np.delete(YI, 1), np.delete(VI, 1)).estimate, rel=1e-12
    )


@pytest.mark.parametrize("scale", ["yi", "vi low", "vi high"])
def test_overflowing_magnitudes_are_refused_with_the_row(scale):
    yi, vi = list(YI), list(VI)
    if scale == "yi":
        yi[2] = 1e60
    elif scale == "vi low":
        vi[2] = 1e-80
    else:
        vi[2] = 1e120
    for model in MODELS:
        outcome = call(lambda m=model: MODELS[m](yi, vi))
        assert_named_error(outcome, scale.split()[0])
        assert "row 3" in str(outcome.error)
    frame = pd.DataFrame({"g": list("aabbb"), "yi": yi, "vi": vi})
    assert_named_error(call(lambda: metaatt.pool_batch(frame, by="g")), scale.split()[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scale=st.integers(min_value=-3, max_value=20),
    k=st.integers(min_value=2, max_value=8),
    method=st.sampled_from(["DL", "REML", "PM", "SJ", "ML", "EB", "HE", "HS"]),
)
def test_scaled_data_inside_the_bounds_gives_finite_and_equivariant_results(scale, k, method):
    """Rescaling (c yi, c^2 vi) anywhere inside the accepted range stays finite and exact."""
    rng = np.random.default_rng(k)
    y = rng.normal(0.3, 0.4, k)
    v = rng.uniform(0.01, 0.1, k)
    c = 10.0**scale
    base = call(lambda: metaatt.pool(y, v, method=method)).value
    scaled = call(lambda: metaatt.pool(y * c, v * c * c, method=method)).value
    assert scaled.estimate == pytest.approx(base.estimate * c, rel=1e-6, abs=1e-12 * c)
    assert scaled.se == pytest.approx(base.se * c, rel=1e-6)
    assert scaled.tau2 == pytest.approx(base.tau2 * c * c, rel=1e-4, abs=1e-9 * c * c)


@pytest.mark.parametrize(
    ("method", "rel"),
    [("REML", 1e-6), ("ML", 1e-6), ("PM", 1e-4), ("EB", 1e-4), ("PMM", 1e-4)],
)
def test_iterative_tau2_is_scale_equivariant_for_tiny_effects(method, rel):
    """tau^2 ~ 1e-11 (yi ~ 1e-5) keeps its scale-equivariant value.

    The likelihood estimators are exact to 1e-6; the Q-based root finders (PM, EB, PMM) stop on
    metafor's absolute tolerance in tau^2 (1e-10 * (1 + tau^2)), so at tau^2 ~ 1e-11 they are
    within 1e-4 relative, never further.
    """
    rng = np.random.default_rng(4)
    y, v = rng.normal(0.3, 0.4, 4), rng.uniform(0.01, 0.1, 4)
    c = 1e-5
    base = metaatt.pool(y, v, method=method)
    scaled = metaatt.pool(y * c, v * c * c, method=method)
    assert base.tau2 > 0.01
    assert scaled.tau2 / (c * c) == pytest.approx(base.tau2, rel=rel)


finite_or_bad = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.none(),
    st.text(max_size=3),
    st.booleans(),
)


@settings(max_examples=50, deadline=None)
@given(
    yi=st.lists(finite_or_bad, min_size=0, max_size=6),
    vi=st.lists(finite_or_bad, min_size=0, max_size=6),
    missing=st.sampled_from(["raise", "exclude"]),
)
def test_arbitrary_lists_never_crash_pool(yi, vi, missing):
    outcome = call(lambda: metaatt.pool(yi, vi, missing=missing))
    if outcome.error is not None:
        assert_named_error(outcome, "yi", "vi", "lengths differ")
    else:
        result = outcome.value
        assert np.isfinite([result.estimate, result.se]).all()
        assert result.k + len(result.excluded) == len(yi)


@settings(max_examples=30, deadline=None)
@given(
    mods=st.lists(finite_or_bad, min_size=5, max_size=5),
    missing=st.sampled_from(["raise", "exclude"]),
)
def test_arbitrary_moderators_never_crash_meta_regression(mods, missing):
    outcome = call(lambda: metaatt.meta_regression(YI, VI, mods=mods, missing=missing))
    if outcome.error is not None:
        assert_named_error(outcome, "mods", "yi")
    else:
        assert np.isfinite(outcome.value.coef).all()
        assert outcome.value.k + len(outcome.value.excluded) == 5


@settings(max_examples=30, deadline=None)
@given(
    labels=st.lists(
        st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["a", "b"]), st.just(np.nan)),
        min_size=5,
        max_size=5,
    )
)
def test_arbitrary_group_labels_never_crash(labels):
    for name, fn in (
        ("groups", lambda: metaatt.subgroup_analysis(YI, VI, groups=labels, missing="exclude")),
        ("study", lambda: metaatt.multilevel(YI, VI, study=labels, missing="exclude")),
        ("cluster", lambda: metaatt.aggregate(YI, VI, cluster=labels, rho=0.5, missing="exclude")),
    ):
        outcome = call(fn)
        if outcome.error is not None:
            assert_named_error(outcome, name, "yi", "no study")


@pytest.mark.parametrize(
    "frame_change",
    [
        {"vi": -1.0},
        {"yi": np.nan},
        {"yi": np.inf},
        {"g": None},
        {"g": [[1]] * 8},
        {"yi": "a"},
        {"vi": 1e-300},
        {"yi": 1e300},
    ],
)
def test_pool_batch_bad_columns_are_named(frame_change):
    frame = pd.DataFrame(
        {"g": list("aaabbbcc"), "yi": np.linspace(-0.2, 0.5, 8), "vi": np.full(8, 0.02)}
    ).assign(**frame_change)
    outcome = call(lambda: metaatt.pool_batch(frame, by="g"))
    assert_named_error(outcome, *frame_change, "by")


@pytest.mark.parametrize(
    "options",
    [
        {"by": "zz"},
        {"by": None},
        {"by": "g", "yi": "zz"},
        {"by": ["g", "g"]},
        {"by": "g", "method": "x"},
        {"by": "g", "level": 2},
        {"by": "g", "missing": "x"},
    ],
)
def test_pool_batch_bad_options_are_named(options):
    frame = pd.DataFrame({"g": list("aabb"), "yi": [0.1, 0.2, 0.3, 0.1], "vi": [0.01] * 4})
    outcome = call(lambda: metaatt.pool_batch(frame, **options))
    assert_named_error(outcome, *[k for k in options if k != "by"], "by")


@pytest.mark.parametrize("frame", [None, "x", pd.DataFrame({"g": [], "yi": [], "vi": []})])
def test_pool_batch_not_a_table_is_named(frame):
    assert_named_error(call(lambda: metaatt.pool_batch(frame, by="g")), "frame")
