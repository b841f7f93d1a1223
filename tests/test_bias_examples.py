"""Published worked examples for publication-bias methods (reference-cases.md 1, 4, 18, 19).

Printed values are compared at their printed precision; the datasets' yi and vi come from
fixtures/bias.json (metafor's escalc on the CSVs in tests/reference/data/).
"""

from __future__ import annotations

import warnings

import pytest

import metaatt
from tests.reference_data import load_fixture

DATASETS = load_fixture("bias")["datasets"]


def fit(name: str, method: str = "REML", **kwargs):
    data = DATASETS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        return metaatt.pool(data["yi"], data["vi"], method=method, **kwargs)


def test_bcg_rank_test():
    # metafor ranktest help page: Kendall's tau = 0.0256, p = 0.9524
    res = metaatt.rank_correlation_test(fit("bcg"))
    assert res.tau == pytest.approx(0.0256, abs=5e-5)
    assert res.pval == pytest.approx(0.9524, abs=5e-5)
    assert res.exact


def test_bcg_trim_and_fill_common_effect():
    # metafor trimfill help page: 4 (SE = 2.3853) missing on the right; -0.2910 (0.0383),
    # z = -7.6057, CI [-0.3660, -0.2160]
    res = metaatt.trim_and_fill(fit("bcg", "EE"))
    assert (res.k0, res.side) == (4, "right")
    assert res.se_k0 == pytest.approx(2.3853, abs=5e-5)
    assert res.estimate == pytest.approx(-0.2910, abs=5e-5)
    assert res.se == pytest.approx(0.0383, abs=5e-5)
    assert res.statistic == pytest.approx(-7.6057, abs=5e-5)
    assert (res.ci_low, res.ci_high) == pytest.approx((-0.3660, -0.2160), abs=5e-5)
    assert list(res.filled.study) == [f"Filled {i}" for i in range(1, 5)]


def test_bcg_trim_and_fill_reml():
    # with REML: 1 study missing (SE = 2.4528)
    res = metaatt.trim_and_fill(fit("bcg"))
    assert res.k0 == 1
    assert res.se_k0 == pytest.approx(2.4528, abs=5e-5)


def test_egger2001_all_trials():
    # reference-cases.md 18: regtest z = -4.6686; ranktest tau 0.15, p 0.4503 (REML)
    res = fit("egger2001")
    assert metaatt.egger_test(res).statistic == pytest.approx(-4.6686, abs=5e-5)
    rank = metaatt.rank_correlation_test(res)
    assert rank.tau == pytest.approx(0.15, abs=5e-5)
    assert rank.pval == pytest.approx(0.4503, abs=5e-5)


def test_egger2001_without_isis4():
    # metafor regtest help page: classic test t = -3.1783, df = 13, p = 0.0073, limit estimate
    # -0.1512 (CI -0.5130 to 0.2106); mixed-effects version z = -2.8062, p = 0.0050
    res = fit("egger2001_no_isis4")
    classic = metaatt.egger_test(res, model="lm")
    assert classic.statistic == pytest.approx(-3.1783, abs=5e-5)
    assert classic.df == 13
    assert classic.pval == pytest.approx(0.0073, abs=5e-5)
    assert classic.estimate == pytest.approx(-0.1512, abs=5e-5)
    assert (classic.ci_low, classic.ci_high) == pytest.approx((-0.5130, 0.2106), abs=5e-5)
    mixed = metaatt.egger_test(res)
    assert mixed.statistic == pytest.approx(-2.8062, abs=5e-5)
    assert mixed.pval == pytest.approx(0.0050, abs=5e-5)
    # PET is the classic test's limit estimate (metafor regtest Note)
    pp = metaatt.pet_peese(res)
    assert pp.pet.estimate == classic.estimate


def test_hackshaw_selection_model():
    # reference-cases.md 19: delta = 1, 2.422079, 0.977543, 0.396713; LRT 7.066137 (df 3);
    # tau^2 0.03071325
    sel = metaatt.selection_model(fit("hackshaw1998"), steps=[0.05, 0.10, 0.50, 1])
    assert sel.delta == pytest.approx([1, 2.422079, 0.977543, 0.396713], abs=5e-6)
    assert sel.lrt == pytest.approx(7.066137, abs=5e-6)
    assert sel.lrt_df == 3
    assert sel.tau2 == pytest.approx(0.03071325, rel=1e-5)
    assert list(sel.k_interval) == [7, 8, 16, 6]


def test_hackshaw_fail_safe_n():
    # Becker (2005) via metafor test_misc_fsn.r: Rosenthal 393, Orwin (target .049) 186
    # unweighted and 104 weighted, Rosenberg 202
    res = fit("hackshaw1998", "EE")
    assert metaatt.fail_safe_n(res).fsnum == 393
    assert metaatt.fail_safe_n(res, "Orwin", target=0.049).fsnum == 186
    assert metaatt.fail_safe_n(res, "Orwin", target=0.049, weighted=True).fsnum == 104
    assert metaatt.fail_safe_n(res, "Rosenberg").fsnum == 202


def test_raudenbush_fail_safe_n():
    # reference-cases.md 4 (Becker 2005): Rosenthal 26, Orwin (target .05, unweighted) 44,
    # Rosenberg 0
    res = fit("raudenbush1985", "EE")
    assert metaatt.fail_safe_n(res).fsnum == 26
    assert metaatt.fail_safe_n(res, "Orwin", target=0.05).fsnum == 44
    assert metaatt.fail_safe_n(res, "Rosenberg").fsnum == 0
