"""One group measured twice (pre/post) or matched pairs, quantitative outcome.

Notation: ``m1, m2`` means at the two occasions (``yi`` is oriented as ``m1 - m2``, so
pass post-test as ``m1i`` for change from pre to post), ``s1, s2`` their SDs, ``r`` the
correlation between occasions (``ri``), ``n`` the sample size (``ni``), ``m = n - 1``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import Estimate, Flag, by_vtype
from ._hedges import hedges_j

Inputs = Mapping[str, np.ndarray]


def _change_variance(x: Inputs) -> np.ndarray:
    """Variance of the change scores, ``s1^2 + s2^2 - 2 r s1 s2``."""
    s1, s2 = x["sd1i"], x["sd2i"]
    return s1**2 + s2**2 - 2 * x["ri"] * s1 * s2


def _j_flag(m: np.ndarray) -> Flag:
    return Flag(
        ~(m > 1), "Hedges' correction J(m) needs m = ni - 1 > 1 (at least 3 subjects)", "yi", True
    )


def mc(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Raw mean change (MC).

    Notes
    -----
    ``yi = m1 - m2``, ``vi = (s1^2 + s2^2 - 2 r s1 s2) / n``. If only the SD of the change
    scores is known, pass it as ``sd1i`` with ``sd2i = ri = 0``.

    References
    ----------
    Morris, S. B., & DeShon, R. P. (2002). Combining effect size estimates in meta-analysis
    with repeated measures and independent-groups designs. Psychological Methods, 7(1),
    105-125.
    """
    return Estimate(x["m1i"] - x["m2i"], _change_variance(x) / x["ni"])


def smcc(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean change, change-score standardization (SMCC, d_z).

    Notes
    -----
    ``sd = sqrt(s1^2 + s2^2 - 2 r s1 s2)``, ``d = (m1 - m2) / sd``, ``yi = J(n-1) d``;
    ``vtype="LS"``: ``vi = 1/n + yi^2 / (2n)``; ``"LS2"``: ``vi = J^2 (1/n + d^2 / (2n))``.

    References
    ----------
    Gibbons, R. D., Hedeker, D. R., & Davis, J. M. (1993). Estimation of effect size from a
    series of experiments involving paired comparisons. Journal of Educational Statistics,
    18(3), 271-279.
    """
    n = x["ni"]
    m = n - 1
    sd = np.sqrt(_change_variance(x))
    di = (x["m1i"] - x["m2i"]) / sd
    j = hedges_j(m)
    yi = j * di
    vi = by_vtype(
        vtype,
        {"LS": lambda: 1 / n + yi**2 / (2 * n), "LS2": lambda: j**2 * (1 / n + di**2 / (2 * n))},
    )
    flags = (
        _j_flag(m),
        Flag(_change_variance(x) < 0, "sd1i, sd2i and ri give a negative change-score variance"),
        Flag(sd == 0, "the SD of the change scores is 0"),
    )
    return Estimate(yi, vi, flags)


def smcr(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean change, raw-score standardization (SMCR).

    Notes
    -----
    ``d = (m1 - m2) / s1`` (``s1`` usually the pre-test SD; ``sd2i`` is not used),
    ``yi = J(n-1) d``. ``vtype="LS"``: ``vi = 2 (1 - r) / n + yi^2 / (2n)`` (Becker 1988,
    the corrected form; Borenstein et al. 2009 eq. 4.28 is wrong); ``"LS2"``:
    ``vi = J^2 (2 (1 - r) / n + d^2 / (2n))``.

    References
    ----------
    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal of
    Mathematical and Statistical Psychology, 41(2), 257-278.
    Morris, S. B. (2000). British Journal of Mathematical and Statistical Psychology, 53(1),
    17-29.
    """
    n, r = x["ni"], x["ri"]
    m = n - 1
    di = (x["m1i"] - x["m2i"]) / x["sd1i"]
    j = hedges_j(m)
    yi = j * di
    vi = by_vtype(
        vtype,
        {
            "LS": lambda: 2 * (1 - r) / n + yi**2 / (2 * n),
            "LS2": lambda: j**2 * (2 * (1 - r) / n + di**2 / (2 * n)),
        },
    )
    return Estimate(yi, vi, (_j_flag(m), Flag(x["sd1i"] == 0, "sd1i is 0")))


def smcrh(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean change, raw-score standardization, unequal variances (SMCRH).

    Notes
    -----
    ``yi = J(m) (m1 - m2) / s1`` with ``m = n - 1`` and

    ``vi = J(m)^2 [(s1^2 + s2^2 - 2 r s1 s2) / (s1^2 m) + yi^2 / (2m)]``.

    References
    ----------
    Bonett, D. G. (2008). Confidence intervals for standardized linear contrasts of means.
    Psychological Methods, 13(2), 99-109.
    """
    n, s1 = x["ni"], x["sd1i"]
    m = n - 1
    j = hedges_j(m)
    yi = j * (x["m1i"] - x["m2i"]) / s1
    vi = j**2 * (_change_variance(x) / (s1**2 * m) + yi**2 / (2 * m))
    return Estimate(yi, vi, (_j_flag(m), Flag(s1 == 0, "sd1i is 0")))


def romc(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log ratio of means for paired measurements (ROMC).

    Notes
    -----
    ``yi = ln(m1 / m2)``,
    ``vi = s1^2 / (n m1^2) + s2^2 / (n m2^2) - 2 r s1 s2 / (n m1 m2)``.

    References
    ----------
    Lajeunesse, M. J. (2011). On the meta-analysis of response ratios for studies with
    correlated and multi-group designs. Ecology, 92(11), 2049-2055.
    """
    n, m1, m2, s1, s2 = x["ni"], x["m1i"], x["m2i"], x["sd1i"], x["sd2i"]
    yi = np.log(m1 / m2)
    vi = s1**2 / (n * m1**2) + s2**2 / (n * m2**2) - 2 * x["ri"] * s1 * s2 / (n * m1 * m2)
    flags = (
        Flag((m1 == 0) | (m2 == 0), "a mean is 0, so the log ratio of means is undefined"),
        Flag(m1 * m2 < 0, "the means have opposite signs, so the log ratio is undefined"),
    )
    return Estimate(yi, vi, flags)
