"""escalc records every row's total sample size (metafor's attr(yi, "ni")); models keep the
sizes of the analysed rows, so egger_test(pool(escalc(...)), predictor="ni") reproduces
metafor's regtest(predictor="ni"). Reference values: tests/reference/escalc_ni.R."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import datasets
from tests.reference_data import load_fixture

FIX = load_fixture("escalc_ni")
DATA = {
    "bcg": lambda: datasets.load_bcg(),
    "normand1999": lambda: datasets.load("normand1999"),
}


def _float(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("case", list(FIX["sizes"]))
def test_sample_sizes_as_metafor(case):
    spec = FIX["sizes"][case]
    args = {name: _float(np.atleast_1d(v)) if isinstance(v, list) else v
            for name, v in spec["args"].items()}  # fmt: skip
    with warnings.catch_warnings():  # MPORM: random ri may be infeasible (a warning says so)
        warnings.simplefilter("ignore", metaatt.InfeasibleAssumptionWarning)
        es = metaatt.escalc(spec["measure"], **args)
    ni = es.attrs["ni"]
    assert len(ni) == len(es)
    np.testing.assert_array_equal(np.asarray(ni, dtype=float), _float(spec["ni"]))


def _effects(name):
    if name.startswith("bcg"):
        bcg = datasets.load_bcg()
        if name == "bcg_incomplete":
            bcg.loc[2, "tneg"] = np.nan
        return metaatt.escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=bcg)
    dat = datasets.load("normand1999")
    cols = {c: c for c in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")}
    return metaatt.escalc("SMD", data=dat, **cols)


@pytest.mark.parametrize("name", list(FIX["regtest"]))
def test_egger_ni_predictors_match_regtest(name):
    ref = FIX["regtest"][name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.StudyExcludedWarning)
        res = metaatt.pool(_effects(name), method="REML")
    np.testing.assert_array_equal(np.asarray(res.data.attrs["ni"]), ref["ni"])
    for key, expected in ref["tests"].items():
        model, predictor = key.split(".")
        got = metaatt.egger_test(res, model=model, predictor=predictor)
        rtol = 1e-5 if model == "rma" else 1e-6
        assert got.statistic == pytest.approx(expected["statistic"], rel=rtol), key
        assert got.pval == pytest.approx(expected["pval"], rel=rtol), key
        if expected["df"] is not None:
            assert got.df == expected["df"]
        if expected["estimate"] is None:
            assert np.isnan(got.estimate), key
        else:
            for field in ("estimate", "ci_low", "ci_high"):
                assert getattr(got, field) == pytest.approx(expected[field], rel=rtol), key


def test_sizes_follow_the_analysed_rows_and_survive_models():
    es = _effects("bcg")
    es["ablat"] = datasets.load_bcg().ablat
    with pytest.warns(metaatt.StudyExcludedWarning):
        res = metaatt.pool(es.assign(yi=es.yi.where(es.index != 0)), missing="exclude")
    assert list(res.data.attrs["ni"]) == list(es.attrs["ni"][1:])
    reg = metaatt.meta_regression(es, mods="ablat")
    assert list(reg.data.attrs["ni"]) == list(es.attrs["ni"])
    # the caller's table is not changed
    assert len(es.attrs["ni"]) == 13


def test_stale_sizes_are_dropped_not_misaligned():
    """pandas copies attrs unchanged when rows are selected: such sizes are not used."""
    es = _effects("bcg")
    subset = es[es.yi < -0.5]
    assert len(subset.attrs["ni"]) == 13  # pandas' behaviour
    res = metaatt.pool(subset)
    assert "ni" not in res.data.attrs
    with pytest.raises(metaatt.MetaattError, match="needs the sample sizes"):
        metaatt.egger_test(res, predictor="ni")


def test_sizes_are_cheap_to_copy_and_json_friendly():
    import json

    es = _effects("normand1999")
    ni = es.attrs["ni"]
    assert copy.deepcopy(ni) is ni  # pandas deep-copies attrs on every operation
    assert json.loads(json.dumps(list(ni))) == list(ni)
    both = pd.concat([es, es])  # equal attrs are kept by pandas
    with pytest.raises(metaatt.MetaattError, match="needs the sample sizes"):
        metaatt.egger_test(metaatt.pool(both), predictor="ni")
