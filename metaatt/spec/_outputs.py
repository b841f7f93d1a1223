"""Write a run's outputs atomically: build everything in a temporary folder, then move it.

A half-written output is never presented as complete: files go to a hidden temporary
folder next to the target, which is renamed into place only when every file is written.
The target must be new, empty, or an earlier metaatt output (it holds the marker file
``.metaatt-output``); a folder holding anything else, or any input of the analysis, is
refused, so a user's files are never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import MetaattError
from ._numbers import to_jsonable
from ._progress import progress_bar

__all__ = ["MARKER", "check_output_target", "write_outputs"]

MARKER = ".metaatt-output"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def check_output_target(target: Path, inputs: list[Path]) -> None:
    """Raise a clear :class:`MetaattError` when ``target`` must not be written."""
    if target.exists() and not target.is_dir():
        raise MetaattError(f"--output: {str(target)!r} is a file, not a folder")
    for path in inputs:
        if _inside(path, target):
            raise MetaattError(
                f"--output: {str(target)!r} contains the input file {str(path)!r}; writing "
                "there would replace it. Choose another output folder."
            )
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise MetaattError(
            f"--output: {str(target)!r} exists and is not an earlier metaatt output (no "
            f"{MARKER} file); choose a new or empty folder so nothing of yours is overwritten"
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise MetaattError(f"--output: {str(parent)!r} is a file, not a folder")
            if not os.access(parent, os.W_OK):
                raise MetaattError(f"--output: cannot write in {str(parent)!r} (permission denied)")
            break


def write_outputs(results: Any, output: Path, *, progress: bool = False) -> Path:
    """Write results.json, tables, figures, appendix and input copies into ``output``."""
    target = output.expanduser().resolve()
    check_output_target(target, list(results.spec.input_files().values()))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as exc:
        raise MetaattError(f"--output: cannot create {str(target)!r}: {exc.strerror}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; outputs are shared
        _write_all(results, staging, progress)
        _move_into_place(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise MetaattError(f"--output: writing {str(target)!r} failed: {exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_all(results: Any, folder: Path, progress: bool) -> None:
    from ..report import appendix_html, appendix_markdown, make_figures, table_title, write_table

    spec = results.spec
    out = spec.output
    tables = results.tables()
    steps = 3 + len(tables)
    written: list[Path] = []
    with progress_bar(steps, "writing outputs", enabled=progress) as bar:
        path = folder / "results.json"
        path.write_text(
            json.dumps(to_jsonable(results.to_dict()), indent=2, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        written.append(path)
        bar.update(1)
        if out.tables:
            (folder / "tables").mkdir()
            for name, frame in tables.items():
                title = f"{results.title}: {table_title(name)}"
                written += write_table(
                    frame, folder / "tables", name, out.tables,
                    digits=out.digits, title=title, synthetic=results.synthetic,
                )  # fmt: skip
                bar.update(1)
        bar.set_description("figures")
        figures = make_figures(results, folder / "figures")
        written += [p for f in figures for p in f.paths.values()]
        bar.update(1)
        if "md" in out.appendix:
            path = folder / "appendix.md"
            path.write_text(appendix_markdown(results, figures, relative_to=folder), "utf-8")
            written.append(path)
        if "html" in out.appendix:
            path = folder / "appendix.html"
            path.write_text(appendix_html(results, figures), encoding="utf-8")
            written.append(path)
        inputs = folder / "inputs"
        inputs.mkdir()
        for source in spec.input_files().values():
            shutil.copy2(source, inputs / Path(source).name)
            written.append(inputs / Path(source).name)
        bar.update(1)
    manifest = {
        "written_by": f"metaatt {results.environment.get('metaatt')}",
        "title": results.title,
        "synthetic": results.synthetic,
        "files": sorted(p.relative_to(folder).as_posix() for p in written),
    }
    (folder / MARKER).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an earlier output is swapped out, then removed."""
    if not target.exists():
        os.replace(staging, target)
        return
    if not any(target.iterdir()):
        target.rmdir()
        os.replace(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(old, target)  # put the earlier output back
        raise
    shutil.rmtree(old, ignore_errors=True)
