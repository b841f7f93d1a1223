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

import operator
import warnings
from collections.abc import Sequence, Sized
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from ._frozen import build
from ._validate import (
    MAX_ABS_EFFECT,
    VARIANCE_RANGE,
    as_float_vector,
    check_choice,
    check_same_length,
    describe_row,
    first_bad,
    is_frame,
)
from .errors import MetaattError, StudyExcludedWarning

__all__ = ["REASON_COLUMN", "EffectInputs", "read_effects", "resolve_column"]

#: column of an effect-size table that explains why a row has no effect size
REASON_COLUMN = "reason"
_LABEL_COLUMNS = ("study", "label", "author")


@dataclass(frozen=True)
class EffectInputs:
    """Validated effect sizes of the included studies, and the excluded ones with reasons.

    ``labels``, ``data`` and ``excluded`` are built on first access (pandas tables cost more
    than a whole fit of a small meta-analysis) and then cached; they never change.
    """

    yi: np.ndarray
    vi: np.ndarray
    included: np.ndarray  # boolean mask over the input rows
    measure: str | None
    synthetic: bool
    row_labels: Sequence[str]  # labels of every input row
    reasons: dict[int, str]  # input row (0-based) -> why it was excluded
    source: pd.DataFrame | None  # the caller's table, if any

    @property
    def k(self) -> int:
        return len(self.yi)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Labels of the included studies."""
        if self.included.all():
            return tuple(self.row_labels)
        return tuple(self.row_labels[i] for i in np.flatnonzero(self.included))

    @cached_property
    def excluded(self) -> pd.DataFrame:
        """One row per excluded study: study, row (1-based), reason."""
        import pandas as pd

        rows = sorted(self.reasons)
        return pd.DataFrame(
            {
                "study": [self.row_labels[i] for i in rows],
                "row": np.array(rows, dtype=int) + 1,
                "reason": [self.reasons[i] for i in rows],
            }
        )

    @cached_property
    def data(self) -> pd.DataFrame:
        """The included rows: every input column plus ``yi``, ``vi`` (and ``study``)."""
        import pandas as pd

        included = self.included
        if self.source is not None:
            table = self.source.loc[included].copy() if not included.all() else self.source.copy()
        else:
            table = pd.DataFrame(index=range(int(included.sum())))
        table["yi"] = self.yi
        table["vi"] = self.vi
        if "ni" in table.attrs:  # escalc's per-row sample sizes (metafor's attr(yi, "ni"))
            ni = table.attrs.pop("ni")
            if ni is not None and len(ni) == len(included):  # else stale: rows were selected
                table.attrs["ni"] = type(ni)(n for n, k in zip(ni, included, strict=True) if k)
        if "study" not in table.columns:
            table.insert(0, "study", list(self.labels))
        return table.reset_index(drop=True)


class _NumberedLabels(Sequence[str]):
    """The default labels ``Study 1``, ``Study 2``, ... without building them."""

    def __init__(self, n: int) -> None:
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [f"Study {i + 1}" for i in range(*index.indices(self._n))]
        i = operator.index(index)
        if not -self._n <= i < self._n:
            raise IndexError(index)
        return f"Study {i % self._n + 1}"


def resolve_column(value: Any, name: str, data: pd.DataFrame | None) -> Any:
    """A column of ``data`` when ``value`` is a column name, else ``value`` itself."""
    if isinstance(value, str):
        if data is not None and not is_frame(data):
            raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
        if data is None:
            raise MetaattError(f"{name}: got the column name {value!r} but no data= table")
        if value not in data.columns:
            raise MetaattError(
                f"{name}: column {value!r} is not in data; available: {list(data.columns)}"
            )
        column = data[value]
        if is_frame(column):
            raise MetaattError(
                f"{name}: data has {column.shape[1]} columns named {value!r}; rename or drop "
                "the duplicates"
            )
        return column
    return value


def _default_labels(data: pd.DataFrame | None, k: int) -> Sequence[str]:
    if data is not None:
        for column in _LABEL_COLUMNS:
            if column in data.columns:
                return [str(x) for x in data[column]]
        import pandas as pd  # a table was passed: pandas is loaded

        if not isinstance(data.index, pd.RangeIndex):
            return [str(x) for x in data.index]
    return _NumberedLabels(k)


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
    if (
        data is None
        and labels is None
        and sei is None
        and (not extra or all(value is None for value in extra.values()))
    ):
        inputs = _plain_arrays(yi, vi)
        if inputs is not None:
            return inputs, {}
    if is_frame(yi):
        if data is not None:
            raise MetaattError("yi: got a table and data= as well; pass one of them")
        data, yi = yi, "yi"
        if vi is None and sei is None:
            if "vi" in data.columns:
                vi = "vi"
            elif "sei" in data.columns:
                sei = "sei"
    if data is not None and not is_frame(data):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if vi is not None and sei is not None:
        raise MetaattError("vi, sei: give the sampling variances or the standard errors, not both")
    if vi is None and sei is None:
        raise MetaattError("vi: sampling variances are required (or give sei= standard errors)")

    raw_labels = resolve_column(labels, "labels", data)
    yi_values = resolve_column(yi, "yi", data)
    n_rows = len(yi_values) if isinstance(yi_values, Sized) and not np.isscalar(yi_values) else 1
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
    if reasons:
        included[list(reasons)] = False
    positive = v[included] if reasons else v
    if (positive <= 0).any():
        i = int(np.flatnonzero(included)[first_bad(positive <= 0)])
        raise MetaattError(
            f"vi: {describe_row(i, label_list)} is {v[i]:g}; sampling variances must be > 0"
        )
    from ._validate import check_magnitude  # (kept out of the module imports: fewer merges)

    check_magnitude(y, v, label_list, vi_name="vi" if sei is None else "sei")
    if not included.any():
        detail = "; ".join(f"{label_list[i]}: {r}" for i, r in reasons.items())
        raise MetaattError(f"yi: no study can be analysed ({detail})")
    # attachment layer: refuse to pool effect sizes on different metrics (metaatt.extract.metrics)
    if data is not None:
        from .extract.metrics import check_metric_mix

        check_metric_mix(data, included, label_list, allow_mixed_metrics=allow_mixed_metrics)

    if reasons:
        listing = "; ".join(f"{label_list[i]} ({reasons[i]})" for i in sorted(reasons))
        warnings.warn(
            f"{len(reasons)} of {len(y)} studies excluded from the model: {listing}",
            StudyExcludedWarning,
            stacklevel=3,
        )

    measure = None
    synthetic = False
    if data is not None:
        import pandas as pd  # a table was passed: pandas is loaded

        measure = data.attrs.get("measure")
        synthetic = bool(data.attrs.get("synthetic", False)) or (
            "synthetic" in data.columns
            and bool(pd.Series(data["synthetic"]).fillna(False).astype(bool).any())
        )
    all_in = not reasons
    inputs = EffectInputs(
        yi=y if all_in else y[included],
        vi=v if all_in else v[included],
        included=included,
        measure=measure,
        synthetic=synthetic,
        row_labels=label_list,
        reasons=reasons,
        source=data,
    )
    return inputs, {name: array[included] for name, array in extras.items()}


def _plain_arrays(yi: Any, vi: Any) -> EffectInputs | None:
    """Fast path: two clean 1-D numeric arrays (no table, labels or missing values).

    Returns ``None`` whenever anything needs a closer look; the general path then names
    the problem exactly as before.
    """
    if not (isinstance(yi, np.ndarray) and isinstance(vi, np.ndarray)):
        return None
    if yi.ndim != 1 or yi.shape != vi.shape or yi.size == 0:
        return None
    if yi.dtype.kind not in "iuf" or vi.dtype.kind not in "iuf":
        return None
    y = yi.astype(float, copy=True)
    v = vi.astype(float, copy=True)
    if not _in_range(y, v):
        return None
    included = np.empty(y.shape, dtype=bool)
    included.fill(True)
    return build(
        EffectInputs,
        yi=y,
        vi=v,
        included=included,
        measure=None,
        synthetic=False,
        row_labels=_NumberedLabels(len(y)),
        reasons={},
        source=None,
    )


def _in_range(y: np.ndarray, v: np.ndarray) -> bool:
    """Magnitudes safe for the estimators (see :func:`metaatt._validate.check_magnitude`).

    Also false for any NaN or infinity: ``maximum``/``minimum`` propagate NaN (and every
    comparison with NaN is false), an infinite ``|y|`` or ``v`` exceeds its bound, and
    ``v >= 1e-60`` excludes non-positive variances.
    """
    low, high = VARIANCE_RANGE
    return bool(
        np.maximum.reduce(np.abs(y)) <= MAX_ABS_EFFECT
        and low <= np.minimum.reduce(v)
        and np.maximum.reduce(v) <= high
    )


def _exclusion_reasons(
    y: np.ndarray,
    v: np.ndarray,
    extras: dict[str, np.ndarray],
    data: pd.DataFrame | None,
    labels: list[str],
    missing: str,
) -> dict[int, str]:
    """Row index -> reason for every row that cannot enter the model."""
    if not extras and not (np.isnan(y).any() or np.isnan(v).any()):
        return {}
    columns = {"yi": np.isnan(y), "vi": np.isnan(v)}
    for name, array in extras.items():
        columns[name] = np.isnan(array).reshape(len(y), -1).any(axis=1)
    bad = np.logical_or.reduce(list(columns.values()))
    reasons: dict[int, str] = {}
    for i in np.flatnonzero(bad):
        problems = [name for name, nan in columns.items() if nan[i]]
        given = None
        if data is not None and REASON_COLUMN in data.columns:
            import pandas as pd  # a table was passed: pandas is loaded

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
