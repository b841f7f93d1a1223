"""metaatt.pool: inputs, bad input, k = 1 and k = 2, exclusions and the result object."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import MetaattError
from tests.reference_data import load_fixture

BCG = next(c for c in load_fixture("pool")["cases"] if c["name"] == "bcg_logrr")
YI, VI = np.array(BCG["yi"]), np.array(BCG["vi"])


def test_accepts_arrays_lists_series_and_tables():
    ref = metaatt.pool(YI, VI)
    frame = pd.DataFrame({"study": [f"S{i}" for i in range(13)], "yi": YI, "vi": VI, "x": 1})
    for res in (
        metaatt.pool(list(YI), list(VI)),
        metaatt.pool(pd.Series(YI), pd.Series(VI)),
        metaatt.pool(frame),
        metaatt.pool("yi", "vi", data=frame),
        metaatt.pool(YI, sei=np.sqrt(VI)),
        metaatt.pool("yi", sei=np.sqrt(VI), data=frame),
    ):
        assert res.estimate == pytest.approx(ref.estimate, rel=1e-12)
        assert res.tau2 == pytest.approx(ref.tau2, rel=1e-12)
    table = metaatt.pool(frame)
    assert table.labels[0] == "S0"
    assert list(table.data.columns) == ["study", "yi", "vi", "x"]


def test_fe_is_an_alias_of_ee_and_metafor_test_names_are_accepted():
    assert metaatt.pool(YI, VI, method="FE").estimate == metaatt.pool(YI, VI, method="EE").estimate
    assert metaatt.pool(YI, VI, test="knha").se == metaatt.pool(YI, VI, test="hksj").se
    assert metaatt.pool(YI, VI, test="adhoc").test == "hksj-adhoc"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"yi": [0.1, 0.2], "vi": [0.1]}, "lengths differ: yi has 2, vi has 1"),
        ({"yi": [0.1, np.nan, 0.3], "vi": [0.1, 0.1, 0.1]}, r"yi: row 2 .*missing"),
        ({"yi": [0.1, 0.2, 0.3], "vi": [0.1, np.inf, 0.1]}, "vi: row 2 is infinite"),
        (
            {"yi": [0.1, 0.2, 0.3], "vi": [0.1, 0.0, 0.1]},
            r"vi: row 2 is 0; sampling variances must be > 0",
        ),
        ({"yi": [0.1, 0.2, 0.3], "vi": [0.1, -1, 0.1]}, r"vi: row 2 is -1"),
        ({"yi": [], "vi": []}, "no values"),
        ({"yi": [0.1, "a"], "vi": [0.1, 0.1]}, "yi: row 2 is 'a', which is not a number"),
        ({"yi": [0.1, 0.2], "vi": None}, "vi: sampling variances are required"),
        (
            {"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "REMLL"},
            "method: unknown value 'REMLL'.*did you mean 'REML'",
        ),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "reml"}, "did you mean 'REML'"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "test": "knapp"}, "test: unknown value 'knapp'"),
        (
            {"yi": [0.1, 0.2], "vi": [0.1, 0.1], "level": 95},
            "level: must lie strictly between 0 and 1",
        ),
        (
            {"yi": [0.1, 0.2], "vi": [0.1, 0.1], "level": 0},
            "level: must lie strictly between 0 and 1",
        ),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "GENQ"}, "weights: method 'GENQ' needs"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "weights": [1, 2]}, "only used by method 'GENQ'"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "sei": [0.1, 0.1]}, "not both"),
        ({"yi": [[0.1, 0.2]], "vi": [0.1, 0.1]}, "expected a 1-D sequence"),
        ({"yi": [0.1, 0.2], "sei": [0.1, -0.1]}, r"sei: row 2 is -0.1"),
    ],
)
def test_bad_input_raises_a_named_value_error(kwargs, message):
    kwargs = dict(kwargs)
    yi = kwargs.pop("yi")
    vi = kwargs.pop("vi", None)
    with pytest.raises(MetaattError, match=message):
        metaatt.pool(yi, vi, **kwargs)
    assert issubclass(MetaattError, ValueError)


def test_bad_input_names_the_study_label():
    frame = pd.DataFrame({"study": ["Aronson", "Ferguson"], "yi": [0.1, 0.2], "vi": [0.1, -0.1]})
    with pytest.raises(MetaattError, match=r"vi: row 2 \(study 'Ferguson'\)"):
        metaatt.pool(frame)
    with pytest.raises(MetaattError, match="column 'v' is not in data"):
        metaatt.pool("yi", "v", data=frame)
    with pytest.raises(MetaattError, match="no data= table"):
        metaatt.pool("yi", "vi")


def test_rows_with_a_reason_are_excluded_and_reported():
    frame = pd.DataFrame(
        {
            "study": ["A", "B", "C", "D"],
            "yi": [0.1, np.nan, 0.9, -0.5],
            "vi": [0.01, np.nan, 0.02, 0.03],
            "reason": [None, "double-zero table (drop00=True)", None, None],
        }
    )
    with pytest.warns(
        metaatt.StudyExcludedWarning, match="1 of 4 studies excluded.*B .double-zero"
    ):
        res = metaatt.pool(frame, method="DL")
    assert res.k == 3
    assert res.excluded.to_dict("records") == [
        {"study": "B", "row": 2, "reason": "double-zero table (drop00=True)"}
    ]
    assert "Excluded studies (1):" in res.summary()
    assert "double-zero" in res._repr_html_()
    frame.loc[1, "reason"] = None
    with pytest.raises(MetaattError, match=r"yi: row 2 \(study 'B'\) is missing"):
        metaatt.pool(frame)
    with pytest.warns(metaatt.StudyExcludedWarning):
        res = metaatt.pool(frame, missing="exclude")
    assert res.excluded.reason.tolist() == ["yi and vi missing"]


def test_all_rows_excluded_is_an_error():
    frame = pd.DataFrame({"yi": [np.nan], "vi": [np.nan], "reason": ["no data"]})
    with pytest.raises(MetaattError, match="no study can be analysed"):
        metaatt.pool(frame)


def test_k1_is_the_study_itself_and_says_heterogeneity_is_undefined():
    with pytest.warns(metaatt.HeterogeneityUndefinedWarning, match="k = 1"):
        res = metaatt.pool([0.3], [0.04], method="REML", test="hksj")
    assert res.estimate == 0.3
    assert res.se == pytest.approx(0.2)
    assert res.ci_low == pytest.approx(0.3 - 1.959963984540054 * 0.2)
    assert np.isinf(res.df)  # a z test: t needs k >= 2
    for name in ("tau2", "i2", "h2", "q_pval", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high"):
        assert np.isnan(getattr(res, name)), name
    assert res.q == 0.0 and res.q_df == 0
    assert "not estimable with a single study" in res.summary()
    assert res.weights.tolist() == [100.0]


def test_k2_works_for_every_method_and_test():
    for method in ("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM"):
        for test in ("z", "t", "hksj", "hksj-adhoc"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", metaatt.BoundaryWarning)
                res = metaatt.pool([0.1, 0.9], [0.02, 0.05], method=method, test=test)
            assert res.k == 2 and res.q_df == 1
            assert (
                np.isfinite(res.estimate)
                and np.isfinite(res.ci_low)
                and np.isfinite(res.tau2_ci_high)
            )
            if test != "z":
                assert res.df == 1


def test_boundary_warning_and_degenerate_hksj():
    with pytest.warns(metaatt.BoundaryWarning, match="REML estimate of tau\\^2 is 0"):
        res = metaatt.pool([0.1, 0.12, 0.09, 0.11], [0.01, 0.02, 0.015, 0.03])
    assert res.tau2 == 0.0 and res.tau2_at_boundary and res.tau2_ci_null
    with pytest.warns(metaatt.DegenerateStatisticWarning), pytest.warns(metaatt.BoundaryWarning):
        res = metaatt.pool([0.2, 0.2, 0.2], [0.01, 0.02, 0.03], method="DL", test="hksj")
    assert res.se == 0.0 and res.ci_low == res.ci_high == 0.2 and res.pval == 0.0


def test_convergence_error_is_raised_when_iterations_run_out(monkeypatch):
    from metaatt import _roots

    monkeypatch.setattr(_roots, "MAXITER", 1)
    monkeypatch.setattr(_roots.bracketed_newton, "__kwdefaults__", {"xtol": 1e-12, "maxiter": 1})
    monkeypatch.setattr(_roots.newton_one, "__kwdefaults__", {"xtol": 1e-12, "maxiter": 1})
    with pytest.raises(metaatt.ConvergenceError, match=r"method 'REML'.*did not converge"):
        metaatt.pool(YI, VI, method="REML")
    with pytest.raises(metaatt.ConvergenceError, match=r"method 'ML'.*did not converge"):
        metaatt.pool_batch(
            pd.DataFrame({"g": np.repeat([1, 2], 13), "yi": np.tile(YI, 2), "vi": np.tile(VI, 2)}),
            by="g",
            method="ML",
        )


def test_result_is_frozen_and_prints():
    res = metaatt.pool(YI, VI)
    with pytest.raises(AttributeError):
        res.estimate = 0.0
    text = res.summary()
    assert "Random-Effects Model (k = 13; tau^2 estimator: REML)" in text
    assert "Q(df = 12) = 152.2330, p-val < .0001" in text
    assert "-0.7145" in text and "95% prediction interval: [-1.8667, 0.4376]" in text
    assert str(res) == text
    assert repr(res).startswith("PoolResult(method='REML'")
    html = res._repr_html_()
    assert "<table" in html and "Random-effects model (REML)" in html
    ee = metaatt.pool(YI, VI, method="EE").summary()
    assert "Common-Effect Model (k = 13)" in ee and "prediction interval" not in ee


def test_to_frame_and_forest_frame():
    res = metaatt.pool(YI, VI, labels=[f"T{i}" for i in range(1, 14)])
    frame = res.to_frame()
    assert list(frame.columns) == ["study", "yi", "vi", "se", "ci_low", "ci_high", "weight"]
    assert frame.weight.sum() == pytest.approx(100.0)
    np.testing.assert_allclose(frame.ci_high - frame.yi, 1.959963984540054 * np.sqrt(VI))
    forest = res.forest_frame()
    assert forest.kind.tolist() == ["study"] * 13 + ["pooled", "prediction"]
    pooled = forest[forest.kind == "pooled"].iloc[0]
    assert (pooled.estimate, pooled.ci_low, pooled.ci_high) == (
        res.estimate,
        res.ci_low,
        res.ci_high,
    )
    assert forest.attrs["heterogeneity"].startswith("Heterogeneity: tau^2 = 0.3132, I^2 = 92.2%")
    assert res.to_dict()["tau2"] == res.tau2


def test_confidence_interval_changes_only_intervals():
    res = metaatt.pool(YI, VI)
    r90 = res.confidence_interval(0.90)
    assert r90.level == 0.90 and r90.estimate == res.estimate and r90.tau2 == res.tau2
    assert r90.ci_low == pytest.approx(-1.0102, abs=5e-5)  # metafor predict(level=90)
    assert r90.pi_low == pytest.approx(-1.6815, abs=5e-5)
    # metafor's confint(level=90) prints 0.141010 with its default root tolerance ~1e-4
    assert r90.tau2_ci_low == pytest.approx(0.141010, abs=2e-5)
    direct = metaatt.pool(YI, VI, level=0.90)
    for name in (
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
        "tau2_ci_low",
        "tau2_ci_high",
        "i2_ci_low",
    ):
        assert getattr(r90, name) == pytest.approx(getattr(direct, name), rel=1e-12)
    with pytest.raises(MetaattError, match="level"):
        res.confidence_interval(1.5)


def test_input_table_is_not_modified():
    frame = pd.DataFrame({"yi": YI, "vi": VI})
    before = frame.copy()
    metaatt.pool(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_synthetic_data_are_labelled():
    frame = pd.DataFrame({"yi": YI, "vi": VI})
    frame.attrs["synthetic"] = True
    res = metaatt.pool(frame)
    assert res.synthetic
    assert "SYNTHETIC" in res.summary() and "SYNTHETIC" in res._repr_html_()
    assert res.forest_frame().attrs["synthetic"] is True


def test_test_based_i2_interval_names_bad_input():
    from metaatt.i2_interval import higgins_thompson_i2_interval

    res = metaatt.pool([0.1, 0.5], [0.01, 0.02], method="DL")
    with pytest.raises(metaatt.MetaattError, match=r"k: the test-based I\^2 interval needs k >= 3"):
        res.i2_interval("test-based")
    for args, message in [
        (("12", 6), "q: expected a single number"),
        ((float("nan"), 6), "q: expected a finite number"),
        ((-1.0, 6), "q: must be >= 0"),
        ((12.0, 6.5), "k: the test-based"),
        ((12.0, 6, 95), r"level: must lie strictly between 0 and 1 \(e.g. 0.95\)"),
    ]:
        with pytest.raises(metaatt.MetaattError, match=message):
            higgins_thompson_i2_interval(*args)
