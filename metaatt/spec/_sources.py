"""The first stage of a spec run: from the spec's data to an effect-size table.

Three sources: an extraction sheet (the attachment layer computes effect sizes with
provenance), a CSV table, or a bundled dataset. Tables either carry ``yi``/``vi`` already
or raw columns that :func:`metaatt.escalc` turns into effect sizes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MetaattError
from ._parse import AnalysisSpec, SpecError

__all__ = ["EffectData", "load_effects", "read_csv"]

_LABEL_CANDIDATES = ("study", "label", "author", "authors", "trial", "source")


@dataclass(frozen=True)
class EffectData:
    """Effect sizes ready for the models, with the raw extraction rows they came from."""

    effects: pd.DataFrame  # study, yi, vi, + every input/provenance column
    extraction: pd.DataFrame | None  # the sheet as extracted (None for plain tables)
    measure: str | None
    synthetic: bool
    description: str  # one sentence for the methods paragraph


def read_csv(path: Path, what: str) -> pd.DataFrame:
    """Read a CSV input file, turning every failure into a clear :class:`MetaattError`."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise MetaattError(f"{what}: the file {str(path)!r} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MetaattError(f"{what}: cannot read {str(path)!r} as CSV: {exc}") from None
    if frame.empty:
        raise MetaattError(f"{what}: {str(path)!r} has no data rows")
    return frame


def load_effects(
    spec: AnalysisSpec,
    correlation: float | None = None,
    phi: float | None = None,
    rho: float | None = None,
) -> EffectData:
    """Effect sizes for ``spec``; ``correlation``, ``phi`` and ``rho`` override the assumed
    pre-post r, the phi of marginal counts and the within-cluster correlation used to
    aggregate dependent effect sizes (sensitivity analyses)."""
    loaded = _load(spec, correlation, phi)
    if spec.dependence.cluster is None:
        return loaded
    return _aggregated(spec, loaded, spec.dependence.rho if rho is None else rho)


def _aggregated(spec: AnalysisSpec, loaded: EffectData, rho: float) -> EffectData:
    """One effect size per cluster (metafor's ``aggregate``; compound symmetry with ``rho``)."""
    from ..aggregation import aggregate

    column = spec.dependence.cluster
    effects = loaded.effects
    if column not in effects.columns:
        raise SpecError(
            spec.source_name,
            [
                f"[dependence] cluster: the effect-size table has no column {column!r}; "
                f"columns: {[c for c in effects.columns if c not in ('yi', 'vi')]}"
            ],
        )
    usable = effects[effects["yi"].notna() & effects["vi"].notna()]
    if "reason" in usable.columns:
        usable = usable[usable["reason"].isna() | (usable["reason"].astype(str) == "")]
    table = aggregate(usable.drop(columns=["reason"], errors="ignore"), cluster=column, rho=rho)
    table["study"] = table[column].astype(str)
    table = table[["study", *[c for c in table.columns if c != "study"]]]
    table.attrs.update(effects.attrs)
    table.attrs["synthetic"] = loaded.synthetic
    dropped = len(effects) - len(usable)
    described = (
        f"{loaded.description} Dependent effect sizes were aggregated within {column} "
        f"({len(usable)} effect sizes into {len(table)} clusters) assuming a correlation of "
        f"rho = {rho:g} between their sampling errors (compound symmetry; Borenstein et al., "
        "2009, ch. 24)"
        + (f"; {dropped} rows without an effect size were left out" if dropped else "")
        + "."
    )
    return dataclasses.replace(loaded, effects=table, description=described)


def _load(spec: AnalysisSpec, correlation: float | None, phi: float | None) -> EffectData:
    data = spec.data
    if data.sheet is not None:
        from ._sheet import sheet_effects

        return sheet_effects(spec, correlation, phi)
    if data.table is not None:
        frame = read_csv(data.table, "[data] table")
        origin = f"the table {Path(data.table).name}"
    else:
        from ..datasets import load

        frame = load(data.dataset)
        origin = f"the bundled dataset {data.dataset} ({frame.attrs['source']})"
    effects, measure = _table_effects(spec, frame, correlation)
    synthetic = bool(data.synthetic) or _flagged_synthetic(frame)
    effects.attrs["synthetic"] = synthetic
    if measure is not None:
        effects.attrs["measure"] = measure
    described = f"Effect sizes were read from {origin}"
    if measure is not None:
        described = f"Effect sizes (measure {measure}) were computed from {origin}"
    return EffectData(effects, None, measure, synthetic, described + ".")


