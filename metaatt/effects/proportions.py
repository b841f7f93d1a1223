"""Single-group proportions: ``xi`` events out of ``ni`` (or ``mi = ni - xi`` non-events).

The front door has applied the continuity correction, so ``xi``, ``mi`` and ``ni = xi + mi``
are the corrected counts and ``p = xi / ni``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import Estimate, Flag, by_vtype, weighted_mean

Inputs = Mapping[str, np.ndarray]


def _zero_flag(*counts: np.ndarray) -> Flag:
    zero = np.logical_or.reduce([c == 0 for c in counts])
    return Flag(zero, "xi or ni - xi is 0 and no continuity correction (add=0 or to='none')")


def pr(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Raw proportion (PR).

    Notes
    -----
    ``yi = p``; ``vtype="LS"``: ``vi = p (1 - p) / ni``; ``"UB"``: ``p (1 - p) / (ni - 1)``;
    ``"AV"``: ``pbar (1 - pbar) / ni`` with ``pbar = sum xi / sum ni`` over all studies.

    References
    ----------
    Fleiss, J. L., & Berlin, J. (2009), in The handbook of research synthesis and
    meta-analysis (2nd ed.), pp. 237-253.
    """
    n = x["ni"]
    p = x["xi"] / n

    def av() -> np.ndarray:
        q = weighted_mean(p, n)
        return q * (1 - q) / n

    vi = by_vtype(
        vtype,
        {"LS": lambda: p * (1 - p) / n, "UB": lambda: p * (1 - p) / (n - 1), "AV": av},
    )
    flags = (Flag(n == 0, "ni is 0"), Flag((vtype == "UB") & (n <= 1), "vtype='UB' needs ni > 1"))
    return Estimate(p, vi, flags)


def pln(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log proportion (PLN).

    Notes
    -----
    ``yi = ln(p)``; ``"LS"``: ``vi = 1/xi - 1/ni``; ``"AV"``: ``(1 - pbar)/(ni pbar)``.

    References
    ----------
    Fleiss, J. L., & Berlin, J. (2009), in The handbook of research synthesis and
    meta-analysis (2nd ed.), pp. 237-253.
    """
    xi, n = x["xi"], x["ni"]
    p = xi / n

    def av() -> np.ndarray:
        q = weighted_mean(p, n)
        return (1 - q) / (n * q)

    vi = by_vtype(vtype, {"LS": lambda: 1 / xi - 1 / n, "AV": av})
    return Estimate(np.log(p), vi, (_zero_flag(xi),))


def plo(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Logit proportion, the log odds (PLO).

    Notes
    -----
    ``yi = ln(xi / mi)``; ``"LS"``: ``vi = 1/xi + 1/mi``; ``"AV"``:
    ``1 / (ni pbar (1 - pbar))``.

    References
    ----------
    Fleiss, J. L., & Berlin, J. (2009), in The handbook of research synthesis and
    meta-analysis (2nd ed.), pp. 237-253.
    """
    xi, mi, n = x["xi"], x["mi"], x["ni"]

    def av() -> np.ndarray:
        q = weighted_mean(xi / n, n)
        return 1 / (n * q * (1 - q))

    vi = by_vtype(vtype, {"LS": lambda: 1 / xi + 1 / mi, "AV": av})
    return Estimate(np.log(xi / mi), vi, (_zero_flag(xi, mi),))


def pas(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Arcsine square-root transformed proportion (PAS).

    Notes
    -----
    ``yi = asin(sqrt(p))``, ``vi = 1 / (4 ni)``. No continuity correction by default.

    References
    ----------
    Freeman, M. F., & Tukey, J. W. (1950). Transformations related to the angular and the
    square root. Annals of Mathematical Statistics, 21(4), 607-611.
    """
    n = x["ni"]
    return Estimate(np.arcsin(np.sqrt(x["xi"] / n)), 1 / (4 * n), (Flag(n == 0, "ni is 0"),))


def pft(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Freeman-Tukey double arcsine transformed proportion (PFT).

    Notes
    -----
    ``yi = [asin(sqrt(xi/(ni+1))) + asin(sqrt((xi+1)/(ni+1)))] / 2``,
    ``vi = 1 / (4 ni + 2)``. No continuity correction by default. Miller (1978) reports
    ``2 yi`` and ``4 vi``.

    References
    ----------
    Freeman, M. F., & Tukey, J. W. (1950). Annals of Mathematical Statistics, 21(4), 607-611.
    Miller, J. J. (1978). The inverse of the Freeman-Tukey double arcsine transformation.
    The American Statistician, 32(4), 138.
    """
    xi, n = x["xi"], x["ni"]
    yi = 0.5 * (np.arcsin(np.sqrt(xi / (n + 1))) + np.arcsin(np.sqrt((xi + 1) / (n + 1))))
    return Estimate(yi, 1 / (4 * n + 2))
