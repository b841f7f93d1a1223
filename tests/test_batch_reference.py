"""pool_batch against metafor 3.8.1 (tests/reference/batch.R) and against pool, per analysis.

One long table holds 43 analyses (random datasets generated in R with a fixed seed, edge
cases, and the published BCG, Raudenbush 1985 and Normand 1999 examples); every tau^2
estimator and every test is fitted in one pool_batch call and compared row by row with
metafor's ``rma.uni`` (+ ``predict`` and ``confint``) and with ``metaatt.pool`` on the
same analysis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.batch import BATCH_COLUMNS
from tests.reference_data import (
    INTERVAL_FIELDS,
    METAFOR_TESTS,
    POOLED_FIELDS,
    load_fixture,
    rtol_for,
)

FIXTURE = load_fixture("batch")
METHODS = ("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM")
COMPARED = POOLED_FIELDS + INTERVAL_FIELDS
HETEROGENEITY = {c for c in COMPARED if c.startswith(("tau2", "se_tau2", "i2", "h2", "q", "pi"))}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {"dataset": d["id"], "yi": np.atleast_1d(d["yi"]), "vi": np.atleast_1d(d["vi"])}
        )
        for d in FIXTURE["datasets"]
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    fits = pd.DataFrame(FIXTURE["fits"])
    for column in COMPARED:  # jsonlite writes NA and Inf as strings
        fits[column] = pd.to_numeric(fits[column], errors="coerce")
    return fits


def _close(actual: float, expected: float, rtol: float, atol: float) -> bool:
    if expected is None or (isinstance(expected, float) and np.isnan(expected)):
        return True  # metafor reports nothing to compare
    return bool(np.isclose(actual, expected, rtol=rtol, atol=atol))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("r_test", list(METAFOR_TESTS))
def test_pool_batch_matches_metafor(frame, reference, method, r_test):
    out = metaatt.pool_batch(frame, by="dataset", method=method, test=r_test)
    assert out.attrs["test"] == METAFOR_TESTS[r_test]
    rows = reference[(reference.method == method) & (reference.test == r_test)]
    assert len(rows) == len(out) - (r_test != "z")  # k = 1 has only the z test in R
    got = out.set_index("dataset")
    rtol = rtol_for(method)
    failures = []
    for _, expected in rows.iterrows():
        actual = got.loc[expected.dataset]
        assert actual.k == expected.k
        for column in COMPARED:
            if column not in expected or pd.isna(expected[column]):
                continue
            if expected.k == 1 and column in HETEROGENEITY:
                continue  # pool's k = 1 rules: heterogeneity is NaN, metafor reports 0
            value = expected[column]
            atol = 1e-9 * max(1.0, abs(float(actual.estimate)))
            if column in ("tau2", "se_tau2", "tau2_ci_low", "tau2_ci_high"):
                atol = 1e-9
            if column in ("i2", "i2_ci_low", "i2_ci_high"):
                atol = 1e-6
            if not _close(actual[column], value, rtol, atol):
                failures.append((expected.dataset, column, actual[column], value))
    assert not failures, failures[:10]


def test_single_study_follows_pool_rules(frame):
    out = metaatt.pool_batch(frame, by="dataset", test="hksj").set_index("dataset")
    single = out.loc["single study"]
    assert single.k == 1 and single.heterogeneity_undefined
    assert np.isnan(single.tau2) and np.isnan(single.i2) and np.isnan(single.pi_low)
    assert np.isinf(single.df)  # the hksj test needs k >= 2: a z test, as pool does
    assert single.estimate == pytest.approx(0.42)
    assert single.se == pytest.approx(np.sqrt(0.05))
    assert not out.drop(index="single study").heterogeneity_undefined.any()


@pytest.mark.parametrize("method", METHODS)
def test_pool_batch_is_pool_per_analysis(frame, method):
    """Every reported number equals metaatt.pool on the analysis alone, to 1e-8."""
    columns = [c for c in BATCH_COLUMNS if c not in ("excluded", "heterogeneity_undefined")]
    for test in ("z", "t", "hksj", "hksj-adhoc"):
        out = metaatt.pool_batch(frame, by="dataset", method=method, test=test)
        for _, row in out.iterrows():
            sub = frame[frame.dataset == row.dataset]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", metaatt.MetaattWarning)
                single = metaatt.pool(
                    sub.yi.to_numpy(), sub.vi.to_numpy(), method=method, test=test
                )
            for column in columns:
                expected = getattr(single, column)
                if column == "iterations":
                    continue  # a diagnostic: rounding may change the count by one
                np.testing.assert_allclose(
                    row[column],
                    expected,
                    rtol=1e-8,
                    atol=1e-12,
                    err_msg=f"{method} {test} {row.dataset} {column}",
                )
