"""Single-group means: ``mi`` the mean, ``sdi`` the SD and ``ni`` the sample size."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import Estimate, Flag
from ._hedges import hedges_j

Inputs = Mapping[str, np.ndarray]


def mn(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Raw mean (MN).

    Notes
    -----
    ``yi = mi``, ``vi = sdi^2 / ni``.

    References
    ----------
    Borenstein, M. (2009). Effect sizes for continuous data. In The handbook of research
    synthesis and meta-analysis (2nd ed.), pp. 221-235.
    """
    return Estimate(x["mi"].copy(), x["sdi"] ** 2 / x["ni"])


def mnln(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log-transformed mean (MNLN).

    Notes
    -----
    ``yi = ln(mi)``, ``vi = sdi^2 / (ni mi^2)`` (delta method).

    References
    ----------
    Nakagawa, S., et al. (2015). Meta-analysis of variation. Methods in Ecology and Evolution,
    6(2), 143-152.
    """
    m = x["mi"]
    flag = Flag(m <= 0, "the log of a mean needs mi > 0")
    return Estimate(np.log(m), x["sdi"] ** 2 / (x["ni"] * m**2), (flag,))


def smn(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Single-group standardized mean (SMN).

    Notes
    -----
    ``yi = J(ni - 1) mi / sdi``, ``vi = 1/ni + yi^2 / (2 ni)``.

    References
    ----------
    Hedges, L. V. (1981). Journal of Educational Statistics, 6(2), 107-128.
    """
    n = x["ni"]
    m = n - 1
    yi = hedges_j(m) * x["mi"] / x["sdi"]
    flags = (
        Flag(~(m > 1), "Hedges' correction J(m) needs m = ni - 1 > 1", "yi", force=True),
        Flag(x["sdi"] == 0, "sdi is 0"),
    )
    return Estimate(yi, 1 / n + yi**2 / (2 * n), flags)
