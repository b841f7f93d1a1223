"""Flatten results into named numbers (``pooled.REML.tau2``) and encode them as JSON.

Every number an analysis produces gets one stable, readable name; ``results.json`` lists
them and the lock file stores them, so ``metaatt check`` can name the number that drifted.
Per-study values are keyed by the study label in brackets:
``effects[Levy 2006 TFP].yi``. Non-finite values are encoded as the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` (JSON has no such numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError

__all__ = ["decode_number", "encode_number", "flatten", "flatten_frame", "to_jsonable"]

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
#: keys that are not results: tables, labels, and iteration counts (an implementation detail
#: that may change without any result changing)
_NOT_NUMBERS = frozenset({"data", "excluded", "labels", "iterations"})


def encode_number(value: float) -> float | str:
    """A float for JSON: non-finite values become ``"NaN"``/``"Infinity"``/``"-Infinity"``."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def decode_number(value: Any) -> float:
    """Inverse of :func:`encode_number` (``None`` reads as NaN)."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        if value in _NONFINITE:
            return _NONFINITE[value]
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def flatten(
    value: Any, prefix: str, labels: Sequence[str] | None = None, out: dict | None = None
) -> dict[str, float]:
    """Every number inside ``value`` (dicts, lists, arrays, DataFrames, result objects).

    Sequences as long as ``labels`` are keyed by label, other sequences by position; strings,
    booleans and None are skipped (they are not numbers that can drift).
    """
    out = {} if out is None else out
    if value is None or isinstance(value, (str, bool, np.bool_)):
        return out
    if _is_number(value):
        out[prefix] = float(value)
        return out
    if isinstance(value, pd.DataFrame):
        return flatten_frame(value, prefix, out=out)
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if hasattr(value, "to_dict") and not isinstance(value, Mapping):
        value = value.to_dict()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).startswith("_") or str(key) in _NOT_NUMBERS:
                continue
            flatten(item, f"{prefix}.{key}" if prefix else str(key), labels, out)
        return out
    if isinstance(value, (list, tuple, np.ndarray)):
        items = np.asarray(value, dtype=object).ravel() if isinstance(value, np.ndarray) else value
        keyed = labels is not None and len(items) == len(labels) and len(set(labels)) == len(labels)
        for i, item in enumerate(items):
            name = labels[i] if keyed else str(i + 1)
            flatten(item, f"{prefix}[{name}]", None, out)
    return out


def flatten_frame(
    frame: pd.DataFrame, prefix: str, key: str | None = None, out: dict | None = None
) -> dict[str, float]:
    """Numbers of a table, one per cell: ``prefix[row key].column``.

    Rows are keyed by ``key`` (default: the first of study/label/group/term/parameter/
    method/test/r found, else the index), numeric columns only.
    """
    if not isinstance(frame, pd.DataFrame):
        raise MetaattError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    out = {} if out is None else out
    if key is None:
        for candidate in ("study", "label", "group", "term", "parameter", "method", "test", "r"):
            if candidate in frame.columns:
                key = candidate
                break
    row_keys = [str(v) for v in (frame[key] if key else frame.index)]
    if len(set(row_keys)) != len(row_keys):
        row_keys = [str(i + 1) for i in range(len(frame))]
    for column in frame.columns:
        if column == key or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        if pd.api.types.is_bool_dtype(frame[column]):
            continue
        for row, value in zip(row_keys, frame[column].to_numpy(), strict=True):
            if _is_number(value):
                out[f"{prefix}[{row}].{column}"] = float(value)
    return out


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars/arrays, DataFrames (records), non-finite floats."""
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if _is_number(value):
        if isinstance(value, (int, np.integer)):
            return int(value)
        return encode_number(value)
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    return str(value)
