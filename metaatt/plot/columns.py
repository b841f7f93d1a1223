"""Text columns of a forest plot, aligned by measured width (no monospace font needed).

A column is a header and one or more right- or left-aligned *parts*; the estimate column
``0.41 [0.13, 1.26]`` has three right-aligned parts (``0.41``, ``[0.13,``, ``1.26]``), so
with tabular digits the decimal points line up in every row. Widths are measured with the
font that draws them (:func:`metaatt.plot.style.measure_width`) and columns are placed
edge to edge with a fixed gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from .frames import ForestInput
from .style import Style, fmt_number, measure_width

__all__ = [
    "Column",
    "parse_column_specs",
    "place_columns",
    "pretty_statistics",
    "user_column",
]

#: display columns with a known header and number format
KNOWN_COLUMNS: dict[str, tuple[str, str]] = {
    "weight": ("Weight", "{:.1f}%"),
    "tau2": ("\u03c4\u00b2", "{:.3f}"),
    "tau": ("\u03c4", "{:.3f}"),
    "i2": ("I\u00b2", "{:.1f}%"),
    "se": ("SE", "{:.3f}"),
    "pval": ("p", "{:.3f}"),
}


@dataclass
class Column:
    """One text column: ``parts`` are per-row cell lists laid side by side."""

    header: str
    parts: list[list[str]]
    align: str = "right"  # "left" or "right"
    bold: np.ndarray | None = None  # per-row bold flag
    widths: list[float] = field(default_factory=list)  # inches, per part
    inner_gap: float = 0.0  # inches between parts
    x: float = 0.0  # inches from the plot region's edge: left edge if align left, else right

    @property
    def width(self) -> float:
        return sum(self.widths) + self.inner_gap * (len(self.widths) - 1)


def parse_column_specs(spec: Any, name: str) -> list[tuple[str, str]]:
    """``columns=`` as (column, header) pairs: a list of names or pairs, or a dict."""
    if spec is None:
        return []
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, Sequence):
        items = []
        for entry in spec:
            if isinstance(entry, str):
                items.append((entry, KNOWN_COLUMNS.get(entry, (_header(entry), ""))[0]))
            elif isinstance(entry, tuple) and len(entry) == 2:
                items.append((str(entry[0]), str(entry[1])))
            else:
                raise MetaattError(
                    f"{name}: each entry must be a column name or a (column, header) pair, "
                    f"got {entry!r}"
                )
    else:
        raise MetaattError(
            f"{name}: expected a list of column names or a dict column -> header, "
            f"got {type(spec).__name__}"
        )
    return [(str(c), str(h)) for c, h in items]


def _header(column: str) -> str:
    return column if len(column) <= 2 else column[:1].upper() + column[1:]


def user_column(inp: ForestInput, column: str, rows: Sequence[int], name: str) -> list[Any]:
    """Values of ``column`` for frame rows ``rows`` (None where a row has none).

    The frame's own extra columns come first; otherwise study rows take the value from
    the result's ``data`` (every input column of the analysed studies).
    """
    frame = inp.frame
    if column in frame.columns:
        values = frame[column].to_numpy(dtype=object)
        return [values[i] if i >= 0 else None for i in rows]
    if inp.data is not None and column in inp.data.columns:
        study_rows = inp.data_row[inp.study_mask]
        if (study_rows < 0).any():
            raise MetaattError(
                f"{name}: cannot match the forest rows to result.data to show {column!r} "
                "(study labels are not unique); add the column to the forest frame instead"
            )
        values = inp.data[column].to_numpy(dtype=object)
        return [values[inp.data_row[i]] if i >= 0 and inp.data_row[i] >= 0 else None for i in rows]
    available = [c for c in frame.columns if c not in ("kind", "group")]
    if inp.data is not None:
        available += [c for c in inp.data.columns if c not in available]
    raise MetaattError(f"{name}: unknown column {column!r}; available: {available}")


def format_cells(values: Sequence[Any], column: str, digits: int) -> list[str]:
    """Display text of a column: integers as integers, floats with ``digits``."""
    pattern = KNOWN_COLUMNS.get(column, ("", ""))[1]
    numeric = [v for v in values if _is_number(v)]
    integral = bool(numeric) and all(float(v).is_integer() for v in numeric if np.isfinite(v))
    out = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append("")
        elif _is_number(v):
            if pattern:
                out.append(pattern.format(float(v)).replace("-", "\u2212"))
            elif integral:
                out.append(str(int(v)).replace("-", "\u2212"))
            else:
                out.append(fmt_number(float(v), digits))
        else:
            out.append(str(v))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def interval_parts(
    estimate: np.ndarray, low: np.ndarray, high: np.ndarray, digits: int
) -> list[list[str]]:
    """The three parts ``est``, ``[low,``, ``high]`` of an estimate column (blank if NaN)."""
    est = [fmt_number(float(v), digits) for v in estimate]
    lo = [f"[{fmt_number(float(v), digits)}," if np.isfinite(v) else "" for v in low]
    hi = [f"{fmt_number(float(v), digits)}]" if np.isfinite(v) else "" for v in high]
    return [est, lo, hi]


def place_columns(left: list[Column], right: list[Column], style: Style) -> tuple[float, float]:
    """Measure every column and set its ``x`` (inches from the plot region's edge).

    Left columns end ``column_gap`` left of the plot region, right columns start
    ``column_gap`` right of it. Returns the total widths (inches) of both blocks.
    """
    size = style.fontsize
    fam = style.family
    space = measure_width(["0 0"], size, family=fam) - measure_width(["00"], size, family=fam)
    for column in (*left, *right):
        column.inner_gap = 1.4 * max(space, 0.0) / 72.0
        bold = column.bold if column.bold is not None else np.zeros(len(column.parts[0]), bool)
        column.widths = []
        for part in column.parts:
            plain = [t for t, b in zip(part, bold, strict=True) if not b]
            heavy = [t for t, b in zip(part, bold, strict=True) if b]
            width = max(
                measure_width(plain, size, family=fam),
                measure_width(heavy, size, weight="bold", family=fam),
            )
            column.widths.append(width / 72.0)
        header_w = measure_width([column.header], size, weight="bold", family=fam) / 72.0
        excess = header_w - column.width
        if excess > 0:  # a header wider than its cells widens the first part
            column.widths[0] += excess
    gap = style.column_gap
    x = -gap
    for column in reversed(left):
        column.x = x if column.align == "right" else x - column.width
        x -= column.width + gap
    left_total = -(x + gap)
    x = gap
    for column in right:
        column.x = x + column.width if column.align == "right" else x
        x += column.width + gap
    right_total = x - gap
    return left_total, right_total


def part_offsets(column: Column) -> list[float]:
    """x (inches) of each part's anchor: right edges for right-aligned columns."""
    if column.align == "left":
        return [column.x]
    offsets = []
    edge = column.x
    for width in reversed(column.widths):
        offsets.append(edge)
        edge -= width + column.inner_gap
    return offsets[::-1]


def pretty_statistics(text: str) -> str:
    """Typeset the plain-text statistics line: tau^2 -> τ², I^2 -> I², p = <.001 -> p < .001."""
    return (
        text.replace("tau^2", "\u03c4\u00b2")
        .replace("I^2", "I\u00b2")
        .replace("= <", "< ")
        .replace("<  ", "< ")
    )
