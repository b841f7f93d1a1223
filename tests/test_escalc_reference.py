"""metaatt.escalc against metafor 3.8's escalc (fixture written by tests/reference/escalc.R).

Every case of the fixture (random inputs with zero cells, small n and edge values for every
measure; every supported vtype; add / to / drop00 variants; published examples) is
recomputed and compared with metafor at 1e-7 relative on yi and vi, including which values
are undefined (NA in R, NaN here, always with a reason).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import metaatt
from metaatt.effects import MEASURES
from tests.reference_data import load_fixture

FIXTURE = load_fixture("escalc")
CASES = {case["id"]: case for case in FIXTURE["cases"]}
RTOL = 1e-7
ATOL = 1e-13  # values that are 0 in exact arithmetic


def as_array(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def run_case(case: dict):
    inputs = {name: as_array(values) for name, values in case["inputs"].items()}
    with warnings.catch_warnings():
        # MPORM with an impossible assumed correlation: metafor's number plus a warning
        warnings.simplefilter("ignore", metaatt.InfeasibleAssumptionWarning)
        return metaatt.escalc(case["measure"], **case["options"], **inputs)


def test_fixture_provenance() -> None:
    assert FIXTURE["metafor_version"] == "3.8.1"
    assert FIXTURE["r_version"].startswith("R version 4.2.2")
    assert len(CASES) == len(FIXTURE["cases"])  # ids are unique


def test_every_measure_and_vtype_is_covered() -> None:
    covered = set()
    for case in FIXTURE["cases"]:
        vtype = case["options"].get("vtype", "LS")
        for value in [vtype] if isinstance(vtype, str) else vtype:
            covered.add((case["measure"], value))
    for code, spec in MEASURES.items():
        for vtype in spec.vtypes:
            assert (code, vtype) in covered, (code, vtype)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_matches_metafor(case_id: str) -> None:
    case = CASES[case_id]
    out = run_case(case)
    ours = {"yi": out["yi"].to_numpy(), "vi": out["vi"].to_numpy()}
    reasons = out["reason"].to_numpy()
    for name in ("yi", "vi"):
        ref = as_array(case[name])
        got = ours[name]
        if name == "vi" and case["measure"] == "MPORM":
            # a non-positive variance from an impossible correlation is left undefined
            ref = np.where(np.isnan(got) & (ref <= 0), np.nan, ref)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=f"{name} NaN pattern")
        np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL, err_msg=name)
    undefined = np.isnan(ours["yi"]) | np.isnan(ours["vi"])
    assert all(isinstance(r, str) and r for r in reasons[undefined])
    assert all(r is None for r in reasons[~undefined])
    assert out.attrs["measure"] == case["measure"]


def test_fixture_exercises_the_edge_cases() -> None:
    """The comparison above covers undefined rows, corrections and infeasible correlations."""
    n_undefined = sum(np.isnan(as_array(c["yi"])).sum() for c in FIXTURE["cases"])
    assert n_undefined > 50
    assert any(c["options"].get("drop00") for c in FIXTURE["cases"])
    mporm = CASES["MPORM-random2"]
    with pytest.warns(
        metaatt.InfeasibleAssumptionWarning, match="impossible for the observed margins"
    ):
        metaatt.escalc(
            "MPORM", **mporm["options"], **{n: as_array(v) for n, v in mporm["inputs"].items()}
        )
