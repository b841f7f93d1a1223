"""Tables, forest frames, input validation and invariants of metaatt.diagnostics."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt.diagnostics import baujat
from tests.reference_data import load_fixture

BCG = load_fixture("diagnostics")["datasets"]["bcg"]


def quiet_pool(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        return metaatt.pool(*args, **kwargs)


def bcg(method="REML", **kwargs):
    frame = pd.DataFrame(
        {
            "study": [f"Trial {i + 1}" for i in range(13)],
            "yi": BCG["yi"],
            "vi": BCG["vi"],
            "year": BCG["year"],
        }
    )
    return quiet_pool(frame, method=method, **kwargs)


def test_leave_one_out_table_and_attrs():
    res = bcg()
    table = metaatt.leave_one_out(res)
    assert list(table.columns[:3]) == ["study", "k", "estimate"]
    for column in (
        "se",
        "statistic",
        "pval",
        "ci_low",
        "ci_high",
        "q",
        "q_pval",
        "tau2",
        "i2",
        "h2",
    ):
        assert column in table.columns
    assert list(table.study) == list(res.labels)
    assert (table.k == 12).all()
    assert table.attrs["variant"] == "leave_one_out"
    assert table.attrs["estimate"] == pytest.approx(res.estimate)
    assert table.attrs["level"] == 0.95 and table.attrs["synthetic"] is False


def test_cumulative_order_by_column_and_last_row_is_the_full_fit():
    res = bcg()
    table = metaatt.cumulative(res, order="year")
    years = np.array(BCG["year"])
    assert list(table.study) == [res.labels[i] for i in np.argsort(years, kind="stable")]
    assert list(table.k) == list(range(1, 14))
    last = table.iloc[-1]
    assert last.estimate == pytest.approx(res.estimate, rel=1e-10)
    assert last.tau2 == pytest.approx(res.tau2, rel=1e-8)
    first = table.iloc[0]
    assert (first.q, first.q_pval, first.tau2, first.i2, first.h2) == (0, 1, 0, 0, 1)
    assert table.attrs["variant"] == "cumulative"


def test_tables_become_forest_frames():
    from metaatt.plot import from_cumulative, from_leave_one_out

    res = bcg()
    for table, convert in (
        (metaatt.leave_one_out(res), from_leave_one_out),
        (metaatt.cumulative(res), from_cumulative),
    ):
        frame = convert(table)
        assert {"label", "estimate", "ci_low", "ci_high", "weight", "kind", "group"} <= set(
            frame.columns
        )
        assert list(frame.kind) == ["study"] * 13 + ["pooled"]
        assert frame.attrs["variant"] == table.attrs["variant"]
        pooled = frame.iloc[-1]
        assert (pooled.ci_low, pooled.estimate, pooled.ci_high) == pytest.approx(
            (res.ci_low, res.estimate, res.ci_high)
        )


def test_influence_table():
    inf = metaatt.influence(bcg())
    expected = ["study", "rstudent", "dffits", "cooks_d", "cov_r", "tau2_del", "qe_del", "hat",
                "weight", "dfbetas_intrcpt", "influential"]  # fmt: skip
    assert list(inf.columns) == expected
    assert inf.weight.sum() == pytest.approx(100)
    assert inf.hat.sum() == pytest.approx(1)  # p = 1 coefficient
    assert inf.influential.dtype == bool


def test_baujat_common_effect_x_sums_to_q():
    res = bcg("EE")
    frame = baujat(res)
    assert frame.x.sum() == pytest.approx(res.q, rel=1e-12)
    assert (frame.y >= 0).all()


def test_bad_input():
    with pytest.warns(metaatt.HeterogeneityUndefinedWarning):
        small = metaatt.pool([0.1], [0.01])
    with pytest.raises(metaatt.MetaattError, match="leave_one_out: needs at least 2 studies"):
        metaatt.leave_one_out(small)
    with pytest.raises(metaatt.MetaattError, match="influence: needs at least 2 studies"):
        metaatt.influence(small)
    res = bcg()
    with pytest.raises(metaatt.MetaattError, match="order: column 'decade' is not in"):
        metaatt.cumulative(res, order="decade")
    with pytest.raises(metaatt.MetaattError, match="lengths differ"):
        metaatt.cumulative(res, order=[1, 2, 3])
    with pytest.raises(metaatt.MetaattError, match=r"order: row 2 .* missing"):
        metaatt.cumulative(res, order=[1, np.nan, *range(11)])
    with pytest.raises(metaatt.MetaattError, match="expected a fitted model"):
        metaatt.influence(pd.DataFrame({"yi": [1.0]}))


def test_influence_reports_unfittable_deletions_as_nan():
    # a dummy moderator held by one study only: deleting it makes X singular
    from metaatt._fit import fit_model
    from metaatt._wls import Design

    class Reg:
        pass

    yi, vi = np.array(BCG["yi"]), np.array(BCG["vi"])
    X = np.column_stack([np.ones(13), (np.arange(13) == 4).astype(float)])
    reg = Reg()
    reg._fit = fit_model(Design.single(yi, vi, X), "DL", "z", 0.95)
    reg.labels = tuple(str(i) for i in range(13))
    inf = metaatt.influence(reg)
    assert np.isnan(inf.rstudent[4]) and not inf.influential[4]
    assert np.isfinite(inf.rstudent.drop(index=4)).all()


pairs = st.lists(
    st.tuples(
        st.floats(-2, 2, allow_nan=False, allow_subnormal=False),
        st.floats(0.01, 1, allow_nan=False, allow_subnormal=False),
    ),
    min_size=3,
    max_size=10,
)


@settings(max_examples=20, deadline=None)
@given(pairs, st.randoms(use_true_random=False), st.sampled_from(["EE", "DL", "REML"]))
def test_leave_one_out_is_invariant_to_study_order(data, rnd, method):
    yi, vi = map(np.array, zip(*data, strict=True))
    perm = np.array(rnd.sample(range(len(yi)), len(yi)))
    a = metaatt.leave_one_out(quiet_pool(yi, vi, method=method))
    b = metaatt.leave_one_out(quiet_pool(yi[perm], vi[perm], method=method))
    for column in ("estimate", "se", "q"):
        np.testing.assert_allclose(
            a[column].to_numpy()[perm], b[column].to_numpy(), rtol=1e-7, atol=1e-9
        )
    np.testing.assert_allclose(a.tau2.to_numpy()[perm], b.tau2.to_numpy(), rtol=1e-6, atol=1e-8)
    ia = metaatt.influence(quiet_pool(yi, vi, method=method))
    ib = metaatt.influence(quiet_pool(yi[perm], vi[perm], method=method))
    np.testing.assert_allclose(
        ia.cooks_d.to_numpy()[perm], ib.cooks_d.to_numpy(), rtol=1e-6, atol=1e-9
    )


@settings(max_examples=20, deadline=None)
@given(pairs)
def test_cumulative_steps_equal_separate_fits(data):
    yi, vi = map(np.array, zip(*data, strict=True))
    table = metaatt.cumulative(quiet_pool(yi, vi, method="DL"))
    for j in range(1, len(yi)):
        sub = quiet_pool(yi[: j + 1], vi[: j + 1], method="DL")
        assert table.estimate[j] == pytest.approx(sub.estimate, rel=1e-10, abs=1e-12)
        assert table.se[j] == pytest.approx(sub.se, rel=1e-10)
