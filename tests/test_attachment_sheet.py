"""The extraction sheet: schema, reading, validation (all bad cells), effect sizes."""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt import MetaattError
from metaatt import extract as ex
from metaatt.attachment import (
    COLUMNS,
    FORMATS,
    OUTPUT_COLUMNS,
    default_registry,
    effect_sizes,
    read_sheet,
    validate_sheet,
)
from tests import attachment_rows

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "data" / "attachment" / "SHEET_FORMAT.md"
TEMPLATE = ROOT / "data" / "attachment" / "extraction_template.csv"


def _one(**row):
    base = {"study": "TEST", "outcome": "o", "source": "test input", "synthetic": True}
    return pd.DataFrame([{**base, **row}])


# ----------------------------------------------------------------------------- schema / docs
def test_template_has_every_column_in_order():
    assert TEMPLATE.read_text().strip().split(",") == list(COLUMNS)


def test_format_doc_lists_every_column_format_and_instrument():
    text = DOC.read_text()
    documented = set(re.findall(r"`([a-z0-9_]+)`", text))
    slots = {c for c in COLUMNS if re.match(r"(median|q1|q3|min|max)_", c)}
    assert set(COLUMNS) - slots <= documented
    assert {"median_X", "q1_X", "q3_X", "min_X", "max_X"} & set(re.findall(r"`(\w+)`", text))
    assert set(FORMATS) <= documented
    keys = set(re.findall(r"`([A-Za-z0-9_-]+)`", text))
    assert {i.name for i in default_registry()} <= keys
    assert set(OUTPUT_COLUMNS) <= documented


def test_empty_template_reads_and_reports_no_rows():
    sheet = read_sheet(TEMPLATE)
    assert len(sheet) == 0
    report = validate_sheet(sheet)
    assert not report.ok and "no rows" in report.errors[0].message


# ----------------------------------------------------------------------------- computing
@pytest.fixture(scope="module")
def es():
    return effect_sizes(attachment_rows.frame())


