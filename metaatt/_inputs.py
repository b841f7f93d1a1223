"""Read effect sizes (yi, vi, labels) from arrays or a DataFrame, excluding with reasons.

Every model function accepts the same inputs: arrays, column names with ``data=``, or an
effect-size table (the output of :func:`metaatt.escalc`) passed directly. A row that
cannot enter the model (missing ``yi`` or ``vi``) is excluded only when a reason is known:
from the table's ``reason`` column (set by ``escalc``, e.g. a double-zero table) or because
the caller asked for ``missing="exclude"``. Otherwise the row is named in a
:class:`~metaatt.errors.MetaattError`. Nothing is dropped silently: exclusions are listed in
the result and announced with a :class:`~metaatt.errors.StudyExcludedWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._validate import as_float_vector, check_choice, check_same_length, describe_row, first_bad
from .errors import MetaattError, StudyExcludedWarning

__all__ = ["REASON_COLUMN", "EffectInputs", "read_effects", "resolve_column"]

#: column of an effect-size table that explains why a row has no effect size
REASON_COLUMN = "reason"
_LABEL_COLUMNS = ("study", "label", "author")


@dataclass(frozen=True)
class EffectInputs:
    """Validated effect sizes of the included studies, and the excluded ones with reasons."""

    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame  # included rows: every input column plus yi, vi
    excluded: pd.DataFrame  # columns: study, row, reason
    included: np.ndarray  # boolean mask over the input rows
    measure: str | None
    synthetic: bool

    @property
    def k(self) -> int:
        return len(self.yi)


def resolve_column(value: Any, name: str, data: pd.DataFrame | None) -> Any:
    """A column of ``data`` when ``value`` is a column name, else ``value`` itself."""
    if isinstance(value, str):
        if data is None:
            raise MetaattError(f"{name}: got the column name {value!r} but no data= table")
        if value not in data.columns:
            raise MetaattError(
                f"{name}: column {value!r} is not in data; available: {list(data.columns)}"
            )
        return data[value]
    return value


def _default_labels(data: pd.DataFrame | None, k: int) -> list[str]:
    if data is not None:
        for column in _LABEL_COLUMNS:
            if column in data.columns:
                return [str(x) for x in data[column]]
        if not isinstance(data.index, pd.RangeIndex):
            return [str(x) for x in data.index]
    return [f"Study {i + 1}" for i in range(k)]


def read_effects(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    missing: str = "raise",
    extra: dict[str, Any] | None = None,
    allow_mixed_metrics: bool = False,
) -> tuple[EffectInputs, dict[str, np.ndarray]]:
    """Validate effect sizes and return them with any ``extra`` per-study arrays aligned.

    Parameters
    ----------
    yi, vi, sei
        Arrays, or column names of ``data``. ``yi`` may also be an effect-size table with
        ``yi`` and ``vi`` (or ``sei``) columns. Give ``vi`` or ``sei``, not both.
    data
        Table holding the named columns (kept, with provenance, in the result).
    labels
        Study labels (array or column name); default: the ``study`` column when present.
    missing
        ``"raise"`` (default) names the first row with a missing value; ``"exclude"``
        leaves such rows out and records why.
    extra
        Further per-study inputs (e.g. moderators, weights) validated for length and
        subset to the included rows; returned in the second element.
    allow_mixed_metrics
        A table with a ``metric`` column whose included rows carry different metrics (e.g.
        change-score ``d_z`` and raw-score ``d_raw_change``) raises a ``MetaattError``
        unless this is ``True`` (see :mod:`metaatt.extract.metrics`).
    """
    check_choice(missing, "missing", ("raise", "exclude"))
    if isinstance(yi, pd.DataFrame):
        if data is not None:
            raise MetaattError("yi: got a table and data= as well; pass one of them")
        data, yi = yi, "yi"
        if vi is None and sei is None:
            if "vi" in data.columns:
                vi = "vi"
            elif "sei" in data.columns:
                sei = "sei"
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if vi is not None and sei is not None:
        raise MetaattError("vi, sei: give the sampling variances or the standard errors, not both")
    if vi is None and sei is None:
        raise MetaattError("vi: sampling variances are required (or give sei= standard errors)")

    raw_labels = resolve_column(labels, "labels", data)
    yi_values = resolve_column(yi, "yi", data)
    n_rows = len(np.atleast_1d(np.asarray(yi_values, dtype=object)))
    label_list = (
        _default_labels(data, n_rows) if raw_labels is None else [str(x) for x in raw_labels]
    )
    y = as_float_vector(yi_values, "yi", labels=label_list, allow_nan=True)
    if sei is not None:
        s = as_float_vector(
            resolve_column(sei, "sei", data), "sei", labels=label_list, allow_nan=True
        )
        check_same_length(yi=y, sei=s)
        if (s[~np.isnan(s)] <= 0).any():
            i = first_bad(s <= 0)
            raise MetaattError(
                f"sei: {describe_row(i, label_list)} is {s[i]:g}; standard errors must be > 0"
            )
        v = s**2
    else:
        v = as_float_vector(resolve_column(vi, "vi", data), "vi", labels=label_list, allow_nan=True)
        check_same_length(yi=y, vi=v)
    if len(label_list) != len(y):
        raise MetaattError(f"labels: {len(label_list)} labels for {len(y)} studies")
    if data is not None and len(data) != len(y):
        raise MetaattError(f"data: {len(data)} rows but yi has {len(y)} values")

    extras = {
        name: as_float_vector(
            resolve_column(value, name, data), name, labels=label_list, allow_nan=True
        )
        if np.ndim(resolve_column(value, name, data)) <= 1
        else np.asarray(resolve_column(value, name, data), dtype=float)
        for name, value in (extra or {}).items()
        if value is not None
    }
    for name, array in extras.items():
        if len(array) != len(y):
            raise MetaattError(f"{name}: {len(array)} values for {len(y)} studies")

    reasons = _exclusion_reasons(y, v, extras, data, label_list, missing)
    included = np.ones(len(y), dtype=bool)
    included[list(reasons)] = False
    positive = v[included]
    if (positive <= 0).any():
        i = int(np.flatnonzero(included)[first_bad(positive <= 0)])
        raise MetaattError(
            f"vi: {describe_row(i, label_list)} is {v[i]:g}; sampling variances must be > 0"
        )
    if not included.any():
        detail = "; ".join(f"{label_list[i]}: {r}" for i, r in reasons.items())
        raise MetaattError(f"yi: no study can be analysed ({detail})")
    # attachment layer: refuse to pool effect sizes on different metrics (metaatt.extract.metrics)
    from .extract.metrics import check_metric_mix

    check_metric_mix(data, included, label_list, allow_mixed_metrics=allow_mixed_metrics)

    excluded = pd.DataFrame(
        {
            "study": [label_list[i] for i in np.flatnonzero(~included)],
            "row": np.flatnonzero(~included) + 1,
            "reason": [reasons[i] for i in np.flatnonzero(~included)],
        }
    )
    if len(excluded):
        listing = "; ".join(
            f"{s} ({r})" for s, r in zip(excluded.study, excluded.reason, strict=True)
        )
        warnings.warn(
            f"{len(excluded)} of {len(y)} studies excluded from the model: {listing}",
            StudyExcludedWarning,
            stacklevel=3,
        )

    if data is not None:
        table = data.loc[included].copy() if not included.all() else data.copy()
    else:
        table = pd.DataFrame(index=range(int(included.sum())))
    table["yi"] = y[included]
    table["vi"] = v[included]
    if "study" not in table.columns:
        table.insert(0, "study", [label_list[i] for i in np.flatnonzero(included)])
    measure = None
    synthetic = False
    if data is not None:
        measure = data.attrs.get("measure")
        synthetic = bool(data.attrs.get("synthetic", False)) or (
            "synthetic" in data.columns
            and bool(pd.Series(data["synthetic"]).fillna(False).astype(bool).any())
        )
    inputs = EffectInputs(
        yi=y[included],
        vi=v[included],
        labels=tuple(label_list[i] for i in np.flatnonzero(included)),
        data=table.reset_index(drop=True),
        excluded=excluded,
        included=included,
        measure=measure,
        synthetic=synthetic,
    )
    return inputs, {name: array[included] for name, array in extras.items()}


def _exclusion_reasons(
    y: np.ndarray,
    v: np.ndarray,
    extras: dict[str, np.ndarray],
    data: pd.DataFrame | None,
    labels: list[str],
    missing: str,
) -> dict[int, str]:
    """Row index -> reason for every row that cannot enter the model."""
    columns = {"yi": np.isnan(y), "vi": np.isnan(v)}
    for name, array in extras.items():
        columns[name] = np.isnan(array).reshape(len(y), -1).any(axis=1)
    bad = np.logical_or.reduce(list(columns.values()))
    reasons: dict[int, str] = {}
    for i in np.flatnonzero(bad):
        problems = [name for name, nan in columns.items() if nan[i]]
        given = None
        if data is not None and REASON_COLUMN in data.columns:
            value = data[REASON_COLUMN].iloc[i]
            if not pd.isna(value) and str(value).strip():
                given = str(value)
        if given is not None:
            reasons[int(i)] = given
        elif missing == "exclude":
            reasons[int(i)] = f"{' and '.join(problems)} missing"
        else:
            raise MetaattError(
                f"{problems[0]}: {describe_row(int(i), labels)} is missing (NaN); "
                "fix the value, or pass missing='exclude' to leave the study out with a reason"
            )
    return reasons
