"""Lock files: metaatt lock writes every number; check names each one that drifted."""

import json
import math

import pytest

import metaatt
from metaatt import datasets
from metaatt import spec as ms

SPEC = """
title = "Teacher expectancy"
[data]
table = "teacher.csv"
[models]
methods = ["REML", "DL"]
[plots]
forest = false
funnel = false
"""


@pytest.fixture
def spec_path(tmp_path):
    datasets.load_raudenbush1985().to_csv(tmp_path / "teacher.csv", index=False)
    path = tmp_path / "analysis.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_lock_then_check_passes(spec_path):
    path = ms.lock(spec_path)
    assert path == spec_path.with_name("analysis.lock.json").resolve()
    document = json.loads(path.read_text())
    assert document["metaatt_lock"] == 1 and document["spec"] == "analysis.toml"
    assert document["numbers"]["pooled.REML.estimate"] == pytest.approx(0.0837, abs=5e-5)
    assert document["numbers"]["pooled.REML.df"] == "Infinity"
    assert document["inputs"]["table"]["file"] == "teacher.csv"
    assert document["tolerance"]["rtol"] == 1e-6
    report = ms.check(spec_path)
    assert report.ok and report.checked == len(document["numbers"])
    assert not report.drifted and not report.missing and not report.added
    assert report.summary().startswith("OK: ")
    assert ms.assert_locked(spec_path).ok


def test_changed_data_names_every_drifted_number(spec_path):
    ms.lock(spec_path)
    table = spec_path.with_name("teacher.csv")
    frame = datasets.load_raudenbush1985()
    frame.loc[0, "yi"] = 0.5  # Rosenthal et al. 1974: 0.03 -> 0.5
    frame.to_csv(table, index=False)
    report = ms.check(spec_path)
    assert not report.ok
    names = {d.name for d in report.drifted}
    assert "effects[Rosenthal et al. 1974].yi" in names
    assert "pooled.REML.estimate" in names and "pooled.DL.tau2" in names
    assert "effects[Conn et al. 1968].yi" not in names
    assert report.changed_inputs == ("teacher.csv",)
    text = report.summary()
    assert text.startswith("FAILED: ")
    assert "effects[Rosenthal et al. 1974].yi: locked 0.03, now 0.5" in text
    with pytest.raises(AssertionError, match=r"pooled\.REML\.estimate"):
        ms.assert_locked(spec_path)


def test_tolerances_and_patterns(spec_path):
    ms.lock(spec_path)
    lock = spec_path.with_name("analysis.lock.json")
    document = json.loads(lock.read_text())
    value = document["numbers"]["pooled.REML.estimate"]
    document["numbers"]["pooled.REML.estimate"] = value * (1 + 1e-8)  # within rtol 1e-6
    document["numbers"]["pooled.DL.estimate"] *= 1.01
    lock.write_text(json.dumps(document))
    report = ms.check(spec_path)
    assert [d.name for d in report.drifted] == ["pooled.DL.estimate"]
    drift = report.drifted[0]
    assert drift.rtol == 1e-6 and drift.rel_diff > 1e-3
    # a looser pattern for the DL model lets it pass
    spec_path.write_text(SPEC + '[lock]\ntolerances = {"pooled.DL.*" = 0.05}\n')
    assert ms.check(spec_path).ok


def test_missing_and_new_numbers(spec_path):
    ms.lock(spec_path)
    lock = spec_path.with_name("analysis.lock.json")
    document = json.loads(lock.read_text())
    document["numbers"]["pooled.PM.estimate"] = 0.1
    del document["numbers"]["pooled.DL.q"]
    lock.write_text(json.dumps(document))
    report = ms.check(spec_path)
    assert report.missing == ("pooled.PM.estimate",)
    assert report.added == ("pooled.DL.q",)
    assert not report.ok
    assert "pooled.PM.estimate: locked but no longer produced" in report.summary()


def test_nan_equals_nan_and_infinity_is_exact():
    from metaatt.spec._lockfile import _close

    assert _close(math.nan, math.nan, 1e-6, 0)
    assert not _close(math.nan, 1.0, 1e-6, 0)
    assert _close(math.inf, math.inf, 1e-6, 0)
    assert not _close(math.inf, 1e308, 1e-6, 0)
    assert _close(0.0, 1e-10, 0.0, 1e-9)


def test_check_without_a_lock_file_says_what_to_do(spec_path):
    with pytest.raises(metaatt.MetaattError, match="run `metaatt lock` on the spec first"):
        ms.check(spec_path)
    spec_path.with_name("analysis.lock.json").write_text("{not json")
    with pytest.raises(metaatt.MetaattError, match="cannot read the lock file"):
        ms.check(spec_path)
    spec_path.with_name("analysis.lock.json").write_text('{"numbers": {"a": "many"}}')
    with pytest.raises(metaatt.MetaattError, match="locked value of 'a' is not a number"):
        ms.check(spec_path)


def test_lock_needs_a_spec_file():
    spec = ms.from_dict({"data": {"dataset": "bcg"}})
    with pytest.raises(metaatt.MetaattError, match="has no file to lock next to"):
        ms.lock(spec)
