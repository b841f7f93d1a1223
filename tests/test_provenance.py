"""Provenance: from a pooled number back to the printed numbers, formula and assumptions."""

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import MetaattError
from metaatt.attachment import effect_sizes
from metaatt.provenance import PROVENANCE_COLUMNS, provenance_table, with_provenance
from tests import attachment_rows


def test_provenance_table_lists_weights_and_printed_inputs():
    es = effect_sizes(attachment_rows.frame())
    chosen = es[es.metric == "d_raw_change"]
    res = metaatt.pool(chosen, method="EE")
    table = metaatt.provenance_table(res)
    assert list(table.study) == list(chosen.study)
    np.testing.assert_allclose(table.weight, res.weights)
    assert table.weight.sum() == pytest.approx(100)
    np.testing.assert_allclose(table.yi, chosen.yi)
    np.testing.assert_allclose(table.vi, chosen.vi)
    for column in ("source", "inputs", "formula", "assumptions", "instrument", "r_source"):
        assert column in table.columns
    row = table[table.study == "TEST pre post"].iloc[0]
    assert row.inputs == "n=40; m_pre=2.6; sd_pre=1.2; m_post=3.4; sd_post=1.3"
    assert row.assumptions == "pre-post r imputed as 0.5"
    assert table.attrs["synthetic"] is True and res.synthetic


def test_excluded_studies_are_listed_with_reason():
    frame = pd.concat(
        [attachment_rows.frame().iloc[[4, 5]],
         pd.DataFrame([dict(study="TEST no sd", outcome="RF", instrument="RF",
                            source="test input", format="pre_post_means", m_pre=1, m_post=2,
                            n=20)])], ignore_index=True)  # fmt: skip
    es = effect_sizes(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.StudyExcludedWarning)
        res = metaatt.pool(es, method="EE")
    table = provenance_table(res, level=0.9)
    last = table.iloc[-1]
    assert not last.included and np.isnan(last.weight) and "needs sd_pre" in last.reason
    assert table.included.sum() == 2
    z = 1.6448536269514722
    np.testing.assert_allclose(table.ci_high[:2] - table.yi[:2], z * np.sqrt(table.vi[:2]))


def test_with_provenance_on_an_escalc_table():
    es = metaatt.escalc("SMCR", m1i=[3.4, 4.1], m2i=[2.6, 3.0], sd1i=[1.2, 1.4], ni=[40, 25],
                        ri=[0.5, 0.6])  # fmt: skip
    es = es.assign(m_post=[3.4, 4.1], m_pre=[2.6, 3.0])
    out = with_provenance(
        es, study=["TEST 1", "TEST 2"], source="invented test input", formula="SMCR",
        assumptions=["r imputed as 0.5", ""], inputs=["m_pre", "m_post"],
    )  # fmt: skip
    assert list(out.inputs) == ["m_pre=2.6; m_post=3.4", "m_pre=3; m_post=4.1"]
    assert out.metric[0] == "SMCR" and "study" not in es.columns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        res = metaatt.pool(out, method="DL")
    table = provenance_table(res)
    assert list(table.assumptions) == ["r imputed as 0.5", ""]
    assert set(PROVENANCE_COLUMNS) & set(table.columns) >= {"source", "inputs", "formula"}


def test_bad_input():
    with pytest.raises(MetaattError, match="2 values for 3 rows"):
        with_provenance(pd.DataFrame({"yi": [1, 2, 3]}), study=["a", "b"])
    with pytest.raises(MetaattError, match="not columns"):
        with_provenance(pd.DataFrame({"yi": [1, 2, 3]}), inputs=["nope"])
    with pytest.raises(MetaattError, match="expected a model result"):
        provenance_table(object())
