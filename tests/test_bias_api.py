"""Result objects, input validation and invariants of metaatt.bias."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt._fit import fit_model
from metaatt._wls import Design
from metaatt.bias import EggerTestResult, TrimFillResult
from tests.reference_data import load_fixture

DATASETS = load_fixture("bias")["datasets"]


def fit(name: str, method: str = "REML", **kwargs):
    data = DATASETS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        return metaatt.pool(data["yi"], data["vi"], method=method, **kwargs)


def quiet_pool(yi, vi, method="REML"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        return metaatt.pool(yi, vi, method=method)


class RegressionLike:
    """A fitted meta-regression as the colleague's RegressionResult exposes it (a ModelFit)."""

    def __init__(self, yi, vi, X, method="REML"):
        self._fit = fit_model(Design.single(np.asarray(yi), np.asarray(vi), X), method, "z", 0.95)
        self.labels = tuple(f"Study {i + 1}" for i in range(len(yi)))


# --------------------------------------------------------------------------- result objects
@pytest.mark.parametrize(
    "make",
    [
        lambda r: metaatt.egger_test(r),
        lambda r: metaatt.rank_correlation_test(r),
        lambda r: metaatt.trim_and_fill(r),
        lambda r: metaatt.pet_peese(r),
        lambda r: metaatt.fail_safe_n(r),
        lambda r: metaatt.selection_model(r, steps=[0.05, 0.5]),
    ],
    ids=["egger", "rank", "trimfill", "petpeese", "fsn", "selmodel"],
)
def test_results_are_frozen_and_printable(make):
    res = make(fit("hackshaw1998"))
    assert dataclasses.is_dataclass(res)
    field = dataclasses.fields(res)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, field, None)
    text = res.summary()
    assert isinstance(text, str) and len(text.splitlines()) >= 2
    assert str(res) == text
    assert "<div" in res._repr_html_()
    json.dumps(res.to_dict())  # JSON-serializable
    assert len(res.to_frame()) >= 1


def test_egger_summary_reads_like_regtest():
    text = metaatt.egger_test(fit("egger2001_no_isis4"), model="lm").summary()
    assert "Regression Test for Funnel Plot Asymmetry" in text
    assert "t = -3.1783, df = 13" in text
    assert "Limit Estimate" in text


def test_trim_and_fill_result_is_an_augmented_pool_result():
    res = metaatt.trim_and_fill(fit("bcg", "EE"))
    assert isinstance(res, TrimFillResult)
    assert isinstance(res.result, metaatt.PoolResult)
    assert res.k == 13 + res.k0
    frame = res.forest_frame()
    assert set(frame.kind) <= {"study", "pooled", "prediction"}
    assert int(frame["filled"].sum()) == res.k0
    assert frame.attrs["level"] == 0.95
    assert "4 studies filled on the right" in frame.attrs["title"]
    assert "Estimated number of missing studies on the right side: 4" in res.summary()


def test_trim_and_fill_without_missing_studies():
    res = metaatt.trim_and_fill(fit("bcg"), estimator="R0")
    assert res.k0 == 0
    assert res.p_k0 == 0.5
    assert len(res.filled) == 0
    assert res.estimate == pytest.approx(fit("bcg").estimate, rel=1e-12)


def test_trim_and_fill_ilim_narrower_than_the_data_holds_observed_outcomes_with_a_warning():
    res = fit("bcg", "EE")  # 4 studies filled on the right; log risk ratios -1.6 to 0.01
    with pytest.warns(metaatt.InfeasibleAssumptionWarning, match=r"ilim = \[-1, 0\]") as caught:
        tf = metaatt.trim_and_fill(res, ilim=(-1.0, 0.0))
    named = str(caught[0].message)
    assert tf.k0 > 0
    outside = [lab for lab, y in zip(res.labels, res.yi, strict=True) if not -1.0 <= y <= 0.0]
    assert outside and all(lab in named for lab in outside)
    assert tf.result.yi.min() >= -1.0 and tf.result.yi.max() <= 0.0
    observed = tf.result.data.loc[~tf.result.data["filled"], "yi"].to_numpy()
    np.testing.assert_array_equal(observed, np.clip(res.yi, -1.0, 0.0))
    assert any("ilim" in note for note in tf.result.notes)


