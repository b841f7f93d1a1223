"""Validate the long table of :func:`metaatt.pool_batch`: analyses, effect sizes, exclusions.

Every check is vectorized over rows; an error names the argument, the analysis (its
``by`` values) and the row (its index label in the caller's table, and study label if
there is a ``study`` column). Rows that cannot enter a model are excluded only with a
reason (the table's ``reason`` column, or ``missing="exclude"``) and are listed, never
dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._inputs import REASON_COLUMN
from ._validate import MAX_ABS_EFFECT, VARIANCE_RANGE, first_bad
from .errors import MetaattError
from .extract.metrics import METRIC_COLUMN

__all__ = ["BatchInput", "read_batch"]


@dataclass(frozen=True)
class BatchInput:
    """Validated rows of ``B`` analyses (flat arrays of the included rows)."""

    keys: pd.DataFrame  # (B, n_by): the by values of each analysis, sorted
    codes: np.ndarray  # analysis (0 .. B-1) of each included row
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray | None
    k: np.ndarray  # (B,) included rows per analysis
    n_excluded: np.ndarray  # (B,) excluded rows per analysis
    excluded: pd.DataFrame  # by columns, index (row label in the input), reason
    measure: str | None
    synthetic: bool


def read_batch(
    frame: Any,
    by: list[str],
    *,
    yi: str,
    vi: str,
    sei: str | None,
    method: str,
    weights: str | None,
    missing: str,
    allow_mixed_metrics: bool = False,
) -> BatchInput:
    """Check ``frame`` and return its analyses as flat arrays (see :class:`BatchInput`)."""
    if not isinstance(frame, pd.DataFrame):
        raise MetaattError(
            f"frame: expected a pandas (or Dask) DataFrame, got {type(frame).__name__}"
        )
    frame = _by_from_index(frame, by)
    if len(frame) == 0:
        raise MetaattError("frame: the table has no rows; at least one study is needed")
    columns = {"yi": yi}
    if sei is not None:
        if vi != "vi":
            raise MetaattError(
                "vi, sei: give the sampling variances or the standard errors, not both"
            )
        columns["sei"] = sei
    else:
        columns["vi"] = vi
    if method == "GENQ":
        if weights is None:
            raise MetaattError("weights: method 'GENQ' needs a column of weights")
        columns["weights"] = weights
    elif weights is not None:
        raise MetaattError(f"weights: user weights are only used by method 'GENQ', not {method!r}")
    for argument, column in columns.items():
        if not isinstance(column, str):
            raise MetaattError(f"{argument}: expected a column name, got {column!r}")
        if column not in frame.columns:
            hint = " (give sei= for standard errors)" if argument == "vi" else ""
            raise MetaattError(
                f"{argument}: column {column!r} is not in frame{hint}; "
                f"available: {list(frame.columns)}"
            )

    keys, codes = _analyses(frame, by)
    where = _Namer(frame, keys, codes)
    values = {arg: _numeric(frame[col], arg, where) for arg, col in columns.items()}
    if "sei" in values:
        s = values.pop("sei")
        bad = s <= 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise MetaattError(f"sei: {where(i)} is {s[i]:g}; standard errors must be > 0")
        values["vi"] = s * s
    reasons = _exclusions(frame, values, where, missing)
    included = np.ones(len(frame), dtype=bool)
    included[list(reasons)] = False
    for argument, what in (("vi", "sampling variances"), ("weights", "weights")):
        if argument in values:
            bad = included & (values[argument] <= 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise MetaattError(
                    f"{argument}: {where(i)} is {values[argument][i]:g}; {what} must be > 0"
                )

    low, high = VARIANCE_RANGE
    with np.errstate(invalid="ignore"):
        huge = included & (np.abs(values["yi"]) > MAX_ABS_EFFECT)
        odd = included & ((values["vi"] < low) | (values["vi"] > high))
    if huge.any() or odd.any():
        argument, i = ("yi", first_bad(huge)) if huge.any() else ("vi", first_bad(odd))
        raise MetaattError(
            f"{argument}: {where(i)} is {values[argument][i]:g}; |yi| must be at most "
            f"{MAX_ABS_EFFECT:g} and vi within [{low:g}, {high:g}] for the weighted sums to "
            "stay finite (rescale, e.g. change units)"
        )

    n_analyses = len(keys)
    k = np.bincount(codes[included], minlength=n_analyses)
    n_excluded = np.bincount(codes[~included], minlength=n_analyses)
    if (k == 0).any():
        b = int(np.flatnonzero(k == 0)[0])
        rows = np.flatnonzero(codes == b)
        detail = "; ".join(f"{where.row(i)}: {reasons[i]}" for i in rows[:5])
        raise MetaattError(
            f"{where.analysis(b)}: no study left to analyse (k = 0); all {len(rows)} rows "
            f"are excluded ({detail})"
        )
    if not allow_mixed_metrics:
        _check_metrics(frame, codes, included, where)
    excluded_rows = np.flatnonzero(~included)
    excluded = keys.iloc[codes[excluded_rows]].reset_index(drop=True)
    excluded["index"] = frame.index[excluded_rows]
    excluded["reason"] = [reasons[i] for i in excluded_rows]
    return BatchInput(
        keys=keys,
        codes=codes[included],
        yi=values["yi"][included],
        vi=values["vi"][included],
        weights=values["weights"][included] if "weights" in values else None,
        k=k,
        n_excluded=n_excluded,
        excluded=excluded,
        measure=frame.attrs.get("measure"),
        synthetic=_synthetic(frame),
    )


def _by_from_index(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Move ``by`` names that are index levels (not columns) into columns."""
    levels = [b for b in by if b not in frame.columns and b in (frame.index.names or [])]
    if levels:
        frame = frame.reset_index(level=levels)
    missing = [b for b in by if b not in frame.columns]
    if missing:
        raise MetaattError(
            f"by: column {missing[0]!r} is not in frame; available: {list(frame.columns)}"
        )
    return frame