def test_every_format_is_computed(es):
    assert es.reason.isna().all(), es.reason.tolist()
    assert set(es.format) == set(FORMATS)
    assert list(es.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
    assert (es.vi > 0).all() and np.isfinite(es.yi).all()
    assert es.attrs["synthetic"] is True
    assert es.attrs["settings"]["assumed_r"] == 0.5


def _row(es, study):
    return es[es.study == study].iloc[0]


def test_values_equal_direct_extractor_calls(es):
    r = _row(es, "TEST pre post")  # SMCR by hand, r imputed 0.5
    g = ex.hedges_j(39) * (3.4 - 2.6) / 1.2
    assert r.yi == pytest.approx(g) and r.vi == pytest.approx(2 * 0.5 / 40 + g**2 / 80)
    assert r.r_source == "imputed" and "imputed as 0.5" in r.assumptions
    r = _row(es, "TEST paired t")
    assert r.yi == pytest.approx(ex.from_t_paired(2.5, 20).yi[0]) and r.metric == "d_z"
    r = _row(es, "TEST ppc")
    expected = ex.d_ppc2(3.0, 1.2, 4.0, 30, 3.1, 1.1, 3.3, 30, r=0.5)
    assert r.yi == pytest.approx(expected.yi[0]) and r.metric == "d_ppc"
    r = _row(es, "TEST p")
    assert r.yi == pytest.approx(ex.from_p(0.01, design="between", n1=25, n2=25).yi[0])
    assert "p < 0.01 entered as p = 0.01" in r.assumptions
    r = _row(es, "TEST eta2")
    assert r.yi == pytest.approx(ex.from_eta2(0.19, design="within", n=43).yi[0])
    assert "df_error not reported; assumed 42" in r.assumptions
    r = _row(es, "TEST wald")
    assert r.yi == 0.4 and r.metric == "d_between_post"
    r = _row(es, "TEST marginal percent")
    assert "n_secure_pre = 8 reconstructed" in r.assumptions and r.phi_used == 0.5
    r = _row(es, "TEST medians")
    assert "Luo et al. 2018" in r.assumptions and "Wan et al. 2014" in r.assumptions


def test_direction_is_harmonized(es):
    anxiety = _row(es, "TEST change")  # ECR-R anxiety fell by 0.5: an improvement
    assert anxiety.direction == -1 and anxiety.yi > 0
    assert anxiety.yi == pytest.approx(-ex.from_change(-0.5, 0.9, 50).yi[0])
    rf = _row(es, "TEST paired t")
    assert rf.direction == 1 and rf.yi > 0
    assert _row(es, "TEST sd change").r_source == "derived from sd_change"


def test_provenance_columns(es):
    r = _row(es, "TEST paired table")
    assert r.inputs == "n_ss=2; n_si=1; n_is=8; n_ii=9"
    assert r.source == attachment_rows.SOURCE and r.construct.startswith("AAI classification")
    assert "MPOR" in r.formula and r.study_id == r.study
    assert r.ci_low < r.yi < r.ci_high


# ----------------------------------------------------------------------------- files
def test_reading_a_csv_never_writes_and_reports_lines(tmp_path):
    path = tmp_path / "sheet.csv"
    attachment_rows.frame().to_csv(path, index=False)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    sheet = read_sheet(path)
    effect_sizes(sheet)
    validate_sheet(path)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    bad = attachment_rows.frame()
    bad.loc[2, "n"] = -3
    bad.to_csv(path, index=False)
    report = validate_sheet(path)
    [problem] = [p for p in report.errors if p.column == "n"]
    assert problem.row == 3 and problem.line == 4
    assert str(problem).startswith("error: row 3 (line 4, study 'TEST marginal percent')")


def test_input_frame_is_not_modified():
    frame = attachment_rows.frame()
    copy = frame.copy(deep=True)
    effect_sizes(frame)
    pd.testing.assert_frame_equal(frame, copy)


# ----------------------------------------------------------------------------- validation
def test_all_bad_cells_are_reported_not_just_the_first():
    frame = attachment_rows.frame()
    frame.loc[4, "sd_pre"] = -1.2  # negative SD
    frame.loc[0, "n_ss"] = -2  # negative count
    frame.loc[1, "n_secure_post"] = 20  # more secure than patients
    frame.loc[4, "r"] = 1.4  # correlation outside [-1, 1]
    frame.loc[2, "pct_secure_post"] = 140  # percentage outside [0, 100]
    frame.loc[7, "instrument"] = "RFX"  # unknown instrument
    frame.loc[8, "format"] = "independant_t"  # unknown format
    frame.loc[9, "sign"] = 2
    frame.loc[10, "p"] = "0,01"  # decimal comma
    frame.loc[16, "ci_level"] = 95
    frame.loc[17, "median_pre"] = 6.0  # median above q3
    frame.loc[5, "m_pre"] = 45  # outside the 1-7 ECR-R scale
    report = validate_sheet(frame)
    found = {(p.row, p.column) for p in report.errors}
    expected = {(5, "sd_pre"), (1, "n_ss"), (2, "n_secure_post"), (5, "r"), (3, "pct_secure_post"),
                (8, "instrument"), (9, "format"), (10, "sign"), (11, "p"), (17, "ci_level"),
                (18, "median_pre"), (6, "m_pre")}  # fmt: skip
    assert expected <= found, expected - found
    text = str(report)
    assert "did you mean 'RF'" in text and "did you mean 'independent_t'" in text
    assert "decimal point" in text and "0.95, not 95" in text
    assert "outside the ECR-R_anxiety scale [1, 7]" in text
    with pytest.raises(MetaattError) as err:
        effect_sizes(frame)
    message = str(err.value)
    assert all(f"row {r}" in message for r, _ in expected)
    kept = effect_sizes(frame, on_error="keep")
    assert len(kept) == len(frame)
    bad_rows = sorted({r for r, _ in expected})
    assert kept.loc[[r - 1 for r in bad_rows], "yi"].isna().all()
    assert "sd_pre: must be > 0" in kept.loc[4, "reason"]
    assert kept.loc[[r - 1 for r in bad_rows], "reason"].notna().all()


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (dict(instrument="AAI", format="paired_table", n_ss=1, n_si=2, n_is=3, n_ii=4, n=11),
         "n", "add up to 10"),
        (dict(instrument="RF", format="paired_table", n_ss=1, n_si=2, n_is=3, n_ii=4),
         "instrument", "needs a categorical instrument"),
        (dict(instrument="AAI", format="paired_t", t=2, n=10), "instrument", "dimensional"),
        (dict(instrument="RF", format="paired_t", t=2, n=10.5), "n", "whole number"),
        (dict(instrument="RF", format="paired_t", t=2, n=2), "n", "n >= 3"),
        (dict(instrument="RF", format="p_value", p=1.3, design="within", sign=1, n=10), "p",
         "0 < p <= 1"),
        (dict(instrument="RF", format="p_value", p="abc", design="within", sign=1, n=10), "p",
         "not a number"),
        (dict(instrument="RF", format="eta2", eta2=0.2, eta2_type="omega2", design="within",
              sign=1, n=10), "eta2_type", "unknown value"),
        (dict(instrument="RF", format="f_test", f=4, df_effect=2, design="within", sign=1, n=10),
         "df_effect", "only 1-df effects"),
        (dict(instrument="RF", format="wald_ci", estimate=0.9, ci_low=0.1, ci_high=0.5,
              estimate_type="d_z"), "estimate", "not inside"),
        (dict(instrument="AAI", format="wald_ci", estimate=-1, ci_low=0.1, ci_high=0.5,
              estimate_type="OR"), "estimate", "ratio must be > 0"),
        (dict(instrument="RF", format="pre_post_means", m_pre=3, sd_pre=1, m_post=4,
              sd_post=1, sd_change=3, n=10), "sd_change", "inconsistent"),
        (dict(instrument="RF", format="pre_post_means", m_pre=3, sd_pre=1, m_post=4,
              sd_post=1, t=0.5, n=10), "t", "inconsistent"),
        (dict(instrument="RF", format="paired_t", t=2, n=10, hedges_corrected="perhaps"),
         "hedges_corrected", "not true/false"),
        (dict(outcome="", instrument="RF", format="paired_t", t=2, n=10), "outcome", "required"),
        (dict(source="", instrument="RF", format="paired_t", t=2, n=10), "source", "required"),
    ],
)  # fmt: skip
def test_bad_cells_are_named(row, column, message):
    report = validate_sheet(_one(**row))
    assert any(p.column == column and message in p.message for p in report.errors), str(report)


