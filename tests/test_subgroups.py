"""subgroup_analysis against metafor 3.8 (tests/reference/regression.R) and its contracts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.errors import BoundaryWarning, HeterogeneityUndefinedWarning, MetaattError
from tests.reference_data import METAFOR_TESTS, load_fixture, load_reference_csv

CASES = load_fixture("regression")["subgroups"]


def run(case, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (BoundaryWarning, HeterogeneityUndefinedWarning))
        return metaatt.subgroup_analysis(
            case["yi"],
            case["vi"],
            case["group"],
            method=case["method"],
            test=METAFOR_TESTS[case["test"]],
            tau2=mode,
        )


def close(actual, expected, rtol=1e-6, atol=1e-10):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=rtol, atol=atol
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_separate_tau2(case):
    res = run(case, "separate")
    exp = case["separate"]
    groups = pd.DataFrame(exp["groups"]).set_index("group")
    table = res.groups.loc[groups.index]
    assert list(table.k) == list(groups.k)
    for ours, theirs in [
        ("estimate", "estimate"),
        ("se", "se"),
        ("statistic", "zval"),
        ("pval", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("tau2", "tau2"),
        ("q", "QE"),
    ]:
        close(table[ours], groups[theirs], atol=1e-12)
    multi = groups.k > 1
    close(table.i2[multi], groups.I2[multi], atol=1e-8)
    if case["method"] not in ("FE", "EE"):
        close(table.pi_low[multi], groups.pi_lb[multi])
        close(table.pi_high[multi], groups.pi_ub[multi])
    close(res.q_between, exp["QM"])
    close(res.q_between_pval, exp["QMp"], atol=1e-14)
    assert res.q_between_df == exp["QMdf"][0]
    overall = case["overall"]
    close(res.overall.estimate, overall["estimate"])
    close(res.overall.se, overall["se"])
    close(res.overall.tau2, overall["tau2"], atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_common_tau2(case):
    res = run(case, "common")
    exp = case["common"]
    close(res.q_between, exp["QM"])
    close(res.q_between_pval, exp["QMp"], atol=1e-14)
    assert res.q_between_df == exp["QMdf"][0]
    if case["test"] in ("knha", "adhoc", "t"):
        assert res.q_between_test == "F" and res.q_between_df2 == exp["QMdf"][1]
    close(res.groups.tau2, np.full(len(res.groups), exp["tau2"]), atol=1e-12)
    close(res.groups.estimate, exp["estimate"])
    close(res.groups.se, exp["se"])
    close(res.groups.ci_low, exp["ci_lb"])
    close(res.groups.ci_high, exp["ci_ub"])
    if case["method"] not in ("FE", "EE"):
        close(res.groups.pi_low, exp["pi_lb"])
        close(res.groups.pi_high, exp["pi_ub"])


def test_lipsey_wilson_subgroup_anova():
    """reference-cases.md case 10: within-group Q 6.4382 and 1.2519, QM 7.0739 (p .0078)."""
    lw = load_reference_csv("lipsey2001")
    res = metaatt.subgroup_analysis("yi", "vi", "random", data=lw, method="EE")
    np.testing.assert_allclose(res.groups.q, [6.4382, 1.2519], atol=5e-5)
    assert res.q_between == pytest.approx(7.0739, abs=5e-5)
    assert res.q_between_pval == pytest.approx(0.0078, abs=5e-5)
    # common-effect model: separate and common tau^2 coincide
    common = metaatt.subgroup_analysis("yi", "vi", "random", data=lw, method="EE", tau2="common")
    assert common.q_between == pytest.approx(res.q_between, rel=1e-12)


def test_forest_frame_layout():
    bcg = load_reference_csv("bcg")
    yi = np.log(bcg.tpos / (bcg.tpos + bcg.tneg)) - np.log(bcg.cpos / (bcg.cpos + bcg.cneg))
    vi = 1 / bcg.tpos - 1 / (bcg.tpos + bcg.tneg) + 1 / bcg.cpos - 1 / (bcg.cpos + bcg.cneg)
    data = pd.DataFrame({"yi": yi, "vi": vi, "alloc": bcg.alloc, "study": bcg.author})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        res = metaatt.subgroup_analysis("yi", "vi", "alloc", data=data)
    frame = res.forest_frame()
    assert list(frame.columns[:7]) == [
        "label",
        "estimate",
        "ci_low",
        "ci_high",
        "weight",
        "kind",
        "group",
    ]
    assert frame.attrs["variant"] == "subgroups"
    assert "subgroup differences" in frame.attrs["subgroup_test"]
    kinds = frame.kind.tolist()
    assert kinds[-2:] == ["pooled", "prediction"]
    for name in res.groups.index:
        part = frame[frame.group == name]
        assert part.kind.iloc[0] == "heading" and part.kind.iloc[-1] == "subgroup"
        assert (part.kind == "study").sum() == res.groups.loc[name, "k"]
        assert part[part.kind == "study"].weight.sum() == pytest.approx(100.0)
        assert part.estimate.iloc[-1] == pytest.approx(res.groups.loc[name, "estimate"])
    studies = frame[frame.kind == "study"]
    assert sorted(studies.label) == sorted(bcg.author)
    assert frame[frame.kind == "pooled"].group.isna().all()
    assert "Subgroup analysis" in res.summary() and "<table" in res._repr_html_()
    assert res.to_dict()["groups"][0]["group"] == res.groups.index[0]


def test_single_group_is_an_error():
    with pytest.raises(MetaattError, match="only one subgroup \\('a'\\)"):
        metaatt.subgroup_analysis([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], ["a", "a", "a"])


def test_group_with_one_study_warns():
    with (
        pytest.warns(HeterogeneityUndefinedWarning, match="single study"),
        pytest.warns(metaatt.BoundaryWarning, match="tau\\^2 is 0 in subgroup 'a'"),
    ):
        res = metaatt.subgroup_analysis(
            [0.1, 0.25, 0.3, 0.9], [0.01, 0.02, 0.03, 0.02], ["a", "a", "a", "b"], method="DL"
        )
    assert res.groups.loc["b", "estimate"] == 0.9
    assert any("single study" in n for n in res.notes)
    assert any("is 0 in subgroup 'a'" in n for n in res.notes)
    assert np.isnan(res.groups.loc["b", "i2"])


def test_missing_group_label():
    with pytest.raises(MetaattError, match=r"groups: row 2 .*missing"):
        metaatt.subgroup_analysis([0.1, 0.2, 0.3, 0.5], [0.01] * 4, ["a", None, "b", "b"])
    with pytest.warns(metaatt.StudyExcludedWarning):
        res = metaatt.subgroup_analysis(
            [0.1, 0.2, 0.3, 0.5, 0.4],
            [0.01] * 5,
            ["a", None, "b", "b", "a"],
            missing="exclude",
            method="EE",
        )
    assert res.k == 4 and res.excluded.row.tolist() == [2]


def test_group_labels_length_mismatch():
    with pytest.raises(MetaattError, match="3 labels for 4 studies"):
        metaatt.subgroup_analysis([0.1, 0.2, 0.3, 0.5], [0.01] * 4, ["a", "b", "b"])


def test_common_tau2_needs_more_studies_than_groups():
    with pytest.raises(MetaattError, match="more studies than subgroups"):
        metaatt.subgroup_analysis([0.1, 0.2], [0.01, 0.02], ["a", "b"], tau2="common")


def test_unknown_tau2_mode():
    with pytest.raises(MetaattError, match="tau2: unknown value 'shared'"):
        metaatt.subgroup_analysis([0.1, 0.2, 0.3], [0.01] * 3, ["a", "b", "b"], tau2="shared")
