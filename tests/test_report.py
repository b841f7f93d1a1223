"""Report writers: Markdown, LaTeX and CSV tables, pooled tables, the methods paragraph."""

import io

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import datasets, report
from metaatt import spec as ms


@pytest.fixture
def result():
    dat = datasets.load_raudenbush1985()
    return metaatt.pool(dat.yi, dat.vi, method="REML", data=dat, labels="author")


def test_markdown_table(result):
    text = report.to_markdown(report.pooled_table(result), digits=3, title="Teacher | IQ")
    lines = text.splitlines()
    assert lines[0] == r"**Teacher \| IQ**"
    assert lines[2].startswith("| model | method | test | k | estimate |")
    assert lines[3].startswith("|:---|:---|:---|---:|---:|")
    assert "| REML | REML | z | 19 | 0.084 |" in lines[4]


def test_markdown_accepts_results_and_marks_synthetic(result):
    text = report.to_markdown(result, synthetic=True)
    assert text.startswith("**SYNTHETIC DATA")
    assert "Rosenthal et al." in text


def test_latex_escapes_and_uses_booktabs():
    frame = pd.DataFrame({"study": ["A & B_1 50%"], "yi": [0.123456], "n": [10]})
    text = report.to_latex(frame, digits=2, caption="Effects #1")
    assert r"\caption{Effects \#1}" in text
    assert r"A \& B\_1 50\%" in text
    assert r"\begin{tabular}{lrr}" in text and r"\toprule" in text and r"\bottomrule" in text
    assert "0.12 & 10" in text


def test_cells_format_missing_infinite_and_tiny_values():
    frame = pd.DataFrame({"x": [np.nan, np.inf, 1e-9, 2.0]})
    text = report.to_markdown(frame, digits=4)
    assert "| NA |" in text and "| inf |" in text and "| 1.000e-09 |" in text
    assert "| 2.0000 |" in text


def test_csv_keeps_full_precision_and_labels_synthetic(result):
    frame = report.pooled_table(result)
    back = pd.read_csv(io.StringIO(report.to_csv(frame)))
    assert back.estimate.iloc[0] == result.estimate
    synthetic = pd.read_csv(io.StringIO(report.to_csv(frame, synthetic=True)))
    assert list(synthetic.columns[:2]) == ["data_status", "model"]
    assert set(synthetic.data_status) == {"SYNTHETIC"}


def test_write_table(tmp_path, result):
    paths = report.write_table(result, tmp_path, "studies", ("csv", "md", "tex"))
    assert [p.name for p in paths] == ["studies.csv", "studies.md", "studies.tex"]
    with pytest.raises(metaatt.MetaattError, match="unknown table format 'xls'"):
        report.write_table(result, tmp_path, "studies", ("xls",))
    with pytest.raises(metaatt.MetaattError, match="expected a DataFrame or a result"):
        report.to_markdown([1, 2])


def test_pooled_table_labels(result):
    dl = metaatt.pool(result.yi, result.vi, method="DL")
    table = report.pooled_table(result, dl, labels=["main", "sensitivity"])
    assert list(table.model) == ["main", "sensitivity"]
    assert table.tau2.iloc[1] == dl.tau2
    with pytest.raises(metaatt.MetaattError, match="2 labels for 1 results"):
        report.pooled_table(result, labels=["a", "b"])


def test_methods_paragraph_states_the_choices():
    spec = ms.from_dict(
        {
            "data": {"dataset": "raudenbush1985"},
            "models": {"methods": ["REML", "DL"], "test": "hksj", "level": 0.9},
            "sensitivity": {"leave_one_out": False},
            "plots": {"forest": False, "funnel": False},
        }
    )
    text = report.methods_paragraph(ms.run(spec))
    assert "random-effects model" in text and "restricted maximum likelihood" in text
    assert "Hartung-Knapp-Sidik-Jonkman" in text and "90% intervals" in text
    assert "refitted with the DerSimonian-Laird estimator" in text
    assert "19 effect sizes" in text and "Raudenbush" in text
    assert "metaatt 0.1.0" in text and "SYNTHETIC" not in text


def test_environment_lists_versions():
    env = report.environment()
    assert env["metaatt"] == metaatt.__version__
    assert env["numpy"] == np.__version__
    from metaatt.report._environment import PACKAGES

    assert set(PACKAGES) <= set(env)
    assert all(env[name] for name in PACKAGES)


def test_figures_are_drawn_in_every_format_and_say_synthetic(tmp_path):
    spec = ms.from_dict(
        {
            "data": {"dataset": "raudenbush1985", "synthetic": True},
            "plots": {"formats": ["png", "svg", "pdf"], "dpi": 50},
        }
    )
    results = ms.run(spec)
    figures = report.make_figures(results, tmp_path)
    assert [f.name for f in figures] == ["forest", "funnel"]
    for figure in figures:
        assert set(figure.paths) == {"png", "svg", "pdf"}
        assert figure.paths["png"].read_bytes()[:4] == b"\x89PNG"
        assert figure.paths["pdf"].read_bytes()[:4] == b"%PDF"
        assert "SYNTHETIC" in figure.paths["svg"].read_text() or "SYNTHETIC" in figure.title
    svg = (tmp_path / "forest.svg").read_text()
    again = report.make_figures(results, tmp_path / "again")
    assert (tmp_path / "again" / "forest.svg").read_text() == svg  # byte-stable reruns
    assert again[0].title == figures[0].title


def test_no_figures_requested_draws_nothing(tmp_path):
    spec = ms.from_dict(
        {"data": {"dataset": "raudenbush1985"}, "plots": {"forest": False, "funnel": False}}
    )
    assert report.make_figures(ms.run(spec), tmp_path / "f") == []
    assert not (tmp_path / "f").exists()


def test_spec_and_report_load_no_heavy_dependency():
    import subprocess
    import sys

    code = (
        "import sys, metaatt\n"
        "metaatt.report.to_markdown, metaatt.spec.load, metaatt.datasets.load_bcg\n"
        "import metaatt.cli\n"
        "heavy = ('pymc', 'arviz', 'matplotlib', 'statsmodels', 'pytensor')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_count_columns_print_as_whole_numbers():
    frame = pd.DataFrame({"k": [3.0, np.nan], "df": [18.0, np.inf], "estimate": [1.0, 2.0]})
    text = report.to_markdown(frame)
    assert "| 3 | 18 | 1.0000 |" in text and "| NA | inf | 2.0000 |" in text
    fractional = report.to_markdown(pd.DataFrame({"df": [10.5]}))
    assert "| 10.5000 |" in fractional