def test_zero_sd_with_sd_change_does_not_crash_the_validator():
    report = validate_sheet(
        _one(instrument="RF", format="pre_post_means", m_pre=3, sd_pre=0, m_post=4, sd_post=1,
             sd_change=1, n=10)
    )  # fmt: skip
    assert not any(p.column == "sd_change" for p in report.errors), str(report)


def test_incomplete_rows_stay_with_a_reason():
    frame = pd.concat([_one(instrument="RF", format="paired_t", t=2.0, n=20),
                       _one(instrument="RF", format="pre_post_means", m_pre=3.0, n=20),
                       _one(instrument="RF", format="p_value", p=0.03, design="between",
                            sign=1, n=20)], ignore_index=True)  # fmt: skip
    report = validate_sheet(frame)
    assert report.ok and len(report.incomplete) == 3
    es = effect_sizes(frame)
    assert np.isfinite(es.yi[0]) and es.reason[0] is None
    assert np.isnan(es.yi[1]) and "needs m_post" in es.reason[1] and "needs sd_pre" in es.reason[1]
    assert np.isnan(es.yi[2]) and "needs n_c" in es.reason[2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = metaatt.pool(es, method="EE")
    assert res.k == 1 and list(res.excluded.row) == [2, 3]
    assert "needs m_post" in res.excluded.reason[0]
    assert metaatt.StudyExcludedWarning in {w.category for w in caught}


def test_unknown_columns_are_kept_and_near_misses_flagged():
    frame = _one(instrument="RF", format="paired_t", t=2.0, n=20, risk_of_bias="low", sd_pree=1)
    report = validate_sheet(frame)
    assert any("did you mean 'sd_pre'" in p.message for p in report.notes)
    es = effect_sizes(frame)
    assert es.risk_of_bias[0] == "low"


def test_missing_tokens_and_percent_signs():
    frame = _one(instrument="AAI", format="marginal_percent", pct_secure_pre="0%",
                 pct_secure_post="40 %", n=15, phi="n.r.")  # fmt: skip
    es = effect_sizes(frame)
    exact = ex  # the table is determined: 0 secure before
    assert np.isfinite(es.yi[0]) and "determined" in es.formula[0]
    assert exact is not None


def test_settings_are_validated():
    frame = attachment_rows.frame()
    for kwargs, match in (({"assumed_r": 1.5}, "assumed_r"), ({"categorical": "x"}, "categorical"),
                          ({"zero_cells": "x"}, "zero_cells"), ({"on_error": "x"}, "on_error"),
                          ({"cc": 0}, "cc"), ({"level": 95}, "level")):  # fmt: skip
        with pytest.raises(MetaattError, match=match):
            effect_sizes(frame, **kwargs)
    with pytest.raises(MetaattError, match="no such file"):
        read_sheet("/nonexistent/sheet.csv")
    with pytest.raises(MetaattError, match="appear more than once"):
        read_sheet(pd.DataFrame([[1, 2]], columns=["n", "N"]))


def test_categorical_scales_change_metric():
    frame = attachment_rows.frame().iloc[:4]
    assert set(effect_sizes(frame, categorical="log_or").metric) == {"log_or_paired", "log_or"}
    probit = effect_sizes(frame, categorical="probit")
    assert set(probit.metric) == {"d_raw_change", "d_between_post"}
    conditional = effect_sizes(frame, categorical="conditional")
    assert conditional.metric[0] == "log_or_conditional" and np.isfinite(conditional.yi[0])
    assert conditional.reason[2] is not None and conditional.reason[3] is not None


# ----------------------------------------------------------------------------- metric mixing
def test_pool_refuses_mixed_metrics_unless_allowed(es):
    with pytest.raises(MetaattError, match="Morris & DeShon 2002"):
        metaatt.pool(es[es.metric.isin(["d_z", "d_raw_change"])])
    with pytest.raises(MetaattError, match="allow_mixed_metrics=True"):
        metaatt.pool(es)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        mixed = metaatt.pool(es, allow_mixed_metrics=True)
        single = metaatt.pool(es[es.metric == "d_raw_change"])
    assert mixed.k == len(es) and single.k == (es.metric == "d_raw_change").sum()
    # tables without a metric column are unaffected
    plain = metaatt.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="EE")
    assert plain.k == 3


