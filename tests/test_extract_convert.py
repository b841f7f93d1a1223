"""Conversions d <-> log OR <-> r <-> Fisher z, with variances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaatt import MetaattError
from metaatt.extract import convert, d_to_log_or, d_to_r, log_or_to_d, r_to_d, r_to_z, z_to_r
from tests.reference_data import load_fixture


@pytest.fixture(scope="module")
def between():
    return load_fixture("extract")["between_tables"]


def test_log_or_to_d_matches_metafor_or2dl_and_or2dn(between):
    logit = log_or_to_d(between["or_yi"], between["or_vi"], method="logit")
    np.testing.assert_allclose(logit.yi, between["or2dl_yi"], rtol=1e-12)
    np.testing.assert_allclose(logit.vi, between["or2dl_vi"], rtol=1e-12)
    normal = log_or_to_d(between["or_yi"], between["or_vi"], method="normal")
    np.testing.assert_allclose(normal.yi, between["or2dn_yi"], rtol=1e-12)
    np.testing.assert_allclose(normal.vi, between["or2dn_vi"], rtol=1e-12)


def test_borenstein_formulas_by_hand():
    # Borenstein et al. (2009), ch. 7: d = 2r/sqrt(1 - r^2), v_d = 4 v_r/(1 - r^2)^3;
    # r = d/sqrt(d^2 + a) with a = (n1 + n2)^2/(n1 n2)
    out = r_to_d(0.5, 0.0058)
    assert out.yi[0] == pytest.approx(2 * 0.5 / np.sqrt(0.75))
    assert out.vi[0] == pytest.approx(4 * 0.0058 / 0.75**3)
    unequal = d_to_r(0.8, 0.05, n1=20, n2=60)
    a = 80**2 / (20 * 60)
    assert unequal.yi[0] == pytest.approx(0.8 / np.sqrt(0.64 + a))
    assert unequal.vi[0] == pytest.approx(a**2 * 0.05 / (0.64 + a) ** 3)


def test_fisher_z_with_sample_size():
    out = r_to_z([0.3, -0.6], n=[50, 20])
    np.testing.assert_allclose(out.yi, np.arctanh([0.3, -0.6]))
    np.testing.assert_allclose(out.vi, [1 / 47, 1 / 17])
    assert set(out.metric) == {"z"}


def test_convert_composes_steps_and_names_them():
    out = convert([0.5], [0.04], source="log_or", target="z")
    step = r_to_z(*d_to_r(*log_or_to_d([0.5], [0.04])[["yi", "vi"]].T.to_numpy()).loc[
        :, ["yi", "vi"]].T.to_numpy())  # fmt: skip
    np.testing.assert_allclose(out.yi, step.yi)
    np.testing.assert_allclose(out.vi, step.vi)
    assert out.formula[0].count("->") == 2 and out.metric[0] == "z"
    same = convert([0.5], [0.04], source="d", target="d")
    assert same.yi[0] == 0.5 and same.formula[0] == "identity"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: r_to_d(1.0, 0.01), "yi: row 1 is 1"),
        (lambda: r_to_z(0.5, 0.01, n=30), "not both"),
        (lambda: r_to_z(0.5, n=3), "n: row 1 is 3"),
        (lambda: d_to_r(0.5, -0.01), "vi: row 1 is -0.01"),
        (lambda: d_to_r(0.5, 0.01, n1=10), "n1, n2"),
        (lambda: log_or_to_d(0.5, 0.1, method="probit"), "method"),
        (lambda: convert(0.5, 0.1, source="d", target="g"), "target"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(MetaattError, match=match):
        call()


effects = st.floats(-3, 3, allow_nan=False)
variances = st.floats(1e-4, 2, allow_nan=False)
sizes = st.integers(2, 500)


@settings(max_examples=60, deadline=None)
@given(effects, variances, st.sampled_from(["logit", "normal"]))
def test_d_log_or_round_trip(d, v, method):
    back = log_or_to_d(*d_to_log_or(d, v, method=method)[["yi", "vi"]].iloc[0], method=method)
    assert back.yi[0] == pytest.approx(d, abs=1e-12)
    assert back.vi[0] == pytest.approx(v, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(effects, variances, sizes, sizes)
def test_d_r_round_trip(d, v, n1, n2):
    r = d_to_r(d, v, n1=n1, n2=n2)
    back = r_to_d(r.yi, r.vi, n1=n1, n2=n2)
    assert back.yi[0] == pytest.approx(d, abs=1e-9)
    assert back.vi[0] == pytest.approx(v, rel=1e-8)


@settings(max_examples=60, deadline=None)
@given(st.floats(-0.99, 0.99), variances)
def test_r_z_round_trip(r, v):
    z = r_to_z(r, v)
    back = z_to_r(z.yi, z.vi)
    assert back.yi[0] == pytest.approx(r, abs=1e-12)
    assert back.vi[0] == pytest.approx(v, rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(effects, variances, st.sampled_from(["log_or", "d", "r", "z"]),
       st.sampled_from(["log_or", "d", "r", "z"]))  # fmt: skip
def test_convert_there_and_back(y, v, source, target):
    if source in ("r", "z"):
        y = np.tanh(y) if source == "r" else y
    there = convert(y, v, source=source, target=target)
    back = convert(there.yi, there.vi, source=target, target=source)
    assert back.yi[0] == pytest.approx(y, abs=1e-9)
    assert back.vi[0] == pytest.approx(v, rel=1e-7)


@settings(max_examples=40, deadline=None)
@given(effects, variances)
def test_conversions_are_odd_functions(d, v):
    # swapping the arms flips the sign of every metric and keeps the variance
    for a, b in ((d_to_log_or(d, v), d_to_log_or(-d, v)), (d_to_r(d, v), d_to_r(-d, v))):
        assert a.yi[0] == pytest.approx(-b.yi[0], abs=1e-12)
        assert a.vi[0] == pytest.approx(b.vi[0], rel=1e-12)
