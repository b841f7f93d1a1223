"""Analysis specs: loading, defaults and validation messages (every problem, named)."""

import dataclasses

import pytest

from metaatt import datasets
from metaatt import spec as ms


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "teacher.csv"
    datasets.load_raudenbush1985().to_csv(path, index=False)
    return path


def write(tmp_path, text, name="analysis.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(excinfo):
    return "\n".join(excinfo.value.problems)


def test_minimal_spec_gets_documented_defaults(tmp_path, table):
    spec = ms.load(write(tmp_path, '[data]\ntable = "teacher.csv"\n'))
    assert spec.data.table == table.resolve()
    assert spec.models.methods == ("REML",)
    assert spec.models.test == "z"
    assert spec.models.level == 0.95
    assert spec.bayes == ()
    assert spec.title == "analysis"
    assert spec.lock_path() == (tmp_path / "analysis.lock.json").resolve()
    assert spec.output.tables == ("csv", "md", "tex")
    assert spec.plots.formats == ("png", "svg", "pdf")
    for section, keys in ms.SCHEMA.items():
        if section and section != "bayes":
            assert set(spec.sections[section]) == set(keys)


def test_spec_is_frozen(tmp_path, table):
    spec = ms.load(write(tmp_path, '[data]\ntable = "teacher.csv"\n'))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.path = None
    with pytest.raises(TypeError):
        spec.models._values["test"] = "t"


def test_full_spec_round_trips_to_dict(tmp_path, table):
    text = """
title = "Teacher expectancy"
seed = 7
[data]
table = "teacher.csv"
label = "author"
[models]
methods = ["REML", "DL"]
test = "knha"
level = 0.9
[[bayes]]
name = "weak"
tau_prior = {distribution = "half-normal", scale = 0.5}
mu_prior = {distribution = "normal", mean = 0, sd = 1}
[[bayes]]
name = "cauchy"
tau_prior = {distribution = "half-cauchy", scale = 0.3}
[subgroups]
by = "tester"
[lock]
rtol = 1e-5
tolerances = {"bayes.*" = 1e-4, "pooled.DL.*" = {atol = 1e-8}}
"""
    spec = ms.load(write(tmp_path, text))
    assert spec.title == "Teacher expectancy" and spec.seed == 7
    assert [b.name for b in spec.bayes] == ["weak", "cauchy"]
    assert dict(spec.bayes[0].tau_prior) == {"distribution": "half-normal", "scale": 0.5}
    assert spec.subgroups.by == ("tester",)
    assert dict(spec.lock.tolerances["bayes.*"]) == {"rtol": 1e-4}
    plain = spec.to_dict()
    assert plain["models"]["methods"] == ["REML", "DL"]
    assert plain["bayes"][1]["tau_prior"]["scale"] == 0.3
    again = ms.from_dict({k: v for k, v in plain.items() if v is not None}, root=tmp_path)
    assert again.models.methods == spec.models.methods


def test_unknown_keys_and_sections_get_suggestions(tmp_path, table):
    text = """
titel = "x"
[data]
table = "teacher.csv"
[model]
method = "REML"
[models]
methds = ["REML"]
[bias]
eger = true
"""
    with pytest.raises(ms.SpecError) as excinfo:
        ms.load(write(tmp_path, text))
    text = problems(excinfo)
    assert "unknown section or key 'titel'; did you mean 'title'?" in text
    assert "unknown section or key 'model'; did you mean 'models'?" in text
    assert "unknown key 'methds' in [models]; did you mean 'methods'?" in text
    assert "unknown key 'eger' in [bias]; did you mean 'egger'?" in text
    assert len(excinfo.value.problems) == 4
    assert str(excinfo.value).startswith(str((tmp_path / "analysis.toml").resolve()))


def test_wrong_types_and_ranges_are_named(tmp_path, table):
    text = """
seed = "one"
[data]
table = "teacher.csv"
[models]
methods = 3
level = 95
[effect_size]
correlation = 1.5
[plots]
forest = "yes"
formats = ["png", "jpg"]
[output]
tables = ["csv", "markdown"]
"""
    with pytest.raises(ms.SpecError) as excinfo:
        ms.load(write(tmp_path, text))
    text = problems(excinfo)
    assert "top level seed: expected an integer, got a string ('one')" in text
    assert "[models] methods: expected a string or a list of strings, got an integer (3)" in text
    assert "[models] level: must lie strictly between 0 and 1 (e.g. 0.95), got 95" in text
    assert "[effect_size] correlation: a correlation must lie strictly between -1 and 1" in text
    assert "[plots] forest: expected true or false, got a string ('yes')" in text
    assert "[plots] formats: unknown value 'jpg'" in text
    assert "[output] tables: unknown value 'markdown'" in text


def test_missing_file_and_data_source_rules(tmp_path):
    with pytest.raises(ms.SpecError) as excinfo:
        ms.load(write(tmp_path, '[data]\ntable = "nope.csv"\n'))
    assert "[data] table: the file 'nope.csv' does not exist" in problems(excinfo)
    with pytest.raises(ms.SpecError, match="give exactly one of sheet, table or dataset"):
        ms.load(write(tmp_path, "[models]\nmethods = ['REML']\n"))
    with pytest.raises(ms.SpecError, match="did you mean 'bcg'"):
        ms.load(write(tmp_path, '[data]\ndataset = "bgc"\n'))
    with pytest.raises(ms.SpecError, match="got a directory"):
        ms.load(tmp_path)
    with pytest.raises(ms.SpecError, match="does not exist"):
        ms.load(tmp_path / "missing.toml")


def test_methods_tests_and_priors_are_checked(tmp_path, table):
    text = """
[data]
table = "teacher.csv"
[models]
methods = ["RMEL", "DL", "DL"]
test = "knhaa"
[[bayes]]
tau_prior = {distribution = "half-normall", scale = 1}
[[bayes]]
tau_prior = {distribution = "uniform", low = 1, high = 0, scael = 2}
[[bayes]]
mu_prior = {distribution = "normal", mean = 0, sd = -1}
"""
    with pytest.raises(ms.SpecError) as excinfo:
        ms.load(write(tmp_path, text))
    text = problems(excinfo)
    assert "distribution must be one of" in text and "did you mean 'half-normal'" in text
    assert "unknown uniform parameter 'scael'" in text
    assert "low must be below high" in text
    assert "sd must be > 0, got -1" in text


def test_cross_checks_after_types_pass(tmp_path, table):
    text = """
[data]
table = "teacher.csv"
[models]
methods = ["RMEL", "DL", "DL"]
test = "knhaa"
[[bayes]]
name = "a"
[sensitivity]
correlation = [0.3, 0.7]
"""
    with pytest.raises(ms.SpecError) as excinfo:
        ms.load(write(tmp_path, text))
    text = problems(excinfo)
    assert "unknown method 'RMEL'" in text and "did you mean 'REML'" in text
    assert "a method is listed twice" in text
    assert "[models] test: unknown value 'knhaa'" in text
    assert "[bayes a]: tau_prior is required" in text
    assert "[sensitivity] correlation: varying the assumed correlation needs" in text


def test_sheet_only_keys_are_refused_for_tables(tmp_path, table):
    text = '[data]\ntable = "teacher.csv"\n[effect_size]\nmetric = "d_z"\n'
    with pytest.raises(ms.SpecError, match=r"\[effect_size\] metric: applies to extraction sheets"):
        ms.load(write(tmp_path, text))


def test_invalid_toml_reports_the_line(tmp_path):
    with pytest.raises(ms.SpecError, match=r"invalid TOML: .*line 2"):
        ms.load(write(tmp_path, '[data]\ntable = "x.csv\n'))


def test_from_dict_validates_too(tmp_path):
    with pytest.raises(ms.SpecError, match="unknown section or key 'dat'"):
        ms.from_dict({"dat": {}}, root=tmp_path)
    spec = ms.from_dict({"data": {"dataset": "bcg"}})
    assert spec.path is None and spec.data.dataset == "bcg"
    with pytest.raises(ms.SpecError, match="expected a dict"):
        ms.from_dict(["data"])
