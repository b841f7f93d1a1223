"""Hedges' exact small-sample correction factor J(m)."""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

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
    m = np.asarray(m, dtype=float)
    out = np.full(m.shape, np.nan)
    ok = m > 1
    half = m[ok] / 2.0
    out[ok] = np.exp(gammaln(half) - 0.5 * np.log(half) - gammaln(half - 0.5))
    return out
