"""Read what a plot needs from result objects (duck-typed: fields, never refits).

Funnel and diagnostic plots draw numbers that results already carry: a pooled result's
``yi``/``vi``/``estimate``, a trim-and-fill result's imputed studies, an Egger test's
regression coefficients. These readers accept the documented field names, say clearly
which field is missing, and never compute a statistic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_float_vector, check_same_length
from ..errors import MetaattError

__all__ = ["Effects", "Filled", "egger_line", "filled_studies", "first_attr", "result_effects"]


@dataclass(frozen=True)
class Effects:
    """Study estimates of a result, with what a plot needs to label them."""

    yi: np.ndarray
    vi: np.ndarray
    estimate: float | None
    labels: tuple[str, ...]
    measure: str | None
    synthetic: bool
    level: float
    weights: np.ndarray | None


@dataclass(frozen=True)
class Filled:
    """Studies imputed by trim and fill, and the adjusted estimate."""

    yi: np.ndarray
    vi: np.ndarray
    estimate: float | None


def first_attr(obj: Any, names: tuple[str, ...]) -> Any:
    """The first of ``names`` that ``obj`` has (attribute, or column/key); None if none."""
    for name in names:
        if isinstance(obj, pd.DataFrame):
            if name in obj.columns:
                return obj[name]
            if name in obj.attrs:
                return obj.attrs[name]
        elif isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return None


def result_effects(result: Any, name: str) -> Effects:
    """``yi``, ``vi``, ``estimate`` and labels of a result (or a table with yi, vi)."""
    yi = first_attr(result, ("yi",))
    vi = first_attr(result, ("vi",))
    if yi is None or vi is None:
        raise MetaattError(
            f"{name}: expected a result with yi and vi (e.g. from metaatt.pool), "
            f"got {type(result).__name__}"
        )
    labels = first_attr(result, ("labels", "study"))
    yi = as_float_vector(yi, f"{name}.yi")
    vi = as_float_vector(vi, f"{name}.vi", labels=None if labels is None else list(labels))
    k = check_same_length(yi=yi, vi=vi)
    if (vi <= 0).any():
        raise MetaattError(f"{name}.vi: sampling variances must be > 0")
    labels = (
        tuple(str(x) for x in labels)
        if labels is not None
        else tuple(f"Study {i + 1}" for i in range(k))
    )
    if len(labels) != k:
        raise MetaattError(f"{name}.labels: {len(labels)} labels for {k} studies")
    estimate = first_attr(result, ("estimate",))
    if isinstance(estimate, pd.Series | np.ndarray):
        estimate = None  # a per-row column, not the pooled estimate
    weights = first_attr(result, ("weights",))
    weights = None if weights is None else np.asarray(weights, dtype=float)
    if weights is not None and len(weights) != k:
        weights = None
    return Effects(
        yi=yi,
        vi=vi,
        estimate=None if estimate is None else float(estimate),
        labels=labels,
        measure=_attr_or(result, "measure", None),
        synthetic=bool(_attr_or(result, "synthetic", False)),
        level=float(_attr_or(result, "level", 0.95) or 0.95),
        weights=weights,
    )


def _attr_or(result: Any, name: str, default: Any) -> Any:
    if isinstance(result, pd.DataFrame):
        return result.attrs.get(name, default)
    return getattr(result, name, default)


def filled_studies(tf: Any) -> Filled:
    """Imputed studies of a trim-and-fill result.

    Accepted fields: ``filled`` (a table with ``yi`` and ``vi``), or ``yi_filled`` /
    ``vi_filled`` (arrays); the adjusted estimate is ``estimate``.
    """
    table = first_attr(tf, ("filled", "fill"))
    if isinstance(table, pd.DataFrame):
        yi, vi = table.get("yi"), table.get("vi")
    else:
        yi, vi = first_attr(tf, ("yi_filled", "fill_yi")), first_attr(tf, ("vi_filled", "fill_vi"))
    if yi is None or vi is None:
        raise MetaattError(
            "trim_and_fill: expected a metaatt.trim_and_fill result with the imputed studies "
            f"(a 'filled' table with yi and vi), got {type(tf).__name__}"
        )
    yi = as_float_vector(yi, "trim_and_fill.yi", allow_empty=True)
    vi = as_float_vector(vi, "trim_and_fill.vi", allow_empty=True)
    check_same_length(yi=yi, vi=vi)
    estimate = first_attr(tf, ("estimate",))
    return Filled(yi=yi, vi=vi, estimate=None if estimate is None else float(estimate))


def egger_line(egger: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The fitted line of an Egger-type regression test, as a function of the SE.

    Accepted fields: ``coef`` (intercept first, predictor last; exactly two), or
    ``intercept`` and ``slope``; ``predictor`` (default ``"sei"``) is ``"sei"``
    (``yi = b0 + b1 sei``, Egger's test / PET) or ``"vi"`` (``yi = b0 + b1 vi``, PEESE).
    """
    coef = first_attr(egger, ("coef",))
    if coef is not None:
        coef = np.atleast_1d(np.asarray(coef, dtype=float))
        if len(coef) != 2:
            raise MetaattError(
                f"egger: the regression has {len(coef)} coefficients; a funnel plot can draw "
                "the line of a model without moderators (intercept and predictor) only"
            )
        intercept, slope = coef
    else:
        intercept = first_attr(egger, ("intercept",))
        slope = first_attr(egger, ("slope",))
    if intercept is None or slope is None:
        raise MetaattError(
            "egger: expected a metaatt.egger_test result with the regression coefficients "
            f"(coef, or intercept and slope), got {type(egger).__name__}"
        )
    predictor = first_attr(egger, ("predictor",)) or "sei"
    b0, b1 = float(intercept), float(slope)
    if predictor == "sei":
        return lambda se: b0 + b1 * np.asarray(se, dtype=float)
    if predictor == "vi":
        return lambda se: b0 + b1 * np.asarray(se, dtype=float) ** 2
    raise MetaattError(
        f"egger: a funnel plot draws regressions on the standard error ('sei') or the "
        f"variance ('vi'); this test used predictor {predictor!r}"
    )
