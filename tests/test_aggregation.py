"""aggregate() against metafor 3.8 aggregate.escalc; aggregate_sensitivity()."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.aggregation import aggregate_sensitivity
from metaatt.errors import BoundaryWarning, MetaattError
from tests.reference_data import load_fixture

CASES = load_fixture("multilevel")["aggregate"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_metafor_aggregate(case):
    kwargs = {"rho": case["rho"]} if case["struct"] == "CS" else {}
    out = metaatt.aggregate(
        case["yi"],
        case["vi"],
        cluster=case["study"],
        struct=case["struct"],
        weighted=case["weighted"],
        **kwargs,
    )
    exp = pd.DataFrame(case["expected"]).set_index("study")
    ours = out.set_index("cluster").loc[exp.index]
    np.testing.assert_allclose(ours.yi, exp.yi, rtol=1e-10)
    np.testing.assert_allclose(ours.vi, exp.vi, rtol=1e-10)


def test_closed_forms_for_two_effects():
    """Two effects with variances v1, v2 and correlation r: weighted
    v = (v1 v2 (1 - r^2)) / (v1 + v2 - 2 r sqrt(v1 v2)) (Borenstein et al. 2009, ch. 24)."""
    v1, v2, r = 0.04, 0.09, 0.5
    out = metaatt.aggregate([0.2, 0.5], [v1, v2], cluster=[1, 1], rho=r)
    c = r * np.sqrt(v1 * v2)
    assert out.vi[0] == pytest.approx((v1 * v2 - c**2) / (v1 + v2 - 2 * c), rel=1e-12)
    mean = metaatt.aggregate([0.2, 0.5], [v1, v2], cluster=[1, 1], rho=r, weighted=False)
    assert mean.yi[0] == pytest.approx(0.35)
    assert mean.vi[0] == pytest.approx((v1 + v2 + 2 * c) / 4, rel=1e-12)


def test_table_input_keeps_columns_and_order():
    d = pd.DataFrame(
        {
            "yi": [0.1, 0.3, 0.2, 0.5, 0.4, 0.6],
            "vi": [0.01, 0.02, 0.015, 0.03, 0.02, 0.01],
            "study": ["b", "b", "a", "c", "c", "c"],
            "n": [10, 12, 20, 30, 30, 30],
            "design": ["x", "x", "y", "z", "z", "w"],
        }
    )
    d.attrs["measure"] = "SMD"
    out = metaatt.aggregate(d, cluster="study", rho=0.6)
    assert list(out.study) == ["b", "a", "c"]  # order of first appearance
    assert list(out.ki) == [2, 1, 3]
    assert out.n.tolist() == [11.0, 20.0, 30.0] and out.design.tolist() == ["x", "y", "z"]
    assert out.attrs["measure"] == "SMD" and out.attrs["aggregation"]["rho"] == 0.6
    row_a = out.set_index("study").loc["a"]
    assert (row_a.yi, row_a.vi) == (0.2, 0.015)  # a single effect passes through


def test_car_structure_matches_explicit_gls():
    y = np.array([0.2, 0.35, 0.5])
    v = np.array([0.02, 0.03, 0.025])
    t = np.array([0.0, 6.0, 12.0])
    out = metaatt.aggregate(y, v, cluster=[1, 1, 1], struct="CAR", phi=0.9, time=t)
    R = 0.9 ** np.abs(t[:, None] - t[None, :])
    V = np.sqrt(v)[:, None] * R * np.sqrt(v)[None, :]
    w = np.linalg.solve(V, np.ones(3))
    assert out.vi[0] == pytest.approx(1 / w.sum(), rel=1e-12)
    assert out.yi[0] == pytest.approx(w @ y / w.sum(), rel=1e-12)


def test_sensitivity_over_rho_equals_aggregate_then_pool():
    rng = np.random.default_rng(3)
    study = np.repeat(np.arange(8), rng.integers(1, 4, 8))
    k = len(study)
    yi = 0.3 + rng.normal(0, 0.2, 8)[study] + rng.normal(0, 0.1, k)
    vi = rng.uniform(0.01, 0.05, k)
    table = aggregate_sensitivity(yi, vi, cluster=study, rho=[0.0, 0.5, 0.8], method="DL")
    assert list(table.rho) == [0.0, 0.5, 0.8]
    for r, row in zip([0.0, 0.5, 0.8], table.itertuples(), strict=True):
        agg = metaatt.aggregate(yi, vi, cluster=study, rho=r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)
            pooled = metaatt.pool(agg.yi, agg.vi, method="DL")
        assert row.estimate == pytest.approx(pooled.estimate, rel=1e-12)
        assert row.se == pytest.approx(pooled.se, rel=1e-12)
        assert row.tau2 == pytest.approx(pooled.tau2, rel=1e-10, abs=1e-15)
        assert row.k == 8


def test_bad_input():
    with pytest.raises(MetaattError, match="rho: struct needs an assumed correlation"):
        metaatt.aggregate([0.1, 0.2], [0.01, 0.02], cluster=[1, 1])
    with pytest.raises(MetaattError, match=r"correlations must lie in \[-1, 1\]"):
        metaatt.aggregate([0.1, 0.2], [0.01, 0.02], cluster=[1, 1], rho=1.5)
    with pytest.raises(MetaattError, match="not positive definite"):
        metaatt.aggregate([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], cluster=[1, 1, 1], rho=-0.9)
    with pytest.raises(MetaattError, match="cluster: 2 labels for 3"):
        metaatt.aggregate([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], cluster=[1, 1], rho=0.5)
    with pytest.raises(MetaattError, match="needs time="):
        metaatt.aggregate([0.1, 0.2], [0.01, 0.02], cluster=[1, 1], struct="CAR")
    with pytest.raises(MetaattError, match="struct: unknown value 'AR'"):
        metaatt.aggregate([0.1, 0.2], [0.01, 0.02], cluster=[1, 1], struct="AR", rho=0.5)
    with pytest.raises(MetaattError, match=r"rho: give one value, or one per cluster \(2\)"):
        metaatt.aggregate(
            [0.1, 0.2, 0.3], [0.01, 0.02, 0.03], cluster=[1, 1, 2], rho=[0.1, 0.2, 0.3]
        )
