"""Mantel-Haenszel and Peto pooling against metafor 3.8 rma.mh / rma.peto
(fixtures/twobytwo.json, written by tests/reference/twobytwo.R), and published examples."""

from __future__ import annotations

import numpy as np
import pytest

import metaatt
from tests.reference_data import load_fixture

FIXTURE = load_fixture("twobytwo")
TABLES = FIXTURE["tables"]


def counts(name):
    t = TABLES[name]
    return [
        np.array([np.nan if v is None else v for v in t[cell]], dtype=float)
        for cell in ("ai", "bi", "ci", "di")
    ]


def run(case, function):
    ai, bi, ci, di = counts(case["table"])
    kwargs = {
        "level": case["level"],
        "add": case["add"],
        "to": case["to"],
        "drop00": case["drop00"],
    }
    if function is metaatt.mantel_haenszel:
        kwargs.update(measure=case["measure"], correct=case["correct"])
    if np.isnan(ai).any():
        with pytest.warns(metaatt.StudyExcludedWarning, match="1 of 22 tables excluded"):
            return function(ai, bi, ci, di, missing="exclude", **kwargs), ~np.isnan(ai)
    return function(ai, bi, ci, di, **kwargs), np.ones(len(ai), dtype=bool)


def close(actual, expected, what, rtol=1e-9, atol=1e-12):
    expected = np.array([np.nan if v is None else v for v in np.atleast_1d(expected)], dtype=float)
    actual = np.atleast_1d(np.asarray(actual, dtype=float))
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), f"{what}: {actual} vs {expected}"
    ok = ~np.isnan(expected)
    np.testing.assert_allclose(actual[ok], expected[ok], rtol=rtol, atol=atol, err_msg=what)


def pooled_weights(res, case):
    """metafor lists weights of the pooled tables only (a second drop00 removes tables)."""
    if len(case["weights"]) == len(res.weights):
        return res.weights
    ai, bi, ci, di = counts(case["table"])
    double_zero = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
    return res.weights[~double_zero]


def case_id(case):
    return "-".join(str(case.get(k)) for k in ("table", "measure", "correct", "level", "to", "add"))


@pytest.mark.parametrize("case", FIXTURE["mh"], ids=case_id)
def test_mantel_haenszel_matches_rma_mh(case):
    assert "error" not in case
    res, kept = run(case, metaatt.mantel_haenszel)
    what = case_id(case)
    for ours, theirs in [
        ("estimate", "estimate"), ("se", "se"), ("statistic", "zval"), ("pval", "pval"),
        ("ci_low", "ci_lb"), ("ci_high", "ci_ub"), ("q", "QE"), ("q_pval", "QEp"),
        ("i2", "I2"), ("h2", "H2"), ("cmh", "MH"), ("cmh_pval", "MHp"), ("cochran", "CO"),
        ("cochran_pval", "COp"), ("breslow_day", "BD"), ("breslow_day_pval", "BDp"),
        ("tarone", "TA"), ("tarone_pval", "TAp"),
    ]:  # fmt: skip
        close(getattr(res, ours), case[theirs], f"{what} {ours}")
    assert res.k == case["k"] and res.k_yi == case["k_yi"], what
    close(res.yi, np.array(case["yi"], dtype=object)[kept], what + " yi")
    close(res.vi, np.array(case["vi"], dtype=object)[kept], what + " vi")
    close(pooled_weights(res, case), case["weights"], what + " weights")


@pytest.mark.parametrize("case", FIXTURE["peto"], ids=case_id)
def test_peto_matches_rma_peto(case):
    assert "error" not in case
    res, kept = run(case, metaatt.peto)
    what = case_id(case)
    for ours, theirs in [
        ("estimate", "estimate"), ("se", "se"), ("statistic", "zval"), ("pval", "pval"),
        ("ci_low", "ci_lb"), ("ci_high", "ci_ub"), ("q", "QE"), ("q_pval", "QEp"),
        ("i2", "I2"), ("h2", "H2"),
    ]:  # fmt: skip
        close(getattr(res, ours), case[theirs], f"{what} {ours}")
    assert res.k_yi == case["k_yi"], what
    close(res.yi, np.array(case["yi"], dtype=object)[kept], what + " yi")
    close(pooled_weights(res, case), case["weights"], what + " weights")


def test_bcg_against_stata_metan():
    # reference-cases.md 2 (metafor test_misc_metan_vs_rma.mh/peto_with_dat.bcg.r)
    ai, bi, ci, di = counts("bcg")
    expected = {
        "RR": (-0.4537, -0.5308, -0.3766, -11.5338, 152.5676),
        "OR": (-0.4734, -0.5538, -0.3930, -11.5444, 163.9426),
        "RD": (-0.0033, -0.0039, -0.0027, -11.4708, 386.7759),
    }
    for measure, (est, lo, hi, z, q) in expected.items():
        res = metaatt.mantel_haenszel(ai, bi, ci, di, measure=measure)
        assert (res.estimate, res.ci_low, res.ci_high) == pytest.approx((est, lo, hi), abs=5e-5)
        assert res.statistic == pytest.approx(z, abs=5e-4)
        assert res.q == pytest.approx(q, abs=5e-4)
    res = metaatt.peto(ai, bi, ci, di)
    assert (res.estimate, res.ci_low, res.ci_high) == pytest.approx(
        (-0.4744, -0.5541, -0.3948), abs=5e-5
    )
    assert res.statistic == pytest.approx(-11.6689, abs=5e-4)
    assert res.q == pytest.approx(167.7302, abs=5e-4)


def test_rothman_table_15_1_at_level_90():
    # reference-cases.md 12: Rothman, Greenland & Lash (2008), Table 15-1
    ai, bi, ci, di = counts("rothman")
    rd = metaatt.mantel_haenszel(ai, bi, ci, di, measure="RD", level=0.90)
    assert (rd.estimate, rd.ci_low, rd.ci_high) == pytest.approx(
        (0.0349, -0.0176, 0.0874), abs=5e-5
    )
    assert rd.q == pytest.approx(0.0017, abs=5e-5)
    rr = metaatt.mantel_haenszel(ai, bi, ci, di, measure="RR", level=0.90)
    assert (rr.estimate, rr.ci_low, rr.ci_high) == pytest.approx(
        (0.2818, -0.1442, 0.7078), abs=5e-5
    )
    orr = metaatt.mantel_haenszel(ai, bi, ci, di, measure="OR", level=0.90, correct=False)
    assert (orr.estimate, orr.ci_low, orr.ci_high) == pytest.approx(
        (0.3387, -0.1731, 0.8505), abs=5e-5
    )
    assert orr.q == pytest.approx(0.3474, abs=5e-5)
    assert (orr.cmh, orr.cmh_pval) == pytest.approx((1.1914, 0.2750), abs=5e-5)
    assert orr.tarone == pytest.approx(0.3489, abs=5e-5)


def test_yusuf_table_6_peto():
    # reference-cases.md 13: Yusuf et al. (1985), table 6: OR .9332 [.7385, 1.1792]
    ai, bi, ci, di = counts("yusuf1985_t6")
    with pytest.warns(metaatt.StudyExcludedWarning):
        res = metaatt.peto(ai, bi, ci, di, missing="exclude")
    assert list(res.exp().values()) == pytest.approx([0.9332, 0.7385, 1.1792], abs=5e-5)
    assert len(res.excluded) == 1 and res.excluded.row[0] == 8
