"""Categorical shifts: paired tables, marginal counts (MPORM), independent arms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from metaatt import MetaattError
from metaatt.attachment import (
    between_categorical,
    feasible_p11,
    marginal_categorical,
    marginal_sensitivity,
    p11_from_phi,
    paired_categorical,
    phi_from_p11,
)
from metaatt.extract.convert import LOGIT_CONSTANT
from tests.reference_data import load_fixture


@pytest.fixture(scope="module")
def tables():
    return {k: np.array(v) for k, v in load_fixture("extract")["paired_tables"].items()}


@pytest.fixture(scope="module")
def between():
    return {k: np.array(v) for k, v in load_fixture("extract")["between_tables"].items()}


def _cells(t):
    return t["n_ss"], t["n_si"], t["n_is"], t["n_ii"]


def test_paired_log_or_is_metafor_mpor_oriented_post_minus_pre(tables):
    out = paired_categorical(*_cells(tables), categorical="log_or")
    np.testing.assert_allclose(out.yi, tables["mpor_yi"], rtol=1e-12)
    np.testing.assert_allclose(out.vi, tables["mpor_vi"], rtol=1e-12)
    n = sum(_cells(tables))
    p_pre = (tables["n_ss"] + tables["n_si"]) / n
    p_post = (tables["n_ss"] + tables["n_is"]) / n
    np.testing.assert_allclose(out.yi, special.logit(p_post) - special.logit(p_pre), rtol=1e-12)
    assert set(out.metric) == {"log_or_paired"}


def test_paired_logit_and_normal_latent_d(tables):
    logit = paired_categorical(*_cells(tables))
    np.testing.assert_allclose(logit.yi, tables["mpor_yi"] * np.sqrt(3) / np.pi, rtol=1e-12)
    np.testing.assert_allclose(logit.vi, tables["mpor_vi"] * 3 / np.pi**2, rtol=1e-12)
    normal = paired_categorical(*_cells(tables), categorical="normal")
    np.testing.assert_allclose(normal.yi, tables["mpor_yi"] / 1.65, rtol=1e-12)
    assert set(logit.metric) == {"d_raw_change"}


def test_conditional_is_metafor_mporc(tables):
    out = paired_categorical(*_cells(tables), categorical="conditional")
    np.testing.assert_allclose(out.yi, tables["mporc_yi"], rtol=1e-12)
    np.testing.assert_allclose(out.vi, tables["mporc_vi"], rtol=1e-12)
    np.testing.assert_allclose(out.yi, np.log(tables["n_is"] / tables["n_si"]), rtol=1e-12)
    assert set(out.metric) == {"log_or_conditional"}


def test_probit_paired_variance_equals_numerical_delta_method():
    cells = np.array([7.0, 3.0, 11.0, 9.0])
    n = cells.sum()
    out = paired_categorical(*cells, categorical="probit")

    def d_of(p):  # cell proportions -> probit difference
        return stats.norm.ppf(p[0] + p[2]) - stats.norm.ppf(p[0] + p[1])

    p = cells / n
    cov = (np.diag(p) - np.outer(p, p)) / n  # multinomial covariance
    grad = np.array([(d_of(p + h) - d_of(p - h)) / (2e-6) for h in np.eye(4) * 1e-6])
    assert out.yi[0] == pytest.approx(d_of(p), rel=1e-12)
    assert out.vi[0] == pytest.approx(grad @ cov @ grad, rel=1e-6)


def test_mporm_with_true_phi_equals_full_table_mpor(tables):
    n = sum(_cells(tables))
    x_pre, x_post = tables["n_ss"] + tables["n_si"], tables["n_ss"] + tables["n_is"]
    out = marginal_categorical(x_pre, x_post, n, phi=tables["phi"], categorical="log_or")
    np.testing.assert_allclose(out.yi, tables["mporm_yi"], rtol=1e-12)
    np.testing.assert_allclose(out.vi, tables["mporm_vi"], rtol=1e-10)
    np.testing.assert_allclose(out.vi, tables["mpor_vi"], rtol=1e-9)
    assert (out.assumptions == "").all()


def test_feasible_range_and_phi_mapping():
    low, high = feasible_p11([0.3, 0.8, 0.0], [0.6, 0.7, 0.4])
    np.testing.assert_allclose(low, [0.0, 0.5, 0.0])
    np.testing.assert_allclose(high, [0.3, 0.7, 0.0])
    phi = phi_from_p11(0.25, 0.3, 0.6)
    assert p11_from_phi(phi, 0.3, 0.6) == pytest.approx(0.25)
    assert np.isnan(phi_from_p11(0.0, 0.0, 0.4))


def test_zero_pre_margin_determines_the_table_exactly():
    # "0 of 15 secure before, 6 after": p11 = 0, so the table is (0, 0, 6, 9)
    out = marginal_categorical(0, 6, 15, assumed_phi=0.9)
    exact = paired_categorical(0, 0, 6, 9)
    assert out.yi[0] == pytest.approx(exact.yi[0])
    assert out.vi[0] == pytest.approx(exact.vi[0])
    assert "determined" in out.formula[0]
    assert "phi" not in out.assumptions[0] and "0.5 added" in out.assumptions[0]
    assert out.p11_low[0] == out.p11_high[0] == 0


def test_zero_cell_policy_is_explicit():
    with_cc = paired_categorical([0, 4], [0, 2], [6, 5], [9, 9])
    cc_table = paired_categorical(0.5, 0.5, 6.5, 9.5, categorical="log_or")
    assert with_cc.yi[0] == pytest.approx(cc_table.yi[0] * LOGIT_CONSTANT)
    assert with_cc.assumptions[0].startswith("0.5 added") and with_cc.assumptions[1] == ""
    none = paired_categorical([0, 4], [0, 2], [6, 5], [9, 9], zero_cells="none")
    assert np.isnan(none.yi[0]) and "zero_cells='none'" in none.reason[0]
    assert not np.isnan(none.yi[1]) and none.reason[1] is None
    custom = paired_categorical(0, 0, 6, 9, cc=0.25, categorical="log_or")
    assert custom.yi[0] == pytest.approx(
        special.logit(6.5 / 16) - special.logit(0.5 / 16), rel=1e-12
    )


def test_infeasible_phi_is_moved_to_the_bound_and_recorded():
    # p_pre = 0.1, p_post = 0.6: p11 <= 0.1 -> phi <= 0.272
    out = marginal_categorical(2, 12, 20, assumed_phi=0.8, categorical="log_or")
    _, high = feasible_p11(0.1, 0.6)
    assert out.phi_used[0] == pytest.approx(phi_from_p11(high, 0.1, 0.6))
    assert "infeasible" in out.assumptions[0] and "assumed 0.8" in out.assumptions[0]
    assert np.isfinite(out.vi[0]) and out.vi[0] > 0


def test_conditional_needs_the_table():
    out = marginal_categorical(5, 12, 20, categorical="conditional")
    assert np.isnan(out.yi[0]) and "paired table" in out.reason[0]


def test_marginal_sensitivity_spans_feasible_p11():
    table = marginal_sensitivity([4, 0], [10, 6], [20, 15], points=5)
    first = table[table.row == 1]
    assert len(first) == 5 and first.p11.iloc[0] == 0.0 and first.p11.iloc[-1] == pytest.approx(0.2)
    # the estimate depends only on the margins; the variance falls as phi rises
    assert np.allclose(first.yi, first.yi.iloc[0])
    assert (np.diff(first.vi) < 0).all()
    second = table[table.row == 2]
    assert len(second) == 1 and bool(second.determined.iloc[0])
    np.testing.assert_allclose(first[["n_ss", "n_si", "n_is", "n_ii"]].sum(axis=1), 20)
    probit = marginal_sensitivity(4, 10, 20, points=3, categorical="probit")
    assert (np.diff(probit.vi) < 0).all()


def test_between_arms_match_metafor(between):
    args = (between["x1"], between["n1"], between["x2"], between["n2"])
    for scale, key in (("log_or", "or"), ("logit", "or2dl"), ("normal", "or2dn"),
                       ("probit", "pbit")):  # fmt: skip
        out = between_categorical(*args, categorical=scale)
        np.testing.assert_allclose(out.yi, between[f"{key}_yi"], rtol=1e-10)
        np.testing.assert_allclose(out.vi, between[f"{key}_vi"], rtol=1e-10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: paired_categorical(-1, 2, 3, 4), "n_ss: row 1 is -1"),
        (lambda: paired_categorical(0, 0, 0, 0), "no patients"),
        (lambda: paired_categorical(1, 2, 3, 4, categorical="tetrachoric"), "categorical"),
        (lambda: paired_categorical(1, 2, 3, 4, cc=0), "cc"),
        (lambda: marginal_categorical(12, 3, 10), "cannot exceed n"),
        (lambda: marginal_categorical(2, 3, 10, phi=1.5), "phi: row 1 is 1.5"),
        (lambda: marginal_categorical(2, 3, 10, zero_cells="ignore"), "zero_cells"),
        (lambda: between_categorical(5, 4, 2, 10), "cannot exceed n1"),
        (lambda: marginal_sensitivity(2, 3, 10, points=1), "points"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(MetaattError, match=match):
        call()


counts = st.integers(0, 40)


@settings(max_examples=50, deadline=None)
@given(counts, counts, counts, counts, st.sampled_from(["logit", "probit", "log_or"]))
def test_swapping_pre_and_post_flips_the_sign(ss, si, is_, ii, scale):
    if ss + si + is_ + ii == 0:
        return
    forward = paired_categorical(ss, si, is_, ii, categorical=scale)
    backward = paired_categorical(ss, is_, si, ii, categorical=scale)
    assert forward.yi[0] == pytest.approx(-backward.yi[0], abs=1e-10)
    assert forward.vi[0] == pytest.approx(backward.vi[0], rel=1e-10)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60), st.data(), st.sampled_from(["logit", "probit"]))
def test_swapping_arms_flips_the_sign(n1, n2, data, scale):
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    a = between_categorical(x1, n1, x2, n2, categorical=scale)
    b = between_categorical(x2, n2, x1, n1, categorical=scale)
    assert a.yi[0] == pytest.approx(-b.yi[0], abs=1e-10)
    assert a.vi[0] == pytest.approx(b.vi[0], rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 80), st.data(), st.floats(-1, 1),
       st.sampled_from(["logit", "probit", "log_or"]))  # fmt: skip
def test_any_assumed_phi_gives_a_feasible_finite_result(n, data, phi, scale):
    x_pre = data.draw(st.integers(0, n))
    x_post = data.draw(st.integers(0, n))
    out = marginal_categorical(x_pre, x_post, n, assumed_phi=phi, categorical=scale)
    if out.reason[0] is not None:  # only phi = 1 with equal margins: nobody changed
        assert out.reason[0].startswith("phi = 1") and x_pre == x_post and phi > 0.99
        return
    assert np.isfinite(out.yi[0]) and out.vi[0] > 0
    if np.isfinite(out.phi_used[0]):
        p11 = p11_from_phi(out.phi_used[0], x_pre / n, x_post / n)
        assert out.p11_low[0] - 1e-12 <= p11 <= out.p11_high[0] + 1e-12
    grid = marginal_sensitivity(x_pre, x_post, n, points=4, categorical=scale)
    assert np.isfinite(grid.yi).all() and (grid.vi >= -1e-12).all()
