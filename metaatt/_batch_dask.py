"""Scale-out of :func:`metaatt.pool_batch`: a Dask DataFrame, pooled partition by partition.

Each partition must hold whole analyses (every row of an analysis in one partition, e.g.
after ``ddf.shuffle(on=by)`` or ``ddf.set_index(by)``); each is pooled with the pandas
code path on whichever Dask scheduler is active (threads, processes or a
``dask.distributed`` cluster) and the per-analysis rows are gathered into one pandas
DataFrame. An analysis found in two partitions is an error, never a silent double row.
Excluded rows travel with their analysis in a hidden column and end up in
``attrs["excluded"]`` as for a pandas input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._batch_input import read_batch
from .errors import MetaattError

__all__ = ["pool_dask"]

_EXCLUDED = "_excluded_rows"


def pool_dask(ddf: Any, *, by: list[str], options: dict[str, Any]) -> pd.DataFrame:
    """Pool every analysis of the Dask DataFrame ``ddf`` (see :func:`metaatt.pool_batch`)."""
    missing = [b for b in by if b not in ddf.columns and b != ddf.index.name]
    if missing:
        raise MetaattError(
            f"by: column {missing[0]!r} is not in frame; available: {list(ddf.columns)}"
        )
    meta = _partition(ddf._meta, by, options)
    parts = ddf.map_partitions(_partition, by, options, meta=meta)
    result = parts.compute()
    duplicated = result.duplicated(subset=by, keep=False)
    if duplicated.any():
        first = result.loc[duplicated, by].iloc[0].to_dict()
        raise MetaattError(
            f"frame: analysis {first} is split over several partitions of the Dask "
            "DataFrame; partition by analysis first, e.g. ddf.shuffle(on=by)"
        )
    if result.empty:
        raise MetaattError("frame: the table has no rows; at least one study is needed")
    result = result.sort_values(by, kind="stable").reset_index(drop=True)
    excluded = _excluded_table(result, by)
    result = result.drop(columns=_EXCLUDED)
    result.attrs.update(
        {
            "method": options["method"],
            "test": options["test"],
            "level": options["level"],
            "by": list(by),
            "measure": ddf._meta.attrs.get("measure"),
            "synthetic": bool(ddf._meta.attrs.get("synthetic", False))
            or bool(result.pop("_synthetic").any()),
            "excluded": excluded,
        }
    )
    result = result.drop(columns="_synthetic", errors="ignore")
    return result


def _partition(frame: pd.DataFrame, by: list[str], options: dict[str, Any]) -> pd.DataFrame:
    """Pool one partition; the exclusions of each analysis ride along in a list column."""
    from .batch import pool_read

    if frame.index.name in by and frame.index.name not in frame.columns:
        frame = frame.reset_index()
    if len(frame) == 0:
        return _empty(frame, by, options)
    data = read_batch(
        frame,
        by,
        yi=options["yi"],
        vi=options["vi"],
        sei=options["sei"],
        method=options["method"],
        weights=options["weights"],
        missing=options["missing"],
        allow_mixed_metrics=options["allow_mixed_metrics"],
    )
    out = pool_read(
        data,
        method=options["method"],
        test=options["test"],
        level=options["level"],
        intervals=options["intervals"],
    )
    rows: list[list[tuple[Any, str]]] = [[] for _ in range(len(out))]
    if len(data.excluded):
        where = out[by].reset_index().merge(data.excluded, on=by)
        for position, index, reason in zip(
            where["index_x"], where["index_y"], where["reason"], strict=True
        ):
            rows[position].append((index, reason))
    out[_EXCLUDED] = pd.Series(rows, index=out.index, dtype=object)
    out["_synthetic"] = data.synthetic
    out.attrs = {}
    return out


def _empty(frame: pd.DataFrame, by: list[str], options: dict[str, Any]) -> pd.DataFrame:
    """A zero-row result with the right columns and dtypes (Dask's ``meta``)."""
    from ._pooled import INTERVAL_COLUMNS
    from .batch import BATCH_COLUMNS

    out = frame[by].iloc[:0].reset_index(drop=True)
    for name in BATCH_COLUMNS:
        if not options["intervals"] and name in INTERVAL_COLUMNS:
            continue
        if name in ("k", "excluded", "q_df", "iterations"):
            out[name] = np.array([], dtype=np.int64)
        elif name in ("tau2_at_boundary", "tau2_ci_null", "heterogeneity_undefined"):
            out[name] = np.array([], dtype=bool)
        else:
            out[name] = np.array([], dtype=float)
    out[_EXCLUDED] = pd.Series([], dtype=object)
    out["_synthetic"] = np.array([], dtype=bool)
    return out


def _excluded_table(result: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    lengths = result[_EXCLUDED].map(len).to_numpy()
    keys = result[by].iloc[np.repeat(np.arange(len(result)), lengths)].reset_index(drop=True)
    pairs = [pair for rows in result[_EXCLUDED] for pair in rows]
    keys["index"] = [index for index, _ in pairs]
    keys["reason"] = pd.Series([reason for _, reason in pairs], dtype=object)
    return keys
