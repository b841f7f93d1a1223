"""Instrument registry and direction harmonization (positive = toward security)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaatt import MetaattError
from metaatt.attachment import Instrument, InstrumentRegistry, default_registry, harmonize


def test_default_registry_covers_the_domain_instruments():
    reg = default_registry()
    for name in ("AAI", "AAI_coherence", "RF", "ECR_anxiety", "ECR_avoidance", "ECR-R_anxiety",
                 "ECR-R_avoidance", "RSQ_secure", "AAS_anxiety", "IPPA", "AAPR"):  # fmt: skip
        assert name in reg
    assert reg.get("AAI").kind == "categorical"
    assert reg.get("RF").scale_min == -1 and reg.get("RF").scale_max == 9
    assert reg.get("ECR-R_anxiety").direction == -1 and reg.get("RF").direction == 1
    assert not reg.get("IPPA").has_range
    assert all(inst.source for inst in reg)


def test_lookup_ignores_case_spaces_and_separators():
    reg = default_registry()
    assert reg.get("ecr r anxiety").name == "ECR-R_anxiety"
    assert reg.get("ECRR-Avoidance").name == "ECR-R_avoidance"


def test_unknown_instrument_suggests_a_close_name():
    with pytest.raises(MetaattError, match="did you mean 'ECR-R_anxiety'"):
        default_registry().get("ECR-R_anxeity")


def test_registry_is_extended_without_mutation(tmp_path):
    reg = default_registry()
    bigger = reg.add("SAAM_secure", construct="state security", kind="dimensional",
                     direction=1, scale_min=1, scale_max=7, source="Gillath et al. 2009")  # fmt: skip
    assert "SAAM_secure" in bigger and "SAAM_secure" not in reg
    with pytest.raises(MetaattError, match="already registered"):
        bigger.add("saam secure", construct="x", kind="dimensional", direction=1)
    replaced = bigger.add("SAAM_secure", construct="x", kind="dimensional", direction=-1,
                          replace_existing=True)  # fmt: skip
    assert replaced.get("SAAM_secure").direction == -1 and len(replaced) == len(bigger)
    path = tmp_path / "instruments.csv"
    pd.DataFrame([{"name": "ECR-R_anxiety_sum", "construct": "anxiety (sum of 18 items)",
                   "kind": "dimensional", "direction": -1, "scale_min": 18, "scale_max": 126,
                   "source": "sum scoring"}]).to_csv(path, index=False)  # fmt: skip
    before = path.read_bytes()
    from_csv = InstrumentRegistry.from_csv(path, base=reg)
    assert from_csv.get("ECR-R_anxiety_sum").scale_max == 126 and "RF" in from_csv
    assert path.read_bytes() == before
    frame = from_csv.to_frame()
    assert {"name", "construct", "kind", "direction", "scale_min", "scale_max"} <= set(frame)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "ordinal", "direction": 1}, "kind: unknown value"),
        ({"kind": "dimensional", "direction": 0}, "direction"),
        ({"kind": "dimensional", "direction": 1, "scale_min": 5, "scale_max": 1}, "scale_min"),
        ({"kind": "dimensional", "direction": 1, "scale_min": 1}, "scale_min"),
    ],
)
def test_bad_instrument_definitions(kwargs, match):
    with pytest.raises(MetaattError, match=match):
        Instrument("X", "construct", **kwargs)


def test_from_frame_names_the_bad_row():
    bad = pd.DataFrame({"name": ["A", "B"], "construct": ["a", "b"],
                        "kind": ["dimensional", "dimensional"], "direction": [1, 2]})  # fmt: skip
    with pytest.raises(MetaattError, match="row 2"):
        InstrumentRegistry.from_frame(bad)


def test_harmonize_flips_anxiety_and_keeps_security():
    frame = pd.DataFrame({"instrument": ["ECR-R_anxiety", "RF", "AAI"], "yi": [-0.4, 0.3, 0.5],
                          "ci_low": [-0.6, 0.1, 0.2], "ci_high": [-0.2, 0.5, 0.8]})  # fmt: skip
    out = harmonize(frame)
    np.testing.assert_allclose(out.yi, [0.4, 0.3, 0.5])
    np.testing.assert_allclose(out.ci_low, [0.2, 0.1, 0.2])
    np.testing.assert_allclose(out.ci_high, [0.6, 0.5, 0.8])
    assert list(out.direction) == [-1, 1, 1]
    assert frame.yi[0] == -0.4  # input untouched
    with pytest.raises(MetaattError, match="already has a 'direction'"):
        harmonize(out)
    with pytest.raises(MetaattError, match="unknown instrument"):
        harmonize(pd.DataFrame({"instrument": ["XYZ"], "yi": [0.1]}))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=8),
       st.lists(st.sampled_from(["ECR_anxiety", "RF", "RSQ_fearful", "AAS_close"]),
                min_size=8, max_size=8))  # fmt: skip
def test_harmonizing_twice_the_raw_values_is_the_identity(values, names):
    frame = pd.DataFrame({"instrument": names[: len(values)], "yi": values})
    once = harmonize(frame)
    again = harmonize(once.drop(columns="direction"))
    np.testing.assert_allclose(again.yi, frame.yi)
    assert all(math.isfinite(x) for x in once.yi)