# ----------------------------------------------------------------------------- properties
@settings(max_examples=8, deadline=None)
@given(st.permutations(range(len(attachment_rows.rows()))))
def test_row_order_does_not_change_any_effect_size(order):
    frame = attachment_rows.frame()
    base = effect_sizes(frame).set_index("study")
    shuffled = effect_sizes(frame.iloc[list(order)].reset_index(drop=True)).set_index("study")
    shuffled = shuffled.loc[base.index]
    for column in ("yi", "vi", "metric", "assumptions", "inputs", "formula", "direction"):
        pd.testing.assert_series_equal(base[column], shuffled[column])


means = st.floats(1.5, 4.5)


@settings(max_examples=20, deadline=None)
@given(means, means, st.floats(0.3, 2.0), st.integers(5, 200),
       st.sampled_from(["RF", "ECR-R_anxiety", "RSQ_secure"]))  # fmt: skip
def test_swapping_pre_and_post_flips_the_sign(m1, m2, sd, n, instrument):
    row = dict(instrument=instrument, format="pre_post_means", sd_pre=sd, sd_post=sd, n=n, r=0.4)
    a = effect_sizes(_one(**row, m_pre=m1, m_post=m2))
    b = effect_sizes(_one(**row, m_pre=m2, m_post=m1))
    assert a.yi[0] == pytest.approx(-b.yi[0], abs=1e-12)
    assert a.vi[0] == pytest.approx(b.vi[0])


