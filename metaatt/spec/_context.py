"""What the analysis steps share: their output record, the run context, tidy-table helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._parse import AnalysisSpec

__all__ = ["POOLED_COLUMNS", "Context", "Step", "StepOutput", "as_frame", "pool_with", "pooled_row"]

POOLED_COLUMNS = (
    "k", "estimate", "se", "statistic", "df", "pval", "ci_low", "ci_high", "pi_low", "pi_high",
    "tau2", "tau2_ci_low", "tau2_ci_high", "tau", "i2", "i2_ci_low", "i2_ci_high", "h2",
    "q", "q_df", "q_pval",
)  # fmt: skip


@dataclass(frozen=True)
class StepOutput:
    """What one step produced: the result object, a table for reports, named numbers."""

    key: str
    title: str
    result: Any
    table: pd.DataFrame | None
    numbers: Mapping[str, float]


@dataclass
class Context:
    """What steps share during one run (the effect sizes and earlier outputs)."""

    spec: AnalysisSpec
    effects: pd.DataFrame
    outputs: dict[str, StepOutput] = field(default_factory=dict)

    @property
    def primary(self) -> Any:
        return self.outputs[f"pooled.{self.spec.models.methods[0]}"].result

    @property
    def labels(self) -> list[str]:
        return [str(s) for s in self.effects["study"]]


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    run: Callable[[Context], StepOutput]


def pooled_row(result: Any, label: str) -> dict[str, Any]:
    """One row of the pooled-results table for a :class:`~metaatt.PoolResult`."""
    values = result.to_dict()
    row = {"model": label, "method": result.method, "test": result.test}
    row.update({c: values.get(c, np.nan) for c in POOLED_COLUMNS})
    return row


def pool_with(ctx: Context, method: str, effects: pd.DataFrame | None = None) -> Any:
    from ..pooling import pool

    models = ctx.spec.models
    table = ctx.effects if effects is None else effects
    return pool(table, method=method, test=models.test, level=models.level)


def as_frame(result: Any) -> pd.DataFrame:
    """A table with the row labels (if any) as its first column."""
    frame = result if isinstance(result, pd.DataFrame) else result.to_frame()
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    return frame
