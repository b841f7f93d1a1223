"""A printed d with its standardizer, and estimates with Wald confidence intervals."""

import numpy as np
import pytest
from scipy import stats

import metaatt
from metaatt import MetaattError
from metaatt.extract import STANDARDIZERS, from_ci, from_d, hedges_j
from tests.reference_data import load_fixture


@pytest.fixture(scope="module")
def ref():
    return load_fixture("extract")


def test_d_z_and_d_pre_reproduce_metafor_smcc_and_smcr(ref):
    p = ref["paired"]
    dz = from_d(p["d_z_uncorrected"], standardizer="d_z", n=p["n"])
    np.testing.assert_allclose(dz.yi, p["smcc_yi"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dz.vi, p["smcc_vi"], rtol=1e-10)
    dpre = from_d(p["d_pre_uncorrected"], standardizer="d_pre", n=p["n"], r=p["r"])
    np.testing.assert_allclose(dpre.yi, p["smcr_yi"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dpre.vi, p["smcr_vi"], rtol=1e-10)
    assert set(dz.metric) == {"d_z"} and set(dpre.metric) == {"d_raw_change"}


def test_between_d_reproduces_metafor_smd(ref):
    d = ref["independent"]
    out = from_d(d["d_uncorrected"], standardizer="d_between_post", n1=d["n1"], n2=d["n2"])
    np.testing.assert_allclose(out.yi, d["smd_yi"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out.vi, d["smd_vi"], rtol=1e-10)


def test_d_ppc_reproduces_morris_2008_table_5(ref):
    m = {k: np.array(v) for k, v in ref["morris2008"].items() if k != "source"}
    sd_pool = np.sqrt(
        ((m["n"] - 1) * m["sd_pre"] ** 2 + (m["n_c"] - 1) * m["sd_pre_c"] ** 2)
        / (m["n"] + m["n_c"] - 2)
    )
    d = ((m["m_post"] - m["m_pre"]) - (m["m_post_c"] - m["m_pre_c"])) / sd_pool
    out = from_d(d, standardizer="d_ppc", n1=m["n"], n2=m["n_c"], r=m["r"])
    np.testing.assert_allclose(out.yi, m["d_ppc2_published"], atol=5e-5)
    assert set(out.metric) == {"d_ppc"}


def test_hedges_corrected_values_are_kept():
    out = from_d([0.5, 0.5], standardizer="d_z", n=10, hedges_corrected=[True, False])
    assert out.yi[0] == 0.5
    assert out.yi[1] == pytest.approx(0.5 * hedges_j(9))
    assert "as printed" in out.formula[0] and "J(df)" in out.formula[1]


@pytest.mark.parametrize("standardizer", ["d_av", "d_rm", "d_pre"])
def test_raw_score_standardizers_share_the_smcr_variance(standardizer):
    out = from_d(0.4, standardizer=standardizer, n=30, r=0.6, hedges_corrected=True)
    assert out.vi[0] == pytest.approx(2 * 0.4 / 30 + 0.16 / 60)
    assert out.metric[0] == "d_raw_change"


def test_every_standardizer_is_documented():
    assert set(STANDARDIZERS) == {"d_z", "d_pre", "d_av", "d_rm", "d_between_post", "d_ppc"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"standardizer": "d_av", "n": 20}, "r: standardizer 'd_av' needs"),
        ({"standardizer": "d_zz", "n": 20}, "did you mean 'd_z'"),
        ({"standardizer": "d_between_post", "n": 20}, "n1, n2"),
        ({"standardizer": "d_z"}, "n: standardizer"),
        ({"standardizer": "d_pre", "n": 20, "r": 1.5}, "r: row 1 is 1.5"),
        ({"standardizer": "d_z", "n": 20, "hedges_corrected": "maybe"}, "hedges_corrected"),
    ],
)
def test_from_d_bad_input(kwargs, match):
    with pytest.raises(MetaattError, match=match):
        from_d(0.3, **kwargs)


def test_ratio_ci_gives_log_scale_wald_values():
    out = from_ci(2.0, 1.2, 3.4, log_scale=True, metric="log_or")
    z = stats.norm.ppf(0.975)
    assert out.yi[0] == pytest.approx(np.log(2.0))
    assert out.vi[0] == pytest.approx(((np.log(3.4) - np.log(1.2)) / (2 * z)) ** 2)
    assert out.metric[0] == "log_or"


def test_ci_round_trip_recovers_escalc_values():
    # independent route: escalc's log OR and its Wald CI, printed as a ratio, read back
    es = metaatt.escalc("OR", ai=[12, 5, 30], bi=[20, 40, 10], ci=[6, 9, 22], di=[26, 35, 18])
    z = stats.norm.ppf(0.95)
    se = np.sqrt(es.vi.to_numpy())
    out = from_ci(
        np.exp(es.yi), np.exp(es.yi - z * se), np.exp(es.yi + z * se), level=0.9, log_scale=True
    )
    np.testing.assert_allclose(out.yi, es.yi, rtol=1e-12)
    np.testing.assert_allclose(out.vi, es.vi, rtol=1e-10)
    np.testing.assert_allclose(out.ci_asymmetry, 0, atol=1e-12)


def test_symmetric_ci_on_identity_scale():
    out = from_ci([0.4, -0.2], [0.1, -0.5], [0.7, 0.1], metric="d_between_post")
    np.testing.assert_allclose(out.yi, [0.4, -0.2])
    np.testing.assert_allclose(np.sqrt(out.vi), 0.3 / stats.norm.ppf(0.975))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((2.0, 2.5, 3.0), {"log_scale": True}, "estimate inside"),
        ((0.0, 0.0, 3.0), {"log_scale": True}, "estimate: row 1 is 0"),
        ((0.2, 0.1, 0.3), {"level": 95}, "level: must lie strictly between 0 and 1"),
        ((0.2, 0.3, 0.1), {}, "ci_low < ci_high"),
    ],
)
def test_from_ci_bad_input(args, kwargs, match):
    with pytest.raises(MetaattError, match=match):
        from_ci(*args, **kwargs)
