"""Fuzz the functions that take a fitted result (bias, diagnostics, robust, permutation,
provenance, plots, reports): wrong objects, k = 1, 2, 3, identical effects and exclusions
end in a clean result or a MetaattError naming the argument."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import metaatt
from tests.fuzz_helpers import assert_named_error, call

matplotlib.use("Agg")

YI = [0.1, 0.3, -0.2, 0.5, 0.25, 0.4, 0.05, 0.6]
VI = [0.01, 0.02, 0.03, 0.015, 0.04, 0.02, 0.01, 0.05]


def _fit(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        return fn()


RESULTS = {
    "k8": lambda: _fit(lambda: metaatt.pool(YI, VI)),
    "k1": lambda: _fit(lambda: metaatt.pool(YI[:1], VI[:1])),
    "k2": lambda: _fit(lambda: metaatt.pool(YI[:2], VI[:2])),
    "k3": lambda: _fit(lambda: metaatt.pool(YI[:3], VI[:3])),
    "identical": lambda: _fit(lambda: metaatt.pool([0.2] * 5, [0.02] * 5)),
    "common-effect": lambda: _fit(lambda: metaatt.pool(YI, VI, method="EE")),
    "excluded": lambda: _fit(
        lambda: metaatt.pool(
            [0.1, np.nan, 0.3, 0.2, 0.5], [0.01, 0.02, 0.03, 0.01, 0.02], missing="exclude"
        )
    ),
    "regression": lambda: _fit(lambda: metaatt.meta_regression(YI, VI, mods=np.arange(8.0))),
}
NOT_RESULTS = {
    "None": None,
    "text": "x",
    "table": pd.DataFrame({"yi": YI, "vi": VI}),
    "list": YI,
    "dict": {"yi": YI},
}

FUNCTIONS = {
    "egger_test": lambda r: metaatt.egger_test(r),
    "egger_test lm": lambda r: metaatt.egger_test(r, model="lm"),
    "rank_correlation_test": lambda r: metaatt.rank_correlation_test(r),
    "trim_and_fill": lambda r: metaatt.trim_and_fill(r),
    "pet_peese": lambda r: metaatt.pet_peese(r),
    "selection_model": lambda r: metaatt.selection_model(r, steps=[0.025]),
    "fail_safe_n": lambda r: metaatt.fail_safe_n(r),
    "fail_safe_n Orwin": lambda r: metaatt.fail_safe_n(r, type="Orwin", target=0.1),
    "leave_one_out": lambda r: metaatt.leave_one_out(r),
    "influence": lambda r: metaatt.influence(r),
    "cumulative": lambda r: metaatt.cumulative(r),
    "baujat": lambda r: metaatt.diagnostics.baujat(r),
    "provenance_table": lambda r: metaatt.provenance_table(r),
    "permutation_test": lambda r: metaatt.permutation_test(r, iterations=30, random_seed=1),
    "robust": lambda r: metaatt.robust(r, cluster=np.arange(getattr(r, "k", 8)) // 2),
}


def _finite_numbers(value):
    """Every float of a result or table is finite, or NaN with a documented meaning."""
    if isinstance(value, pd.DataFrame):
        return True  # tables carry NaN for documented cells (excluded rows, k = 1)
    for name in ("estimate", "se", "statistic", "pval"):
        if hasattr(value, name):
            number = np.atleast_1d(np.asarray(getattr(value, name), dtype=float))
            if np.isnan(number).all():
                continue  # documented NaN (e.g. the limit estimate of a regression)
            if not np.isfinite(number[~np.isnan(number)]).all():
                return False
    return True


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("result", RESULTS)
def test_result_functions_on_small_and_degenerate_models(function, result):
    model = RESULTS[result]()
    outcome = call(lambda: FUNCTIONS[function](model))
    if outcome.error is not None:
        assert_named_error(
            outcome,
            *("result", "k", "side", "steps", "cluster", "predictor", "studies", "needs"),
            "without moderators",
        )
    else:
        assert _finite_numbers(outcome.value)
        text = getattr(outcome.value, "summary", lambda: "")()
        assert isinstance(text, str)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("bad", NOT_RESULTS)
def test_result_functions_refuse_non_results(function, bad):
    outcome = call(lambda: FUNCTIONS[function](NOT_RESULTS[bad]))
    assert_named_error(outcome, "result", "cluster")


OPTIONS = {
    "egger model": lambda r, b: metaatt.egger_test(r, model=b),
    "egger predictor": lambda r, b: metaatt.egger_test(r, predictor=b),
    "egger level": lambda r, b: metaatt.egger_test(r, level=b),
    "trim_and_fill estimator": lambda r, b: metaatt.trim_and_fill(r, estimator=b),
    "trim_and_fill side": lambda r, b: metaatt.trim_and_fill(r, side=b),
    "trim_and_fill maxiter": lambda r, b: metaatt.trim_and_fill(r, maxiter=b),
    "trim_and_fill ilim": lambda r, b: metaatt.trim_and_fill(r, ilim=b),
    "pet_peese model": lambda r, b: metaatt.pet_peese(r, model=b),
    "pet_peese alpha": lambda r, b: metaatt.pet_peese(r, alpha=b),
    "selection_model steps": lambda r, b: metaatt.selection_model(r, steps=b),
    "selection_model alternative": lambda r, b: metaatt.selection_model(
        r, steps=[0.05], alternative=b
    ),
    "fail_safe_n type": lambda r, b: metaatt.fail_safe_n(r, type=b),
    "fail_safe_n alpha": lambda r, b: metaatt.fail_safe_n(r, alpha=b),
    "cumulative order": lambda r, b: metaatt.cumulative(r, order=b),
    "permutation_test iterations": lambda r, b: metaatt.permutation_test(r, iterations=b),
    "permutation_test random_seed": lambda r, b: metaatt.permutation_test(
        r, iterations=20, random_seed=b
    ),
    "permutation_test exact": lambda r, b: metaatt.permutation_test(r, iterations=20, exact=b),
    "robust adjust": lambda r, b: metaatt.robust(r, cluster=np.arange(8) // 2, adjust=b),
    "robust level": lambda r, b: metaatt.robust(r, cluster=np.arange(8) // 2, level=b),
    "robust btt": lambda r, b: metaatt.robust(r, cluster=np.arange(8) // 2, btt=b),
    "robust cluster": lambda r, b: metaatt.robust(r, cluster=b),
    "provenance_table level": lambda r, b: metaatt.provenance_table(r, level=b),
    "confidence_interval level": lambda r, b: r.confidence_interval(b),
}


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("bad", [None, "xx", 1.5, -1, [0.5], np.nan, {"a": 1}])
def test_bad_options_are_named(option, bad):
    takes_none = {
        "egger level",
        "trim_and_fill side",
        "trim_and_fill ilim",
        "cumulative order",
        "permutation_test random_seed",
        "permutation_test exact",
        "robust level",
        "robust btt",
        "provenance_table level",
    }
    if bad is None and option in takes_none:
        return  # None is the documented default of these options
    model = RESULTS["regression" if option.startswith(("permutation", "robust")) else "k8"]()
    outcome = call(lambda: OPTIONS[option](model, bad))
    argument = option.split()[-1]
    if outcome.error is None:
        # a few numbers are legitimate values of some options (e.g. alpha=-1 is not)
        assert option in {"robust btt", "selection_model steps"} and bad in (-1, 1.5, [0.5])
        return
    assert_named_error(outcome, argument, "type", "btt")


@pytest.mark.parametrize(
    "steps", [[], [0], [1], [1.5], [-0.1], [np.nan], [0.05, 0.025], [0.5, 0.5], "x"]
)
def test_selection_model_steps(steps):
    outcome = call(lambda: metaatt.selection_model(RESULTS["k8"](), steps=steps))
    if outcome.error is not None:
        assert_named_error(outcome, "steps")
    else:
        assert np.isfinite(outcome.value.estimate)


def test_robust_with_identical_effects_is_a_clear_error():
    outcome = call(lambda: metaatt.robust(RESULTS["identical"](), cluster=[1, 1, 2, 2, 3]))
    assert_named_error(outcome, "standard error")


def test_trim_and_fill_with_equal_variances_asks_for_the_side():
    model = RESULTS["identical"]()
    assert_named_error(call(lambda: metaatt.trim_and_fill(model)), "side")
    outcome = call(lambda: metaatt.trim_and_fill(model, side="left"))
    assert outcome.error is None and np.isfinite(outcome.value.estimate)


def test_robust_reports_the_models_excluded_studies():
    model = RESULTS["excluded"]()
    robust = call(lambda: metaatt.robust(model, cluster=[1, 1, 2, 2])).value
    assert list(robust.excluded["reason"]) == ["yi missing"]
    assert robust.k + len(robust.excluded) == 5
    assert robust.to_dict()["excluded"]["reason"] == ["yi missing"]


PLOTS = {
    "forest": lambda r: metaatt.plot.forest(r),
    "funnel": lambda r: metaatt.plot.funnel(r),
    "baujat": lambda r: metaatt.plot.baujat(r),
    "bubble": lambda r: metaatt.plot.bubble(r),
    "labbe": lambda r: metaatt.plot.labbe(r),
}


@pytest.mark.parametrize("plot", PLOTS)
@pytest.mark.parametrize("result", ["k1", "identical", "excluded", "regression"])
def test_plots_draw_or_name_the_problem(plot, result):
    import matplotlib.pyplot as plt

    model = RESULTS[result]()
    outcome = call(lambda: PLOTS[plot](model))
    plt.close("all")
    if outcome.error is not None:
        assert_named_error(outcome, "result", "mod", "k", "study", "studies", "ai", "measure")


@pytest.mark.parametrize("plot", PLOTS)
@pytest.mark.parametrize("bad", NOT_RESULTS)
def test_plots_refuse_non_results(plot, bad):
    import matplotlib.pyplot as plt

    outcome = call(lambda: PLOTS[plot](NOT_RESULTS[bad]))
    plt.close("all")
    if plot == "funnel" and bad == "table":
        assert outcome.error is None  # documented: a table with yi and vi columns
        return
    assert_named_error(outcome, "result")


@pytest.mark.parametrize(
    "options",
    [
        {"sort_by": "zz"},
        {"xlim": (1, 0)},
        {"xlim": "x"},
        {"digits": -1},
        {"labels": ["a"]},
        {"style": "x"},
        {"transform": "x"},
    ],
)
def test_forest_options_are_named(options):
    import matplotlib.pyplot as plt

    outcome = call(lambda: metaatt.plot.forest(RESULTS["k8"](), **options))
    plt.close("all")
    assert_named_error(outcome, *options)


def test_savefig_problems_are_named(tmp_path):
    import matplotlib.pyplot as plt

    figure = metaatt.plot.forest(RESULTS["k8"]())
    assert_named_error(call(lambda: metaatt.plot.savefig("x", tmp_path / "a.png")), "fig")
    missing = tmp_path / "no" / "such" / "a.png"
    assert_named_error(call(lambda: metaatt.plot.savefig(figure, missing)), "path")
    assert_named_error(call(lambda: metaatt.plot.savefig(figure, tmp_path / "a.zzz")), "path")
    plt.close("all")


@pytest.mark.parametrize("bad", [None, "x", 5])
def test_report_tables_refuse_non_tables(bad):
    for fn in (metaatt.report.to_csv, metaatt.report.to_markdown, metaatt.report.to_latex):
        assert_named_error(call(lambda f=fn: f(bad)), "table")
    assert_named_error(call(lambda: metaatt.report.pooled_table(bad)), "results")
    assert_named_error(call(lambda: metaatt.report.methods_paragraph(bad)), "results")


def test_report_options_and_files_are_named(tmp_path):
    model = RESULTS["k8"]()
    assert_named_error(call(lambda: metaatt.report.to_markdown(model, digits=-1)), "digits")
    assert_named_error(call(lambda: metaatt.report.to_latex(model, digits="x")), "digits")
    assert_named_error(
        call(lambda: metaatt.report.pooled_table(model, labels=["a", "b"])), "labels"
    )
    write = metaatt.report.write_table
    assert_named_error(call(lambda: write(model, tmp_path, "t", formats=("zz",))), "formats")
    assert_named_error(call(lambda: write(model, tmp_path, "../t")), "name")
    assert_named_error(call(lambda: write(model, tmp_path / "no" / "dir", "t")), "folder")
    assert_named_error(call(lambda: metaatt.report.sha256_file(tmp_path / "none")), "path")
    assert_named_error(call(lambda: metaatt.report.sha256_file(tmp_path)), "path")
    assert_named_error(call(lambda: metaatt.report.sha256_file(None)), "path")
    assert_named_error(call(lambda: metaatt.report.table_title(5)), "name")


BAYES_FAST = {"draws": 10, "tune": 10, "chains": 1}
BAYES_YI = [0.1, 0.3, -0.2, 0.5, 0.25, 0.4]
BAYES_VI = [0.01, 0.02, 0.03, 0.015, 0.04, 0.02]


@pytest.mark.parametrize(
    ("function", "options", "name"),
    [
        ("meta_regression", {"mods": "zz"}, "mods"),
        ("meta_regression", {"mods": [1, 2, 3]}, "mods"),
        ("meta_regression", {"mods": [1, np.inf, 3, 4, 5, 6]}, "mods"),
        ("meta_regression", {"mods": [1, 2, 3, 4, 5, 6], "coef_prior": "x"}, "coef_prior"),
        ("meta_regression", {"mods": [1, 2, 3, 4, 5, 6], "tau_prior": "x"}, "tau_prior"),
        ("meta_regression", {"mods": [1, 2, 3, 4, 5, 6], "level": 3}, "level"),
        ("meta_regression", {"mods": [1, 2, 3, 4, 5, 6], "draws": -1}, "draws"),
        ("meta_regression", {"mods": [1, 2, 3, 4, 5, 6], "chains": 0}, "chains"),
        ("multilevel", {"study": None}, "study"),
        ("multilevel", {"study": [1] * 6}, "study"),
        ("multilevel", {"study": [[1]] * 6}, "study"),
        ("multilevel", {"study": [1, 1, 2, 2, 3, 3], "sigma_prior": "x"}, "sigma_prior"),
        ("robust_pool", {"nu": -1}, "nu"),
        ("robust_pool", {"nu": "x"}, "nu"),
    ],
)
def test_bayes_samplers_validate_before_sampling(function, options, name):
    outcome = call(
        lambda: getattr(metaatt.bayes, function)(BAYES_YI, BAYES_VI, **{**BAYES_FAST, **options})
    )
    assert_named_error(outcome, name)


def test_provenance_and_assumption_options_are_named():
    table = pd.DataFrame({"yi": BAYES_YI, "vi": BAYES_VI})
    assert_named_error(call(lambda: metaatt.with_provenance("x")), "frame")
    assert_named_error(call(lambda: metaatt.with_provenance(table, inputs=5)), "inputs")
    assert_named_error(call(lambda: metaatt.with_provenance(table, study=[1, 2])), "study")
    from tests import attachment_rows

    sheet = pd.DataFrame(attachment_rows.rows())
    for values in ([], [2], "x", [np.nan]):
        outcome = call(lambda v=values: metaatt.assumption_sensitivity(sheet, values=v))
        assert_named_error(outcome, "values")
    assert_named_error(call(lambda: metaatt.assumption_sensitivity(sheet, method="x")), "method")
    assert_named_error(call(lambda: metaatt.assumption_sensitivity(None)), "analysis", "sheet")


@pytest.mark.parametrize(
    "newmods", [[[1, 2]], "x", [np.nan], [np.inf], pd.DataFrame({"zz": [1]}), {"a": 1}]
)
def test_regression_predict_names_bad_newmods(newmods):
    model = RESULTS["regression"]()
    assert_named_error(call(lambda: model.predict(newmods)), "newmods")
