"""Invariants of metaatt.escalc checked with hypothesis.

- swapping the two arms (or the two occasions) flips the sign of yi and keeps vi;
- scale equivariance: raw differences scale with the data, standardized ones do not change;
- study order: permuting the rows permutes the result (also for the "AV" variances and
  to="if0all", which look at all studies);
- algebraic identities between measures.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def two_groups(draw, positive_means: bool = False):
    k = draw(st.integers(2, 6))
    low = 0.5 if positive_means else -50.0
    means = st.floats(low, 50.0, allow_nan=False)
    sds = st.floats(0.1, 20.0, allow_nan=False)
    sizes = st.integers(3, 300)
    return {
        "m1i": np.array(draw(st.lists(means, min_size=k, max_size=k))),
        "m2i": np.array(draw(st.lists(means, min_size=k, max_size=k))),
        "sd1i": np.array(draw(st.lists(sds, min_size=k, max_size=k))),
        "sd2i": np.array(draw(st.lists(sds, min_size=k, max_size=k))),
        "n1i": np.array(draw(st.lists(sizes, min_size=k, max_size=k)), dtype=float),
        "n2i": np.array(draw(st.lists(sizes, min_size=k, max_size=k)), dtype=float),
    }


@st.composite
def tables(draw):
    k = draw(st.integers(2, 6))
    cells = st.lists(st.integers(0, 60), min_size=k, max_size=k)
    return {name: np.array(draw(cells), dtype=float) for name in ("ai", "bi", "ci", "di")}


@st.composite
def prepost(draw, positive_means: bool = False):
    groups = draw(two_groups(positive_means))
    k = len(groups["m1i"])
    r = draw(st.lists(st.floats(-0.95, 0.95), min_size=k, max_size=k))
    return {
        "m1i": groups["m1i"],
        "m2i": groups["m2i"],
        "sd1i": groups["sd1i"],
        "sd2i": groups["sd2i"],
        "ni": groups["n1i"],
        "ri": np.array(r),
    }


def swap_groups(x: dict) -> dict:
    names = {"m1i": "m2i", "m2i": "m1i", "sd1i": "sd2i", "sd2i": "sd1i", "n1i": "n2i", "n2i": "n1i"}
    names |= {"ai": "ci", "ci": "ai", "bi": "di", "di": "bi"}
    return {names.get(k, k): v for k, v in x.items()}


def assert_flipped(a: pd.DataFrame, b: pd.DataFrame) -> None:
    np.testing.assert_allclose(b.yi, -a.yi, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.vi, a.vi, rtol=1e-10, atol=1e-14)
    assert (a.reason.isna() == b.reason.isna()).all()


CONTINUOUS_ANTISYMMETRIC = ["MD", "SMD", "SMDH", "RPB", "D2ORN", "D2ORL", "VR"]
TABLE_ANTISYMMETRIC = ["RR", "OR", "RD", "AS", "PETO", "PHI", "YUQ", "YUY", "OR2DN", "OR2DL"]


@SETTINGS
@given(x=two_groups(), measure=st.sampled_from(CONTINUOUS_ANTISYMMETRIC))
def test_swapping_groups_flips_the_sign(x, measure) -> None:
    assert_flipped(metaatt.escalc(measure, **x), metaatt.escalc(measure, **swap_groups(x)))


@SETTINGS
@given(x=two_groups(positive_means=True), measure=st.sampled_from(["ROM", "CVR"]),
       vtype=st.sampled_from(["LS", "HO", "AV", "AVHO"]))  # fmt: skip
def test_swapping_groups_flips_log_ratios(x, measure, vtype) -> None:
    vtype = vtype if measure == "ROM" else "LS"
    a = metaatt.escalc(measure, vtype=vtype, **x)
    assert_flipped(a, metaatt.escalc(measure, vtype=vtype, **swap_groups(x)))


@SETTINGS
@given(x=tables(), measure=st.sampled_from(TABLE_ANTISYMMETRIC),
       to=st.sampled_from(["only0", "all", "if0all"]))  # fmt: skip
def test_swapping_table_rows_flips_the_sign(x, measure, to) -> None:
    a = metaatt.escalc(measure, to=to, **x)
    assert_flipped(a, metaatt.escalc(measure, to=to, **swap_groups(x)))


@SETTINGS
@given(x=tables(), measure=st.sampled_from(["MPRD", "MPRR", "MPOR", "MPORC", "MPPETO"]))
def test_swapping_occasions_flips_paired_measures(x, measure) -> None:
    swapped = {**x, "bi": x["ci"], "ci": x["bi"]}
    assert_flipped(metaatt.escalc(measure, **x), metaatt.escalc(measure, **swapped))


@SETTINGS
@given(x=tables(), r=st.floats(-0.3, 0.3))
def test_swapping_occasions_flips_mporm(x, r) -> None:
    x = {k: v + 1 for k, v in x.items()}  # no zero margins
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.InfeasibleAssumptionWarning)
        a = metaatt.escalc("MPORM", ri=r, **x)
        b = metaatt.escalc("MPORM", ri=r, **swap_groups(x))
    assert_flipped(a, b)


@SETTINGS
@given(x=prepost(positive_means=True), measure=st.sampled_from(["MC", "SMCC", "ROMC"]))
def test_swapping_occasions_flips_mean_change(x, measure) -> None:
    swapped = {**x, "m1i": x["m2i"], "m2i": x["m1i"], "sd1i": x["sd2i"], "sd2i": x["sd1i"]}
    assert_flipped(metaatt.escalc(measure, **x), metaatt.escalc(measure, **swapped))


@SETTINGS
@given(x=two_groups(), c=st.floats(0.01, 100.0))
def test_scale_equivariance_two_groups(x, c) -> None:
    scaled = {k: v * c if k[0] in "ms" else v for k, v in x.items()}
    md, md_scaled = metaatt.escalc("MD", **x), metaatt.escalc("MD", **scaled)
    np.testing.assert_allclose(md_scaled.yi, c * md.yi, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(md_scaled.vi, c**2 * md.vi, rtol=1e-10)
    for measure in ("SMD", "SMDH", "SMD1", "RPB", "D2ORL"):
        a, b = metaatt.escalc(measure, **x), metaatt.escalc(measure, **scaled)
        np.testing.assert_allclose(b.yi, a.yi, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.vi, a.vi, rtol=1e-9)


@SETTINGS
@given(x=prepost(positive_means=True), c=st.floats(0.01, 100.0))
def test_scale_equivariance_prepost(x, c) -> None:
    scaled = {k: v * c if k[0] in "ms" else v for k, v in x.items()}
    mc, mc_scaled = metaatt.escalc("MC", **x), metaatt.escalc("MC", **scaled)
    np.testing.assert_allclose(mc_scaled.yi, c * mc.yi, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mc_scaled.vi, c**2 * mc.vi, rtol=1e-9)
    for measure in ("SMCC", "SMCR", "SMCRH", "ROMC"):
        a, b = metaatt.escalc(measure, **x), metaatt.escalc(measure, **scaled)
        np.testing.assert_allclose(b.yi, a.yi, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.vi, a.vi, rtol=1e-9)


@SETTINGS
@given(
    x=two_groups(positive_means=True),
    case=st.sampled_from([("SMD", "AV"), ("SMD", "UB"), ("ROM", "AVHO"), ("SMD1", "AV")]),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_order_invariance_continuous(x, case, seed) -> None:
    measure, vtype = case
    order = np.random.default_rng(seed).permutation(len(x["m1i"]))
    a = metaatt.escalc(measure, vtype=vtype, **x)
    b = metaatt.escalc(measure, vtype=vtype, **{k: v[order] for k, v in x.items()})
    np.testing.assert_allclose(b.yi, a.yi.to_numpy()[order], rtol=1e-12)
    np.testing.assert_allclose(b.vi, a.vi.to_numpy()[order], rtol=1e-12)


@SETTINGS
@given(x=tables(), measure=st.sampled_from(["OR", "RD", "PETO"]),
       to=st.sampled_from(["only0", "if0all"]), seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_row_order_invariance_tables(x, measure, to, seed) -> None:
    order = np.random.default_rng(seed).permutation(len(x["ai"]))
    vtype = "AV" if measure == "RD" else "LS"
    a = metaatt.escalc(measure, to=to, vtype=vtype, drop00=True, **x)
    b = metaatt.escalc(
        measure, to=to, vtype=vtype, drop00=True, **{k: v[order] for k, v in x.items()}
    )
    for name in ("yi", "vi"):
        np.testing.assert_allclose(b[name], a[name].to_numpy()[order], rtol=1e-12)
    assert list(b.reason) == list(a.reason.to_numpy()[order])


@SETTINGS
@given(x=tables())
def test_identities_between_table_measures(x) -> None:
    log_or = metaatt.escalc("OR", **x)
    logistic = metaatt.escalc("OR2DL", **x)
    np.testing.assert_allclose(logistic.yi, log_or.yi * np.sqrt(3) / np.pi, rtol=1e-12)
    np.testing.assert_allclose(logistic.vi, log_or.vi * 3 / np.pi**2, rtol=1e-12)
    odds = np.exp(log_or.yi)
    np.testing.assert_allclose(metaatt.escalc("YUQ", **x).yi, (odds - 1) / (odds + 1), rtol=1e-9)


@SETTINGS
@given(r=st.lists(st.floats(-0.99, 0.99), min_size=2, max_size=6), n=st.integers(5, 2000))
def test_fisher_z_and_unbiased_correlation(r, n) -> None:
    r = np.array(r)
    z = metaatt.escalc("ZCOR", ri=r, ni=n)
    np.testing.assert_allclose(np.tanh(z.yi), r, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z.vi, 1 / (n - 3))
    u = metaatt.escalc("UCOR", ri=r, ni=n)
    # the Olkin-Pratt correction moves r away from 0, by less than (1 - r^2) r / (n - 4)
    assert (np.abs(u.yi) >= np.abs(r) - 1e-15).all()
    assert (np.abs(u.yi - r) <= (1 - r**2) * np.abs(r) / (n - 4) + 1e-12).all()
