"""CI guard: the bundled attachment analysis reproduces its locked numbers (SYNTHETIC data).

If this fails after a deliberate change to the code or the data, inspect the drift it
names, then re-lock: ``metaatt lock data/attachment/analysis.toml``.
"""

import json
import shutil
from pathlib import Path

import pytest

from metaatt import spec as ms
from metaatt.cli import EXIT_DRIFT, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "data" / "attachment" / "analysis.toml"


def test_metaatt_check_passes_on_the_bundled_analysis(capsys):
    code = main(["check", str(SPEC)])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "SYNTHETIC" in out and "reproduced within tolerance" in out


def test_the_lock_file_covers_every_analysis_and_says_synthetic():
    document = json.loads(SPEC.with_name("analysis.lock.json").read_text())
    assert document["synthetic"] is True and document["note"].startswith("SYNTHETIC")
    names = document["numbers"]
    for prefix in (
        "effects[Synthetic 01].yi",
        "pooled.REML.estimate",
        "pooled.DL.tau2",
        "pooled.PM.estimate",
        "bayes.half-normal[mu].mean",
        "bayes.half-cauchy[tau].median",
        "subgroups.therapy[TFP].estimate",
        "subgroups.therapy.q_between",
        "meta_regression.coef[sessions].estimate",
        "bias.egger.pval",
        "bias.rank_correlation.tau",
        "bias.trim_and_fill.k0",
        "sensitivity.leave_one_out[Synthetic 05].estimate",
        "sensitivity.influence[Synthetic 05].cooks_d",
        "sensitivity.correlation[r=0.7].estimate",
        "sensitivity.phi[phi=0.2].estimate",
    ):
        assert prefix in names, prefix
    # rows on other scales (d_z, d_ppc) are never pooled with d_raw_change
    assert "effects[Synthetic 13].yi" not in names
    assert document["inputs"]["sheet"]["file"] == "SYNTHETIC_demo_sheet.csv"


@pytest.mark.slow
def test_a_changed_number_in_the_sheet_fails_the_check(tmp_path, capsys):
    folder = tmp_path / "attachment"
    shutil.copytree(SPEC.parent, folder)
    sheet = folder / "SYNTHETIC_demo_sheet.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    assert lines[6].startswith("Synthetic 06,")
    lines[6] = lines[6].replace(",2.86,1.26,3.94,", ",2.86,1.26,3.99,")  # m_post 3.94 -> 3.99
    sheet.write_text("".join(lines))
    code = main(["check", str(folder / "analysis.toml")])
    _, err = capsys.readouterr()
    assert code == EXIT_DRIFT
    assert "drifted  effects[Synthetic 06].yi" in err
    assert "pooled.REML.estimate" in err
    assert "input files changed since locking: SYNTHETIC_demo_sheet.csv" in err
    with pytest.raises(AssertionError, match=r"effects\[Synthetic 06\]\.yi"):
        ms.assert_locked(folder / "analysis.toml")
