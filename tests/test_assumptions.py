"""Sensitivity of pooled results to imputed assumptions (pre-post r, phi)."""

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import MetaattError
from metaatt.assumptions import DEFAULT_GRID
from metaatt.attachment import effect_sizes
from tests import attachment_rows


@pytest.fixture(scope="module")
def sheet():
    rows = attachment_rows.rows()
    keep = [r for r in rows if r["format"] in ("pre_post_means",)]
    extra = dict(rows[4], study="TEST reported r", r=0.7)  # this row keeps its r
    return pd.DataFrame([*keep, extra])


def test_grid_over_assumed_r(sheet):
    table = metaatt.assumption_sensitivity(sheet, select={"metric": "d_raw_change"}, method="EE")
    assert list(table.assumed_r) == list(DEFAULT_GRID)
    assert (table.n_assumed == 2).all() and (table.k == 4).all()
    # independent check at r = 0.3: recompute the effect sizes and pool them directly
    direct = metaatt.pool(effect_sizes(sheet, assumed_r=0.3), method="EE")
    row = table[np.isclose(table.assumed_r, 0.3)].iloc[0]
    assert row.estimate == pytest.approx(direct.estimate) and row.tau2 == 0
    assert row.ci_low == pytest.approx(direct.ci_low)
    # higher r -> smaller SMCR variances -> smaller standard error of the pooled estimate
    assert (np.diff(table.se) < 0).all()
    assert table.attrs["assumption"] == "assumed_r" and table.attrs["synthetic"] is True


def test_rows_with_reported_r_do_not_move(sheet):
    low = effect_sizes(sheet, assumed_r=0.2).set_index("study")
    high = effect_sizes(sheet, assumed_r=0.8).set_index("study")
    assert low.vi["TEST reported r"] == high.vi["TEST reported r"]
    assert low.vi["TEST sd change"] == high.vi["TEST sd change"]  # r derived from sd_change
    assert low.vi["TEST pre post"] > high.vi["TEST pre post"]


def test_random_effects_warnings_are_recorded_not_raised(sheet):
    table = metaatt.assumption_sensitivity(sheet, [0.2, 0.5], method="DL",
                                           select=lambda es: es.metric == "d_raw_change")  # fmt: skip
    assert len(table) == 2 and (table.tau2 == 0).all()
    assert table.notes.str.contains("on the boundary of the parameter space").all()
    assert {"estimate", "tau2", "i2", "pi_low", "pi_high", "q_pval"} <= set(table.columns)


def test_assumed_phi_for_marginal_counts():
    frame = pd.DataFrame([dict(study=f"TEST {i}", outcome="security", instrument="AAI",
                               source="test input", format="marginal_counts", n_secure_pre=x,
                               n_secure_post=y, n=30) for i, (x, y) in enumerate(
                                   [(5, 12), (8, 15), (3, 9)])])  # fmt: skip
    table = metaatt.assumption_sensitivity(frame, [0.0, 0.3, 0.6], assumption="assumed_phi",
                                           method="EE")  # fmt: skip
    assert (table.n_assumed == 3).all()
    assert (np.diff(table.se) < 0).all()  # a larger phi gives smaller paired variances


def test_any_analysis_as_a_function():
    def analysis(shift):
        return metaatt.pool([0.1 + shift, 0.3, 0.2], [0.01, 0.02, 0.015], method="EE")

    table = metaatt.assumption_sensitivity(analysis, [0.0, 0.1])
    assert list(table.value) == [0.0, 0.1]
    assert table.estimate[1] > table.estimate[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"values": []}, "values"),
        ({"values": [0.2, 1.5]}, "must lie in"),
        ({"assumption": "assumed_n"}, "assumption"),
        ({"select": {"nope": 1}}, "column 'nope'"),
        ({"select": {"metric": "d_z"}}, "no effect sizes"),
        ({"select": 3}, "select"),
    ],
)
def test_bad_input(sheet, kwargs, match):
    with pytest.raises(MetaattError, match=match):
        metaatt.assumption_sensitivity(sheet, **kwargs)