def test_trim_and_fill_ilim_leaves_the_model_alone_when_nothing_is_filled():
    res = fit("bcg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf = metaatt.trim_and_fill(res, estimator="R0", ilim=(-1.0, 0.0))
    assert tf.k0 == 0
    np.testing.assert_array_equal(tf.result.yi, res.yi)


def test_trim_and_fill_keeps_synthetic_flag():
    data = DATASETS["r02"]
    import pandas as pd

    frame = pd.DataFrame({"yi": data["yi"], "vi": data["vi"]})
    frame.attrs["synthetic"] = True
    res = metaatt.trim_and_fill(quiet_pool(frame, None, method="EE"))
    assert res.result.synthetic
    assert "SYNTHETIC" in res.summary()


def test_pet_peese_rule():
    res = fit("egger2001_no_isis4")
    pp = metaatt.pet_peese(res)
    p = pp.pet_intercept_pval
    assert pp.chosen == ("PEESE" if p < 0.05 else "PET")
    assert pp.estimate == (pp.peese if pp.chosen == "PEESE" else pp.pet).estimate
    one = metaatt.pet_peese(res, one_sided=True)
    assert one.pet_intercept_pval == pytest.approx(p / 2)
    always = metaatt.pet_peese(res, alpha=0.999999)
    assert always.chosen == "PEESE"
    frame = pp.to_frame()
    assert list(frame.estimator) == ["PET", "PEESE"] and frame.chosen.sum() == 1


def test_egger_test_adds_the_predictor_to_moderators():
    data = DATASETS["r04"]
    yi, vi = np.array(data["yi"]), np.array(data["vi"])
    x = np.linspace(-1, 1, len(yi))
    reg = RegressionLike(yi, vi, np.column_stack([np.ones_like(x), x]))
    res = metaatt.egger_test(reg)
    assert isinstance(res, EggerTestResult)
    assert len(res.coef) == 3
    assert np.isnan(res.estimate)  # no limit estimate with moderators (as metafor)


def test_egger_ni_predictor_reads_the_data_column():
    import pandas as pd

    data = DATASETS["r04"]
    frame = pd.DataFrame({"yi": data["yi"], "vi": data["vi"], "ni": data["ni"]})
    res = quiet_pool(frame, None)
    from_column = metaatt.egger_test(res, predictor="ninv")
    explicit = metaatt.egger_test(res, predictor="ninv", ni=data["ni"])
    assert from_column.statistic == explicit.statistic
    table = pd.DataFrame({"yi": data["yi"], "vi": data["vi"]})
    table.attrs["ni"] = data["ni"]  # sample sizes carried as a table attribute
    from_attrs = metaatt.egger_test(quiet_pool(table, None), predictor="ninv")
    assert from_attrs.statistic == explicit.statistic


# --------------------------------------------------------------------------- bad input
def test_bad_input_messages():
    small = quiet_pool([0.1, 0.3], [0.01, 0.02])
    with pytest.raises(metaatt.MetaattError, match=r"needs at least 3 studies.*k = 2"):
        metaatt.egger_test(small)
    with pytest.raises(metaatt.MetaattError, match="needs at least 3 studies"):
        metaatt.rank_correlation_test(small)
    with pytest.raises(metaatt.MetaattError, match="needs at least 3 studies"):
        metaatt.trim_and_fill(small)
    res = fit("bcg")
    with pytest.raises(metaatt.MetaattError, match="model: unknown value 'glm'"):
        metaatt.egger_test(res, model="glm")
    with pytest.raises(metaatt.MetaattError, match="did you mean 'sei'"):
        metaatt.egger_test(res, predictor="se")
    with pytest.raises(metaatt.MetaattError, match="needs the sample sizes"):
        metaatt.egger_test(fit("hackshaw1998"), predictor="ni")
    with pytest.raises(metaatt.MetaattError, match=r"ni: row 2 .* must be > 0"):
        metaatt.egger_test(res, predictor="ni", ni=[10, -1, *range(11, 22)])
    with pytest.raises(metaatt.MetaattError, match="lengths differ"):
        metaatt.egger_test(res, predictor="ni", ni=[10, 20])
    with pytest.raises(metaatt.MetaattError, match="same value for every study"):
        metaatt.egger_test(quiet_pool([0.1, 0.3, 0.2, 0.5], [0.02] * 4))
    with pytest.raises(metaatt.MetaattError, match="estimator: unknown value 'L1'"):
        metaatt.trim_and_fill(res, estimator="L1")
    with pytest.raises(metaatt.MetaattError, match="side: unknown value 'up'"):
        metaatt.trim_and_fill(res, side="up")
    with pytest.raises(metaatt.MetaattError, match=r"ilim: the lower limit 0\.5 must be below"):
        metaatt.trim_and_fill(res, ilim=(0.5, -0.5))
    with pytest.raises(metaatt.MetaattError, match="ilim: expected two numbers"):
        metaatt.trim_and_fill(res, ilim=0.5)
    with pytest.raises(metaatt.MetaattError, match="expected a fitted model"):
        metaatt.egger_test({"yi": [1, 2]})
    with pytest.raises(metaatt.MetaattError, match="steps: every cut-point must lie in"):
        metaatt.selection_model(res, steps=[0.05, 1.5])
    with pytest.raises(metaatt.MetaattError, match="type: unknown value 'General'"):
        metaatt.fail_safe_n(res, type="General")
    with pytest.raises(metaatt.MetaattError, match="target: must be a non-zero"):
        metaatt.fail_safe_n(res, "Orwin", target=0)
    with pytest.raises(metaatt.MetaattError, match="alpha: must lie strictly between"):
        metaatt.fail_safe_n(res, alpha=5)
    x = np.linspace(0, 1, 13)
    reg = RegressionLike(
        DATASETS["bcg"]["yi"], DATASETS["bcg"]["vi"], np.column_stack([np.ones(13), x])
    )
    with pytest.raises(metaatt.MetaattError, match="only defined for models without moderators"):
        metaatt.trim_and_fill(reg)


def test_selection_model_needs_enough_studies():
    res = quiet_pool([0.5, 0.1, 0.3], [0.01, 0.02, 0.03])
    with pytest.raises(metaatt.MetaattError, match="selection_model: needs at least"):
        metaatt.selection_model(res, steps=[0.05, 0.5])


# --------------------------------------------------------------------------- invariants
effects = st.lists(
    st.tuples(
        st.floats(-2, 2, allow_nan=False, allow_subnormal=False),
        st.floats(0.01, 1, allow_nan=False, allow_subnormal=False),
    ),
    min_size=5,
    max_size=12,
    unique_by=lambda t: t[1],
)


@settings(max_examples=20, deadline=None)
@given(effects, st.randoms(use_true_random=False))
def test_bias_methods_do_not_depend_on_study_order(pairs, rnd):
    yi, vi = map(np.array, zip(*pairs, strict=True))
    perm = np.array(rnd.sample(range(len(yi)), len(yi)))
    a = quiet_pool(yi, vi, "DL")
    b = quiet_pool(yi[perm], vi[perm], "DL")
    assert metaatt.egger_test(a).statistic == pytest.approx(
        metaatt.egger_test(b).statistic, rel=1e-8, abs=1e-10
    )
    ra, rb = metaatt.rank_correlation_test(a), metaatt.rank_correlation_test(b)
    assert ra.tau == pytest.approx(rb.tau, abs=1e-12)
    assert ra.pval == pytest.approx(rb.pval, rel=1e-9)
    assert metaatt.fail_safe_n(a).fsnum == metaatt.fail_safe_n(b).fsnum


@settings(max_examples=20, deadline=None)
@given(effects)
def test_mirroring_the_data_mirrors_trim_and_fill(pairs):
    yi, vi = map(np.array, zip(*pairs, strict=True))
    a = metaatt.trim_and_fill(quiet_pool(yi, vi, "EE"))
    b = metaatt.trim_and_fill(quiet_pool(-yi, vi, "EE"))
    assert a.k0 == b.k0
    assert a.side != b.side  # the Egger slope changes sign
    assert a.estimate == pytest.approx(-b.estimate, rel=1e-9, abs=1e-12)
    ea, eb = (
        metaatt.egger_test(quiet_pool(yi, vi, "EE")),
        metaatt.egger_test(quiet_pool(-yi, vi, "EE")),
    )
    assert ea.statistic == pytest.approx(-eb.statistic, rel=1e-9, abs=1e-12)
