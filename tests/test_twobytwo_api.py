"""Result object, input validation and invariants of Mantel-Haenszel and Peto pooling."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt.twobytwo import TwoByTwoResult

ROTHMAN = pd.DataFrame(
    {
        "study": ["Age <55", "Age 55+"],
        "ai": [8, 22],
        "bi": [98, 76],
        "ci": [5, 16],
        "di": [115, 69],
    }
)


def test_result_object():
    res = metaatt.mantel_haenszel("ai", "bi", "ci", "di", data=ROTHMAN)
    assert isinstance(res, TwoByTwoResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0.0
    text = res.summary()
    assert "Mantel-Haenszel method; k = 2" in text
    assert "Cochran-Mantel-Haenszel Test" in text and "Tarone" in text
    assert "OR = " in text
    json.dumps(res.to_dict())
    assert "<div" in res._repr_html_()
    frame = res.to_frame()
    assert list(frame.study) == ["Age <55", "Age 55+"]
    assert frame.weight.sum() == pytest.approx(100)
    forest = res.forest_frame()
    assert list(forest.kind) == ["study", "study", "pooled"]
    assert {"label", "estimate", "ci_low", "ci_high", "weight", "kind", "group"} <= set(
        forest.columns
    )
    assert forest.attrs["measure"] == "OR" and forest.attrs["level"] == 0.95
    assert forest.attrs["heterogeneity"].startswith("Heterogeneity: I^2")
    assert res.data.study.tolist() == ["Age <55", "Age 55+"]


def test_group_sizes_instead_of_non_events():
    a = metaatt.mantel_haenszel(ROTHMAN.ai, ROTHMAN.bi, ROTHMAN.ci, ROTHMAN.di, measure="RR")
    b = metaatt.mantel_haenszel(
        ROTHMAN.ai,
        ci=ROTHMAN.ci,
        n1i=ROTHMAN.ai + ROTHMAN.bi,
        n2i=ROTHMAN.ci + ROTHMAN.di,
        measure="RR",
    )
    assert a.estimate == b.estimate and a.se == b.se


def test_peto_summary_and_exp():
    res = metaatt.peto("ai", "bi", "ci", "di", data=ROTHMAN)
    assert "Peto's method" in res.summary()
    assert res.exp()["estimate"] == pytest.approx(np.exp(res.estimate))
    rd = metaatt.mantel_haenszel("ai", "bi", "ci", "di", data=ROTHMAN, measure="RD")
    with pytest.raises(ValueError, match="not a log ratio"):
        rd.exp()


def test_bad_input():
    with pytest.raises(
        metaatt.MetaattError,
        match=r"bi: row 2 \(study 'Age 55\+'\) is -1; counts cannot be negative",
    ):
        metaatt.mantel_haenszel([8, 22], [98, -1], [5, 16], [115, 69], labels=ROTHMAN.study)
    with pytest.raises(
        metaatt.MetaattError, match=r"n1i: row 1.* has 8 events but only 5 participants"
    ):
        metaatt.mantel_haenszel([8, 22], ci=[5, 16], n1i=[5, 98], n2i=[120, 85])
    with pytest.raises(metaatt.MetaattError, match=r"group 1 .* has no participants"):
        metaatt.mantel_haenszel([0, 22], [0, 76], [5, 16], [115, 69])
    with pytest.raises(metaatt.MetaattError, match="lengths differ"):
        metaatt.mantel_haenszel([8, 22], [98, 76], [5], [115, 69])
    with pytest.raises(metaatt.MetaattError, match="give bi and di"):
        metaatt.mantel_haenszel([8, 22], ci=[5, 16])
    with pytest.raises(metaatt.MetaattError, match="measure: unknown value 'HR'"):
        metaatt.mantel_haenszel([8, 22], [98, 76], [5, 16], [115, 69], measure="HR")
    with pytest.raises(metaatt.MetaattError, match="level: must lie strictly between 0 and 1"):
        metaatt.mantel_haenszel([8, 22], [98, 76], [5, 16], [115, 69], level=90)
    with pytest.raises(metaatt.MetaattError, match=r"ai: row 2.* is missing .* missing=.exclude."):
        metaatt.peto([8, np.nan], [98, 76], [5, 16], [115, 69])
    with pytest.raises(metaatt.MetaattError, match="to: unknown value 'some'"):
        metaatt.peto([8, 22], [98, 76], [5, 16], [115, 69], to="some")
    with pytest.raises(metaatt.MetaattError, match="add: must be a finite number >= 0"):
        metaatt.peto([8, 22], [98, 76], [5, 16], [115, 69], add=-1)
    with pytest.raises(metaatt.MetaattError, match="odds ratio is infinite"):
        metaatt.mantel_haenszel([3, 2], [5, 6], [0, 0], [7, 8])
    with pytest.raises(metaatt.MetaattError, match="peto: no table carries information"):
        metaatt.peto([0, 0], [5, 6], [0, 0], [7, 8])
    with pytest.raises(metaatt.MetaattError, match="column 'events' is not in data"):
        metaatt.mantel_haenszel("events", "bi", "ci", "di", data=ROTHMAN)


def test_missing_tables_are_excluded_with_a_reason():
    with pytest.warns(metaatt.StudyExcludedWarning, match="1 of 3 tables excluded: Study 2"):
        res = metaatt.mantel_haenszel(
            [8, np.nan, 22], [98, 50, 76], [5, 3, 16], [115, 40, 69], missing="exclude"
        )
    assert res.k == 2 and list(res.excluded.reason) == ["ai missing"]
    assert "Excluded tables (1)" in res.summary()


tables = st.lists(
    st.tuples(*(st.integers(0, 40) for _ in range(4))).filter(
        lambda t: t[0] + t[1] > 0 and t[2] + t[3] > 0
    ),
    min_size=2,
    max_size=8,
).filter(lambda ts: sum(a * d for a, b, c, d in ts) > 0 and sum(b * c for a, b, c, d in ts) > 0)


@settings(max_examples=40, deadline=None)
@given(tables)
def test_swapping_arms_inverts_the_mh_odds_ratio(ts):
    a, b, c, d = map(np.array, zip(*ts, strict=True))
    res = metaatt.mantel_haenszel(a, b, c, d)
    swapped = metaatt.mantel_haenszel(c, d, a, b)
    assert swapped.estimate == pytest.approx(-res.estimate, abs=1e-12)
    assert swapped.se == pytest.approx(res.se, rel=1e-12)
    assert swapped.cmh == pytest.approx(res.cmh, rel=1e-9, abs=1e-12)
    if np.isfinite(res.tarone):
        assert swapped.tarone == pytest.approx(res.tarone, rel=1e-6, abs=1e-9)
    p = metaatt.peto(a, b, c, d)
    assert metaatt.peto(c, d, a, b).estimate == pytest.approx(-p.estimate, abs=1e-12)
    # swapping the outcome columns also inverts the odds ratio
    assert metaatt.mantel_haenszel(b, a, d, c).estimate == pytest.approx(-res.estimate, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(tables)
def test_swapping_arms_flips_the_risk_difference(ts):
    a, b, c, d = map(np.array, zip(*ts, strict=True))
    res = metaatt.mantel_haenszel(a, b, c, d, measure="RD")
    swapped = metaatt.mantel_haenszel(c, d, a, b, measure="RD")
    assert swapped.estimate == pytest.approx(-res.estimate, abs=1e-12)
    assert swapped.se == pytest.approx(res.se, rel=1e-9)
    assert res.weights.min() >= 0 and res.weights.sum() == pytest.approx(100)


@settings(max_examples=30, deadline=None)
@given(tables, st.randoms(use_true_random=False))
def test_order_of_tables_does_not_matter(ts, rnd):
    a, b, c, d = map(np.array, zip(*ts, strict=True))
    perm = np.array(rnd.sample(range(len(a)), len(a)))
    for measure in ("OR", "RR"):
        if measure == "RR" and (a.sum() == 0 or c.sum() == 0):
            continue
        x = metaatt.mantel_haenszel(a, b, c, d, measure=measure)
        y = metaatt.mantel_haenszel(a[perm], b[perm], c[perm], d[perm], measure=measure)
        assert x.estimate == pytest.approx(y.estimate, rel=1e-12, abs=1e-14)
        assert x.q == pytest.approx(y.q, rel=1e-9, abs=1e-12)
