"""Paired (matched) binary outcomes: one group classified twice, or matched pairs.

Paired table (MPRD, MPRR, MPOR, MPORC, MPPETO)::

                         occasion 2: outcome 1   occasion 2: outcome 2
    occasion 1: outcome 1          ai                      bi
    occasion 1: outcome 2          ci                      di

The marginal proportions are ``p1 = (ai + bi)/n`` (occasion 1) and ``p2 = (ai + ci)/n``
(occasion 2), and ``yi`` contrasts occasion 1 with occasion 2. For change toward security
(the attachment layer's sign convention), let occasion 1 be post-treatment and outcome 1
secure: ``ai`` = secure at both, ``bi`` = secure after but insecure before (improved),
``ci`` = insecure after but secure before, ``di`` = insecure at both.

Marginal table (MPORM), when only the margins are known::

                 outcome 1   outcome 2
    occasion 1      ai          bi
    occasion 2      ci          di

with an assumed correlation (phi coefficient) ``ri`` between the occasions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from ..errors import InfeasibleAssumptionWarning
from ._common import Estimate, Flag

Inputs = Mapping[str, np.ndarray]


def _zero_flag(*cells: np.ndarray) -> Flag:
    zero = np.logical_or.reduce([c == 0 for c in cells])
    return Flag(zero, "a zero cell and no continuity correction (add=0 or to='none')")


def mprd(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Matched-pairs marginal risk difference (MPRD).

    Notes
    -----
    ``n = ai + bi + ci + di``, ``yi = p1 - p2 = (bi - ci) / n`` and
    ``vi = [(bi + ci)/n - ((bi - ci)/n)^2] / n``.

    References
    ----------
    Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
    proportions based on paired data. Statistics in Medicine, 17(22), 2635-2650.
    Zou, G. Y. (2007). Clinical Trials, 4(1), 25-31.
    """
    a, b, c, d = x["ai"], x["bi"], x["ci"], x["di"]
    n = a + b + c + d
    yi = (b - c) / n
    return Estimate(yi, ((b + c) / n - yi**2) / n, (Flag(n == 0, "the table is empty"),))


