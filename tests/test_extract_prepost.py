"""Pre/post extractors: Morris (2008) worked example, SMCR/SMCC routes, recovered r."""

import numpy as np
import pytest

from metaatt import MetaattError
from metaatt.extract import (
    d_ppc1,
    d_ppc2,
    from_change,
    from_pre_post,
    r_from_sd_change,
    r_from_t,
)
from tests.reference_data import load_fixture


@pytest.fixture(scope="module")
def ref():
    return load_fixture("extract")


@pytest.fixture(scope="module")
def morris(ref):
    return {k: np.array(v) for k, v in ref["morris2008"].items() if k != "source"}


def _arms(m):
    return (m["m_pre"], m["sd_pre"], m["m_post"], m["n"],
            m["m_pre_c"], m["sd_pre_c"], m["m_post_c"], m["n_c"])  # fmt: skip


def test_d_ppc2_reproduces_morris_2008_table_5(morris):
    # Morris (2008), Table 5, p. 382 (Carlson & Schmidt 1999): 0.7684 0.8010 1.2045 1.0476 0.4389
    out = d_ppc2(*_arms(morris), r=morris["r"])
    np.testing.assert_allclose(out.yi, morris["d_ppc2_published"], atol=5e-5)
    # variances not printed in the paper; metafor's worked example gives these to 4 decimals
    np.testing.assert_allclose(out.vi, [0.1134, 0.0350, 0.1425, 0.0681, 0.1634], atol=5e-5)
    assert set(out.metric) == {"d_ppc"}


def test_d_ppc1_reproduces_morris_2008_table_5(morris):
    # Morris (2008), Table 5: difference of the SMCRs, 0.7421 0.9524 1.8054 1.1514 0.5050
    out = d_ppc1(*_arms(morris), r=morris["r"])
    np.testing.assert_allclose(out.yi, morris["d_ppc1_published"], atol=5e-5)


def test_from_pre_post_equals_metafor_smcr_and_records_imputation(ref):
    p = ref["paired"]
    out = from_pre_post(p["m_pre"], p["sd_pre"], p["m_post"], p["n"], r=p["r"])
    np.testing.assert_allclose(out.yi, p["smcr_yi"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out.vi, p["smcr_vi"], rtol=1e-10)
    assert (out.r_source == "reported").all() and (out.assumptions == "").all()
    r = np.array(p["r"])
    r[[0, 3]] = np.nan
    imputed = from_pre_post(p["m_pre"], p["sd_pre"], p["m_post"], p["n"], r=r, assumed_r=0.5)
    assert list(imputed.r_source[:4]) == ["imputed", "reported", "reported", "imputed"]
    assert imputed.assumptions[0] == "pre-post r imputed as 0.5"
    assert imputed.r_used[0] == 0.5
    np.testing.assert_allclose(imputed.yi, p["smcr_yi"], rtol=1e-10, atol=1e-14)  # r only in vi
    with pytest.raises(MetaattError, match="r: row 1 has no pre-post correlation"):
        from_pre_post(p["m_pre"], p["sd_pre"], p["m_post"], p["n"], r=r)


def test_from_change_equals_metafor_smcc(ref):
    p = ref["paired"]
    change = np.array(p["m_post"]) - np.array(p["m_pre"])
    out = from_change(change, p["sd_change"], p["n"])
    np.testing.assert_allclose(out.yi, p["smcc_yi"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out.vi, p["smcc_vi"], rtol=1e-10)


def test_r_recovered_from_sd_change_and_from_t(ref):
    p = ref["paired"]
    np.testing.assert_allclose(
        r_from_sd_change(p["sd_pre"], p["sd_post"], p["sd_change"]), p["r"], rtol=1e-9
    )
    change = np.abs(np.array(p["m_post"]) - np.array(p["m_pre"]))
    keep = change > 1e-12
    r = r_from_t(
        np.array(p["t"])[keep], np.array(p["n"])[keep], np.array(p["m_pre"])[keep],
        np.array(p["m_post"])[keep], np.array(p["sd_pre"])[keep], np.array(p["sd_post"])[keep],
    )  # fmt: skip
    np.testing.assert_allclose(r, np.array(p["r"])[keep], rtol=1e-8)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: r_from_sd_change(1.0, 1.0, 3.0), "implied r outside"),
        (lambda: r_from_sd_change(-1.0, 1.0, 1.0), "sd_pre: row 1 is -1"),
        (lambda: r_from_t(0.0, 10, 1.0, 2.0, 1.0, 1.0), "t: row 1 is 0"),
        (lambda: r_from_t(2.0, 10, 1.0, 1.0, 1.0, 1.0), "no mean change"),
        (lambda: d_ppc2(1, 1, 2, 10, 1, 1, 1, 10, r=2.0), "r: row 1 is 2"),
        (lambda: d_ppc2(1, 0, 2, 10, 1, 1, 1, 10, r=0.5), "sd_pre: row 1 is 0"),
        (lambda: from_pre_post(1, 1, 2, 2, r=0.5), "n: row 1 is 2"),
        (lambda: from_change(1, -1, 10), "sd_change: row 1 is -1"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(MetaattError, match=match):
        call()
