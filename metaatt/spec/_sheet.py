"""Extraction sheets in spec runs and ``metaatt validate``: via :mod:`metaatt.attachment`.

The attachment layer reads the sheet (never writing to it), validates every cell and computes
effect sizes with provenance (``data/attachment/SHEET_FORMAT.md``). Here the spec's choices
are passed on (assumed r and phi, categorical conversion, zero cells) and ONE metric is
selected for pooling: rows of other metrics stay in the extraction table, marked as not
pooled with the reason, because different metrics must never be pooled together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import MetaattError
from ._parse import AnalysisSpec, SpecError
from ._sources import EffectData

__all__ = ["sheet_effects", "validate_sheet_file"]


def _attachment():
    try:
        from .. import attachment
    except ImportError as exc:  # pragma: no cover - part of metaatt
        raise MetaattError(f"extraction sheets need metaatt.attachment ({exc})") from None
    return attachment


def validate_sheet_file(path: Path):
    """The validator's report (:class:`metaatt.attachment.SheetReport`) for the sheet at
    ``path``: every problem with its row, line, study, column and severity."""
    attachment = _attachment()
    if not path.exists():
        raise MetaattError(f"sheet: the file {str(path)!r} does not exist")
    if path.is_dir():
        raise MetaattError(f"sheet: {str(path)!r} is a folder; expected a CSV file")
    return attachment.validate_sheet(attachment.read_sheet(path))


def sheet_effects(
    spec: AnalysisSpec, correlation: float | None = None, phi: float | None = None
) -> EffectData:
    """Effect sizes of the spec's sheet for ONE metric, with every sheet row kept for the
    extraction table (``pooled`` says whether the row entered the analysis, and why not)."""
    attachment = _attachment()
    effect = spec.effect_size
    path = Path(spec.data.sheet)
    sheet = attachment.read_sheet(path)
    report = attachment.validate_sheet(sheet)
    if not report.ok:
        errors = [str(p) for p in report.errors]
        raise MetaattError(
            f"[data] sheet: {path.name} has {len(errors)} invalid cell(s); run `metaatt "
            f"validate {path}` for the full list:\n  "
            + "\n  ".join(errors[:10])
            + ("\n  ..." if len(errors) > 10 else "")
        )
    r = effect.correlation if correlation is None else correlation
    assumed_phi = effect.phi if phi is None else phi
    es = attachment.effect_sizes(
        sheet,
        assumed_r=r,
        assumed_phi=assumed_phi,
        categorical=effect.categorical,
        zero_cells=effect.zero_cells,
    )
    metrics = es["metric"].dropna().astype(str)
    metric = effect.metric
    if metric is None:
        counts = metrics.value_counts()
        if len(counts) > 1:
            listing = ", ".join(f"{m} ({c} rows)" for m, c in counts.items())
            raise SpecError(
                spec.source_name,
                [
                    f"[effect_size] metric: the sheet has effect sizes on several scales "
                    f"({listing}); they must not be pooled together, so choose one, e.g. "
                    f"metric = {counts.index[0]!r}"
                ],
            )
        metric = counts.index[0] if len(counts) else None
    elif metric not in set(metrics):
        raise SpecError(
            spec.source_name,
            [
                f"[effect_size] metric: no row of the sheet has metric {metric!r}; the sheet "
                f"has {sorted(set(metrics))}"
            ],
        )
    reasons = pd.Series("", index=es.index, dtype=object)
    reasons[es["metric"].astype(str) != str(metric)] = (
        "metric " + es["metric"].astype(str) + f" (this analysis pools {metric})"
    )
    if effect.outcomes:
        outside = ~es["outcome"].astype(str).isin(list(effect.outcomes)) & (reasons == "")
        reasons[outside] = "outcome not among [effect_size] outcomes"
    if "reason" in es.columns:
        no_effect = es["reason"].fillna("").astype(str) != ""
        reasons[no_effect & (reasons == "")] = "not computable: " + es["reason"].astype(str)
    extraction = es.copy()
    extraction.insert(0, "pooled", reasons.map(lambda x: "yes" if x == "" else f"no: {x}"))
    selected = es[(es["metric"].astype(str) == str(metric))]
    if effect.outcomes:
        selected = selected[selected["outcome"].astype(str).isin(list(effect.outcomes))]
    if selected.empty:
        raise SpecError(spec.source_name, ["[effect_size]: no row of the sheet is left to pool"])
    effects = selected.reset_index(drop=True).copy()
    _unique_labels(effects)
    synthetic = bool(es.attrs.get("synthetic", False)) or (
        "synthetic" in es.columns and bool(es["synthetic"].fillna(False).astype(bool).any())
    )
    synthetic = synthetic or bool(spec.data.synthetic)
    effects.attrs.update(es.attrs)
    effects.attrs["synthetic"] = synthetic
    effects.attrs["measure"] = metric
    described = (
        f"Effect sizes (metric {metric}; positive = change toward security) were computed "
        f"from the extraction sheet {path.name} with metaatt.attachment "
        f"(assumed pre-post r = {r:g} where not reported, assumed phi = {assumed_phi:g} for "
        f"marginal counts, categorical outcomes converted by the {effect.categorical} method)"
    )
    return EffectData(effects, extraction, metric, synthetic, described + ".")


def _unique_labels(effects: pd.DataFrame) -> None:
    """Make study labels unique (several outcomes of one study): ``Study (outcome)``."""
    labels = effects["study"].astype(str)
    if labels.duplicated().any() and "outcome" in effects.columns:
        dup = labels.duplicated(keep=False)
        labels = labels.where(~dup, labels + " (" + effects["outcome"].astype(str) + ")")
    if labels.duplicated().any():
        counts = labels.groupby(labels).cumcount() + 1
        dup = labels.duplicated(keep=False)
        labels = labels.where(~dup, labels + " #" + counts.astype(str))
    effects["study"] = labels
