"""Read and validate an analysis spec (TOML) into a frozen :class:`AnalysisSpec`.

Every problem is collected before anything runs: unknown sections and keys (with a
suggestion), wrong types, values out of range, unknown choices, missing files. They are
raised together in one :class:`SpecError` whose message lists each, so a user fixes the
spec in one pass.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._validate import check_path
from ..errors import MetaattError
from ._checks import check_value, describe, unknown
from ._schema import ARRAY_SECTIONS, SCHEMA

__all__ = ["AnalysisSpec", "Section", "SpecError", "from_dict", "load"]


class SpecError(MetaattError):
    """An analysis spec is invalid; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listing = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{source}: {len(problems)} {noun} in the analysis spec:\n{listing}")


@dataclass(frozen=True)
class Section(Mapping[str, Any]):
    """A validated spec section: read-only mapping with attribute access (``spec.models.test``).

    ``given()`` is the set of keys the spec wrote (the rest are defaults).
    """

    _name: str
    _values: Mapping[str, Any]
    _given: frozenset[str] = frozenset()

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise AttributeError(f"spec section [{self._name}] has no key {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def given(self) -> frozenset[str]:
        """Keys written in the spec (not filled in from defaults)."""
        return self._given


@dataclass(frozen=True)
class AnalysisSpec:
    """A validated analysis spec; file paths are resolved against ``root`` (the spec's folder)."""

    path: Path | None
    root: Path
    text: str
    sections: Mapping[str, Section]
    bayes: tuple[Section, ...] = field(default=())

    def __getattr__(self, name: str) -> Section:
        sections = self.__dict__.get("sections", {})
        if name in sections:
            return sections[name]
        raise AttributeError(f"AnalysisSpec has no attribute {name!r}")

    @property
    def title(self) -> str:
        title = self.sections[""].title
        if title:
            return title
        return self.path.stem if self.path is not None else "metaatt analysis"

    @property
    def seed(self) -> int:
        return self.sections[""].seed

    @property
    def source_name(self) -> str:
        return str(self.path) if self.path is not None else "<spec>"

    def input_files(self) -> dict[str, Path]:
        """Files the analysis reads (the spec itself and its data), by role."""
        files = {} if self.path is None else {"spec": self.path}
        for role in ("sheet", "table"):
            value = self.sections["data"][role]
            if value is not None:
                files[role] = value
        return files

    def lock_path(self) -> Path:
        """Where ``metaatt lock`` writes the expected numbers: ``<spec>.lock.json``."""
        if self.path is None:
            raise MetaattError("spec: a spec built from a dict has no file to lock next to")
        return self.path.with_name(self.path.stem + ".lock.json")

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec (defaults filled in) as plain values."""
        out: dict[str, Any] = {}
        for name, section in self.sections.items():
            values = {k: _plain(v) for k, v in section.items()}
            if name == "":
                out.update(values)
            else:
                out[name] = values
        out["bayes"] = [{k: _plain(v) for k, v in b.items()} for b in self.bayes]
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def load(path: str | Path) -> AnalysisSpec:
    """Read and validate a TOML analysis spec.

    Parameters
    ----------
    path
        The spec file; relative paths inside it are resolved against its folder.

    Returns
    -------
    AnalysisSpec
        The validated spec with defaults filled in.

    Raises
    ------
    SpecError
        Listing every problem (unknown keys with suggestions, wrong types, missing files).
    """
    spec_path = check_path(path, "spec")
    if not spec_path.exists():
        raise SpecError(str(spec_path), [f"the spec file {str(spec_path)!r} does not exist"])
    if spec_path.is_dir():
        raise SpecError(str(spec_path), ["expected a .toml file, got a directory"])
    try:
        text = spec_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(spec_path), [f"cannot read the file: {exc}"]) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(spec_path), [f"invalid TOML: {exc}"]) from None
    return _build(document, spec_path.resolve(), spec_path.resolve().parent, text)


def from_dict(document: Mapping[str, Any], root: str | Path = ".") -> AnalysisSpec:
    """Validate a spec given as a dict (the parsed TOML); paths resolve against ``root``."""
    if not isinstance(document, Mapping):
        raise SpecError("<spec>", [f"expected a dict, got {type(document).__name__}"])
    return _build(dict(document), None, check_path(root, "root").resolve(), "")


def _build(document: dict[str, Any], path: Path | None, root: Path, text: str) -> AnalysisSpec:
    problems: list[str] = []
    sections: dict[str, Section] = {}
    top = {k: v for k, v in document.items() if k in SCHEMA[""]}
    known = [name for name in SCHEMA if name] + list(SCHEMA[""])
    for key in document:
        if key not in SCHEMA[""] and key not in SCHEMA:
            problems.append(unknown(key, known, "section or key", ""))
    sections[""] = _section("", top, root, problems)
    bayes: list[Section] = []
    for name in SCHEMA:
        if name == "":
            continue
        raw = document.get(name, [] if name in ARRAY_SECTIONS else {})
        if name in ARRAY_SECTIONS:
            tables = [raw] if isinstance(raw, dict) else raw
            if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
                problems.append(f"[{name}]: expected a table or an array of tables [[{name}]]")
                continue
            for i, table in enumerate(tables):
                label = f"{name}[{i + 1}]" if len(tables) > 1 else name
                section = _section(name, table, root, problems, label=label)
                if section["name"] is None:
                    values = dict(section, name=f"bayes{i + 1}" if len(tables) > 1 else "bayes")
                    section = Section(name, MappingProxyType(values), section.given())
                bayes.append(section)
            continue
        if not isinstance(raw, dict):
            problems.append(f"[{name}]: expected a table ([{name}] ...), got {describe(raw)}")
            raw = {}
        sections[name] = _section(name, raw, root, problems)
    if not problems:
        _cross_checks(sections, bayes, problems)
    if problems:
        raise SpecError(str(path) if path is not None else "<spec>", problems)
    return AnalysisSpec(
        path=path, root=root, text=text, sections=MappingProxyType(sections), bayes=tuple(bayes)
    )


def _section(
    name: str, raw: dict[str, Any], root: Path, problems: list[str], label: str | None = None
) -> Section:
    schema = SCHEMA[name]
    where = f"[{label or name}]" if name else "top level"
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:  # from_dict: None means "not set" (TOML has no null)
            continue
        if key not in schema:
            problems.append(unknown(key, list(schema), "key", where))
            continue
        checked = check_value(schema[key], value, f"{where} {key}", root, problems)
        values[key] = checked
    for key, spec in schema.items():
        if key not in values:
            default = spec.default
            values[key] = tuple(default) if isinstance(default, list) else default
    return Section(
        name, MappingProxyType(values), frozenset(k for k, v in raw.items() if v is not None)
    )


def _cross_checks(sections: dict[str, Section], bayes: list[Section], problems: list[str]) -> None:
    """Checks that involve several keys or the rest of metaatt (methods, datasets)."""
    from ..pooling import METHODS, normalize_test

    data = sections["data"]
    sources = [k for k in ("sheet", "table", "dataset") if data[k] is not None]
    if len(sources) != 1:
        given = f"got {', '.join(sources)}" if sources else "none given"
        problems.append(f"[data]: give exactly one of sheet, table or dataset ({given})")
    if data.dataset is not None:
        from ..datasets import CATALOG

        if data.dataset not in CATALOG:
            close = difflib.get_close_matches(data.dataset, list(CATALOG), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; available: {sorted(CATALOG)}"
            problems.append(f"[data] dataset: unknown dataset {data.dataset!r}{hint}")
    models = sections["models"]
    if not models.methods:
        problems.append("[models] methods: give at least one method (e.g. ['REML'])")
    for method in models.methods:
        if method not in METHODS or method == "GENQ":
            choices = [m for m in METHODS if m != "GENQ"]
            close = difflib.get_close_matches(method, choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"[models] methods: unknown method {method!r}; choose from {choices}{hint}"
            )
    if len(set(models.methods)) != len(models.methods):
        problems.append("[models] methods: a method is listed twice")
    try:
        normalize_test(models.test)
    except MetaattError as exc:
        problems.append(f"[models] test: {str(exc).removeprefix('test: ')}")
    names = [b.name for b in bayes]
    if len(set(names)) != len(names):
        problems.append(f"[[bayes]] name: names must differ, got {names}")
    for b in bayes:
        for key in ("draws", "tune", "chains"):
            if b[key] < 1:
                problems.append(f"[bayes {b.name}] {key}: must be >= 1, got {b[key]}")
        if b.tau_prior is None:
            problems.append(
                f"[bayes {b.name}]: tau_prior is required, e.g. "
                "tau_prior = {distribution = 'half-normal', scale = 0.5}"
            )
        if b.tau_prior is not None and b.tau_prior["distribution"] == "normal":
            problems.append(
                f"[bayes {b.name}] tau_prior: tau >= 0 needs a prior on tau (half-normal, "
                "half-cauchy, half-student-t, uniform, log-normal-tau2, log-student-t-tau2, "
                "turner or rhodes), not normal"
            )
        if b.mu_prior is not None and b.mu_prior["distribution"] != "normal":
            problems.append(
                f"[bayes {b.name}] mu_prior: mu needs a normal prior "
                f"({{distribution = 'normal', mean = 0, sd = 1}}), not {b.mu_prior['distribution']}"
            )
    effect = sections["effect_size"]
    sens = sections["sensitivity"]
    if data.sheet is None and effect.measure is None and sens.correlation:
        problems.append(
            "[sensitivity] correlation: varying the assumed correlation needs an extraction "
            "sheet ([data] sheet) or raw data with an escalc measure ([effect_size] measure)"
        )
    if data.sheet is None:
        sheet_only = ("metric", "outcomes", "phi", "categorical", "zero_cells")
        defaults = SCHEMA["effect_size"]
        for key in sorted(effect.given() & set(sheet_only)):
            default = defaults[key].default
            if effect[key] == (tuple(default) if isinstance(default, list) else default):
                continue
            problems.append(
                f"[effect_size] {key}: applies to extraction sheets only ([data] sheet)"
            )
        if sens.phi:
            problems.append("[sensitivity] phi: applies to extraction sheets only ([data] sheet)")
    elif effect.measure is not None or effect.columns:
        problems.append(
            "[effect_size] measure/columns: apply to tables; a sheet's formats decide the "
            "formulas (choose the pooled scale with metric = '...')"
        )
    if sens.rho and sections["dependence"].cluster is None:
        problems.append(
            "[sensitivity] rho: varying the within-cluster correlation needs [dependence] cluster"
        )
    if effect.columns and effect.measure is None:
        problems.append("[effect_size] columns: given without a measure; add measure = '...'")
    if sections["plots"].dpi <= 0:
        problems.append(f"[plots] dpi: must be > 0, got {sections['plots'].dpi}")
    digits = sections["output"].digits
    if not 0 <= digits <= 15:
        problems.append(f"[output] digits: must be between 0 and 15, got {digits}")
