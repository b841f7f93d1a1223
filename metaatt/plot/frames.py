"""Read and check what a forest plot draws: the forest frame of a result.

Every result that a forest plot can draw hands over a tidy frame (``forest_frame()``):
columns ``label``, ``estimate``, ``ci_low``, ``ci_high``, ``weight`` (percent or NaN),
``kind`` and ``group``, with ``attrs`` ``measure``, ``level``, ``synthetic``,
``heterogeneity`` and optionally ``title``, ``subgroup_test`` and ``variant``. This
module accepts such a result, the frame itself, or a leave-one-out / cumulative table
(converted by :mod:`metaatt.plot.converters`), checks it, and finds each study's row in
the result's ``data`` so that any input column can be shown. Nothing is computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from .converters import INFLUENCE_VARIANTS, from_influence_table

__all__ = ["INTERVAL_KINDS", "KINDS", "ForestInput", "read_forest_input"]

#: row kinds of the forest-frame contract
KINDS = ("study", "shrunken", "subgroup", "pooled", "prediction", "heading")
#: kinds drawn as an interval (every kind except headings)
INTERVAL_KINDS = ("study", "shrunken", "subgroup", "pooled", "prediction")
VARIANTS = ("standard", "subgroups", "bayes", "cumulative", "leave_one_out")
REQUIRED = ("label", "estimate", "ci_low", "ci_high", "kind")


@dataclass(frozen=True)
class ForestInput:
    """A checked forest frame and, for each of its rows, the matching row of ``data``."""

    frame: pd.DataFrame  # index 0..n-1, contract columns first
    data: pd.DataFrame | None  # the result's input rows, or None
    data_row: np.ndarray  # per frame row: index into data, -1 if none

    @property
    def attrs(self) -> dict[str, Any]:
        return self.frame.attrs

    @property
    def variant(self) -> str:
        return str(self.frame.attrs.get("variant") or "standard")

    @property
    def study_mask(self) -> np.ndarray:
        return (self.frame["kind"] == "study").to_numpy()


def read_forest_input(result: Any) -> ForestInput:
    """Check ``result`` (a result with ``forest_frame()`` or a DataFrame) and return it.

    Raises
    ------
    MetaattError
        If it is neither, if a contract column is missing, a kind is unknown, a drawn
        value is missing or infinite, an interval is reversed, or nothing can be drawn.
    """
    data = None
    labels = None
    if isinstance(result, pd.DataFrame):
        frame = result
        if "kind" not in frame.columns and frame.attrs.get("variant") in INFLUENCE_VARIANTS:
            frame = from_influence_table(frame)
        elif "kind" not in frame.columns and "study" in frame.columns:
            raise MetaattError(
                "result: this table has no 'kind' column; a leave-one-out or cumulative table "
                "needs attrs['variant'] set to 'leave_one_out' or 'cumulative' (see "
                "metaatt.plot.converters), any other table the forest-frame columns "
                f"{list(REQUIRED)}"
            )
    elif callable(getattr(result, "forest_frame", None)):
        frame = result.forest_frame()
        if not isinstance(frame, pd.DataFrame):
            raise MetaattError(
                f"result: {type(result).__name__}.forest_frame() returned "
                f"{type(frame).__name__}, not a DataFrame"
            )
        data = getattr(result, "data", None)
        if not isinstance(data, pd.DataFrame):
            data = None
        labels = getattr(result, "labels", None)
    else:
        raise MetaattError(
            "result: expected a result with a forest_frame() method (e.g. from metaatt.pool) "
            f"or a forest-frame DataFrame, got {type(result).__name__}"
        )
    frame = _check_frame(frame)
    return ForestInput(frame=frame, data=data, data_row=_match_data_rows(frame, data, labels))


def _check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise MetaattError(
            f"result: the forest frame lacks column(s) {missing}; it needs {list(REQUIRED)} "
            "(plus optional weight and group)"
        )
    if len(frame) == 0:
        raise MetaattError("result: the forest frame is empty; there is nothing to draw")
    attrs = dict(frame.attrs)
    out = frame.reset_index(drop=True).copy()
    out.attrs = attrs
    kinds = out["kind"].astype(str)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise MetaattError(
            f"result: unknown row kind(s) {unknown} in the forest frame; use {KINDS}"
        )
    out["kind"] = kinds
    if not kinds.isin(INTERVAL_KINDS).any():
        raise MetaattError("result: the forest frame has no study or pooled row to draw")
    variant = attrs.get("variant") or "standard"
    if variant not in VARIANTS:
        raise MetaattError(f"result: unknown forest variant {variant!r}; use one of {VARIANTS}")
    out["label"] = ["" if pd.isna(x) else str(x) for x in out["label"]]
    if "weight" not in out.columns:
        out["weight"] = np.nan
    if "group" not in out.columns:
        out["group"] = None
    groups = [None if _missing(g) else str(g) for g in out["group"]]
    out["group"] = pd.Series(groups, index=out.index, dtype=object)  # keep None, not NaN
    for column in ("estimate", "ci_low", "ci_high", "weight"):
        try:
            out[column] = pd.to_numeric(out[column], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise MetaattError(f"result: forest-frame column {column!r} must be numeric") from None
    drawn = kinds.isin(INTERVAL_KINDS).to_numpy()
    for column in ("ci_low", "ci_high", "estimate"):
        values = out[column].to_numpy()
        needs = drawn & (kinds != "prediction").to_numpy() if column == "estimate" else drawn
        bad = needs & ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise MetaattError(
                f"result: {column} of forest row {i + 1} ({out['kind'][i]} {out['label'][i]!r}) "
                f"is {values[i]}; every drawn interval needs finite values"
            )
    reversed_ = drawn & (out["ci_low"].to_numpy() > out["ci_high"].to_numpy())
    if reversed_.any():
        i = int(np.flatnonzero(reversed_)[0])
        raise MetaattError(
            f"result: forest row {i + 1} ({out['label'][i]!r}) has ci_low > ci_high "
            f"({out['ci_low'][i]:g} > {out['ci_high'][i]:g})"
        )
    return out


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _match_data_rows(
    frame: pd.DataFrame, data: pd.DataFrame | None, labels: Sequence[Any] | None
) -> np.ndarray:
    """Index into ``data`` of each study row of ``frame`` (-1 for every other row).

    A ``row`` column in the frame (0-based position in ``data``) decides; otherwise study
    rows match data rows in order when the labels agree in order, else by label when
    the data's labels are unique. Rows that cannot be matched get -1 (their user columns
    stay empty; :func:`column_values` raises only if such a column is requested).
    """
    rows = np.full(len(frame), -1, dtype=int)
    if data is None:
        return rows
    study = (frame["kind"] == "study").to_numpy()
    if "row" in frame.columns:
        values = pd.to_numeric(frame["row"], errors="coerce").to_numpy()
        ok = study & np.isfinite(values)
        rows[ok] = values[ok].astype(int)
        if (rows[ok] >= len(data)).any() or (rows[ok] < 0).any():
            raise MetaattError("result: forest-frame column 'row' points outside result.data")
        return rows
    if labels is not None and len(labels) == len(data):
        data_labels = [str(x) for x in labels]
    elif "study" in data.columns:
        data_labels = [str(x) for x in data["study"]]
    else:
        return rows
    frame_labels = frame["label"].to_numpy()[study].tolist()
    if frame_labels == data_labels:
        rows[study] = np.arange(len(data))
    elif len(set(data_labels)) == len(data_labels):
        position = {label: i for i, label in enumerate(data_labels)}
        rows[study] = [position.get(label, -1) for label in frame_labels]
    return rows
