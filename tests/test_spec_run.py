"""Running specs end to end on real data (Raudenbush 1985) and writing outputs atomically."""

import json
import math

import numpy as np
import pytest

import metaatt
from metaatt import datasets
from metaatt import spec as ms
from metaatt.spec._outputs import MARKER

SPEC = """
title = "Teacher expectancy and IQ"
[data]
table = "teacher.csv"
[models]
methods = ["REML", "DL", "EE"]
test = "hksj"
[sensitivity]
methods = true
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


def test_run_reproduces_pool_exactly(spec_path):
    results = ms.run(spec_path)
    dat = datasets.load_raudenbush1985()
    direct = metaatt.pool(dat.yi, dat.vi, method="REML", test="hksj")
    assert results.primary.estimate == direct.estimate
    assert results.primary.se == direct.se
    assert results.primary.tau2 == direct.tau2
    # Raudenbush (2009) Table 16.3, REML with knha: se 0.0616, CI [-0.0457, 0.2131]
    assert results.primary.se == pytest.approx(0.0616, abs=5e-5)
    assert results.primary.ci_low == pytest.approx(-0.0457, abs=5e-5)
    assert set(results.pooled) == {"REML", "DL", "EE"}
    assert results.pooled["DL"].estimate == pytest.approx(0.0893, abs=5e-5)
    assert results["sensitivity.methods"] is None
    assert results.synthetic is False
    assert not results.warnings


def test_results_name_every_number(spec_path):
    results = ms.run(spec_path)
    numbers = results.numbers
    assert numbers["pooled.REML.estimate"] == results.primary.estimate
    assert numbers["pooled.DL.tau2"] == results.pooled["DL"].tau2
    assert numbers["effects[Rosenthal et al. 1974].yi"] == 0.03
    assert numbers["pooled.REML.weights[Rosenthal et al. 1974]"] > 0
    assert all(isinstance(v, float) for v in numbers.values())
    with pytest.raises(TypeError):
        numbers["pooled.REML.estimate"] = 0.0
    with pytest.raises(KeyError, match=r"no step 'bayes\.x'"):
        results["bayes.x"]


def test_tables_and_summary(spec_path):
    results = ms.run(spec_path)
    tables = results.tables()
    assert list(tables) == ["effects", "pooled", "sensitivity_methods"]
    assert list(tables["pooled"].method) == ["REML", "DL", "EE"]
    assert tables["effects"].study.iloc[0] == "Rosenthal et al. 1974"
    text = results.summary()
    assert "Random-Effects Model (k = 19; tau^2 estimator: REML)" in text
    assert "SYNTHETIC" not in text
    assert "<table" in results._repr_html_()
    assert "k=19" in repr(results)


def test_write_outputs(spec_path, tmp_path):
    out = tmp_path / "results"
    ms.run(spec_path, output=out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert MARKER in files and "results.json" in files
    for name in ("effects", "pooled", "sensitivity_methods"):
        for fmt in ("csv", "md", "tex"):
            assert f"tables/{name}.{fmt}" in files
    assert "appendix.html" in files and "appendix.md" in files
    assert "inputs/analysis.toml" in files and "inputs/teacher.csv" in files
    document = json.loads((out / "results.json").read_text())
    assert document["numbers"]["pooled.REML.estimate"] == pytest.approx(0.0837, abs=5e-5)
    assert document["synthetic"] is False
    assert document["inputs"]["table"]["sha256"]
    assert document["environment"]["numpy"]
    assert document["tables"]["pooled"][0]["method"] == "REML"
    appendix = (out / "appendix.md").read_text()
    assert "## Methods" in appendix and "restricted maximum likelihood" in appendix
    assert "metaatt check analysis.toml" in appendix
    html = (out / "appendix.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "Hartung-Knapp" in html
    # no temporary folders are left next to the output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis.toml", "results", "teacher.csv"]


def test_non_finite_numbers_are_encoded_in_json(tmp_path):
    spec = ms.from_dict(
        {"data": {"dataset": "raudenbush1985"}, "plots": {"forest": False, "funnel": False}}
    )
    results = ms.run(spec)
    assert math.isinf(results.numbers["pooled.REML.df"])  # z test: infinite df
    text = json.dumps(results.to_dict(), allow_nan=False)  # strict JSON, no bare Infinity
    assert json.loads(text)["numbers"]["pooled.REML.df"] == "Infinity"


def test_rerun_replaces_an_earlier_output(spec_path, tmp_path):
    out = tmp_path / "results"
    ms.run(spec_path, output=out)
    (out / "stale.txt").write_text("from an earlier run")
    ms.run(spec_path, output=out)
    assert not (out / "stale.txt").exists()
    assert (out / "results.json").exists()


def test_refuses_a_folder_with_foreign_files(spec_path, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(metaatt.MetaattError, match="is not an earlier metaatt output"):
        ms.run(spec_path, output=out)
    assert (out / "thesis.docx").read_text() == "precious"


def test_refuses_to_write_over_inputs(spec_path, tmp_path):
    with pytest.raises(metaatt.MetaattError, match="contains the input file"):
        ms.run(spec_path, output=tmp_path)
    with pytest.raises(metaatt.MetaattError, match="is a file, not a folder"):
        ms.run(spec_path, output=tmp_path / "teacher.csv")
    with pytest.raises(metaatt.MetaattError, match="is a file, not a folder"):
        ms.run(spec_path, output=tmp_path / "teacher.csv" / "sub")
    assert (tmp_path / "teacher.csv").read_text().startswith("study,")


def test_an_empty_folder_is_used(spec_path, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    ms.run(spec_path, output=out)
    assert (out / "results.json").exists()


def test_failure_while_writing_leaves_no_partial_output(spec_path, tmp_path, monkeypatch):
    out = tmp_path / "results"
    ms.run(spec_path, output=out)
    before = (out / "results.json").read_text()

    def broken(*args, **kwargs):
        raise metaatt.MetaattError("[plots]: simulated failure")

    monkeypatch.setattr("metaatt.report.make_figures", broken)
    with pytest.raises(metaatt.MetaattError, match="simulated failure"):
        ms.run(spec_path, output=out)
    assert (out / "results.json").read_text() == before  # the earlier output is intact
    new = tmp_path / "fresh"
    with pytest.raises(metaatt.MetaattError, match="simulated failure"):
        ms.run(spec_path, output=new)
    assert not new.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_synthetic_flag_reaches_every_output(spec_path, tmp_path):
    text = spec_path.read_text().replace(
        'table = "teacher.csv"', 'table = "teacher.csv"\nsynthetic = true'
    )
    spec_path.write_text(text)
    out = tmp_path / "results"
    results = ms.run(spec_path, output=out)
    assert results.synthetic and results.summary().startswith("*** SYNTHETIC DATA")
    assert json.loads((out / "results.json").read_text())["data_notice"].startswith("SYNTHETIC")
    for path in (out / "tables").iterdir():
        assert "SYNTHETIC" in path.read_text(), path.name
    assert "SYNTHETIC" in (out / "appendix.md").read_text()
    assert "SYNTHETIC" in (out / "appendix.html").read_text()
    assert json.loads((out / MARKER).read_text())["synthetic"] is True


def test_missing_columns_are_named(tmp_path):
    frame = datasets.load_raudenbush1985().rename(columns={"vi": "var"})
    frame.to_csv(tmp_path / "t.csv", index=False)
    path = tmp_path / "a.toml"
    path.write_text('[data]\ntable = "t.csv"\nlabel = "who"\n[subgroups]\nby = "tester"\n')
    with pytest.raises(ms.SpecError) as excinfo:
        ms.run(path)
    text = "\n".join(excinfo.value.problems)
    assert "[data] label: no column 'who'" in text
    assert "[effect_size] vi: the data have no column 'vi'" in text


def test_bundled_dataset_source(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('[data]\ndataset = "hackshaw1998"\n[plots]\nforest = false\nfunnel = false\n')
    results = ms.run(path)
    assert results.primary.k == 37
    assert "Hackshaw" in results.data_description
    assert list(results.effects.study[:2]) == ["Garfinkel 1981", "Hirayama 1984"]


def test_bcg_spec_with_escalc_and_bias_reproduces_metafor(tmp_path):
    # reference-cases 1: rma(yi, vi) on dat.bcg log RR: -0.7145 (se 0.1798), tau^2 0.3132;
    # ranktest tau 0.0256 (p 0.9524); trimfill on the REML model: 1 study filled
    spec = ms.from_dict(
        {
            "data": {"dataset": "bcg"},
            "effect_size": {
                "measure": "RR",
                "columns": {"ai": "tpos", "bi": "tneg", "ci": "cpos", "di": "cneg"},
            },
            "bias": {"egger": True, "rank_correlation": True, "trim_and_fill": True},
            "plots": {"forest": False, "funnel": False},
        }
    )
    results = ms.run(spec)
    n = results.numbers
    assert n["pooled.REML.estimate"] == pytest.approx(-0.7145, abs=5e-5)
    assert n["pooled.REML.se"] == pytest.approx(0.1798, abs=5e-5)
    assert n["pooled.REML.tau2"] == pytest.approx(0.3132, abs=5e-5)
    assert n["bias.rank_correlation.tau"] == pytest.approx(0.0256, abs=5e-5)
    assert n["bias.rank_correlation.pval"] == pytest.approx(0.9524, abs=5e-5)
    assert n["bias.trim_and_fill.k0"] == 1
    assert n["effects[Aronson 1948].yi"] == pytest.approx(np.log(4 / 123) - np.log(11 / 139))
    bias = results.tables()["bias"]
    assert list(bias.test) == ["egger", "rank_correlation", "trim_and_fill"]
    assert bias.pval.iloc[0] == metaatt.egger_test(results.primary).pval
    assert results.measure == "RR" and "measure RR" in results.data_description


def test_progress_bar_goes_to_stderr(spec_path, tmp_path, capsys):
    ms.run(spec_path, output=tmp_path / "out", progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "metaatt run" in captured.err or "pool" in captured.err


def test_bayes_sections_reach_bayes_pool(monkeypatch):
    import metaatt.bayes

    calls = []
    real = metaatt.bayes.pool

    def spy(*args, **kwargs):
        calls.append(kwargs)
        kwargs = {
            k: v for k, v in kwargs.items() if k not in ("random_seed", "draws", "tune", "chains")
        }
        return real(*args, **{**kwargs, "method": "exact"})

    monkeypatch.setattr(metaatt.bayes, "pool", spy)
    spec = ms.from_dict(
        {
            "seed": 99,
            "data": {"dataset": "raudenbush1985"},
            "bayes": [
                {
                    "name": "sampled",
                    "method": "nuts",
                    "draws": 200,
                    "tune": 100,
                    "chains": 2,
                    "tau_prior": {"distribution": "half-cauchy", "scale": 0.3},
                    "mu_prior": {"distribution": "normal", "mean": 0, "sd": 1},
                    "level": 0.9,
                },
                {"tau_prior": {"distribution": "uniform", "low": 0, "high": 2}},
            ],
            "plots": {"forest": False, "funnel": False},
        }
    )
    results = ms.run(spec)
    sampled, exact = calls
    assert sampled["method"] == "nuts" and sampled["random_seed"] == 99
    assert (sampled["draws"], sampled["tune"], sampled["chains"]) == (200, 100, 2)
    assert sampled["level"] == 0.9
    assert repr(sampled["tau_prior"]).startswith("HalfCauchy")
    assert sampled["mu_prior"].sd == 1
    assert exact["method"] == "exact" and "random_seed" not in exact
    assert repr(exact["tau_prior"]).startswith("Uniform")
    assert set(results.bayes) == {"sampled", "bayes2"}
    assert results.numbers["bayes.bayes2[mu].mean"] == results.bayes["bayes2"].mu.mean


def test_output_folder_permissions_follow_the_umask(spec_path, tmp_path):
    import os
    import stat

    out = tmp_path / "shared"
    ms.run(spec_path, output=out)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    text = (out / "tables" / "sensitivity_methods.md").read_text()
    assert "Sensitivity to the tau^2 estimator" in text.splitlines()[0]


def test_dependent_effect_sizes_are_aggregated_per_cluster():
    spec = ms.from_dict(
        {
            "data": {"dataset": "konstantopoulos2011"},
            "dependence": {"cluster": "district", "rho": 0.6},
            "sensitivity": {"rho": [0.0, 0.6, 0.9]},
            "plots": {"forest": False, "funnel": False},
        }
    )
    results = ms.run(spec)
    dat = datasets.load_konstantopoulos2011()
    agg = metaatt.aggregate(dat, cluster="district", rho=0.6)
    direct = metaatt.pool(agg.yi, agg.vi)
    assert results.primary.k == 11 == len(agg)
    assert results.primary.estimate == pytest.approx(direct.estimate, rel=1e-12)
    assert list(results.effects.study[:2]) == ["11", "12"]
    assert results.numbers["effects[11].yi"] == pytest.approx(agg.yi.iloc[0], rel=1e-12)
    table = results.tables()["sensitivity_rho"]
    assert list(table.rho) == [0.0, 0.6, 0.9]
    assert table.estimate.iloc[1] == pytest.approx(direct.estimate, rel=1e-12)
    assert table.estimate.iloc[0] != table.estimate.iloc[2]
    assert "aggregated within district (56 effect sizes into 11 clusters)" in (
        results.data_description
    )
    with pytest.raises(ms.SpecError, match="needs \\[dependence\\] cluster"):
        ms.from_dict({"data": {"dataset": "bcg"}, "sensitivity": {"rho": [0.5]}})
    bad = ms.from_dict({"data": {"dataset": "raudenbush1985"}, "dependence": {"cluster": "nope"}})
    with pytest.raises(ms.SpecError, match="\\[dependence\\] cluster: the effect-size table"):
        ms.run(bad)
