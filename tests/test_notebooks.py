"""The example notebooks run top to bottom (nbclient, python3 kernel) and say SYNTHETIC."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_notebooks_exist_and_match_their_generator():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_quickstart_bcg.ipynb",
        "02_attachment_walkthrough_SYNTHETIC.ipynb",
        "03_bayesian.ipynb",
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_notebooks_using_the_demo_sheet_say_synthetic():
    import nbformat

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        if "SYNTHETIC_demo_sheet" in text or "attachment/analysis.toml" in text:
            assert "SYNTHETIC" in path.name
            first = nb.cells[0].source
            assert "SYNTHETIC" in first, f"{path.name}: the first cell must say SYNTHETIC"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # the kernel starts in notebooks/ like Jupyter does; metaatt comes from this checkout
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stderr":
                assert "Warning" not in output.text, f"{path.name}: {output.text}"
