"""The metaatt command: exit codes, messages, and no traceback for a user error."""

import json
import subprocess
import sys

import pytest

from metaatt import MetaattError, datasets
from metaatt.cli import EXIT_DRIFT, EXIT_OK, EXIT_USAGE, main

SPEC = """
title = "Teacher expectancy"
[data]
table = "teacher.csv"
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


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_run_writes_outputs_and_summarises(spec_path, tmp_path, capsys):
    code, out, err = run(capsys, "run", spec_path, "--output", tmp_path / "out")
    assert code == EXIT_OK
    assert "Teacher expectancy: REML estimate 0.0837 [-0.0175, 0.1849], k = 19" in out
    assert "wrote" in out and err == ""
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert document["title"] == "Teacher expectancy"
    code, out, _ = run(capsys, "run", spec_path, "-o", tmp_path / "out", "--quiet")
    assert code == EXIT_OK and out == ""


def test_lock_and_check(spec_path, capsys):
    code, out, _ = run(capsys, "lock", spec_path)
    assert code == EXIT_OK and "locked" in out and "analysis.lock.json" in out
    code, out, _ = run(capsys, "check", spec_path)
    assert code == EXIT_OK and out.startswith("OK: ")
    frame = datasets.load_raudenbush1985()
    frame.loc[3, "vi"] = 0.5
    frame.to_csv(spec_path.with_name("teacher.csv"), index=False)
    code, out, err = run(capsys, "check", spec_path)
    assert code == EXIT_DRIFT
    assert (
        "FAILED" in err and "effects[Pellegrini & Hicks 1972 #1].vi: locked 0.1391, now 0.5" in err
    )
    assert "pooled.REML.estimate" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "missing.toml", "-o", "x"], "does not exist"),
        (["check", "missing.toml"], "does not exist"),
        (["lock", "missing.toml"], "does not exist"),
    ],
)
def test_missing_files_are_user_errors(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE and message in err


def test_bad_spec_lists_every_problem(spec_path, tmp_path, capsys):
    spec_path.write_text(SPEC + "[models]\nmethds = ['REML']\ntest = 3\n")
    code, _, err = run(capsys, "run", spec_path, "-o", tmp_path / "out")
    assert code == EXIT_USAGE
    assert "2 problems in the analysis spec" in err
    assert "did you mean 'methods'?" in err and "[models] test: expected a string" in err
    assert not (tmp_path / "out").exists()


def test_unwritable_output_is_a_user_error(spec_path, tmp_path, capsys):
    code, _, err = run(capsys, "run", spec_path, "-o", tmp_path / "teacher.csv" / "out")
    assert code == EXIT_USAGE and "is a file, not a folder" in err
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.docx").write_text("x")
    code, _, err = run(capsys, "run", spec_path, "-o", foreign)
    assert code == EXIT_USAGE and "not an earlier metaatt output" in err
    code, _, err = run(capsys, "run", spec_path, "-o", tmp_path)
    assert code == EXIT_USAGE and "contains the input file" in err


def test_check_without_lock(spec_path, capsys):
    code, _, err = run(capsys, "check", spec_path)
    assert code == EXIT_USAGE and "run `metaatt lock`" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main([])
    assert excinfo.value.code == EXIT_USAGE
    with pytest.raises(SystemExit) as excinfo:
        main(["run", "spec.toml"])  # --output is required
    assert excinfo.value.code == EXIT_USAGE
    assert "--output" in capsys.readouterr().err


def test_datasets_and_spec_help(capsys):
    code, out, _ = run(capsys, "datasets", "--sources")
    assert code == EXIT_OK and "raudenbush1985" in out and "Colditz" in out
    code, out, _ = run(capsys, "spec-help")
    assert code == EXIT_OK and "[models]" in out and "[[bayes]]" in out and "methods" in out


def test_python_dash_m_entry_point(spec_path, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "metaatt", "run", str(spec_path), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert (tmp_path / "o" / "appendix.html").exists()
    done = subprocess.run(
        [sys.executable, "-m", "metaatt", "check", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_USAGE and "Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "metaatt", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == EXIT_OK and done.stdout.startswith("metaatt ")


SHEET = "data/attachment/SYNTHETIC_demo_sheet.csv"


def test_validate_the_demo_sheet(capsys):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code, out, _ = run(capsys, "validate", root / SHEET)
    assert code == EXIT_OK
    assert "16 rows, 0 errors" in out and "no problems found" in out


def test_validate_reports_every_bad_cell(tmp_path, capsys):
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[1]
    sheet = pd.read_csv(root / SHEET, dtype=str, keep_default_na=False)
    sheet.loc[5, "sd_pre"] = "-1.2"  # row 6: negative SD
    sheet.loc[3, "pct_secure_post"] = "120"  # row 4: impossible percentage
    sheet.loc[0, "format"] = "paired_tabel"  # row 1: unknown format
    sheet.loc[8, "n"] = "many"  # row 9: not a number
    path = tmp_path / "bad.csv"
    sheet.to_csv(path, index=False)
    before = path.read_bytes()
    code, _, err = run(capsys, "validate", path)
    assert code == EXIT_DRIFT
    assert "row 6 (line 7, study 'Synthetic 06'), column 'sd_pre'" in err
    assert "row 4 (line 5, study 'Synthetic 04'), column 'pct_secure_post'" in err
    assert "row 1 (line 2, study 'Synthetic 01'), column 'format'" in err
    assert "row 9 (line 10, study 'Synthetic 09'), column 'n'" in err
    assert path.read_bytes() == before  # the user's file is never written
    code, _, err = run(capsys, "validate", tmp_path / "none.csv")
    assert code == EXIT_USAGE and "does not exist" in err
    code, _, err = run(capsys, "validate", tmp_path)
    assert code == EXIT_USAGE and "is a folder" in err


def test_run_refuses_a_sheet_with_bad_cells(tmp_path, capsys):
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[1]
    sheet = pd.read_csv(root / SHEET, dtype=str, keep_default_na=False)
    sheet.loc[6, "sd_pre"] = "-1.5"
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    (tmp_path / "a.toml").write_text('[data]\nsheet = "sheet.csv"\n[effect_size]\nmetric = "d_z"\n')
    code, _, err = run(capsys, "run", tmp_path / "a.toml", "-o", tmp_path / "out")
    assert code == EXIT_USAGE
    assert "sheet.csv has 1 invalid cell(s); run `metaatt validate" in err
    assert "row 7 (line 8, study 'Synthetic 07'), column 'sd_pre'" in err
    assert not (tmp_path / "out").exists()


def test_malformed_inputs_are_named_without_traceback(tmp_path, capsys):
    import pandas as pd

    (tmp_path / "binary.csv").write_bytes(b"\x00\xff\xfe not a csv \x00")
    (tmp_path / "empty.csv").write_text("")
    pd.DataFrame({"study": ["a", "b", "c"], "yi": [0.1, "x", 0.3], "vi": [0.1, 0.2, "?"]}).to_csv(
        tmp_path / "cells.csv", index=False
    )
    cases = {
        "empty.toml": ("", "give exactly one of sheet, table or dataset (none given)"),
        "binary.toml": ('[data]\ntable = "binary.csv"\n', "cannot read"),
        "nodata.toml": ('[data]\ntable = "empty.csv"\n', "No columns to parse"),
        "cells.toml": (
            '[data]\ntable = "cells.csv"\n',
            "row 2 (line 3), column 'yi': 'x' is not a number",
        ),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        code, _, err = run(capsys, "run", tmp_path / name, "-o", tmp_path / "out")
        assert code == EXIT_USAGE, name
        assert message in err, (name, err)
    assert "row 3 (line 4), column 'vi': '?' is not a number" in err
    code, _, err = run(capsys, "validate", tmp_path / "binary.csv")
    assert code == EXIT_USAGE and "not a readable CSV file" in err
    assert not (tmp_path / "out").exists()


def test_missing_effect_sizes_can_be_excluded_with_a_reason(tmp_path):
    import pandas as pd

    from metaatt import spec as ms

    pd.DataFrame({"study": ["a", "b", "c"], "yi": [0.1, None, 0.3], "vi": [0.1, 0.2, 0.1]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    path = tmp_path / "a.toml"
    path.write_text('[data]\ntable = "t.csv"\n[plots]\nforest = false\nfunnel = false\n')
    with pytest.raises(MetaattError, match="row 2 \\(study 'b'\\) is missing"):
        ms.run(path)
    path.write_text(path.read_text().replace('"t.csv"', '"t.csv"\nmissing = "exclude"'))
    results = ms.run(path)
    assert results.primary.k == 2
    assert list(results.primary.excluded.study) == ["b"]
    assert "missing = 'exclude'" in results.primary.excluded.reason.iloc[0]
    assert any("StudyExcludedWarning" in w for w in results.warnings)