def _flagged_synthetic(frame: pd.DataFrame) -> bool:
    if bool(frame.attrs.get("synthetic", False)):
        return True
    if "synthetic" in frame.columns:
        values = frame["synthetic"].astype(str).str.strip().str.lower()
        return bool(values.isin(["true", "1", "yes", "synthetic"]).any())
    return False


def _table_effects(
    spec: AnalysisSpec, frame: pd.DataFrame, correlation: float | None
) -> tuple[pd.DataFrame, str | None]:
    effect = spec.effect_size
    label_column = spec.data.label
    problems: list[str] = []
    if label_column is not None and label_column not in frame.columns:
        problems.append(f"[data] label: no column {label_column!r}; columns: {list(frame.columns)}")
    measure = effect.measure
    if measure is None:
        for role in ("yi", "vi"):
            if effect[role] not in frame.columns:
                problems.append(
                    f"[effect_size] {role}: the data have no column {effect[role]!r} (columns: "
                    f"{list(frame.columns)}); name the column, or give an escalc measure and "
                    "columns to compute effect sizes"
                )
    else:
        for argument, column in effect.columns.items():
            if column not in frame.columns:
                problems.append(
                    f"[effect_size] columns: {argument} = {column!r} is not a column of the "
                    f"data; columns: {list(frame.columns)}"
                )
    if problems:
        raise SpecError(spec.source_name, problems)

    table = frame.copy()
    if measure is not None:
        from .. import escalc

        inputs = {arg: table[col] for arg, col in effect.columns.items()}
        if correlation is not None:
            inputs["ri"] = np.full(len(table), correlation)
        elif "ri" not in inputs and _uses_correlation(measure):
            inputs["ri"] = np.full(len(table), effect.correlation)
        computed = escalc(measure, **inputs)
        for column in computed.columns:
            if column not in table.columns or column in ("yi", "vi"):
                table[column] = computed[column].to_numpy()
    else:
        problems = []
        for role in ("yi", "vi"):
            raw = frame[effect[role]]
            values = pd.to_numeric(raw, errors="coerce")
            for i in np.flatnonzero((raw.notna() & values.isna()).to_numpy()):
                problems.append(
                    f"[data] table: row {i + 1} (line {i + 2}), column {effect[role]!r}: "
                    f"{raw.iloc[i]!r} is not a number"
                )
            table[role] = values.astype(float)
        if problems:
            raise SpecError(spec.source_name, problems)
    labels = _labels(table, label_column)
    if spec.data.missing == "exclude":
        missing = (table["yi"].isna() | table["vi"].isna()).to_numpy()
        if "reason" not in table.columns:
            table["reason"] = None
        no_reason = table["reason"].isna() | (table["reason"].astype(str) == "")
        table.loc[missing & no_reason.to_numpy(), "reason"] = (
            "no effect size or variance in the data ([data] missing = 'exclude')"
        )
    if "study" in table.columns:
        if [str(v) for v in table["study"]] == labels:
            table = table.drop(columns="study")
        else:
            table = table.rename(columns={"study": "study_id"})
    table.insert(0, "study", labels)
    if table["study"].duplicated().any():
        counts = table.groupby("study").cumcount() + 1
        dup = table["study"].duplicated(keep=False)
        table.loc[dup, "study"] = table.loc[dup, "study"] + " #" + counts[dup].astype(str)
    return table, measure


def _uses_correlation(measure: str) -> bool:
    return measure in {"SMCR", "SMCRH", "SMCRP", "SMCRPH", "MPORM", "ROMC", "CVRC", "VRC"}


def _labels(table: pd.DataFrame, label_column: str | None) -> list[str]:
    if label_column is not None:
        return [str(v) for v in table[label_column]]
    if "study" in table.columns and not pd.api.types.is_numeric_dtype(table["study"]):
        return [str(v) for v in table["study"]]
    for name in ("author", "authors", "trial", "source"):
        if name in table.columns and not pd.api.types.is_numeric_dtype(table[name]):
            labels = [str(v) for v in table[name]]
            if "year" in table.columns:
                labels = [f"{a} {y}" for a, y in zip(labels, table["year"], strict=True)]
            return labels
    if "study" in table.columns:
        return [f"Study {v}" for v in table["study"]]
    return [f"Study {i + 1}" for i in range(len(table))]