def _analyses(frame: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The sorted distinct ``by`` values and each row's analysis number."""
    nan = frame[by].isna().to_numpy()
    if nan.any():
        i, j = (int(x[0]) for x in np.nonzero(nan))
        raise MetaattError(
            f"by: column {by[j]!r} is missing (NaN) in the row with index "
            f"{frame.index[i]!r}; every row needs an analysis"
        )
    try:
        column = frame[by[0]]
        if len(by) == 1 and column.dtype.kind in "iuf" and column.is_monotonic_increasing:
            values = column.to_numpy()  # already grouped and sorted: no hashing needed
            new = np.empty(len(values), dtype=bool)
            new[0] = True
            np.not_equal(values[1:], values[:-1], out=new[1:])
            codes = np.cumsum(new) - 1
            keys = pd.DataFrame({by[0]: column.iloc[np.flatnonzero(new)].to_numpy()})
        elif len(by) == 1:
            codes, uniques = pd.factorize(column, sort=True)
            keys = pd.DataFrame({by[0]: uniques})
        else:
            grouped = frame.groupby(by, sort=True, observed=True)
            codes = grouped.ngroup().to_numpy()
            keys = grouped.size().index.to_frame(index=False)
    except TypeError as error:
        raise MetaattError(
            f"by: the values of {by} cannot be ordered (mixed types?): {error}"
        ) from None
    return keys.reset_index(drop=True), np.asarray(codes, dtype=np.intp)


class _Namer:
    """Names rows and analyses in error messages."""

    def __init__(self, frame: pd.DataFrame, keys: pd.DataFrame, codes: np.ndarray) -> None:
        self._index = frame.index
        self._study = frame["study"] if "study" in frame.columns else None
        self._keys = keys
        self._codes = codes

    def analysis(self, b: int) -> str:
        values = self._keys.iloc[b]
        return "analysis " + ", ".join(f"{c}={values[c]!r}" for c in self._keys.columns)

    def row(self, i: int) -> str:
        text = f"row with index {self._index[i]!r}"
        if self._study is not None:
            text += f" (study {str(self._study.iloc[i])!r})"
        return text

    def __call__(self, i: int) -> str:
        return f"{self.analysis(int(self._codes[i]))}, {self.row(i)}"


def _numeric(series: pd.Series, argument: str, where: _Namer) -> np.ndarray:
    """A float copy of a column; non-numbers and infinities are errors naming the row."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
    else:
        converted = pd.to_numeric(series, errors="coerce")
        bad = (converted.isna() & series.notna()).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise MetaattError(
                f"{argument}: {where(i)} is {series.iloc[i]!r}, which is not a number"
            )
        values = converted.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise MetaattError(f"{argument}: {where(i)} is infinite ({values[i]})")
    return values


def _exclusions(
    frame: pd.DataFrame, values: dict[str, np.ndarray], where: _Namer, missing: str
) -> dict[int, str]:
    """Row -> reason for every row with a missing value (given reason or ``missing``)."""
    nan = {name: np.isnan(array) for name, array in values.items()}
    bad = np.logical_or.reduce(list(nan.values()))
    if not bad.any():
        return {}
    rows = np.flatnonzero(bad)
    given = [None] * len(rows)
    if REASON_COLUMN in frame.columns:
        reason = frame[REASON_COLUMN].iloc[rows]
        given = [None if pd.isna(r) or not str(r).strip() else str(r) for r in reason]
    reasons: dict[int, str] = {}
    for i, text in zip(rows.tolist(), given, strict=True):
        problems = [name for name in ("yi", "vi", "weights") if name in nan and nan[name][i]]
        if text is not None:
            reasons[i] = text
        elif missing == "exclude":
            reasons[i] = f"{' and '.join(problems)} missing"
        else:
            raise MetaattError(
                f"{problems[0]}: {where(i)} is missing (NaN); fix the value, or pass "
                "missing='exclude' to leave the study out with a reason"
            )
    return reasons


def _check_metrics(
    frame: pd.DataFrame, codes: np.ndarray, included: np.ndarray, where: _Namer
) -> None:
    """Within an analysis, effect sizes on different metrics cannot be pooled (as in pool)."""
    if METRIC_COLUMN not in frame.columns:
        return
    metric = frame[METRIC_COLUMN].astype(object)
    known = (metric.notna() & (metric.astype(str).str.strip() != "")).to_numpy()
    use = included & known
    if not use.any():
        return
    values = metric[use].astype(str)
    counts = values.groupby(codes[use]).nunique()
    mixed = counts[counts > 1]
    if len(mixed):
        b = int(mixed.index[0])
        found = sorted(set(values[codes[use] == b]))
        raise MetaattError(
            f"metric: {where.analysis(b)} mixes the metrics {found}; rows on different "
            "scales cannot be pooled in one model (see metaatt.extract.metrics). Split the "
            "analysis by metric, convert to a common one, or pass allow_mixed_metrics=True"
        )


def _synthetic(frame: pd.DataFrame) -> bool:
    if bool(frame.attrs.get("synthetic", False)):
        return True
    if "synthetic" in frame.columns:
        return bool(pd.Series(frame["synthetic"]).fillna(False).astype(bool).any())
    return False
