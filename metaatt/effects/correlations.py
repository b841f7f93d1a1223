"""Correlation coefficients: raw (COR), unbiased (UCOR) and Fisher's z (ZCOR).

Inputs: ``ri`` the sample correlations and ``ni`` the sample sizes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import special

from ._common import Estimate, Flag, by_vtype, weighted_mean

Inputs = Mapping[str, np.ndarray]

#: below this ``c`` scipy's hyp2f1 is accurate on [0, 1]; above it, it can return NaN/inf
#: near z = 1, where the power series converges fast instead
_SERIES_FROM_C = 40.0
_SERIES_TERMS = 80
_CHUNK = 65536


def hyp2f1(a: float, b: float, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gauss hypergeometric function 2F1(a, b; c; z) for ``0 <= z <= 1``, vectorized.

    Uses :func:`scipy.special.hyp2f1` for ``c < 40`` and the power series
    ``sum_k (a)_k (b)_k / ((c)_k k!) z^k`` (80 terms; relative error < 1e-15 for
    ``a, b <= 1`` and ``c >= 40``, as the terms fall at least like ``k! Gamma(c) /
    Gamma(k + c)``) for larger ``c``, where scipy 1.17 returns NaN near ``z = 1``.
    """
    c = np.asarray(c, dtype=float)
    z = np.asarray(z, dtype=float)
    out = np.empty(np.broadcast(c, z).shape)
    c, z = np.broadcast_to(c, out.shape), np.broadcast_to(z, out.shape)
    small = c < _SERIES_FROM_C
    out[small] = special.hyp2f1(a, b, c[small], z[small])
    large = np.flatnonzero(~small)
    k = np.arange(_SERIES_TERMS, dtype=float)[:, None]
    for start in range(0, len(large), _CHUNK):  # bounded memory: 80 x 65536 per block
        rows = large[start : start + _CHUNK]
        ratios = (a + k) * (b + k) / ((c[rows][None, :] + k) * (k + 1)) * z[rows][None, :]
        out[rows] = 1.0 + np.cumprod(ratios, axis=0).sum(axis=0)
    return out


def cor(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Raw correlation coefficient (COR).

    Notes
    -----
    ``yi = ri``; ``vtype="LS"``: ``vi = (1 - yi^2)^2 / (ni - 1)``; ``"AV"``: ``yi`` replaced
    by the ``ni``-weighted mean correlation. metafor leaves ``vi`` undefined for ``ni <= 3``.

    References
    ----------
    Borenstein, M. (2009). Effect sizes for continuous data. In The handbook of research
    synthesis and meta-analysis (2nd ed.), eq. 12.27.
    """
    r, n = x["ri"], x["ni"]
    vi = by_vtype(
        vtype,
        {
            "LS": lambda: (1 - r**2) ** 2 / (n - 1),
            "AV": lambda: (1 - weighted_mean(r, n) ** 2) ** 2 / (n - 1),
        },
    )
    small = Flag(n <= 3, "the sampling variance needs ni > 3", scope="vi", force=True)
    return Estimate(r.copy(), vi, (small,))


def ucor(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Correlation coefficient corrected for its small-sample bias (UCOR).

    Notes
    -----
    ``yi = ri 2F1(1/2, 1/2; (ni - 2)/2; 1 - ri^2)`` (Olkin & Pratt 1958, eq. 2.3).
    ``vtype="LS"``: ``vi = (1 - yi^2)^2 / (ni - 1)``; ``"UB"`` (unbiased):
    ``vi = yi^2 - [1 - (ni - 3)/(ni - 2) (1 - ri^2) 2F1(1, 1; ni/2; 1 - ri^2)]``
    (Hedges 1989, exact form); ``"AV"``: LS with the ``ni``-weighted mean of ``yi``.
    As in metafor, ``yi`` is undefined for ``ni <= 4`` and ``vi`` for ``ni <= 3`` (the
    ``"AV"`` variance exists for ``ni = 4``).

    References
    ----------
    Olkin, I., & Pratt, J. W. (1958). Unbiased estimation of certain correlation
    coefficients. Annals of Mathematical Statistics, 29(1), 201-211.
    Hedges, L. V. (1989). An unbiased correction for sampling error in validity
    generalization studies. Journal of Applied Psychology, 74(3), 469-477.
    """
    r, n = x["ri"], x["ni"]
    ok = n > 4
    yi = np.full(len(r), np.nan)
    yi[ok] = r[ok] * hyp2f1(0.5, 0.5, (n[ok] - 2) / 2, 1 - r[ok] ** 2)

    def ub() -> np.ndarray:
        out = np.full(len(r), np.nan)
        h = hyp2f1(1.0, 1.0, n[ok] / 2, 1 - r[ok] ** 2)
        out[ok] = yi[ok] ** 2 - (1 - (n[ok] - 3) / (n[ok] - 2) * (1 - r[ok] ** 2) * h)
        return out

    vi = by_vtype(
        vtype,
        {
            "LS": lambda: (1 - yi**2) ** 2 / (n - 1),
            "UB": ub,
            "AV": lambda: (1 - weighted_mean(yi, n) ** 2) ** 2 / (n - 1),
        },
    )
    flags = (
        Flag(n <= 3, "UCOR needs ni > 4 (and its variance ni > 3)", "both", force=True),
        Flag(~ok, "UCOR needs ni > 4", "yi", force=True),
    )
    return Estimate(yi, vi, flags)


def zcor(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Fisher's r-to-z transformed correlation (ZCOR).

    Notes
    -----
    ``yi = atanh(ri) = ln((1 + ri)/(1 - ri)) / 2``, ``vi = 1 / (ni - 3)``.

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced
    from a small sample. Metron, 1, 1-32.
    """
    r, n = x["ri"], x["ni"]
    flags = (
        Flag(np.abs(r) == 1, "Fisher's z is infinite for ri = -1 or 1"),
        Flag(n <= 3, "the sampling variance 1/(ni - 3) needs ni > 3", "vi", force=True),
    )
    return Estimate(np.arctanh(r), 1 / (n - 3), flags)
