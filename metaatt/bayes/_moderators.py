"""Moderator (design) matrices for the Bayesian meta-regression.

Uses :func:`metaatt.formula.build_moderators` (formulas, column names, arrays, tables) when
that module is available; otherwise a minimal reader of column names, arrays and tables
(non-numeric columns dummy coded against their first level).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError

__all__ = ["moderator_matrix"]

INTERCEPT = "intrcpt"


def _n_rows(yi: Any, data: pd.DataFrame | None) -> int:
    if isinstance(yi, pd.DataFrame):
        return len(yi)
    if data is not None:
        return len(data)
    return len(np.atleast_1d(np.asarray(yi, dtype=object)))


def _simple(mods: Any, data: pd.DataFrame | None, n: int) -> tuple[np.ndarray, list[str]]:
    if isinstance(mods, str) or (
        isinstance(mods, list | tuple) and mods and all(isinstance(m, str) for m in mods)
    ):
        names = [mods] if isinstance(mods, str) else list(mods)
        if data is None:
            raise MetaattError(f"mods: got column name(s) {names} but no data= table")
        missing = [m for m in names if m not in data.columns]
        if missing:
            raise MetaattError(
                f"mods: column(s) {missing} not in data; available: {list(data.columns)}"
            )
        mods = data[names]
    if isinstance(mods, pd.Series):
        mods = mods.to_frame()
    if isinstance(mods, pd.DataFrame):
        blocks, names = [], []
        for column in mods.columns:
            values = mods[column]
            if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
                blocks.append(values.to_numpy(dtype=float, na_value=np.nan)[:, None])
                names.append(str(column))
            else:
                levels = sorted(values.dropna().unique(), key=str)
                for level in levels[1:]:
                    dummy = np.where(values.isna(), np.nan, (values == level).astype(float))
                    blocks.append(dummy[:, None])
                    names.append(f"{column}[{level}]")
        X = np.hstack(blocks) if blocks else np.empty((len(mods), 0))
    else:
        try:
            X = np.asarray(mods, dtype=float)
        except (TypeError, ValueError):
            raise MetaattError("mods: expected numbers, column names or a table") from None
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise MetaattError(f"mods: expected a 1-D or 2-D array, got shape {X.shape}")
        names = ["mods"] if X.shape[1] == 1 else [f"mod{j + 1}" for j in range(X.shape[1])]
    if X.shape[0] != n:
        raise MetaattError(f"mods: {X.shape[0]} rows for {n} studies")
    if np.isinf(X).any():
        raise MetaattError("mods: infinite moderator values")
    return X, names


def moderator_matrix(
    mods: Any, yi: Any, data: pd.DataFrame | None, intercept: bool
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Design matrix (rows with a missing moderator are NaN) and its column names."""
    table = yi if isinstance(yi, pd.DataFrame) and data is None else data
    n = _n_rows(yi, data)
    if mods is None:
        if not intercept:
            raise MetaattError("mods: no moderators and intercept=False leaves no coefficient")
        return np.ones((n, 1)), (INTERCEPT,)
    try:
        from ..formula import build_moderators  # formulas; present once merged on main
    except ImportError:
        build_moderators = None
    if build_moderators is not None:
        built = build_moderators(mods, data=table, n_rows=n, intercept=intercept)
        return np.asarray(built.X, dtype=float), tuple(built.names)
    X, names = _simple(mods, table, n)
    if intercept:
        X = np.hstack([np.ones((n, 1)), X])
        names = [INTERCEPT, *names]
    complete = ~np.isnan(X).any(axis=1)
    if X.shape[1] == 0:
        raise MetaattError("mods: no moderator columns")
    if np.linalg.matrix_rank(X[complete]) < X.shape[1]:
        raise MetaattError(
            f"mods: the design matrix with columns {names} is rank deficient (a moderator is "
            "constant or a linear combination of others)"
        )
    return X, tuple(names)
