"""Lock the numbers of an analysis next to its spec; check later runs against them.

``lock(spec)`` runs the spec and writes ``<spec>.lock.json``: every named number, the input
checksums and the software versions. ``check(spec)`` re-runs it and compares each number
with ``|new - locked| <= atol + rtol * |locked|`` (NaN equals NaN), using the spec's
``[lock]`` tolerances (``tolerances`` patterns such as ``"bayes.*"`` override the default
for matching names; the first matching pattern wins). A number that drifted, or that the
analysis no longer produces, fails the check; new numbers are listed but do not fail it.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._validate import check_path
from ..errors import MetaattError
from ._numbers import decode_number, to_jsonable
from ._parse import AnalysisSpec, load

__all__ = ["CheckReport", "Drift", "assert_locked", "check", "lock", "read_lock"]

LOCK_FORMAT = 1


@dataclass(frozen=True)
class Drift:
    """One number that moved beyond its tolerance."""

    name: str
    locked: float
    current: float
    rtol: float
    atol: float

    @property
    def abs_diff(self) -> float:
        return abs(self.current - self.locked)

    @property
    def rel_diff(self) -> float:
        return self.abs_diff / abs(self.locked) if self.locked else math.inf

    def __str__(self) -> str:
        return (
            f"{self.name}: locked {self.locked!r}, now {self.current!r} (|diff| "
            f"{self.abs_diff:.3g}, relative {self.rel_diff:.3g}; tolerance rtol {self.rtol:g}, "
            f"atol {self.atol:g})"
        )


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check`: ``ok`` is True when no locked number drifted or vanished."""

    spec_path: Path
    lock_path: Path
    checked: int
    drifted: tuple[Drift, ...]
    missing: tuple[str, ...]
    added: tuple[str, ...]
    changed_inputs: tuple[str, ...]
    synthetic: bool

    @property
    def ok(self) -> bool:
        return not self.drifted and not self.missing

    def summary(self) -> str:
        """Plain text naming every number that drifted or vanished."""
        lines = []
        if self.synthetic:
            lines.append("(SYNTHETIC data: demonstration analysis)")
        if self.ok:
            lines.append(
                f"OK: {self.checked} locked numbers of {self.spec_path.name} reproduced within "
                "tolerance"
            )
        else:
            lines.append(
                f"FAILED: {len(self.drifted)} of {self.checked} locked numbers of "
                f"{self.spec_path.name} drifted beyond tolerance"
                + (f", {len(self.missing)} no longer produced" if self.missing else "")
            )
            lines += [f"  drifted  {d}" for d in self.drifted]
            lines += [f"  missing  {name}: locked but no longer produced" for name in self.missing]
        if self.added:
            lines.append(
                f"  note: {len(self.added)} new numbers are not in the lock file (run metaatt "
                f"lock to add them), e.g. {', '.join(self.added[:3])}"
            )
        if self.changed_inputs:
            lines.append(
                f"  note: input files changed since locking: {', '.join(self.changed_inputs)}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _as_spec(spec: AnalysisSpec | str | Path) -> AnalysisSpec:
    return spec if isinstance(spec, AnalysisSpec) else load(spec)


def lock(spec: AnalysisSpec | str | Path, *, progress: bool = False) -> Path:
    """Run ``spec`` and write its numbers to ``<spec>.lock.json``; returns that path."""
    from ..report import input_checksums
    from ._runner import run

    spec = _as_spec(spec)
    path = spec.lock_path()
    if path in spec.input_files().values():  # pragma: no cover - the names cannot collide
        raise MetaattError(f"lock: {path} is an input of the analysis")
    results = run(spec, progress=progress)
    document = {
        "metaatt_lock": LOCK_FORMAT,
        "spec": spec.path.name,
        "title": results.title,
        "synthetic": results.synthetic,
        "note": (
            "SYNTHETIC DATA: numbers of a demonstration analysis, not results of real studies"
            if results.synthetic
            else "expected numbers of this analysis; metaatt check compares a fresh run"
        ),
        "tolerance": {
            "rtol": spec.lock.rtol,
            "atol": spec.lock.atol,
            "patterns": {k: dict(v) for k, v in spec.lock.tolerances.items()},
        },
        "inputs": {
            role: {"file": Path(v["path"]).name, "sha256": v["sha256"]}
            for role, v in input_checksums(spec).items()
        },
        "environment": dict(results.environment),
        "numbers": to_jsonable(dict(results.numbers)),
    }
    text = json.dumps(document, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp creates 0600; a lock file is shared
        os.replace(temp, path)
    except OSError as exc:
        raise MetaattError(f"lock: cannot write {str(path)!r}: {exc.strerror}") from None
    return path


def read_lock(path: str | Path) -> dict[str, Any]:
    """Read and sanity-check a lock file."""
    path = check_path(path, "path")
    if not path.exists():
        raise MetaattError(
            f"check: no lock file {str(path)!r}; run `metaatt lock` on the spec first"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MetaattError(f"check: cannot read the lock file {str(path)!r}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("numbers"), dict):
        raise MetaattError(f"check: {str(path)!r} is not a metaatt lock file (no 'numbers')")
    return document


def _tolerance(name: str, spec: AnalysisSpec) -> tuple[float, float]:
    rtol, atol = spec.lock.rtol, spec.lock.atol
    for pattern, tol in spec.lock.tolerances.items():
        if fnmatch.fnmatchcase(name, pattern):
            return tol.get("rtol", rtol), tol.get("atol", atol)
    return rtol, atol


def _close(locked: float, current: float, rtol: float, atol: float) -> bool:
    if math.isnan(locked) or math.isnan(current):
        return math.isnan(locked) and math.isnan(current)
    if math.isinf(locked) or math.isinf(current):
        return locked == current
    return abs(current - locked) <= atol + rtol * abs(locked)


def check(spec: AnalysisSpec | str | Path, *, progress: bool = False) -> CheckReport:
    """Re-run ``spec`` and compare every number with its lock file."""
    from ..report import input_checksums
    from ._runner import run

    spec = _as_spec(spec)
    lock_path = spec.lock_path()
    document = read_lock(lock_path)
    locked = {}
    for name, value in document["numbers"].items():
        try:
            locked[name] = decode_number(value)
        except (TypeError, ValueError):
            raise MetaattError(
                f"check: {lock_path.name}: the locked value of {name!r} is not a number"
            ) from None
    results = run(spec, progress=progress)
    current = dict(results.numbers)
    drifted = []
    for name, expected in locked.items():
        if name not in current:
            continue
        rtol, atol = _tolerance(name, spec)
        if not _close(expected, current[name], rtol, atol):
            drifted.append(Drift(name, expected, current[name], rtol, atol))
    checksums = input_checksums(spec)
    changed = tuple(
        f"{v.get('file', role)}"
        for role, v in document.get("inputs", {}).items()
        if role in checksums and checksums[role]["sha256"] != v.get("sha256")
    )
    return CheckReport(
        spec_path=spec.path,
        lock_path=lock_path,
        checked=len(locked),
        drifted=tuple(drifted),
        missing=tuple(n for n in locked if n not in current),
        added=tuple(n for n in current if n not in locked),
        changed_inputs=changed,
        synthetic=results.synthetic,
    )


def assert_locked(spec: AnalysisSpec | str | Path) -> CheckReport:
    """pytest helper: re-run ``spec`` and fail (AssertionError) naming every drifted number.

    Examples
    --------
    >>> def test_attachment_numbers_are_locked():  # doctest: +SKIP
    ...     metaatt.spec.assert_locked("data/attachment/analysis.toml")
    """
    report = check(spec)
    if not report.ok:
        raise AssertionError(report.summary())
    return report