def mprr(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Matched-pairs marginal log risk ratio (MPRR).

    Notes
    -----
    ``yi = ln((ai + bi) / (ai + ci))``, ``vi = (bi + ci) / ((ai + bi)(ai + ci))``.

    References
    ----------
    Zou, G. Y. (2007). One relative risk versus two odds ratios: implications for
    meta-analyses involving paired and unpaired binary data. Clinical Trials, 4(1), 25-31.
    """
    a, b, c = x["ai"], x["bi"], x["ci"]
    yi = np.log((a + b) / (a + c))
    vi = (b + c) / ((a + b) * (a + c))
    return Estimate(yi, vi, (Flag((a + b == 0) | (a + c == 0), "a marginal count is 0"),))


def mpor(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Matched-pairs marginal log odds ratio (MPOR).

    Notes
    -----
    With ``p1 = (ai+bi)/n``, ``p2 = (ai+ci)/n``, ``q = 1 - p``:
    ``yi = ln(p1/q1) - ln(p2/q2)`` and
    ``vi = [1/(p1 q1) + 1/(p2 q2) - 2 (ai di - bi ci)/n^2 / (p1 q1 p2 q2)] / n``.

    References
    ----------
    Becker, M. P., & Balagtas, C. C. (1993). Marginal modeling of binary cross-over data.
    Biometrics, 49(4), 997-1009.
    """
    a, b, c, d = x["ai"], x["bi"], x["ci"], x["di"]
    n = a + b + c + d
    v1 = (a + b) / n * ((c + d) / n)
    v2 = (a + c) / n * ((b + d) / n)
    yi = np.log((a + b) * (b + d) / ((a + c) * (c + d)))
    cov = (a / n) * (d / n) - (b / n) * (c / n)
    vi = (1 / v1 + 1 / v2 - 2 * cov / (v1 * v2)) / n
    return Estimate(yi, vi, (Flag((v1 == 0) | (v2 == 0), "a marginal proportion is 0 or 1"),))


def mporc(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Conditional (McNemar) log odds ratio for paired data (MPORC).

    Notes
    -----
    ``yi = ln(bi / ci)``, ``vi = 1/bi + 1/ci``. A within-person odds ratio: not on the scale
    of a between-group odds ratio, so do not pool the two together.

    References
    ----------
    Curtin, F., Elbourne, D., & Altman, D. G. (2002). Meta-analysis combining parallel and
    cross-over clinical trials. II: Binary outcomes. Statistics in Medicine, 21(15),
    2145-2159.
    """
    b, c = x["bi"], x["ci"]
    return Estimate(np.log(b / c), 1 / b + 1 / c, (_zero_flag(b, c),))


def mppeto(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Conditional log odds ratio for paired data by Peto's method (MPPETO).

    Notes
    -----
    Conditional on the ``bi + ci`` discordant pairs, ``O - E = bi - (bi + ci)/2`` and
    ``V = (bi + ci)/4``: ``yi = (O - E)/V``, ``vi = 1/V``.

    References
    ----------
    Zou, G. Y. (2007). Clinical Trials, 4(1), 25-31.
    Yusuf, S., et al. (1985). Progress in Cardiovascular Diseases, 27(5), 335-371.
    """
    b, c = x["bi"], x["ci"]
    var = (b + c) / 4
    flag = Flag(b + c == 0, "no discordant pairs (bi + ci = 0)")
    return Estimate((b - (b + c) / 2) / var, 1 / var, (flag,))


def mporm(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Marginal log odds ratio from marginal counts and an assumed correlation (MPORM).

    Notes
    -----
    ``ai, bi`` are the counts with outcome 1 / outcome 2 at occasion 1, ``ci, di`` those at
    occasion 2, ``ri`` the assumed phi correlation between occasions. With
    ``n1 = ai + bi``, ``n2 = ci + di``, ``p1 = ai/n1``, ``p2 = ci/n2``:
    ``yi = ln(ai di / (bi ci))`` and

    ``vi = 1/ai + 1/bi + 1/ci + 1/di - 2 ri N / (n1 n2 sqrt(p1 q1 p2 q2))``,

    i.e. Becker & Balagtas' variance with ``p11 - p1 p2 = ri sqrt(p1 q1 p2 q2)``; ``N`` is
    the number of pairs, ``n1 = n2`` for complete data (metafor 3.8 uses ``N = (n1 + n2)/2``
    rounded half to even when they differ). ``ri`` is feasible only if
    ``p11 = p1 p2 + ri sqrt(p1 q1 p2 q2)`` lies in ``[max(0, p1 + p2 - 1), min(p1, p2)]``.
    For an infeasible ``ri`` the variance describes no possible table: metaatt still returns
    metafor's number (so results stay comparable) but emits an
    :class:`~metaatt.errors.InfeasibleAssumptionWarning` naming the rows and their feasible
    ranges; a variance that comes out non-positive is left undefined with that reason.

    References
    ----------
    Becker, M. P., & Balagtas, C. C. (1993). Biometrics, 49(4), 997-1009.
    Elbourne, D. R., et al. (2002). Meta-analyses involving cross-over trials: methodological
    issues. International Journal of Epidemiology, 31(1), 140-149.
    """
    a, b, c, d, r = x["ai"], x["bi"], x["ci"], x["di"], x["ri"]
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    spread = np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    pairs = np.round((n1 + n2) / 2)  # numpy rounds half to even, like R
    yi = np.log(a * d / (b * c))
    vi = 1 / a + 1 / b + 1 / c + 1 / d - 2 * r * pairs / (n1 * n2 * spread)
    lo = (np.maximum(0.0, p1 + p2 - 1) - p1 * p2) / spread
    hi = (np.minimum(p1, p2) - p1 * p2) / spread
    bad = (spread > 0) & ((r < lo - 1e-12) | (r > hi + 1e-12))
    if bad.any():
        rows = np.flatnonzero(bad)
        detail = "; ".join(
            f"row {i + 1}: ri = {r[i]:.4g}, feasible [{lo[i]:.4g}, {hi[i]:.4g}]" for i in rows[:5]
        )
        more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
        warnings.warn(
            f"MPORM: the assumed correlation ri is impossible for the observed margins in "
            f"{len(rows)} row(s) ({detail}{more}); the variance follows metafor's formula but "
            "describes no possible 2x2 table: vary ri over the feasible range",
            InfeasibleAssumptionWarning,
            stacklevel=4,
        )
    reasons = np.full(len(r), None, dtype=object)
    nonpositive = bad & (vi <= 0)
    reasons[nonpositive] = [
        f"ri = {ri:.4g} is not a feasible correlation for these margins (p1 = {a1:.4g}, "
        f"p2 = {a2:.4g}; it must lie in [{low:.4g}, {high:.4g}]) and the variance is not positive"
        for ri, a1, a2, low, high in zip(
            r[nonpositive],
            p1[nonpositive],
            p2[nonpositive],
            lo[nonpositive],
            hi[nonpositive],
            strict=True,
        )
    ]
    flags = (Flag(nonpositive, reasons, scope="vi", force=True), _zero_flag(a, b, c, d))
    return Estimate(yi, vi, flags)
