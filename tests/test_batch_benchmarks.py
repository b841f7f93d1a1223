"""benchmarks/run.py rewrites only the marked performance region of the README."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def run():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("benchmarks_run", BENCHMARKS / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["benchmarks_run"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("benchmarks_run", None)
        sys.path.remove(str(BENCHMARKS))


def test_readme_region_only(run, tmp_path):
    readme = tmp_path / "README.md"
    before = "# title\n\ntext\n\n<!-- perf:start -->\nold table\n<!-- perf:end -->\n\nmore text\n"
    readme.write_text(before, encoding="utf-8")
    rows = [run.Row("bench", "1 ms", "peer", "10 ms", "10x", "≥ 5x", True)]
    run.write_readme(readme, run.table(rows, "header line"))
    after = readme.read_text(encoding="utf-8")
    assert after.startswith("# title\n\ntext\n\n<!-- perf:start -->\nheader line\n")
    assert after.endswith("<!-- perf:end -->\n\nmore text\n")
    assert "| bench | 1 ms | peer | 10 ms | 10x | ≥ 5x | yes |" in after
    assert "old table" not in after


def test_missing_markers_are_refused(run, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        run.write_readme(readme, "table")
    assert readme.read_text(encoding="utf-8") == "# no markers\n"


def test_timing_helper_reports_cpu_seconds(run):
    timing = run.per_call(lambda: sum(range(1000)), repeats=3, budget=0.01)
    assert 0 < timing.min <= timing.median < 0.01 and timing.repeats == 3
    assert run.fmt_time(2.5e-4) == "250 µs" and run.fmt_time(0.0123) == "12.3 ms"
    assert run.fmt_ratio(10.0, 1.0) == "10x" and run.fmt_ratio(2.0, 1.0) == "2.0x"