@settings(max_examples=20, deadline=None)
@given(means, means, means, means, st.floats(0.3, 2.0), st.floats(0.3, 2.0),
       st.integers(3, 100), st.integers(3, 100))  # fmt: skip
def test_swapping_arms_flips_the_sign(a_pre, a_post, c_pre, c_post, sd1, sd2, n1, n2):
    def ppc(arm, control):
        (pre, post, sd, n), (pre_c, post_c, sd_c, n_c) = arm, control
        return effect_sizes(_one(instrument="RF", format="ppc", m_pre=pre, sd_pre=sd,
                                 m_post=post, n=n, m_pre_c=pre_c, sd_pre_c=sd_c,
                                 m_post_c=post_c, n_c=n_c, r=0.5, comparator="x"))  # fmt: skip

    x = (a_pre, a_post, sd1, n1)
    y = (c_pre, c_post, sd2, n2)
    forward, backward = ppc(x, y), ppc(y, x)
    assert forward.yi[0] == pytest.approx(-backward.yi[0], abs=1e-12)
    assert forward.vi[0] == pytest.approx(backward.vi[0])


def test_a_row_an_extractor_refuses_keeps_a_reason(monkeypatch):
    from metaatt.attachment import compute, formats

    original = formats.HANDLERS["paired_t"]

    def picky(v, s):
        if (v["t"] > 5).any():
            raise MetaattError("t: too large for this test")
        return original(v, s)

    monkeypatch.setitem(compute.HANDLERS, "paired_t", picky)
    frame = pd.concat([_one(instrument="RF", format="paired_t", t=t, n=20) for t in (2.0, 9.0)],
                      ignore_index=True)  # fmt: skip
    es = effect_sizes(frame)
    assert np.isfinite(es.yi[0]) and es.reason[0] is None
    assert np.isnan(es.yi[1]) and es.reason[1] == "cannot compute: t: too large for this test"


def test_chi2_accepts_a_categorical_instrument():
    es = effect_sizes(_one(instrument="AAI", format="chi2", chi2=4.0, sign=1, n=50, n_c=50,
                           comparator="TAU"))  # fmt: skip
    assert es.yi[0] == pytest.approx(ex.from_chi2(4.0, 100).yi[0]) and es.direction[0] == 1


@settings(max_examples=15, deadline=None)
@given(st.floats(-4, 4), st.integers(5, 200), st.sampled_from(["paired_t", "p_value"]))
def test_reversing_an_instruments_direction_flips_the_sign(t, n, fmt):
    reversed_rf = default_registry().add(
        "RF_reversed", construct="test: RF scored the other way", kind="dimensional",
        direction=-1,
    )  # fmt: skip
    row = {"format": fmt, "n": n}
    row.update({"t": t} if fmt == "paired_t" else
               {"p": 0.04, "design": "within", "sign": 1 if t >= 0 else -1})  # fmt: skip
    a = effect_sizes(_one(instrument="RF", **row), instruments=reversed_rf)
    b = effect_sizes(_one(instrument="RF_reversed", **row), instruments=reversed_rf)
    assert a.yi[0] == pytest.approx(-b.yi[0], abs=1e-12) and a.vi[0] == b.vi[0]
    assert (a.direction[0], b.direction[0]) == (1, -1)


def test_instruments_from_a_table_or_csv(tmp_path):
    extra = pd.DataFrame([{"name": "ECR-R_anxiety_sum", "construct": "anxiety, sum score",
                           "kind": "dimensional", "direction": -1, "scale_min": 18,
                           "scale_max": 126}])  # fmt: skip
    row = dict(instrument="ECR-R_anxiety_sum", format="pre_post_means", m_pre=80, sd_pre=15,
               m_post=70, n=30, r=0.6)  # fmt: skip
    with pytest.raises(MetaattError, match="unknown instrument"):
        effect_sizes(_one(**row))
    es = effect_sizes(_one(**row), instruments=extra)
    assert es.yi[0] > 0 and es.direction[0] == -1
    path = tmp_path / "instruments.csv"
    extra.to_csv(path, index=False)
    assert effect_sizes(_one(**row), instruments=path).yi[0] == es.yi[0]
