"""The frozen result of running an analysis spec."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._numbers import to_jsonable
from ._parse import AnalysisSpec
from ._steps import StepOutput

__all__ = ["SYNTHETIC_NOTICE", "AnalysisResults"]

SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA: generated for demonstration by a committed script; these are not "
    "results of real studies and must not be cited as such."
)


@dataclass(frozen=True, repr=False)
class AnalysisResults:
    """Everything a spec run produced.

    Attributes
    ----------
    spec
        The validated :class:`AnalysisSpec`.
    effects
        The effect-size table (``study``, ``yi``, ``vi`` and every input/provenance column).
    extraction
        The extraction sheet as read (sheet input only), for the appendix.
    outputs
        Step key (``pooled.REML``, ``bayes.<name>``, ``subgroups.<column>``, ...) ->
        :class:`StepOutput` (result object, tidy table, named numbers).
    numbers
        Every number by name (what ``results.json`` lists and the lock file stores).
    warnings
        Warnings raised during the run, each prefixed by its step.
    environment
        Package versions, Python and platform.
    synthetic
        The data are SYNTHETIC; every output says so.
    """

    spec: AnalysisSpec
    title: str
    effects: pd.DataFrame
    extraction: pd.DataFrame | None
    outputs: Mapping[str, StepOutput]
    numbers: Mapping[str, float]
    warnings: tuple[str, ...]
    environment: Mapping[str, str]
    synthetic: bool
    measure: str | None
    data_description: str

    # ------------------------------------------------------------------ access
    @property
    def primary(self) -> Any:
        """The primary frequentist model (first of ``[models] methods``): a PoolResult."""
        return self.outputs[f"pooled.{self.spec.models.methods[0]}"].result

    @property
    def pooled(self) -> dict[str, Any]:
        """Method -> :class:`~metaatt.PoolResult` for every frequentist model."""
        return {m: self.outputs[f"pooled.{m}"].result for m in self.spec.models.methods}

    @property
    def bayes(self) -> dict[str, Any]:
        """Prior-set name -> Bayesian result."""
        return {b.name: self.outputs[f"bayes.{b.name}"].result for b in self.spec.bayes}

    def __getitem__(self, key: str) -> Any:
        """The result object of one step, e.g. ``results["subgroups.therapy"]``."""
        if key not in self.outputs:
            raise KeyError(f"no step {key!r}; steps: {list(self.outputs)}")
        return self.outputs[key].result

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables by name: extraction and provenance (sheets), effects, pooled, bayes,
        subgroups_<column>, meta_regression, bias, sensitivity_<analysis>."""
        tables: dict[str, pd.DataFrame] = {}
        if self.extraction is not None:
            from ..provenance import provenance_table

            tables["extraction"] = self.extraction
            tables["provenance"] = provenance_table(self.primary)
        tables["effects"] = self.effects
        grouped: dict[str, list[pd.DataFrame]] = {}
        single: dict[str, pd.DataFrame] = {}
        for key, output in self.outputs.items():
            if output.table is None:
                continue
            family = key.split(".", 1)[0]
            if family in ("pooled", "bayes", "bias"):
                grouped.setdefault(family, []).append(output.table)
            else:
                single[key.replace(".", "_")] = output.table
        order = ("pooled", "bayes", "subgroups", "meta_regression", "bias", "sensitivity")
        for family in order:
            if family in grouped:
                tables[family] = pd.concat(grouped[family], ignore_index=True)
            tables.update({k: v for k, v in single.items() if k.split("_", 1)[0] == family})
            if family == "meta_regression" and family in single:
                tables[family] = single[family]
        return tables

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """The content of ``results.json``: every number, every table, spec and environment."""
        from ..report import input_checksums

        out: dict[str, Any] = {"metaatt_results": 1, "title": self.title}
        out["synthetic"] = self.synthetic
        if self.synthetic:
            out["data_notice"] = SYNTHETIC_NOTICE
        out["measure"] = self.measure
        out["spec_file"] = str(self.spec.path) if self.spec.path else None
        out["spec"] = self.spec.to_dict()
        out["inputs"] = input_checksums(self.spec)
        out["seed"] = self.spec.seed
        out["environment"] = dict(self.environment)
        out["warnings"] = list(self.warnings)
        out["numbers"] = to_jsonable(dict(self.numbers))
        out["tables"] = {name: to_jsonable(frame) for name, frame in self.tables().items()}
        return out

    def write(self, output: str | Path, *, progress: bool = False) -> Path:
        """Write every output into the folder ``output`` (atomically); returns its path."""
        from ._outputs import write_outputs

        return write_outputs(self, Path(output), progress=progress)

    # ------------------------------------------------------------------ printing
    def summary(self) -> str:
        """Plain-text report: the primary model, other models and the warnings."""
        lines = []
        if self.synthetic:
            lines += [f"*** {SYNTHETIC_NOTICE} ***", ""]
        lines += [self.title, "=" * len(self.title), "", self.data_description, ""]
        lines.append(self.primary.summary())
        for key, output in self.outputs.items():
            if key == f"pooled.{self.spec.models.methods[0]}" or output.table is None:
                continue
            lines += ["", f"{output.title}:", output.table.to_string(index=False)]
        if self.warnings:
            lines += ["", "Warnings:", *(f"  {w}" for w in self.warnings)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        flag = ", SYNTHETIC" if self.synthetic else ""
        return (
            f"AnalysisResults({self.title!r}, k={len(self.effects)}, "
            f"steps={list(self.outputs)}{flag})"
        )

    def _repr_html_(self) -> str:
        from .._format import html_table

        parts = ["<div class='metaatt-analysis'>"]
        if self.synthetic:
            parts.append(f"<p><strong>{html.escape(SYNTHETIC_NOTICE)}</strong></p>")
        parts.append(f"<h3>{html.escape(self.title)}</h3>")
        for name, frame in self.tables().items():
            if name in ("effects", "extraction", "provenance"):
                continue
            parts.append(html_table(frame, caption=name))
        parts += [f"<p><em>{html.escape(w)}</em></p>" for w in self.warnings]
        parts.append("</div>")
        return "\n".join(parts)
