"""Test-statistic extractors reproduce metafor's SMCC / SMD computed from the underlying means.

Reference: tests/reference/extract.R (random means and SDs; metafor computes the effect sizes
from the means, the printed statistics are derived from the same numbers).
"""

import numpy as np
import pandas as pd
import pytest

from metaatt import MetaattError
from metaatt.extract import (
    from_chi2,
    from_eta2,
    from_f,
    from_p,
    from_t_independent,
    from_t_paired,
    hedges_j,
)
from tests.reference_data import load_fixture

REL = 1e-10


@pytest.fixture(scope="module")
def ref():
    return load_fixture("extract")


def test_fixture_records_versions(ref):
    assert ref["metafor_version"] == "3.8.1"
    assert ref["r_version"].startswith("R version 4.2")


def test_paired_t_equals_metafor_smcc(ref):
    p = ref["paired"]
    out = from_t_paired(p["t"], p["n"])
    np.testing.assert_allclose(out.yi, p["smcc_yi"], rtol=REL, atol=1e-14)
    np.testing.assert_allclose(out.vi, p["smcc_vi"], rtol=REL)
    assert (out.metric == "d_z").all()


def test_independent_t_equals_metafor_smd(ref):
    d = ref["independent"]
    out = from_t_independent(d["t"], d["n1"], d["n2"])
    np.testing.assert_allclose(out.yi, d["smd_yi"], rtol=REL, atol=1e-14)
    np.testing.assert_allclose(out.vi, d["smd_vi"], rtol=REL)
    assert (out.metric == "d_between_post").all()


@pytest.mark.parametrize("design", ["within", "between"])
def test_f_p_and_eta2_routes_agree_with_t(ref, design):
    if design == "within":
        d, sizes, yi, vi = ref["paired"], {}, "smcc_yi", "smcc_vi"
        sizes = {"n": d["n"]}
    else:
        d, yi, vi = ref["independent"], "smd_yi", "smd_vi"
        sizes = {"n1": d["n1"], "n2": d["n2"]}
    nonzero = np.abs(d["t"]) > 1e-12
    f = from_f(d["f"], design=design, sign=d["sign"], **sizes)
    np.testing.assert_allclose(f.yi, d[yi], rtol=REL, atol=1e-14)
    np.testing.assert_allclose(f.vi, d[vi], rtol=REL)
    p = from_p(np.array(d["p"]), design=design, sign=d["sign"], **sizes)
    np.testing.assert_allclose(p.yi[nonzero], np.array(d[yi])[nonzero], rtol=1e-8)
    np.testing.assert_allclose(p.vi, d[vi], rtol=1e-8)
    e = from_eta2(d["partial_eta2"], design=design, sign=d["sign"], **sizes)
    np.testing.assert_allclose(e.yi, d[yi], rtol=1e-9, atol=1e-14)
    assert set(f.metric) == {"d_z" if design == "within" else "d_between_post"}


def test_eta2_with_explicit_df_error_and_classical_kind():
    # F(1, 30) = 9 -> partial eta^2 = 9 / 39; the classical kind uses the same formula
    a = from_eta2(9 / 39, design="within", df_error=30, n=31)
    b = from_t_paired(3.0, 31)
    np.testing.assert_allclose(a.yi, b.yi, rtol=1e-12)
    c = from_eta2(9 / 39, design="within", kind="eta2", df_error=30, n=31)
    np.testing.assert_allclose(c.yi, b.yi, rtol=1e-12)
    assert "eta2" in c.formula[0]


def test_chi2_matches_point_biserial_formulas():
    # independent computation: phi -> d (Borenstein et al. 2009, eq. 7.5-7.6)
    chi2, n = np.array([4.0, 0.0, 10.24]), np.array([100, 50, 64])
    out = from_chi2(chi2, n, sign=[1, 1, -1])
    phi = np.sqrt(chi2 / n) * [1, 1, -1]
    d = 2 * phi / np.sqrt(1 - phi**2)
    v_r = (1 - phi**2) ** 2 / (n - 1)
    np.testing.assert_allclose(out.yi, d, rtol=1e-12)
    np.testing.assert_allclose(out.vi, 4 * v_r / (1 - phi**2) ** 3, rtol=1e-12)
    np.testing.assert_allclose(out.phi, phi)


def test_hedges_j_exact_and_limits():
    m = np.array([1, 2, 10, 100, 1e6])
    j = hedges_j(m)
    assert j[0] == 0.0
    # approximation 1 - 3 / (4 m - 1) is close for large m
    np.testing.assert_allclose(j[2:], 1 - 3 / (4 * m[2:] - 1), rtol=1e-3)
    assert abs(j[-1] - 1) < 1e-6


def test_data_columns_and_broadcasting():
    data = pd.DataFrame({"study": ["A", "B"], "t": [2.0, -1.0], "n": [20, 30]})
    out = from_t_paired("t", "n", data=data)
    assert list(out.study) == ["A", "B"]
    np.testing.assert_allclose(out.yi, from_t_paired([2.0, -1.0], [20, 30]).yi)
    scalar_n = from_t_paired([2.0, -1.0], 20)
    assert len(scalar_n) == 2


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: from_t_paired([2.0], [-5]), "n: row 1 is -5"),
        (lambda: from_t_paired([2.0, 1.0], [10, 10, 10]), "lengths differ"),
        (lambda: from_t_independent(2.0, 0, 10), "n1: row 1 is 0"),
        (lambda: from_f([-1.0], design="within", n=10), "f: row 1 is -1"),
        (lambda: from_f([4.0], design="within", n=10, df_effect=2), "df_effect"),
        (lambda: from_f([4.0], design="sideways", n=10), "design: unknown value"),
        (lambda: from_f([4.0], design="between", n=10), "n1, n2"),
        (lambda: from_f([4.0], design="within", n=10, sign=0), "sign: row 1 is 0"),
        (lambda: from_p([0.0], design="within", n=10), "p: row 1 is 0"),
        (lambda: from_p([1.5], design="within", n=10), "p: row 1 is 1.5"),
        (lambda: from_eta2([1.0], design="within", n=10), "eta2: row 1 is 1"),
        (lambda: from_eta2([0.2], design="within", n=10, kind="omega"), "kind"),
        (lambda: from_chi2([60.0], [50]), "chi2 must be < n"),
        (lambda: from_t_paired(["x"], [10]), "not a number"),
        (lambda: from_t_paired([np.nan], [10]), "missing"),
        (lambda: from_t_paired("t", "n", data=pd.DataFrame({"t": [1.0]})), "column 'n'"),
    ],
)
def test_bad_input_names_argument_and_row(call, match):
    with pytest.raises(MetaattError, match=match):
        call()


def test_p_of_one_gives_zero_effect():
    out = from_p([1.0], design="within", n=12)
    assert out.yi[0] == 0.0
