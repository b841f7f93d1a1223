"""metaatt.escalc reproduces published worked examples (shared/reference-cases.md).

Printed values (4 decimals) are checked to their rounding; the same inputs are checked at
full precision against metafor in test_escalc_reference.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import metaatt
from tests.reference_data import load_fixture, load_reference_csv

ROUNDING = 5.01e-5  # half a unit in the 4th decimal

# Morris (2008), Table 5 data (Carlson & Schmidt 1999) as in metafor's morris2008 example
MORRIS_T = pd.DataFrame(
    {
        "m_pre": [30.6, 23.5, 0.5, 53.4, 35.6],
        "m_post": [38.5, 26.8, 0.7, 75.9, 36.0],
        "sd_pre": [15.0, 3.1, 0.1, 14.5, 4.7],
        "sd_post": [11.6, 4.1, 0.1, 4.4, 4.6],
        "ni": [20, 50, 9, 10, 14],
        "ri": [0.47, 0.64, 0.77, 0.89, 0.44],
    }
)
MORRIS_C = pd.DataFrame(
    {
        "m_pre": [23.1, 24.9, 0.6, 55.7, 34.8],
        "m_post": [19.7, 25.3, 0.6, 60.7, 33.4],
        "sd_pre": [13.8, 4.1, 0.2, 17.3, 3.1],
        "sd_post": [14.8, 3.3, 0.2, 17.9, 6.9],
        "ni": [20, 42, 9, 11, 14],
        "ri": [0.47, 0.64, 0.77, 0.89, 0.44],
    }
)


def smcr(frame: pd.DataFrame) -> pd.DataFrame:
    return metaatt.escalc(
        "SMCR", m1i="m_post", m2i="m_pre", sd1i="sd_pre", ni="ni", ri="ri", data=frame
    )


def smcc(frame: pd.DataFrame) -> pd.DataFrame:
    return metaatt.escalc(
        "SMCC",
        m1i="m_post",
        m2i="m_pre",
        sd1i="sd_post",
        sd2i="sd_pre",
        ni="ni",
        ri="ri",
        data=frame,
    )


def test_morris2008_smcr_treatment_and_control() -> None:
    """Reference case 14: SMCR per arm; T - C equals Morris (2008), Table 5, p. 382."""
    t, c = smcr(MORRIS_T), smcr(MORRIS_C)
    np.testing.assert_allclose(t.yi, [0.5056, 1.0481, 1.8054, 1.4181, 0.0801], atol=ROUNDING)
    np.testing.assert_allclose(t.vi, [0.0594, 0.0254, 0.2322, 0.1225, 0.0802], atol=ROUNDING)
    np.testing.assert_allclose(c.yi, [-0.2365, 0.0958, 0.0000, 0.2667, -0.4250], atol=ROUNDING)
    np.testing.assert_allclose(c.vi, [0.0544, 0.0173, 0.0511, 0.0232, 0.0864], atol=ROUNDING)
    np.testing.assert_allclose(
        t.yi - c.yi, [0.7421, 0.9524, 1.8054, 1.1514, 0.5050], atol=2 * ROUNDING
    )
    assert t.reason.isna().all()


def test_morris2008_smcc_treatment_and_control() -> None:
    t, c = smcc(MORRIS_T), smcc(MORRIS_C)
    np.testing.assert_allclose(t.yi, [0.5417, 1.0198, 2.6619, 1.9088, 0.0765], atol=ROUNDING)
    np.testing.assert_allclose(t.vi, [0.0573, 0.0304, 0.5048, 0.2822, 0.0716], atol=ROUNDING)
    np.testing.assert_allclose(c.yi, [-0.2213, 0.1219, 0.0000, 0.5575, -0.2126], atol=ROUNDING)
    np.testing.assert_allclose(c.vi, [0.0512, 0.0240, 0.1111, 0.1050, 0.0730], atol=ROUNDING)


def test_morris2008_ppc2_uses_the_exact_hedges_factor() -> None:
    """d_ppc2 of Morris (2008), p. 382: J(nT + nC - 2) x difference in mean change / pooled pre SD."""
    nt, nc = MORRIS_T.ni, MORRIS_C.ni
    pooled = np.sqrt(
        ((nt - 1) * MORRIS_T.sd_pre**2 + (nc - 1) * MORRIS_C.sd_pre**2) / (nt + nc - 2)
    )
    change = (MORRIS_T.m_post - MORRIS_T.m_pre) - (MORRIS_C.m_post - MORRIS_C.m_pre)
    d_ppc2 = metaatt.effects.hedges_j((nt + nc - 2).to_numpy()) * change / pooled
    np.testing.assert_allclose(d_ppc2, [0.7684, 0.8010, 1.2045, 1.0476, 0.4389], atol=ROUNDING)


def test_miller1978_freeman_tukey() -> None:
    """Reference case 15: Miller (1978) prints 2*yi and 4*vi."""
    out = metaatt.escalc("PFT", xi=[3, 6, 10, 1], ni=[11, 17, 21, 6])
    np.testing.assert_allclose(2 * out.yi, [1.1391, 1.2888, 1.5253, 0.9515], atol=ROUNDING)
    np.testing.assert_allclose(4 * out.vi, [0.0870, 0.0571, 0.0465, 0.1538], atol=ROUNDING)


def test_normand1999_smd_from_data_columns() -> None:
    """Reference case 3: SMD for studies 1-4 of dat.normand1999 (metafor test_misc_escalc.r)."""
    data = load_reference_csv("normand1999")
    out = metaatt.escalc(
        "SMD", m1i="m1i", m2i="m2i", sd1i="sd1i", sd2i="sd2i", n1i="n1i", n2i="n2i", data=data
    )
    np.testing.assert_allclose(out.yi[:4], [-0.3552, -0.3479, -2.3176, -1.8880], atol=ROUNDING)
    np.testing.assert_allclose(out.vi[:4], [0.0131, 0.0645, 0.0458, 0.1606], atol=ROUNDING)
    assert list(out.columns) == [*data.columns, "yi", "vi", "reason"]
    assert (out.source == data.source).all()


def test_hine1989_risk_differences() -> None:
    """Reference case 3: Normand (1999) risk differences x 100, from ai, ci, n1i, n2i."""
    data = load_reference_csv("hine1989")
    out = metaatt.escalc("RD", ai="ai", ci="ci", n1i="n1i", n2i="n2i", data=data)
    np.testing.assert_allclose(
        100 * out.yi, [2.8026, 0.0000, 1.9711, 1.7961, 3.5334, 4.4031], atol=ROUNDING
    )


def test_bcg_log_risk_ratios_from_data_columns() -> None:
    """dat.bcg with metafor's column names passed as strings; matches metafor to 1e-10."""
    data = load_reference_csv("bcg")
    case = next(c for c in load_fixture("escalc")["cases"] if c["id"] == "bcg-RR")
    out = metaatt.escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=data)
    np.testing.assert_allclose(out.yi, case["yi"], rtol=1e-10)
    np.testing.assert_allclose(out.vi, case["vi"], rtol=1e-10)
    # Aronson 1948, the first row of metafor's documented escalc example output
    assert round(out.yi[0], 4) == -0.8893
    assert round(out.vi[0], 4) == 0.3256
