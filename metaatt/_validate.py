"""Input validation shared by every public function.

Each checker raises :class:`metaatt.errors.MetaattError` (a ``ValueError``) whose message
names the argument, the offending row or study, and the problem, so that bad input never
reaches numpy and never turns into a silent NaN.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence, Set
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .errors import MetaattError

__all__ = [
    "as_float_vector",
    "check_choice",
    "check_fraction",
    "check_labels",
    "check_level",
    "check_magnitude",
    "check_number",
    "check_path",
    "check_same_length",
    "check_seed",
    "describe_row",
    "first_bad",
    "is_frame",
    "is_pandas_na",
    "is_series",
]


def is_frame(value: Any) -> bool:
    """``value`` is a pandas DataFrame (without importing pandas: none exists before it is)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, pd.DataFrame)


def is_series(value: Any) -> bool:
    """``value`` is a pandas Series (without importing pandas)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, pd.Series)


def is_pandas_na(value: Any) -> bool:
    """``value`` is ``pandas.NA`` (without importing pandas)."""
    pd = sys.modules.get("pandas")
    return pd is not None and value is pd.NA


def describe_row(index: int, labels: Sequence[Any] | None = None) -> str:
    """Human-readable name of a row: ``"row 3 (study 'Aronson 1948')"``; 0-based ``index``."""
    if labels is not None and index < len(labels):
        label = labels[index]
        if label is not None and str(label) not in (str(index + 1), f"Study {index + 1}"):
            return f"row {index + 1} (study {str(label)!r})"
    return f"row {index + 1}"


def first_bad(mask: np.ndarray) -> int:
    """Index of the first True entry of a boolean mask (the caller knows one exists)."""
    return int(np.flatnonzero(mask)[0])


def as_float_vector(
    values: Any,
    name: str,
    *,
    labels: Sequence[Any] | None = None,
    allow_nan: bool = False,
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert ``values`` to a 1-D float64 array, or raise a :class:`MetaattError`.

    Parameters
    ----------
    values
        A scalar, sequence, numpy array or pandas Series of numbers.
    name
        The argument's name, used in error messages.
    labels
        Optional study labels used to name offending rows.
    allow_nan
        Accept NaN entries (missing values); infinities are always rejected.
    allow_empty
        Accept a vector of length 0.
    """
    if values is None:
        raise MetaattError(f"{name}: a value is required, got None")
    if isinstance(values, str):
        raise MetaattError(f"{name}: expected numbers, got the string {values!r}")
    if is_frame(values):
        raise MetaattError(f"{name}: expected a 1-D sequence of numbers, got a DataFrame")
    if isinstance(values, Mapping | Set):
        raise MetaattError(
            f"{name}: expected a 1-D sequence of numbers, got a {type(values).__name__}"
        )
    if is_series(values):
        values = values.to_numpy(dtype=object if values.dtype == object else None)
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):  # ragged nested sequences
        raise MetaattError(
            f"{name}: expected a 1-D sequence of numbers, got {type(values).__name__} "
            "that is not a flat list of numbers"
        ) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise MetaattError(f"{name}: expected a 1-D sequence of numbers, got shape {arr.shape}")
    if arr.dtype.kind in "cmMV" or isinstance(values, bytes):
        raise MetaattError(f"{name}: expected real numbers, got values of type {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        try:
            arr = np.array(
                [np.nan if v is None or is_pandas_na(v) else v for v in arr], dtype=float
            )
        except (TypeError, ValueError):
            bad = next(i for i, v in enumerate(arr) if not _is_number_or_missing(v))
            value = arr[bad].item() if isinstance(arr[bad], np.generic) else arr[bad]
            raise MetaattError(
                f"{name}: {describe_row(bad, labels)} is {value!r}, which is not a number"
            ) from None
    arr = arr.astype(float, copy=True)
    if arr.size == 0 and not allow_empty:
        raise MetaattError(f"{name}: no values (length 0); at least one study is needed")
    if np.isinf(arr).any():
        i = first_bad(np.isinf(arr))
        raise MetaattError(f"{name}: {describe_row(i, labels)} is infinite ({arr[i]})")
    if not allow_nan and np.isnan(arr).any():
        i = first_bad(np.isnan(arr))
        raise MetaattError(f"{name}: {describe_row(i, labels)} is missing (NaN)")
    return arr


def _is_number_or_missing(value: Any) -> bool:
    if value is None or is_pandas_na(value):
        return True
    if isinstance(value, complex | np.complexfloating):
        return False
    try:
        float(value)  # numeric text such as '0.1' converts like the rest of the vector
    except (TypeError, ValueError):
        return False
    return True


def check_same_length(**arrays: np.ndarray) -> int:
    """Check that every named array has the same length and return it."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise MetaattError(f"lengths differ: {detail}; one value per study is needed")
    return next(iter(lengths.values()))


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (exact match), else raise."""
    if isinstance(value, str) and isinstance(choices, (tuple, list)) and value in choices:
        return value
    choices = list(choices)
    if isinstance(value, str) and value in choices:
        return value
    hint = ""
    if isinstance(value, str):
        close = difflib.get_close_matches(value, choices, n=1) or [
            c for c in choices if c.lower() == value.lower()
        ]
        if close:
            hint = f"; did you mean {close[0]!r}?"
    raise MetaattError(f"{name}: unknown value {value!r}; choose one of {choices}{hint}")


def check_level(level: Any, name: str = "level") -> float:
    """A confidence level strictly between 0 and 1 (0.95, not 95)."""
    return check_fraction(level, name, example=" (e.g. 0.95)")


def check_fraction(value: Any, name: str, example: str = "") -> float:
    """A number strictly between 0 and 1 (a level, an alpha, an acceptance rate), as a float;
    ``example`` is added to the message (``" (e.g. 0.95)"``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MetaattError(f"{name}: expected a number in (0, 1), got {value!r}") from None
    if not 0.0 < number < 1.0:
        raise MetaattError(f"{name}: must lie strictly between 0 and 1{example}, got {value!r}")
    return number


#: effect sizes and sampling variances outside these bounds overflow the weighted sums
#: (squared weights, squared residuals) of the estimators; rescale such data first
MAX_ABS_EFFECT = 1e50
VARIANCE_RANGE = (1e-60, 1e100)


def check_magnitude(
    yi: np.ndarray, vi: np.ndarray, labels: Sequence[Any] | None = None, *, vi_name: str = "vi"
) -> None:
    """Reject effect sizes and variances whose powers overflow double precision.

    ``|yi|`` must not exceed :data:`MAX_ABS_EFFECT` and ``vi`` must lie in
    :data:`VARIANCE_RANGE` (NaN entries are skipped: they are missing values). The
    message names the row and suggests rescaling (changing units), which leaves every
    standardized result unchanged.
    """
    with np.errstate(invalid="ignore"):
        big = np.abs(yi) > MAX_ABS_EFFECT
        low, high = VARIANCE_RANGE
        odd = (vi < low) | (vi > high)
    if big.any():
        i = first_bad(big)
        raise MetaattError(
            f"yi: {describe_row(i, labels)} is {yi[i]:g}; effect sizes above {MAX_ABS_EFFECT:g} "
            "in absolute value cannot be analysed in double precision (rescale, e.g. change units)"
        )
    if odd.any():
        i = first_bad(odd)
        raise MetaattError(
            f"{vi_name}: {describe_row(i, labels)} gives a sampling variance of {vi[i]:g}, "
            f"outside [{low:g}, {high:g}] where the weighted sums stay finite "
            "(rescale, e.g. change units)"
        )


def check_labels(values: Any, name: str, labels: Sequence[Any] | None = None) -> pd.Series:
    """One label per row (a grouping such as ``groups``, ``study`` or ``cluster``).

    Returns the labels as a Series with a default index. Missing labels (None, NaN, pd.NA)
    are kept for the caller's ``missing=`` rule; lists, dicts, arrays and other unhashable
    entries, tables and mappings are refused with the offending row named.
    """
    if values is None:
        raise MetaattError(f"{name}: a label for every row is required, got None")
    if is_frame(values):
        raise MetaattError(f"{name}: expected one label per row, got a DataFrame")
    if isinstance(values, Mapping | Set | str | bytes):
        raise MetaattError(f"{name}: expected one label per row, got a {type(values).__name__}")
    if is_series(values):
        series = values.reset_index(drop=True)
    else:
        if isinstance(values, np.ndarray) and values.ndim > 1:
            raise MetaattError(f"{name}: expected one label per row, got shape {values.shape}")
        try:
            import pandas as pd

            series = pd.Series(list(values) if not isinstance(values, np.ndarray) else values)
        except TypeError:
            raise MetaattError(
                f"{name}: expected one label per row, got {type(values).__name__}"
            ) from None
    if series.dtype == object:
        unhashable = ~series.map(lambda v: isinstance(v, Hashable)).to_numpy(dtype=bool)
        if unhashable.any():
            i = first_bad(unhashable)
            raise MetaattError(
                f"{name}: {describe_row(i, labels)} is {series.iloc[i]!r}; a label must be a "
                "single value (text or number), not a list or table"
            )
    return series


def check_seed(value: Any, name: str = "random_seed") -> Any:
    """A seed numpy accepts: None, a non-negative integer, a Generator or a SeedSequence."""
    if value is None or isinstance(value, np.random.Generator | np.random.SeedSequence):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        if value < 0:
            raise MetaattError(f"{name}: must be a non-negative integer, got {value}")
        return int(value)
    raise MetaattError(
        f"{name}: expected None, a non-negative integer or a numpy Generator, got {value!r}"
    )


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A single finite real number (not a boolean) within the given bounds, as a float."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise MetaattError(f"{name}: expected a single number, got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise MetaattError(f"{name}: expected a finite number, got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        parts = []
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high:g}")
        raise MetaattError(f"{name}: must be {' and '.join(parts)}, got {value!r}")
    return number


def check_path(value: Any, name: str) -> Path:
    """A file-system path given as text or a path object (never read or written here)."""
    if isinstance(value, bytes) or not isinstance(value, str | PathLike) or not str(value):
        raise MetaattError(f"{name}: expected a file path (text or pathlib.Path), got {value!r}")
    return Path(value)
