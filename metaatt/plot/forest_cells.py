"""What each text column of a forest plot shows on each line (labels, numbers, headers)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .columns import (
    Column,
    format_cells,
    interval_parts,
    parse_column_specs,
    pretty_statistics,
    user_column,
)
from .forest_layout import Row
from .frames import ForestInput
from .scales import DisplayScale

__all__ = ["EST_COLUMNS", "build_columns"]


def build_columns(
    inp: ForestInput,
    rows: list[Row],
    columns: Any,
    right_columns: Any,
    scale: DisplayScale,
    level: float,
    digits: int,
    bayes: bool,
) -> tuple[list[Column], list[Column]]:
    frame = inp.frame
    index = [r.index for r in rows if r.kind != "text"]
    drawn = [r for r in rows if r.kind != "text"]
    kinds = [r.kind for r in drawn]
    bold = np.array([k in ("heading", "pooled") for k in kinds])
    label_header = str(frame.attrs.get("label_header") or "Study")
    left = [Column(label_header, [[_label(frame, i) for i in index]], align="left", bold=bold)]
    for name, header in parse_column_specs(columns, "columns"):
        values = user_column(inp, name, index, "columns")
        cells = format_cells(values, name, digits)
        text_like = all(isinstance(v, str) or v is None for v in values)
        left.append(Column(header, [cells], "left" if text_like else "right"))

    if right_columns is None:
        weights = frame["weight"][frame["kind"] == "study"]
        right_columns = ["estimate", "posterior"] if bayes else ["estimate"]
        if np.isfinite(weights).any():
            right_columns.append("weight")
        if inp.variant in ("leave_one_out", "cumulative"):
            right_columns += [c for c in ("tau2", "i2") if c in frame.columns]
    pct = f"{100 * level:g}%"
    right = []
    for name, header in parse_column_specs(right_columns, "right_columns"):
        if name in ("estimate", "posterior"):
            source = _interval_sources(drawn, name, bayes)
            est, low, high = (
                np.array([frame[c][i] if i >= 0 else np.nan for i in source]) for c in EST_COLUMNS
            )
            est = np.where([k == "prediction" for k in kinds], np.nan, est)
            shown = [scale(v) if len(v) else v for v in (est, low, high)]
            interval = "CrI" if name == "posterior" or (bayes and inp.variant == "bayes") else "CI"
            default = f"{scale.abbrev} [{pct} {interval}]"
            if bayes:
                default = (
                    "Posterior" if name == "posterior" else "Observed"
                ) + f" [{pct} {interval}]"
                if name == "estimate":
                    default = f"Observed [{pct} CI]"
            head = default if header in ("Estimate", "Posterior") else header
            right.append(Column(head, interval_parts(*shown, digits), "right"))
        else:
            values = user_column(inp, name, index, "right_columns")
            right.append(Column(header, [format_cells(values, name, digits)], "right"))
    return left, right


EST_COLUMNS = ("estimate", "ci_low", "ci_high")


def _interval_sources(drawn: list[Row], name: str, bayes: bool) -> list[int]:
    """Frame row shown in an interval column on each line (-1: blank)."""
    out = []
    for row in drawn:
        if row.kind == "heading":
            out.append(-1)
        elif not bayes:
            out.append(row.index)
        elif name == "estimate":
            out.append(row.index if row.kind == "study" else -1)
        elif row.kind == "study":
            out.append(row.shrunken)
        else:
            out.append(row.index)
    return out


def _label(frame: Any, i: int) -> str:
    """A row's label; summary rows get their statistics typeset (I^2 -> I²)."""
    label = str(frame["label"][i])
    return label if frame["kind"][i] == "study" else pretty_statistics(label)
