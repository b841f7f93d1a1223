"""Shared plumbing of the extractors: argument reading, range checks, output tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._inputs import resolve_column
from .._validate import as_float_vector, check_choice, describe_row, first_bad
from ..effects._hedges import _degrees_of_freedom
from ..errors import MetaattError

__all__ = [
    "DESIGNS",
    "check_range",
    "effect_frame",
    "hedges_j",
    "read_vectors",
    "require_one_design",
]

#: the two study designs a test statistic can come from
DESIGNS = ("within", "between")


def hedges_j(m: Any) -> np.ndarray:
    """Exact small-sample correction ``J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``.

    Parameters
    ----------
    m
        Degrees of freedom (``n - 1`` within groups, ``n1 + n2 - 2`` between groups).

    Returns
    -------
    numpy.ndarray
        ``J(m)``; ``J(1) = 0`` as in metafor.

    Notes
    -----
    Computed on the log scale with ``scipy.special.gammaln`` so large ``m`` does not overflow.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128, eq. 6e.
    """
    m = _degrees_of_freedom(m)
    out = np.zeros_like(m)
    ok = np.isfinite(m) & (m > 1)
    out[np.isposinf(m)] = 1.0  # the limit of J(m) as m grows
    out[np.isnan(m)] = np.nan
    mm = m[ok]
    out[ok] = np.exp(special.gammaln(mm / 2) - 0.5 * np.log(mm / 2) - special.gammaln((mm - 1) / 2))
    return out


#: inputs beyond this magnitude overflow the squared terms of the formulas
MAX_MAGNITUDE = 1e100


class _Vectors(dict):
    """The arrays read by :func:`read_vectors`; a required argument given as None is named."""

    def __missing__(self, name: str) -> np.ndarray:
        raise MetaattError(f"{name}: a value is required, got None")


def _check_magnitude(values: np.ndarray, name: str, labels: Sequence[Any] | None) -> None:
    with np.errstate(invalid="ignore"):
        bad = np.abs(values) > MAX_MAGNITUDE
    if bad.any():
        i = first_bad(bad)
        raise MetaattError(
            f"{name}: {describe_row(i, labels)} is {values[i]:g}; values above "
            f"{MAX_MAGNITUDE:g} in absolute value overflow the formulas (check the units)"
        )


def read_vectors(
    data: pd.DataFrame | None,
    labels: Sequence[Any] | None = None,
    *,
    nan_ok: Sequence[str] = (),
    **values: Any,
) -> dict[str, np.ndarray]:
    """Read named arguments (numbers, arrays or column names of ``data``) as float vectors.

    ``None`` arguments are skipped; arguments named in ``nan_ok`` may hold missing values. Length-1 arguments are broadcast to the common length;
    any other length mismatch raises a :class:`MetaattError` naming the arguments.
    """
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if labels is None and data is not None and "study" in data.columns:
        labels = [str(x) for x in data["study"]]
    out = _Vectors(
        (
            name,
            as_float_vector(
                resolve_column(value, name, data), name, labels=labels, allow_nan=name in nan_ok
            ),
        )
        for name, value in values.items()
        if value is not None
    )
    for name, array in out.items():
        _check_magnitude(array, name, labels)
    lengths = {len(v) for v in out.values()}
    k = max(lengths) if lengths else 0
    if data is not None:
        k = max(k, len(data))
    for name, array in out.items():
        if len(array) == 1 and k > 1:
            out[name] = np.repeat(array, k)
        elif len(array) != k:
            detail = ", ".join(f"{n} has {len(a)}" for n, a in out.items())
            raise MetaattError(
                f"{name}: lengths differ ({detail}); give one value per study or a single value"
            )
    return out


def check_range(
    values: np.ndarray,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    labels: Sequence[Any] | None = None,
    what: str = "",
) -> None:
    """Raise a :class:`MetaattError` naming the first value of ``values`` out of range."""
    bad = np.zeros(values.shape, dtype=bool)
    if low is not None:
        bad |= values <= low if low_open else values < low
    if high is not None:
        bad |= values >= high if high_open else values > high
    if integer:
        bad |= values != np.round(values)
    if bad.any():
        i = first_bad(bad)
        parts = []
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high:g}")
        rule = " and ".join(parts)
        kind = "a whole number " if integer else ""
        label = f" ({what})" if what else ""
        raise MetaattError(
            f"{name}: {describe_row(i, labels)} is {values[i]:g}; must be {kind}{rule}{label}"
        )


def require_one_design(
    design: str, n: np.ndarray | None, n1: np.ndarray | None, n2: np.ndarray | None
) -> None:
    """Check that the sample sizes needed by ``design`` are given (and no others)."""
    check_choice(design, "design", DESIGNS)
    if design == "within":
        if n is None:
            raise MetaattError("n: design 'within' needs n (patients measured on both occasions)")
        if n1 is not None or n2 is not None:
            raise MetaattError("n1, n2: design 'within' takes n, not n1/n2")
    else:
        if n1 is None or n2 is None:
            raise MetaattError("n1, n2: design 'between' needs both group sizes n1 and n2")
        if n is not None:
            raise MetaattError("n: design 'between' takes n1 and n2, not n")


def effect_frame(
    yi: np.ndarray,
    vi: np.ndarray,
    metric: str | Sequence[str],
    formula: str | Sequence[str],
    data: pd.DataFrame | None = None,
    **extra: Any,
) -> pd.DataFrame:
    """The table every extractor returns: ``data`` (if given) plus yi, vi, metric, formula.

    ``frame.attrs["measure"]`` is the metric when all rows share one.
    """
    frame = data.copy() if data is not None else pd.DataFrame(index=range(len(yi)))
    if data is not None:
        frame = frame.reset_index(drop=True)
    frame["yi"] = np.asarray(yi, dtype=float)
    frame["vi"] = np.asarray(vi, dtype=float)
    frame["metric"] = metric if isinstance(metric, str) else list(metric)
    frame["formula"] = formula if isinstance(formula, str) else list(formula)
    for name, value in extra.items():
        frame[name] = value
    metrics = set(frame["metric"])
    frame.attrs["measure"] = next(iter(metrics)) if len(metrics) == 1 else None
    return frame
