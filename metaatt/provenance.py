"""Provenance: from every pooled number back to the printed numbers it came from.

An effect-size table carries, per row, where its numbers were printed (``source``), which
numbers were used (``inputs``), the ``formula`` and every ``assumption`` (e.g. an imputed
pre-post r). :func:`metaatt.attachment.effect_sizes` fills these columns;
:func:`with_provenance` adds them to any other table (e.g. an ``escalc`` result). Models keep
every input column in ``result.data``, so :func:`provenance_table` can list, for a pooled
result, each study's weight next to the printed numbers behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._validate import check_level
from .errors import MetaattError

__all__ = ["PROVENANCE_COLUMNS", "provenance_table", "with_provenance"]

#: provenance columns, in display order
PROVENANCE_COLUMNS = (
    "study_id", "arm", "comparator", "outcome", "instrument", "timepoint", "metric", "source",
    "inputs", "formula", "assumptions", "r_used", "r_source", "phi_used", "direction",
)  # fmt: skip


def with_provenance(
    frame: pd.DataFrame,
    *,
    study: Any = None,
    arm: Any = None,
    outcome: Any = None,
    instrument: Any = None,
    timepoint: Any = None,
    source: Any = None,
    formula: Any = None,
    assumptions: Any = None,
    metric: Any = None,
    inputs: Sequence[str] | Any = None,
) -> pd.DataFrame:
    """A copy of an effect-size table with provenance columns added.

    Parameters
    ----------
    frame
        Effect-size table (e.g. from :func:`metaatt.escalc`); not modified.
    study, arm, outcome, instrument, timepoint, source, formula, assumptions, metric
        One value for every row, or one per row (sequence / Series).
    inputs
        A list of column names of ``frame`` whose values are the printed inputs (recorded as
        ``"name=value; ..."``), or ready-made strings (one, or one per row).

    Returns
    -------
    pandas.DataFrame
        ``frame`` plus the given columns. ``metric`` defaults to ``frame.attrs["measure"]``
        when that is set and no ``metric`` column exists.
    """
    if not isinstance(frame, pd.DataFrame):
        raise MetaattError(f"frame: expected a DataFrame, got {type(frame).__name__}")
    out = frame.copy()
    k = len(out)
    given = {
        "study": study, "arm": arm, "outcome": outcome, "instrument": instrument,
        "timepoint": timepoint, "source": source, "formula": formula,
        "assumptions": assumptions, "metric": metric,
    }  # fmt: skip
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, str) or np.ndim(value) == 0:
            out[name] = value
        else:
            values = list(value)
            if len(values) != k:
                raise MetaattError(f"{name}: {len(values)} values for {k} rows")
            out[name] = values
    if inputs is not None:
        if isinstance(inputs, str):
            out["inputs"] = inputs
        else:
            if not isinstance(inputs, Sequence | np.ndarray | pd.Index):
                raise MetaattError(
                    f"inputs: expected column names (a list) or one text, got {inputs!r}"
                )
            items = list(inputs)
            if all(isinstance(c, str) and c in frame.columns for c in items):
                out["inputs"] = [
                    "; ".join(f"{c}={frame[c].iloc[i]:g}" if _is_number(frame[c].iloc[i])
                              else f"{c}={frame[c].iloc[i]}" for c in items)
                    for i in range(k)
                ]  # fmt: skip
            elif len(items) == k:
                out["inputs"] = [str(x) for x in items]
            else:
                missing = [c for c in items if not (isinstance(c, str) and c in frame.columns)]
                raise MetaattError(
                    f"inputs: {missing} are not columns of the table (give column names, or "
                    "one string per row)"
                )
    if "metric" not in out.columns and frame.attrs.get("measure"):
        out["metric"] = frame.attrs["measure"]
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def provenance_table(result: Any, *, level: float | None = None) -> pd.DataFrame:
    """Per-study table of a pooled result: weight, yi, vi and the printed inputs behind them.

    Parameters
    ----------
    result
        A model result with ``yi``, ``vi``, ``weights`` (percent), ``labels`` and ``data``
        (e.g. :class:`metaatt.PoolResult`); ``excluded`` rows are appended with their reason.
    level
        Level of the per-study Wald intervals (default: the result's level, else 0.95).

    Returns
    -------
    pandas.DataFrame
        ``study``, ``weight`` (%), ``yi``, ``vi``, ``sei``, ``ci_low``, ``ci_high``,
        ``included``, then whichever provenance columns the data carry (``source``,
        ``inputs``, ``formula``, ``assumptions``, ``instrument``, ...), then ``reason``
        (why a study was excluded). ``attrs["synthetic"]`` repeats the result's flag.

    Notes
    -----
    Nothing is recomputed: the numbers are the ones the model used.
    """
    for name in ("yi", "vi", "data"):
        if not hasattr(result, name):
            raise MetaattError(
                f"result: expected a model result with yi, vi and data (got {type(result).__name__})"
            )
    level = check_level(level if level is not None else getattr(result, "level", 0.95))
    data = result.data.reset_index(drop=True)
    yi = np.asarray(result.yi, dtype=float)
    vi = np.asarray(result.vi, dtype=float)
    weights = getattr(result, "weights", None)
    weights = np.full(len(yi), np.nan) if weights is None else np.asarray(weights, dtype=float)
    labels = getattr(result, "labels", None)
    study = list(labels) if labels is not None else list(data.get("study", range(1, len(yi) + 1)))
    z = stats.norm.isf((1 - level) / 2)
    sei = np.sqrt(vi)
    table = pd.DataFrame(
        {
            "study": study, "weight": weights, "yi": yi, "vi": vi, "sei": sei,
            "ci_low": yi - z * sei, "ci_high": yi + z * sei, "included": True,
        }
    )  # fmt: skip
    for column in PROVENANCE_COLUMNS:
        if column in data.columns:
            table[column] = data[column].to_numpy()
    table["reason"] = None
    excluded = getattr(result, "excluded", None)
    if excluded is not None and len(excluded):
        extra = pd.DataFrame(
            {
                "study": list(excluded["study"]), "weight": np.nan, "yi": np.nan, "vi": np.nan,
                "sei": np.nan, "ci_low": np.nan, "ci_high": np.nan, "included": False,
                "reason": list(excluded["reason"]),
            }
        )  # fmt: skip
        table = pd.concat([table, extra], ignore_index=True)
    table.attrs["synthetic"] = bool(getattr(result, "synthetic", False))
    table.attrs["level"] = level
    return table
