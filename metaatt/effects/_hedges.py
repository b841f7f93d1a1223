"""Hedges' exact small-sample correction factor J(m)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln

from .._validate import as_float_vector

__all__ = ["hedges_j"]


def hedges_j(m: np.ndarray) -> np.ndarray:
    """Exact bias-correction factor for a standardized mean difference.

    Parameters
    ----------
    m
        Degrees of freedom of the standardizer (e.g. ``n1i + n2i - 2``).

    Returns
    -------
    numpy.ndarray
        ``J(m)``; NaN where ``m <= 1`` (undefined, as in metafor).

    Notes
    -----
    .. math:: J(m) = \\frac{\\Gamma(m/2)}{\\sqrt{m/2}\\,\\Gamma((m-1)/2)}

    computed on the log scale (``gammaln``) so that it is accurate for large ``m``; it tends
    to the familiar approximation ``1 - 3 / (4m - 1)``.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128, eq. 6e.
    """
    m = _degrees_of_freedom(m)
    out = np.full(m.shape, np.nan)
    ok = np.isfinite(m) & (m > 1)
    out[np.isposinf(m)] = 1.0  # the limit of J(m) as m grows
    half = m[ok] / 2.0
    out[ok] = np.exp(gammaln(half) - 0.5 * np.log(half) - gammaln(half - 0.5))
    return out


def _degrees_of_freedom(m: Any) -> np.ndarray:
    """``m`` as a float array of the same shape; non-numbers raise a MetaattError naming m."""
    if isinstance(m, np.ndarray) and m.dtype.kind in "biuf":
        return m.astype(float, copy=False)
    flat = as_float_vector(np.ravel(np.asarray(m, dtype=object)), "m", allow_nan=True)
    return flat.reshape(np.shape(m))
