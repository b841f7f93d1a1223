"""Moderator (design) matrices for the Bayesian meta-regression, from
:func:`metaatt.formula.build_moderators` (formulas, column names, arrays, tables), so that
``bayes.meta_regression`` reads moderators exactly like :func:`metaatt.meta_regression`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from ..formula import INTERCEPT, build_moderators

__all__ = ["moderator_matrix"]


def _n_rows(yi: Any, data: pd.DataFrame | None) -> int:
    if isinstance(yi, pd.DataFrame):
        return len(yi)
    if data is not None:
        return len(data)
    return len(np.atleast_1d(np.asarray(yi, dtype=object)))


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
    built = build_moderators(mods, data=table, n_rows=n, intercept=intercept)
    return np.asarray(built.X, dtype=float), tuple(built.names)
