"""metaatt.pool against metafor 3.8 (rma.uni, confint, predict) on published and random data.

Fixtures: tests/reference/pool.R -> tests/reference/fixtures/pool.json. Closed-form
estimators are compared at 1e-6 relative, iterative ones (and the Q-profile interval) at
1e-5; metafor was run with convergence threshold 1e-12.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import metaatt
from tests.reference_data import (
    INTERVAL_FIELDS,
    METAFOR_TESTS,
    POOLED_FIELDS,
    load_fixture,
    rtol_for,
)

FIXTURE = load_fixture("pool")


def _cases():
    for case in FIXTURE["cases"]:
        for ref in case["results"]:
            yield pytest.param(case, ref, id=f"{case['name']}-{ref['method']}-{ref['test']}")


def _by_method():
    """One test per (dataset, method); each checks all four tests."""
    for case in FIXTURE["cases"]:
        methods = dict.fromkeys(r["method"] for r in case["results"])
        for method in methods:
            refs = [r for r in case["results"] if r["method"] == method]
            yield pytest.param(case, refs, id=f"{case['name']}-{method}")


def _fit(case, ref):
    kwargs = {}
    if ref["method"] == "GENQ":
        kwargs["weights"] = case["weights"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        warnings.simplefilter("ignore", metaatt.DegenerateStatisticWarning)
        warnings.simplefilter("ignore", metaatt.MultimodalLikelihoodWarning)
        return metaatt.pool(
            case["yi"],
            case["vi"],
            method=ref["method"],
            test=METAFOR_TESTS[ref["test"]],
            level=ref["level"],
            **kwargs,
        )


def _close(ours, theirs, rtol, scale):
    """Relative comparison with an absolute floor: metafor stops iterating at tau2 ~ 1e-12
    on the boundary, where metaatt returns exactly 0."""
    return np.isclose(ours, theirs, rtol=rtol, atol=1e-8 * max(scale, 1e-12))


@pytest.mark.parametrize(("case", "refs"), list(_by_method()))
def test_pool_matches_metafor(case, refs):
    scale = float(np.std(case["yi"]) + np.sqrt(np.mean(case["vi"])))
    mismatches = []
    for ref in refs:
        result = _fit(case, ref)
        rtol = rtol_for(ref["method"])
        for name in POOLED_FIELDS:
            expected = ref.get(name)
            if expected is None or expected == {} or expected == []:  # NULL in R
                continue
            field_scale = scale**2 if name in ("tau2", "se_tau2") else scale
            if name in ("pval", "q_pval", "i2", "h2", "q", "statistic"):
                field_scale = 1.0
            if not _close(getattr(result, name), expected, rtol, field_scale):
                mismatches.append((ref["test"], name, getattr(result, name), expected))
        assert result.k == len(case["yi"])
        assert result.tau2_ci_null == ref["tau2_ci_null"]
    assert not mismatches, mismatches


@pytest.mark.parametrize(
    ("case", "ref"),
    [p for p in _cases() if p.values[1]["test"] == "z" and p.values[1]["method"] != "GENQ"],
)
def test_q_profile_interval_matches_metafor(case, ref):
    result = _fit(case, ref)
    scale = float(np.var(case["yi"]) + np.mean(case["vi"]))
    for name in INTERVAL_FIELDS:
        field_scale = scale if name.startswith("tau2") else 1.0
        assert _close(getattr(result, name), ref[name], 1e-5, field_scale), (
            name,
            getattr(result, name),
            ref[name],
        )


def test_fixture_records_versions():
    assert FIXTURE["metafor_version"].startswith("3.8")
    assert FIXTURE["r_version"].startswith("R version")
