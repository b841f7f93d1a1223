"""Rows of a forest plot: order, pairing and vertical position of every frame row.

The frame's row order is the plot's order, top to bottom, except that studies may be
sorted within each block of consecutive study rows (``sort_by``), and that each posterior
(``shrunken``) row of a Bayesian frame shares the line of the observed study it belongs
to. A blank line separates subgroups and the overall block; one-line texts
(heterogeneity, the test for subgroup differences) get rows of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from .columns import user_column
from .frames import ForestInput

__all__ = ["Row", "build_rows", "study_order"]


@dataclass(frozen=True)
class Row:
    """One line of the plot: a frame row (``index``), or a text line (``index`` = -1)."""

    y: float
    kind: str  # a frame kind, or "text"
    index: int = -1
    shrunken: int = -1  # the paired posterior row of a study, if any
    text: str = ""
    group: str | None = None


def pair_shrunken(frame: pd.DataFrame) -> dict[int, int]:
    """Study row -> shrunken row with the same (group, label); unmatched rows stay apart."""
    kinds = frame["kind"].to_numpy()
    keys = list(zip(frame["group"], frame["label"], strict=True))
    studies: dict[tuple[Any, str], int] = {}
    for i in np.flatnonzero(kinds == "study"):
        studies.setdefault(keys[i], int(i))
    pairs: dict[int, int] = {}
    for i in np.flatnonzero(kinds == "shrunken"):
        study = studies.get(keys[i])
        if study is not None and study not in pairs:
            pairs[study] = int(i)
    return pairs


def study_order(inp: ForestInput, sort_by: Any, ascending: bool, paired: set[int]) -> list[int]:
    """Frame row order with study rows sorted by ``sort_by`` within each run of studies."""
    frame = inp.frame
    order = [i for i in range(len(frame)) if i not in paired]
    if sort_by is None:
        return order
    if not isinstance(sort_by, str):
        raise MetaattError(f"sort_by: expected a column name, got {type(sort_by).__name__}")
    keys = user_column(inp, sort_by, list(range(len(frame))), "sort_by")
    kinds = frame["kind"].to_numpy()
    groups = frame["group"].to_numpy()
    out: list[int] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            values = pd.Series([keys[i] for i in run], index=run)
            ranked = values.sort_values(ascending=ascending, na_position="last", kind="stable")
            out.extend(int(i) for i in ranked.index)
            run.clear()

    for i in order:
        if kinds[i] == "study" and (not run or groups[run[-1]] == groups[i]):
            run.append(i)
            continue
        flush()
        if kinds[i] == "study":
            run.append(i)
        else:
            out.append(i)
    flush()
    return out


def build_rows(inp: ForestInput, order: list[int], pairs: dict[int, int]) -> list[Row]:
    """Vertical positions (0 at the top, one unit per line) of every drawn line."""
    frame = inp.frame
    kinds = frame["kind"].to_numpy()
    groups = frame["group"].to_numpy()
    group_text = (
        frame["heterogeneity"].to_numpy(dtype=object)
        if "heterogeneity" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    rows: list[Row] = []
    y = 0.0
    pending: str | None = None  # a subgroup's heterogeneity line, written after its block
    pending_group: str | None = None
    for i in order:
        kind, group = kinds[i], groups[i]
        if pending and not (kind == "prediction" and group == pending_group):
            rows.append(Row(y, "text", text=pending, group=pending_group))
            y += 1.0
            pending = None
        previous = rows[-1] if rows else None
        if previous is not None:
            overall = kind in ("pooled", "prediction") and group is None
            previous_overall = previous.kind in ("pooled", "prediction") and previous.group is None
            if (kind == "heading" or (overall and not previous_overall)) or (
                kind == "study" and previous.kind == "study" and previous.group != group
            ):
                y += 1.0
        rows.append(Row(y, kind, index=i, shrunken=pairs.get(i, -1), group=group))
        y += 1.0
        if kind == "subgroup" and _has_text(group_text[i]):
            pending, pending_group = str(group_text[i]), group
    if pending:
        rows.append(Row(y, "text", text=pending, group=pending_group))
        y += 1.0
    for key in ("heterogeneity", "subgroup_test"):
        text = inp.attrs.get(key)
        if _has_text(text):
            rows.append(Row(y, "text", text=str(text)))
            y += 1.0
    return rows


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
