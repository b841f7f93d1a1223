"""meta_regression: moderator forms, formulas, predictions and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.errors import BoundaryWarning, MetaattError, StudyExcludedWarning
from tests.reference_data import load_reference_csv


@pytest.fixture(scope="module")
def bcg():
    d = load_reference_csv("bcg")
    d["yi"] = np.log(d.tpos / (d.tpos + d.tneg)) - np.log(d.cpos / (d.cpos + d.cneg))
    d["vi"] = 1 / d.tpos - 1 / (d.tpos + d.tneg) + 1 / d.cpos - 1 / (d.cpos + d.cneg)
    d["study"] = d.author
    return d


def test_moderator_forms_agree(bcg):
    formula = metaatt.meta_regression("yi", "vi", "~ ablat + year", data=bcg)
    columns = metaatt.meta_regression("yi", "vi", ["ablat", "year"], data=bcg)
    array = metaatt.meta_regression(bcg.yi, bcg.vi, bcg[["ablat", "year"]].to_numpy())
    frame = metaatt.meta_regression(bcg.yi, bcg.vi, bcg[["ablat", "year"]])
    table = metaatt.meta_regression(
        bcg[["yi", "vi", "ablat", "year", "study"]], mods="~ ablat + year"
    )
    for res in (columns, array, frame, table):
        np.testing.assert_allclose(res.coef, formula.coef, rtol=1e-12)
        assert res.qm == pytest.approx(formula.qm, rel=1e-12)
    assert formula.coef_names == ("intrcpt", "ablat", "year") == frame.coef_names
    assert array.coef_names == ("intrcpt", "X1", "X2")
    assert table.labels[0] == "Aronson"
    single = metaatt.meta_regression(bcg.yi, bcg.vi, bcg.ablat.to_numpy())
    assert single.coef_names == ("intrcpt", "mod")
    assert metaatt.meta_regression("yi", "vi", "ablat", data=bcg).coef_names == ("intrcpt", "ablat")


def test_categorical_moderators(bcg):
    formula = metaatt.meta_regression("yi", "vi", "~ alloc", data=bcg)
    frame = metaatt.meta_regression("yi", "vi", bcg[["alloc"]], data=bcg)
    assert formula.coef_names == ("intrcpt", "alloc[T.random]", "alloc[T.systematic]")
    assert frame.coef_names == ("intrcpt", "alloc[random]", "alloc[systematic]")
    np.testing.assert_allclose(formula.coef, frame.coef, rtol=1e-12)
    pred = formula.predict(pd.DataFrame({"alloc": ["random", "alternate"]}))
    np.testing.assert_allclose(
        pred.pred, [formula.coef[0] + formula.coef[1], formula.coef[0]], rtol=1e-12
    )
    np.testing.assert_allclose(
        frame.predict(pd.DataFrame({"alloc": ["random"]})).pred, pred.pred[:1], rtol=1e-12
    )
    with pytest.raises(MetaattError, match="level\\(s\\) \\['unknown'\\] not seen"):
        frame.predict(pd.DataFrame({"alloc": ["unknown"]}))
    no_intercept = metaatt.meta_regression("yi", "vi", "~ alloc", data=bcg, intercept=False)
    assert no_intercept.coef_names == ("alloc[alternate]", "alloc[random]", "alloc[systematic]")
    assert no_intercept.tau2 == pytest.approx(formula.tau2, rel=1e-10)
    assert np.isnan(no_intercept.r2)
    assert no_intercept.qm_df == 3


def test_formula_transformations(bcg):
    res = metaatt.meta_regression("yi", "vi", "~ I(ablat - 33) + np.log(year)", data=bcg)
    assert res.coef_names == ("intrcpt", "I(ablat - 33)", "np.log(year)")
    pred = res.predict({"ablat": [33.0], "year": [1960]})
    assert pred.pred[0] == pytest.approx(res.coef[0] + res.coef[2] * np.log(1960), rel=1e-12)


def test_predict_defaults_to_fitted_values(bcg):
    res = metaatt.meta_regression("yi", "vi", "~ ablat", data=bcg)
    fitted = res.predict()
    np.testing.assert_allclose(fitted.pred, res.fitted, rtol=1e-14)
    assert list(fitted.index) == list(bcg.author)
    np.testing.assert_allclose(res.residuals, bcg.yi - res.fitted)
    wide = res.predict([10, 50], level=0.99)
    narrow = res.predict([10, 50])
    assert (wide.ci_high - wide.ci_low > narrow.ci_high - narrow.ci_low).all()
    with pytest.raises(MetaattError, match="expected 1 value\\(s\\) per row"):
        res.predict([[1, 2]])


def test_fixed_effects_prediction_has_no_prediction_interval(bcg):
    res = metaatt.meta_regression("yi", "vi", "~ ablat", data=bcg, method="FE")
    assert res.method == "EE" and np.isnan(res.predict([20]).pi_low).all()
    assert "Fixed-Effects with Moderators Model" in res.summary()


def test_result_tables_and_printing(bcg):
    res = metaatt.meta_regression("yi", "vi", "~ ablat + year", data=bcg, test="hksj")
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "se", "statistic", "df", "pval", "ci_low", "ci_high"]
    assert list(frame.index) == ["intrcpt", "ablat", "year"] and (frame.df == 10).all()
    d = res.to_dict()
    assert d["coef_names"] == ["intrcpt", "ablat", "year"] and d["qm_test"] == "F"
    text = res.summary()
    assert (
        "Test of Moderators (coefficients ablat, year):" in text and "F(df1 = 2, df2 = 10)" in text
    )
    assert "<table" in res._repr_html_()
    again = res.confidence_interval(0.9)
    assert again.level == 0.9 and again.ci_low[1] > res.ci_low[1]
    assert again.tau2_ci_low >= res.tau2_ci_low
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass
        res.tau2 = 1.0


def test_missing_moderator_is_named_or_excluded(bcg):
    data = bcg.copy()
    data.loc[2, "ablat"] = np.nan
    with pytest.raises(
        MetaattError, match=r"mods\[ablat\]: row 3 \(study 'Rosenthal et al'\) is missing"
    ):
        metaatt.meta_regression("yi", "vi", ["ablat"], data=data)
    with pytest.warns(StudyExcludedWarning, match="Rosenthal"):
        res = metaatt.meta_regression("yi", "vi", "~ ablat", data=data, missing="exclude")
    assert res.k == 12 and res.excluded.row.tolist() == [3]
    assert "mods" in res.excluded.reason[0]


@pytest.mark.parametrize(
    ("mods", "message"),
    [
        (np.ones((12, 1)), "mods: 12 rows of moderators for 13 studies"),
        ("~ ablat + ablat2", "could not evaluate the formula"),
        ("yi ~ ablat", "give only the right-hand side"),
        ("~ ablat + const", "moderator 'const' is constant"),
        ("~ ablat + twice", "moderator 'twice' is a linear combination"),
        (["nothere"], r"column\(s\) \['nothere'\] not in data"),
    ],
)
def test_bad_moderators(bcg, mods, message):
    data = bcg.assign(const=1.0, twice=2 * bcg.ablat)
    with pytest.raises(MetaattError, match=message):
        metaatt.meta_regression("yi", "vi", mods, data=data)


def test_other_bad_input(bcg):
    with pytest.raises(MetaattError, match="needs a data= table"):
        metaatt.meta_regression(bcg.yi, bcg.vi, "~ ablat")
    with pytest.raises(MetaattError, match="more studies than coefficients"):
        metaatt.meta_regression([0.1, 0.2], [0.01, 0.02], [1.0, 2.0])
    with pytest.raises(MetaattError, match="moderators are required"):
        metaatt.meta_regression(bcg.yi, bcg.vi)
    with pytest.raises(MetaattError, match="btt: no coefficient named 'lat'"):
        metaatt.meta_regression("yi", "vi", "~ ablat", data=bcg, btt="lat")
    with pytest.raises(MetaattError, match="btt: position 5 out of range"):
        metaatt.meta_regression("yi", "vi", "~ ablat", data=bcg, btt=[5])
    with pytest.raises(MetaattError, match=r"method: unknown value 'reml'; .*did you mean 'REML'"):
        metaatt.meta_regression("yi", "vi", "~ ablat", data=bcg, method="reml")
    with pytest.raises(MetaattError, match="weights: method 'GENQ' needs a weight"):
        metaatt.meta_regression("yi", "vi", "~ ablat", data=bcg, method="GENQ")


def test_single_moderator_saturated_boundary_warning():
    yi = [0.1, 0.2, 0.3, 0.4]
    with pytest.warns(BoundaryWarning):
        res = metaatt.meta_regression(yi, [0.01] * 4, [1.0, 2.0, 3.0, 4.0])
    assert res.qe == pytest.approx(0.0, abs=1e-20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metaatt.meta_regression(yi, [0.01] * 4, [1.0, 2.0, 3.0, 4.0], method="EE")
