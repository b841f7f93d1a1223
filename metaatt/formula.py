"""Moderator (design) matrices from arrays, tables or formula strings.

``meta_regression``, ``subgroup_analysis`` (common tau^2) and ``multilevel`` all accept
moderators in one of these forms:

* a formula string such as ``"~ ablat + year"`` (or ``"ablat + year"``) evaluated in
  ``data`` by the formula machinery statsmodels ships (patsy in statsmodels 0.15, formulaic
  when only that is installed; imported on first use). Categorical variables get
  treatment (dummy) coding; ``I(x - 10)``, ``np.log(x)`` and interactions work as usual;
* a column name or a list of column names of ``data``;
* a 1-D array (one moderator), a 2-D array or a DataFrame (one column per moderator;
  non-numeric columns are dummy coded against their first level).

An intercept column is added unless ``intercept=False`` (or the formula removes it with
``- 1`` / ``0 +``). Missing moderator values become NaN rows, which the model either
rejects (naming the row) or excludes with a reason. Collinear and constant moderators are
rejected with a :class:`~metaatt.errors.MetaattError` naming the columns involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._validate import describe_row
from .errors import MetaattError

__all__ = ["ModeratorMatrix", "build_moderators", "check_full_rank", "new_design_rows"]

INTERCEPT = "intrcpt"


@dataclass(frozen=True)
class ModeratorMatrix:
    """A design matrix with column names and what is needed to build new rows."""

    X: np.ndarray  # (n, p); rows with a missing moderator are NaN
    names: tuple[str, ...]
    intercept: bool  # column 0 is the intercept
    formula: str | None = None
    spec: Any = None  # the formula engine's spec (patsy DesignInfo / formulaic ModelSpec)
    categories: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # dummy-coded table columns
    columns: tuple[str, ...] = ()  # moderator columns of a table input (in order)

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def moderator_names(self) -> tuple[str, ...]:
        """Names of the columns other than the intercept."""
        return self.names[1:] if self.intercept else self.names


def _is_formula(mods: Any) -> bool:
    return isinstance(mods, str)


def build_moderators(
    mods: Any,
    *,
    data: pd.DataFrame | None,
    n_rows: int,
    intercept: bool = True,
    name: str = "mods",
) -> ModeratorMatrix:
    """Turn ``mods`` (formula, column name(s), array or table) into a design matrix.

    Parameters
    ----------
    mods
        See the module docstring.
    data
        Table in which formula terms and column names are looked up.
    n_rows
        Number of studies (rows of the effect-size input) the matrix must match.
    intercept
        Add an intercept column (first) unless the formula removes it.
    name
        Argument name used in error messages.

    Notes
    -----
    Missing values (NaN) are kept for the caller's ``missing=`` rule; infinite values and
    magnitudes above :data:`MAX_ABS_MODERATOR` (whose squares overflow) are refused here.
    """
    built = _build_moderators(mods, data=data, n_rows=n_rows, intercept=intercept, name=name)
    X = built.X
    with np.errstate(invalid="ignore"):
        bad = np.isinf(X) | (np.abs(X) > MAX_ABS_MODERATOR)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise MetaattError(
            f"{name}: row {int(i) + 1} has the value {X[i, j]:g} for moderator "
            f"{built.names[j]!r}; moderators must be finite and at most "
            f"{MAX_ABS_MODERATOR:g} in absolute value (rescale, e.g. change units)"
        )
    return built


#: moderators beyond this magnitude overflow the squared sums of the design matrix
MAX_ABS_MODERATOR = 1e100


def _build_moderators(
    mods: Any,
    *,
    data: pd.DataFrame | None,
    n_rows: int,
    intercept: bool = True,
    name: str = "mods",
) -> ModeratorMatrix:
    """The design matrix of :func:`build_moderators`, before the magnitude check."""
    if mods is None:
        raise MetaattError(f"{name}: moderators are required (a formula, columns or an array)")
    if _is_formula(mods):
        if data is not None and mods in data.columns:
            return _from_table(data[[mods]], n_rows, intercept, name)
        return _from_formula(mods, data, n_rows, intercept, name)
    if isinstance(mods, (list, tuple)) and mods and all(isinstance(m, str) for m in mods):
        if data is None:
            raise MetaattError(f"{name}: got column names {list(mods)} but no data= table")
        missing = [m for m in mods if m not in data.columns]
        if missing:
            raise MetaattError(
                f"{name}: column(s) {missing} not in data; available: {list(data.columns)}"
            )
        return _from_table(data[list(mods)], n_rows, intercept, name)
    if isinstance(mods, pd.Series):
        return _from_table(mods.to_frame(name=mods.name or "mod"), n_rows, intercept, name)
    if isinstance(mods, pd.DataFrame):
        return _from_table(mods, n_rows, intercept, name)
    try:
        arr = np.asarray(mods, dtype=float)
    except (TypeError, ValueError):
        raise MetaattError(
            f"{name}: expected numbers, a table or a formula string, got {type(mods).__name__}"
        ) from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise MetaattError(f"{name}: expected a 1-D or 2-D array, got shape {arr.shape}")
    names = tuple(f"X{j + 1}" for j in range(arr.shape[1])) if arr.shape[1] > 1 else ("mod",)
    frame = pd.DataFrame(arr, columns=list(names))
    return _from_table(frame, n_rows, intercept, name)


def _check_rows(n: int, n_rows: int, name: str) -> None:
    if n != n_rows:
        raise MetaattError(
            f"{name}: {n} rows of moderators for {n_rows} studies; "
            "give one row of moderator values per study"
        )


def _from_table(frame: pd.DataFrame, n_rows: int, intercept: bool, name: str) -> ModeratorMatrix:
    _check_rows(len(frame), n_rows, name)
    if frame.shape[1] == 0:
        raise MetaattError(f"{name}: the moderator table has no columns")
    blocks: list[np.ndarray] = []
    names: list[str] = []
    categories: list[tuple[str, tuple[Any, ...]]] = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            blocks.append(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)[:, None])
            names.append(str(column))
            continue
        observed = pd.Series(values).dropna()
        if isinstance(values.dtype, pd.CategoricalDtype):
            levels = tuple(lv for lv in values.cat.categories if lv in set(observed))
        else:
            levels = tuple(sorted(observed.unique(), key=str))
        categories.append((str(column), levels))
        dummies = _dummies(values, levels, drop_first=intercept)
        blocks.append(dummies)
        kept = levels[1:] if intercept else levels
        names.extend(f"{column}[{level}]" for level in kept)
    X = np.hstack(blocks) if blocks else np.empty((n_rows, 0))
    if intercept:
        X = np.hstack([np.ones((n_rows, 1)), X])
        names.insert(0, INTERCEPT)
    return ModeratorMatrix(
        X=X,
        names=tuple(names),
        intercept=intercept,
        categories=tuple(categories),
        columns=tuple(str(c) for c in frame.columns),
    )


def _dummies(values: pd.Series, levels: tuple[Any, ...], drop_first: bool) -> np.ndarray:
    raw = pd.Series(values).to_numpy(dtype=object)
    out = np.column_stack([(raw == level).astype(float) for level in levels])
    out[pd.isna(pd.Series(values)).to_numpy()] = np.nan
    return out[:, 1:] if drop_first else out


def _formula_manager() -> Any:
    from statsmodels.formula._manager import FormulaManager  # heavy: imported on first use

    return FormulaManager()


def _from_formula(
    formula: str, data: pd.DataFrame | None, n_rows: int, intercept: bool, name: str
) -> ModeratorMatrix:
    rhs = formula.strip()
    if "~" in rhs:
        lhs, _, rhs = rhs.partition("~")
        if lhs.strip():
            raise MetaattError(
                f"{name}: give only the right-hand side of the formula (e.g. '~ ablat + year'); "
                f"got {formula!r} with an outcome {lhs.strip()!r}"
            )
    if not rhs.strip():
        raise MetaattError(f"{name}: the formula {formula!r} has no terms")
    if data is None:
        raise MetaattError(f"{name}: the formula {formula!r} needs a data= table to look up terms")
    _check_rows(len(data), n_rows, name)
    if not intercept:
        rhs = f"{rhs} - 1"
    manager = _formula_manager()
    frame = data.reset_index(drop=True)
    na_action = manager.get_na_action("drop")
    try:
        matrix = manager.get_matrices(f"~ {rhs}", frame, pandas=True, na_action=na_action)
    except Exception as exc:  # the engine's own message says what is wrong
        raise MetaattError(f"{name}: could not evaluate the formula {formula!r}: {exc}") from None
    spec = manager.spec
    mask = manager.missing_mask
    missing = (
        np.zeros(len(frame), dtype=bool)
        if mask is None
        else np.asarray(pd.Series(mask).to_numpy(), dtype=bool)
    )
    columns = [str(c) for c in matrix.columns]
    values = np.asarray(matrix, dtype=float)
    X = np.full((len(frame), values.shape[1]), np.nan)
    X[~missing] = values
    has_intercept = bool(columns) and columns[0] == "Intercept"
    if has_intercept:
        columns[0] = INTERCEPT
    if not columns:
        raise MetaattError(f"{name}: the formula {formula!r} produced no columns")
    return ModeratorMatrix(
        X=X, names=tuple(columns), intercept=has_intercept, formula=formula, spec=spec
    )


def check_full_rank(X: np.ndarray, names: tuple[str, ...], *, name: str = "mods") -> None:
    """Raise a :class:`MetaattError` naming the first column that adds no information.

    A column is redundant when it is (numerically) a linear combination of the columns
    before it: a constant moderator next to the intercept, a duplicated moderator, or a
    full set of dummies together with the intercept.
    """
    if X.shape[0] < X.shape[1]:
        return  # the caller reports 'fewer studies than coefficients'
    scale = np.sqrt((X**2).sum(axis=0))
    scale[scale == 0] = 1.0
    Xs = X / scale
    tol = max(X.shape) * np.finfo(float).eps * 1e4
    rank = 0
    for j in range(X.shape[1]):
        sv = np.linalg.svd(Xs[:, : j + 1], compute_uv=False)
        new_rank = int((sv > tol * sv[0]).sum()) if sv[0] > 0 else 0
        if new_rank <= rank:
            column = X[:, j]
            if np.ptp(column) == 0 and j > 0 and names[0] == INTERCEPT:
                problem = (
                    f"is constant ({column[0]:g} for every study), so it duplicates the intercept"
                )
            elif not np.any(column):
                problem = "is 0 for every study"
            else:
                problem = f"is a linear combination of {list(names[:j])} (collinear)"
            raise MetaattError(
                f"{name}: moderator {names[j]!r} {problem}; its coefficient cannot be "
                "estimated - drop it or recode the moderators"
            )
        rank = new_rank


def check_no_missing(X: np.ndarray, names: tuple[str, ...], labels: Any, name: str) -> None:
    """Name the first study with a missing moderator (used when missing='raise')."""
    bad = np.isnan(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise MetaattError(
            f"{name}: {describe_row(int(i), labels)} has a missing value for moderator "
            f"{names[j]!r}; fix it, or pass missing='exclude' to leave the study out with a reason"
        )


def new_design_rows(
    moderators: ModeratorMatrix, newmods: Any, *, name: str = "newmods"
) -> np.ndarray:
    """Design rows (with the intercept where the model has one) for new moderator values.

    ``newmods`` is a table / dict (columns named as the moderators or the formula's
    variables) or numbers: for a model with one moderator a 1-D array gives one row per
    value; otherwise a 1-D array is one row and a 2-D array has one row per prediction, with
    one column per non-intercept coefficient (as metafor's ``newmods``).
    """
    if isinstance(newmods, dict):
        newmods = pd.DataFrame({k: np.atleast_1d(v) for k, v in newmods.items()})
    if moderators.spec is not None:
        if not isinstance(newmods, pd.DataFrame):
            return _numeric_rows(moderators, newmods, name)
        manager = _formula_manager()
        try:
            rows = manager.get_matrices(
                moderators.spec, newmods.reset_index(drop=True), pandas=True, prediction=True
            )
        except Exception as exc:
            raise MetaattError(f"{name}: could not evaluate the model formula: {exc}") from None
        X = np.asarray(rows, dtype=float)
    elif isinstance(newmods, pd.DataFrame):
        missing = [c for c in moderators.columns if c not in newmods.columns]
        if missing:
            raise MetaattError(
                f"{name}: column(s) {missing} missing; the model's moderators are "
                f"{list(moderators.columns)}"
            )
        X = _table_rows(moderators, newmods[list(moderators.columns)], name)
    else:
        return _numeric_rows(moderators, newmods, name)
    if X.shape[1] != moderators.p:
        raise MetaattError(
            f"{name}: produced {X.shape[1]} design columns, the model has {moderators.p} "
            f"({list(moderators.names)})"
        )
    if np.isnan(X).any():
        raise MetaattError(
            f"{name}: row {int(np.argwhere(np.isnan(X))[0][0]) + 1} has a missing value"
        )
    return X


def _table_rows(moderators: ModeratorMatrix, frame: pd.DataFrame, name: str) -> np.ndarray:
    blocks = []
    cats = dict(moderators.categories)
    for column in frame.columns:
        values = frame[column]
        if column in cats:
            levels = cats[column]
            unknown = sorted({str(v) for v in values.dropna() if v not in set(levels)})
            if unknown:
                raise MetaattError(
                    f"{name}: column {column!r} has level(s) {unknown} not seen when fitting "
                    f"(levels: {list(levels)})"
                )
            blocks.append(_dummies(values, levels, drop_first=moderators.intercept))
        else:
            blocks.append(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)[:, None])
    X = np.hstack(blocks)
    if moderators.intercept:
        X = np.hstack([np.ones((len(frame), 1)), X])
    return X


def _numeric_rows(moderators: ModeratorMatrix, newmods: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(newmods, dtype=float)
    except (TypeError, ValueError):
        raise MetaattError(
            f"{name}: expected numbers or a table, got {type(newmods).__name__}"
        ) from None
    n_mod = moderators.p - int(moderators.intercept)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 1:
        arr = arr[:, None] if n_mod == 1 else arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n_mod:
        raise MetaattError(
            f"{name}: expected {n_mod} value(s) per row (for {list(moderators.moderator_names)}), "
            f"got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise MetaattError(f"{name}: values must be finite numbers")
    if moderators.intercept:
        arr = np.hstack([np.ones((arr.shape[0], 1)), arr])
    return arr
