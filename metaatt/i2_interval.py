"""The Higgins-Thompson test-based confidence interval for I^2 (and H).

An alternative to the Q-profile interval (:mod:`metaatt.qprofile`), reported by
Borenstein et al. (2009, ch. 16) and many meta-analysis programs. With ``df = k - 1``::

    ln H = 0.5 ln(Q / df)
    SE(ln H) = 0.5 (ln Q - ln df) / (sqrt(2 Q) - sqrt(2 k - 3))       if Q > k
             = sqrt(1 / (2 (k - 2) (1 - 1 / (3 (k - 2)^2))))           otherwise
    H bounds = exp(ln H -/+ z SE(ln H)),   I^2 bounds = max(0, 1 - 1 / H^2)

References
----------
Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
Statistics in Medicine, 21, 1539-1558 (Appendix A2, eqs. for SE(ln H)). Borenstein, M.,
Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to meta-analysis,
ch. 16, eqs. 16.15-16.21.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ._validate import check_level, check_number
from .errors import MetaattError

__all__ = ["higgins_thompson_i2_interval"]


def higgins_thompson_i2_interval(q: float, k: int, level: float = 0.95) -> tuple[float, float]:
    """Test-based ``level`` interval for I^2 (percent) from Cochran's ``q`` and ``k`` studies.

    Examples
    --------
    Borenstein et al. (2009), chapter 18 example (the book prints 0% to 83.12%, truncating
    83.1268):

    >>> low, high = higgins_thompson_i2_interval(12.0054, 6)
    >>> round(low, 2), round(high, 2)
    (0.0, 83.13)
    """
    q = check_number(q, "q", low=0.0)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 3:
        raise MetaattError(f"k: the test-based I^2 interval needs k >= 3 studies, got {k!r}")
    level = check_level(level)
    if q <= 0:
        return 0.0, 0.0
    df = k - 1
    if q > k:
        se = 0.5 * (math.log(q) - math.log(df)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
    else:
        se = math.sqrt(1.0 / (2 * (k - 2) * (1 - 1 / (3 * (k - 2) ** 2))))
    z = float(special.ndtri(0.5 + level / 2))
    log_h = 0.5 * math.log(q / df)
    bounds = [math.exp(log_h - z * se), math.exp(log_h + z * se)]
    low, high = (max(0.0, 100.0 * (1.0 - 1.0 / h**2)) for h in bounds)
    return low, high
