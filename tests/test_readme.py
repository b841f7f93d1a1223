"""The README's Python examples run as written (outputs redirected to a temporary folder)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 4


def test_readme_examples_run_in_order(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    namespace: dict = {}
    for block in BLOCKS:
        code = block.replace('output="results"', f'output="{tmp_path / "results"}"')
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # examples print summaries; warnings are tested elsewhere
            exec(compile(code, str(README), "exec"), namespace)
    plt.close("all")
    assert namespace["res"].k == 13
    assert (tmp_path / "results" / "results.json").exists()


def test_quick_start_has_exactly_two_commands():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Quick start\s+```bash\n(.*?)```", text, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "metaatt run data/attachment/analysis.toml" in commands[0]
    assert commands[1].endswith("python -m pytest")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


@pytest.mark.parametrize(
    "path", ["data/attachment/analysis.toml", "data/attachment/SHEET_FORMAT.md"]
)
def test_files_named_in_the_readme_exist(path):
    assert (README.parent / path).exists()
