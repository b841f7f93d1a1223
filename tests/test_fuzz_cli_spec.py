"""The command line, analysis specs and sheets with bad input; nothing dropped silently;
the caller's files and tables never written into."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt.cli import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, main
from tests import attachment_rows
from tests.fuzz_helpers import assert_named_error, call

QUIET = "[plots]\nforest = false\nfunnel = false\n"


@pytest.fixture
def folder(tmp_path):
    metaatt.datasets.load_raudenbush1985().to_csv(tmp_path / "teacher.csv", index=False)
    metaatt.datasets.load_bcg().to_csv(tmp_path / "bcg.csv", index=False)
    (tmp_path / "bad.csv").write_text("yi,vi\n0.1,0.01\nabc,0.02\n0.3,-1\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("yi,vi\n")
    (tmp_path / "one.csv").write_text("yi,vi\n0.1,0.01\n")
    (tmp_path / "gap.csv").write_text("yi,vi\n0.1,0.01\n,0.02\n0.3,0.03\n0.2,0.01\n")
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02\xff\xfe")
    pd.DataFrame(attachment_rows.rows()).to_csv(tmp_path / "sheet.csv", index=False)
    return tmp_path


def digests(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


BAD_SPECS = {
    "toml syntax": ('[data\ntable = "teacher.csv"\n', "TOML"),
    "unknown key": ('[data]\ntable = "teacher.csv"\nfoo = 1\n', "foo"),
    "unknown section": ('[data]\ntable = "teacher.csv"\n[foo]\na = 1\n', "foo"),
    "missing file": ('[data]\ntable = "nope.csv"\n', "nope.csv"),
    "no data": ('title = "x"\n', "[data]"),
    "two sources": ('[data]\ndataset = "bcg"\ntable = "teacher.csv"\n', "[data]"),
    "method": ('[data]\ntable = "teacher.csv"\n[models]\nmethods = ["XX"]\n', "methods"),
    "level": ('[data]\ntable = "teacher.csv"\n[models]\nlevel = 95\n', "level"),
    "level text": ('[data]\ntable = "teacher.csv"\n[models]\nlevel = "a"\n', "level"),
    "test": ('[data]\ntable = "teacher.csv"\n[models]\ntest = "q"\n', "test"),
    "text cell": ('[data]\ntable = "bad.csv"\n', "abc"),
    "empty csv": ('[data]\ntable = "empty.csv"\n', "empty.csv"),
    "header only": ('[data]\ntable = "header.csv"\n', "header.csv"),
    "binary csv": ('[data]\ntable = "binary.csv"\n', "binary.csv"),
    "missing yi": ('[data]\ntable = "gap.csv"\n', "yi"),
    "yi column": ('[data]\ntable = "teacher.csv"\n[effect_size]\nyi = "zz"\n', "zz"),
    "measure": (
        '[data]\ntable = "bcg.csv"\n[effect_size]\nmeasure = "XX"\n'
        'columns = {ai = "tpos", bi = "tneg", ci = "cpos", di = "cneg"}\n',
        "measure",
    ),
    "escalc column": (
        '[data]\ntable = "bcg.csv"\n[effect_size]\nmeasure = "RR"\n'
        'columns = {ai = "nope", bi = "tneg", ci = "cpos", di = "cneg"}\n',
        "nope",
    ),
    "escalc argument": (
        '[data]\ntable = "bcg.csv"\n[effect_size]\nmeasure = "RR"\n'
        'columns = {zz = "tpos", bi = "tneg", ci = "cpos", di = "cneg"}\n',
        "zz",
    ),
    "subgroup column": ('[data]\ntable = "teacher.csv"\n[subgroups]\nby = ["nope"]\n', "nope"),
    "moderator": (
        '[data]\ntable = "teacher.csv"\n[meta_regression]\nmoderators = ["nope"]\n',
        "nope",
    ),
    "prior": (
        '[data]\ntable = "teacher.csv"\n[[bayes]]\ntau_prior = {distribution = "x"}\n',
        "tau_prior",
    ),
    "prior scale": (
        '[data]\ntable = "teacher.csv"\n[[bayes]]\ntau_prior = {distribution = "half-normal", scale = -1}\n',
        "scale",
    ),
    "prior nan": (
        '[data]\ntable = "teacher.csv"\n[[bayes]]\ntau_prior = {distribution = "half-normal", scale = nan}\n',
        "scale",
    ),
    "prior type": ('[data]\ntable = "teacher.csv"\n[[bayes]]\ntau_prior = 5\n', "tau_prior"),
    "cluster": ('[data]\ntable = "teacher.csv"\n[dependence]\ncluster = "nope"\n', "nope"),
    "rho": ('[data]\ntable = "teacher.csv"\n[dependence]\ncluster = "setting"\nrho = 2\n', "rho"),
    "formats": ('[data]\ntable = "teacher.csv"\n[plots]\nformats = ["gif"]\n', "gif"),
    "dpi": ('[data]\ntable = "teacher.csv"\n[plots]\ndpi = -5\n', "dpi"),
    "digits": ('[data]\ntable = "teacher.csv"\n[output]\ndigits = "x"\n', "digits"),
    "seed": ('seed = "abc"\n[data]\ntable = "teacher.csv"\n', "seed"),
    "sensitivity": (
        '[data]\ntable = "teacher.csv"\n[sensitivity]\ncorrelation = [2]\n',
        "correlation",
    ),
    "tolerance": ('[data]\ntable = "teacher.csv"\n[lock]\nrtol = -1\n', "rtol"),
    "dataset": ('[data]\ndataset = "nope"\n', "nope"),
    "sheet is a table": ('[data]\nsheet = "teacher.csv"\n', "sheet"),
    "label": ('[data]\ntable = "teacher.csv"\nlabel = "nope"\n', "nope"),
    "k = 1 leave-one-out": (
        '[data]\ntable = "one.csv"\n[sensitivity]\nleave_one_out = true\n',
        "leave_one_out",
    ),
}


@pytest.mark.parametrize("case", BAD_SPECS)
def test_bad_spec_exits_2_naming_the_problem_without_traceback(folder, capsys, case):
    text, named = BAD_SPECS[case]
    (folder / "spec.toml").write_text(text + ("" if "[plots]" in text else QUIET))
    before = digests(folder)
    code = main(["run", str(folder / "spec.toml"), "--output", str(folder / "out")])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE, err
    assert "Traceback" not in err + out
    assert named in err + out
    assert digests(folder) == before  # nothing written into the inputs
    assert not (folder / "out").exists()  # no partial output folder


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["validate", "nope.csv"], EXIT_USAGE),
        (["validate", "empty.csv"], EXIT_USAGE),
        (["validate", "binary.csv"], EXIT_USAGE),
        (["validate", "teacher.csv"], 1),
        (["validate", "sheet.csv"], EXIT_OK),
        (["check", "nope.toml"], EXIT_USAGE),
        (["lock", "nope.toml"], EXIT_USAGE),
    ],
)
def test_cli_commands_on_bad_files(folder, capsys, monkeypatch, argv, code):
    monkeypatch.chdir(folder)
    before = digests(folder)
    assert main(argv) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert code == EXIT_OK or err.strip() or out.strip()
    assert digests(folder) == before


@pytest.mark.parametrize("argv", [["bogus"], ["run"], ["datasets", "--bogus"], ["spec-help", "x"]])
def test_cli_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == EXIT_USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_cli_run_lock_check_leave_the_inputs_unchanged(folder, capsys):
    spec = folder / "spec.toml"
    spec.write_text('[data]\ntable = "gap.csv"\nmissing = "exclude"\n' + QUIET)
    before = digests(folder)
    assert main(["run", str(spec), "--output", str(folder / "out")]) == EXIT_OK
    assert main(["lock", str(spec)]) == EXIT_OK
    assert main(["check", str(spec)]) == EXIT_OK
    after = digests(folder)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == {"spec.lock.json"}
    out, err = capsys.readouterr()
    assert "excluded" in out + err  # the excluded study is announced
    # output on top of an input file is refused, the file untouched
    assert main(["run", str(spec), "--output", str(folder / "gap.csv")]) == EXIT_USAGE
    assert digests(folder)["gap.csv"] == before["gap.csv"]
    assert main(["run", str(spec), "--output", str(folder / "no" / "x")]) in (EXIT_OK, EXIT_USAGE)
    assert EXIT_INTERNAL not in (main(["check", str(spec)]),)


@pytest.mark.parametrize("path", [None, 5, "/nonexistent.toml", b"spec.toml"])
def test_spec_functions_name_bad_paths(path):
    for fn in (metaatt.spec.load, metaatt.spec.read_lock, metaatt.spec.check, metaatt.spec.lock):
        assert_named_error(call(lambda f=fn: f(path)), "spec", "path", "lock", "nonexistent")


@pytest.mark.parametrize(
    "document",
    [
        None,
        5,
        "x",
        {},
        {"data": 5},
        {"data": {"table": 5}},
        {"data": {"dataset": "bcg"}, "seed": -1},
    ],
)
def test_spec_from_dict_names_problems(document):
    outcome = call(lambda: metaatt.spec.from_dict(document))
    assert outcome.error is not None
    assert isinstance(outcome.error, metaatt.spec.SpecError | metaatt.MetaattError)


def test_spec_flatten_frame_needs_a_table():
    assert_named_error(call(lambda: metaatt.spec.flatten_frame("x", "p")), "frame")


SHEET_NOT_SHEETS = {
    "None": None,
    "number": 5,
    "list": [1, 2],
    "dict": {"a": 1},
    "empty table": pd.DataFrame(),
    "missing file": "/nonexistent.csv",
    "folder": "/tmp",
    "list cell": pd.DataFrame({"study": [[1]]}),
}


@pytest.mark.parametrize("bad", SHEET_NOT_SHEETS)
def test_sheet_functions_name_non_sheets(bad):
    value = SHEET_NOT_SHEETS[bad]
    for fn in (
        metaatt.attachment.read_sheet,
        metaatt.attachment.validate_sheet,
        metaatt.attachment.effect_sizes,
        metaatt.attachment.harmonize,
    ):
        outcome = call(lambda f=fn: f(value))
        if outcome.error is None:
            # a table is read as a (possibly empty) sheet; validate_sheet reports problems
            assert isinstance(value, pd.DataFrame) or fn is metaatt.attachment.validate_sheet
            assert (
                not isinstance(outcome.value, pd.DataFrame)
                or outcome.value.empty
                or (outcome.value["yi"].isna().all())
            )
        else:
            assert_named_error(outcome, "sheet", "frame", "source", "column", "instrument")


@pytest.mark.parametrize("column", ["n", "m_pre", "sd_pre", "t", "p", "f", "chi2", "n_ss"])
@pytest.mark.parametrize("value", ["abc", "-5", "nan", "inf", "1e300", "0", ""])
def test_bad_sheet_cells_are_named_or_kept_with_reasons(column, value):
    sheet = pd.DataFrame(attachment_rows.rows())
    sheet[column] = sheet[column].astype(object)
    sheet.loc[sheet[column].notna(), column] = value
    before = sheet.copy(deep=True)
    raised = call(lambda: metaatt.attachment.effect_sizes(sheet))
    kept = call(lambda: metaatt.attachment.effect_sizes(sheet, on_error="keep"))
    pd.testing.assert_frame_equal(sheet, before)  # the caller's sheet is not modified
    if raised.error is not None:
        assert column in str(raised.error) or "cell" in str(raised.error)
    table = kept.value
    missing = table["yi"].isna() | table["vi"].isna()
    reasons = table.loc[missing, "reason"].map(lambda r: isinstance(r, str) and bool(r.strip()))
    assert reasons.all(), table.loc[missing]
    assert np.isfinite(table.loc[~missing, ["yi", "vi"]].to_numpy(dtype=float)).all()


def test_sheet_file_is_only_read(folder):
    path = folder / "sheet.csv"
    before = digests(folder)
    metaatt.attachment.read_sheet(path)
    metaatt.attachment.validate_sheet(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        metaatt.attachment.effect_sizes(path)
    assert digests(folder) == before
    assert_named_error(call(lambda: metaatt.attachment.read_sheet(folder / "empty.csv")), "sheet")
    registry = metaatt.attachment.InstrumentRegistry
    assert_named_error(call(lambda: registry.from_csv(folder / "empty.csv")), "path")
    assert_named_error(call(lambda: registry.from_csv(folder / "none.csv")), "path")


YI = [0.1, np.nan, 0.3, 0.2, 0.5, 0.4, 0.1, 0.3]
VI = [0.01, 0.02, np.nan, 0.01, 0.02, 0.03, 0.01, 0.02]
TABLE = pd.DataFrame(
    {
        "yi": YI,
        "vi": VI,
        "x": [1, 2, 3, np.nan, 5, 6, 7, 8],
        "g": ["a", "a", "b", None, "b", "a", "b", "a"],
        "s": [1, 1, 2, 2, None, 3, 3, 4],
        "study": list("ABCDEFGH"),
    },
    index=[11, 12, 13, 14, 15, 16, 17, 18],
)
EXCLUDING = {
    "pool": (lambda d: metaatt.pool("yi", "vi", data=d, missing="exclude"), {"B", "C"}),
    "meta_regression": (
        lambda d: metaatt.meta_regression("yi", "vi", mods="x", data=d, missing="exclude"),
        {"B", "C", "D"},
    ),
    "meta_regression formula": (
        lambda d: metaatt.meta_regression("yi", "vi", mods="~ x + g", data=d, missing="exclude"),
        {"B", "C", "D"},
    ),
    "subgroup_analysis": (
        lambda d: metaatt.subgroup_analysis("yi", "vi", groups="g", data=d, missing="exclude"),
        {"B", "C", "D"},
    ),
    "multilevel": (
        lambda d: metaatt.multilevel("yi", "vi", study="s", data=d, missing="exclude"),
        {"B", "C", "E"},
    ),
    "multilevel with mods": (
        lambda d: metaatt.multilevel("yi", "vi", study="s", mods="x", data=d, missing="exclude"),
        {"B", "C", "D", "E"},
    ),
    "bayes.pool": (lambda d: metaatt.bayes.pool("yi", "vi", data=d, missing="exclude"), {"B", "C"}),
    "robust": (
        lambda d: metaatt.robust(
            metaatt.pool("yi", "vi", data=d, missing="exclude"), cluster=[1, 1, 2, 2, 3, 3, 4, 4]
        ),
        {"B", "C"},
    ),
}


@pytest.mark.parametrize("model", EXCLUDING)
def test_every_excluded_row_is_listed_with_a_reason(model):
    fn, expected = EXCLUDING[model]
    table = TABLE.copy(deep=True)
    outcome = call(lambda: fn(table))
    assert metaatt.StudyExcludedWarning in outcome.metaatt_warnings
    result = outcome.value
    assert set(result.excluded["study"]) == expected
    assert result.k + len(result.excluded) == len(TABLE)
    assert result.excluded["reason"].map(lambda r: isinstance(r, str) and len(r) > 3).all()
    pd.testing.assert_frame_equal(table, TABLE)  # the caller's table is unchanged


def test_aggregate_and_batch_list_their_exclusions():
    table = TABLE.copy(deep=True)
    with pytest.warns(metaatt.StudyExcludedWarning):
        aggregated = metaatt.aggregate(
            "yi", "vi", cluster="s", rho=0.5, data=table, missing="exclude"
        )
    assert set(aggregated.attrs["excluded"]["study"]) == {"B", "C", "E"}
    batch = metaatt.pool_batch(table.assign(grp=list("aaaabbbb")), by="grp", missing="exclude")
    assert len(batch.attrs["excluded"]) == 2
    assert set(batch.attrs["excluded"]["reason"]) == {"yi missing", "vi missing"}
    pd.testing.assert_frame_equal(table, TABLE)


def test_escalc_reasons_reach_the_model():
    effects = metaatt.escalc(
        "OR",
        ai=[0, 5, 3, 1],
        bi=[10, 10, 10, 10],
        ci=[0, 3, 2, 1],
        di=[10, 10, 10, 10],
        drop00=True,
    )
    before = effects.copy(deep=True)
    outcome = call(lambda: metaatt.pool(effects))
    assert metaatt.StudyExcludedWarning in outcome.metaatt_warnings
    result = outcome.value
    assert result.k == 3 and "drop00" in result.excluded["reason"].iloc[0]
    pd.testing.assert_frame_equal(effects, before)


def test_input_tables_are_never_modified():
    table = pd.DataFrame(
        {
            "yi": [0.1, 0.3, -0.2, 0.5, 0.25],
            "vi": [0.01, 0.02, 0.03, 0.015, 0.04],
            "x": [1.0, 2, 3, 4, 5],
            "g": list("aabbb"),
            "s": [1, 1, 2, 2, 3],
            "ai": [5, 10, 3, 8, 4],
            "bi": [15, 20, 22, 12, 10],
            "ci": [8, 12, 6, 9, 5],
            "di": [12, 18, 19, 11, 10],
        },
        index=list("vwxyz"),
    )
    table.attrs["measure"] = "SMD"
    before = table.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        metaatt.escalc("OR", data=table, ai="ai", bi="bi", ci="ci", di="di")
        metaatt.pool("yi", "vi", data=table)
        metaatt.pool(table)
        metaatt.meta_regression("yi", "vi", mods="x", data=table)
        metaatt.subgroup_analysis("yi", "vi", groups="g", data=table)
        metaatt.multilevel("yi", "vi", study="s", data=table)
        metaatt.aggregate("yi", "vi", cluster="s", rho=0.5, data=table)
        metaatt.pool_batch(table, by="g")
        metaatt.mantel_haenszel("ai", "bi", "ci", "di", data=table)
        metaatt.with_provenance(table, study="s")
        metaatt.extract.from_t_paired("x", "s", data=table.assign(s=[20] * 5))
    pd.testing.assert_frame_equal(table, before)
    assert table.attrs == before.attrs
    sheet = pd.DataFrame(attachment_rows.rows())
    sheet_before = sheet.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        metaatt.attachment.read_sheet(sheet)
        metaatt.attachment.validate_sheet(sheet)
        effects = metaatt.attachment.effect_sizes(sheet)
        raw = effects.drop(columns=["direction"], errors="ignore")
        raw_before = raw.copy(deep=True)
        metaatt.attachment.harmonize(raw)
    pd.testing.assert_frame_equal(sheet, sheet_before)
    pd.testing.assert_frame_equal(raw, raw_before)
