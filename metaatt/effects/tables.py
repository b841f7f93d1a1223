"""Two independent groups, binary outcome: 2x2 tables.

Layout (metafor's)::

                outcome 1   outcome 2   total
    group 1        ai          bi        n1i
    group 2        ci          di        n2i

The front door has already applied the continuity correction (``add``, ``to``) and
``drop00``; here ``n1i = ai + bi`` and ``n2i = ci + di`` are the corrected totals,
``p1 = ai/n1i``, ``p2 = ci/n2i``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import Estimate, Flag, by_vtype, weighted_mean
from .continuous import COX, LOGISTIC

Inputs = Mapping[str, np.ndarray]


def _zero_flag(*cells: np.ndarray) -> Flag:
    zero = np.logical_or.reduce([c == 0 for c in cells])
    return Flag(zero, "a zero cell and no continuity correction (add=0 or to='none')")


def _log_or(x: Inputs) -> tuple[np.ndarray, np.ndarray]:
    a, b, c, d = x["ai"], x["bi"], x["ci"], x["di"]
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def _cells(x: Inputs) -> tuple[np.ndarray, ...]:
    return x["ai"], x["bi"], x["ci"], x["di"]


def rr(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log risk ratio (RR).

    Notes
    -----
    ``yi = ln(p1 / p2)``, ``vi = 1/ai - 1/n1i + 1/ci - 1/n2i``.

    References
    ----------
    Fleiss, J. L., & Berlin, J. (2009). Effect sizes for dichotomous data. In The handbook of
    research synthesis and meta-analysis (2nd ed., pp. 237-253).
    """
    a, c, n1, n2 = x["ai"], x["ci"], x["n1i"], x["n2i"]
    yi = np.log((a / n1) / (c / n2))
    vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    return Estimate(yi, vi, (_zero_flag(a, c),))


def or_(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log odds ratio (OR).

    Notes
    -----
    ``yi = ln(ai di / (bi ci))``, ``vi = 1/ai + 1/bi + 1/ci + 1/di`` (Woolf).

    References
    ----------
    Fleiss, J. L., & Berlin, J. (2009), in The handbook of research synthesis and
    meta-analysis (2nd ed.), pp. 237-253.
    """
    yi, vi = _log_or(x)
    return Estimate(yi, vi, (_zero_flag(*_cells(x)),))


def rd(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Risk difference (RD).

    Notes
    -----
    ``yi = p1 - p2``. ``vtype="LS"``: ``vi = p1 (1-p1)/n1i + p2 (1-p2)/n2i``; ``"UB"``: the
    same with ``n - 1`` denominators; ``"AV"``: ``p1`` and ``p2`` replaced by the pooled
    proportions of each group over all studies (``sum ai / sum n1i``, ``sum ci / sum n2i``).

    References
    ----------
    Fleiss, J. L., & Berlin, J. (2009), in The handbook of research synthesis and
    meta-analysis (2nd ed.), pp. 237-253.
    """
    n1, n2 = x["n1i"], x["n2i"]
    p1, p2 = x["ai"] / n1, x["ci"] / n2

    def av() -> np.ndarray:
        q1, q2 = weighted_mean(p1, n1), weighted_mean(p2, n2)
        return q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2

    vi = by_vtype(
        vtype,
        {
            "LS": lambda: p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2,
            "UB": lambda: p1 * (1 - p1) / (n1 - 1) + p2 * (1 - p2) / (n2 - 1),
            "AV": av,
        },
    )
    flags = (
        Flag((n1 == 0) | (n2 == 0), "a group has no subjects"),
        Flag((vtype == "UB") & ((n1 <= 1) | (n2 <= 1)), "vtype='UB' needs n1i, n2i > 1"),
    )
    return Estimate(p1 - p2, vi, flags)


def as_(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Arcsine square-root transformed risk difference (AS).

    Notes
    -----
    ``yi = asin(sqrt(p1)) - asin(sqrt(p2))``, ``vi = 1/(4 n1i) + 1/(4 n2i)``; twice ``yi`` is
    Cohen's h. No continuity correction by default (``add`` defaults to 0 here).

    References
    ----------
    Rucker, G., Schwarzer, G., Carpenter, J., & Olkin, I. (2009). Why add anything to
    nothing? The arcsine difference as a measure of treatment effect in meta-analysis with
    zero cells. Statistics in Medicine, 28(5), 721-738.
    """
    n1, n2 = x["n1i"], x["n2i"]
    yi = np.arcsin(np.sqrt(x["ai"] / n1)) - np.arcsin(np.sqrt(x["ci"] / n2))
    return Estimate(yi, 1 / (4 * n1) + 1 / (4 * n2))


def peto(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log odds ratio by Peto's one-step method (PETO).

    Notes
    -----
    With ``n = n1i + n2i``, ``E = (ai + ci) n1i / n`` and the hypergeometric variance
    ``V = (ai + ci)(bi + di) n1i n2i / (n^2 (n - 1))``: ``yi = (ai - E) / V``, ``vi = 1 / V``.

    References
    ----------
    Yusuf, S., Peto, R., Lewis, J., Collins, R., & Sleight, P. (1985). Beta blockade during
    and after myocardial infarction. Progress in Cardiovascular Diseases, 27(5), 335-371.
    """
    a, b, c, d, n1, n2 = x["ai"], x["bi"], x["ci"], x["di"], x["n1i"], x["n2i"]
    n = n1 + n2
    expected = (a + c) * n1 / n
    var = (a + c) * (b + d) * (n1 / n) * (n2 / n) / (n - 1)
    flag = Flag((a + c == 0) | (b + d == 0), "no events (or only events) in both groups")
    return Estimate((a - expected) / var, 1 / var, (flag,))


def phi(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Phi coefficient (PHI).

    Notes
    -----
    ``yi = (ai di - bi ci) / sqrt(n1i n2i (ai+ci)(bi+di))``. With ``n`` the total, ``p1.,
    p2.`` the row and ``p.1, p.2`` the column proportions:

    - ``vtype="CS"`` (cross-sectional sampling; also the default ``"LS"``):
      ``vi = [1 - phi^2 + phi (1 + phi^2/2) (p1.-p2.)(p.1-p.2) / sqrt(p1. p2. p.1 p.2)
      - 3/4 phi^2 ((p1.-p2.)^2/(p1. p2.) + (p.1-p.2)^2/(p.1 p.2))] / n``
      (Bishop, Fienberg & Holland 1975, eq. 11.2-7);
    - ``"ST"`` (stratified sampling, group sizes fixed): delta-method variance of
      ``phi = (p1 - p2) sqrt(w1 w2) / sqrt(P (1 - P))`` with ``w_g = n_g/n``,
      ``P = w1 p1 + w2 p2`` and independent binomial ``p1``, ``p2``.

    No continuity correction by default (``add`` defaults to 0 here).

    References
    ----------
    Bishop, Y. M. M., Fienberg, S. E., & Holland, P. W. (1975). Discrete multivariate
    analysis. MIT Press, section 11.2.
    Fleiss, J. L., & Berlin, J. (2009), in The handbook of research synthesis and
    meta-analysis (2nd ed.), pp. 237-253.
    """
    a, b, c, d, n1, n2 = x["ai"], x["bi"], x["ci"], x["di"], x["n1i"], x["n2i"]
    n = n1 + n2
    yi = (a * d - b * c) / np.sqrt(n1 * n2 * (a + c) * (b + d))

    def cs() -> np.ndarray:
        r1, r2, c1, c2 = n1 / n, n2 / n, (a + c) / n, (b + d) / n
        return (
            1
            - yi**2
            + yi * (1 + yi**2 / 2) * (r1 - r2) * (c1 - c2) / np.sqrt(r1 * r2 * c1 * c2)
            - 0.75 * yi**2 * ((r1 - r2) ** 2 / (r1 * r2) + (c1 - c2) ** 2 / (c1 * c2))
        ) / n

    def st() -> np.ndarray:
        w1, w2 = n1 / n, n2 / n
        p1, p2 = a / n1, c / n2
        pbar = w1 * p1 + w2 * p2
        spread = pbar * (1 - pbar)
        scale = np.sqrt(w1 * w2 / spread)
        skew = (p1 - p2) * (1 - 2 * pbar) / (2 * spread)
        g1 = scale * (1 - w1 * skew)
        g2 = -scale * (1 + w2 * skew)
        return g1**2 * p1 * (1 - p1) / n1 + g2**2 * p2 * (1 - p2) / n2

    vi = by_vtype(vtype, {"LS": cs, "CS": cs, "ST": st})
    flag = Flag((n1 == 0) | (n2 == 0) | (a + c == 0) | (b + d == 0), "a row or column total is 0")
    return Estimate(yi, vi, (flag,))


def yuq(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Yule's Q (YUQ).

    Notes
    -----
    With ``OR = ai di / (bi ci)``: ``yi = (OR - 1) / (OR + 1)``,
    ``vi = (1 - yi^2)^2 / 4 (1/ai + 1/bi + 1/ci + 1/di)``.

    References
    ----------
    Yule, G. U. (1912). On the methods of measuring association between two attributes.
    Journal of the Royal Statistical Society, 75(6), 579-652.
    """
    a, b, c, d = _cells(x)
    odds = a * d / (b * c)
    yi = (odds - 1) / (odds + 1)
    vi = 0.25 * (1 - yi**2) ** 2 * (1 / a + 1 / b + 1 / c + 1 / d)
    return Estimate(yi, vi, (_zero_flag(a, b, c, d),))


def yuy(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Yule's Y, the coefficient of colligation (YUY).

    Notes
    -----
    ``yi = (sqrt(OR) - 1) / (sqrt(OR) + 1)``,
    ``vi = (1 - yi^2)^2 / 16 (1/ai + 1/bi + 1/ci + 1/di)``.

    References
    ----------
    Yule, G. U. (1912). Journal of the Royal Statistical Society, 75(6), 579-652.
    """
    a, b, c, d = _cells(x)
    root = np.sqrt(a * d / (b * c))
    yi = (root - 1) / (root + 1)
    vi = (1 - yi**2) ** 2 / 16 * (1 / a + 1 / b + 1 / c + 1 / d)
    return Estimate(yi, vi, (_zero_flag(a, b, c, d),))


def or2dn(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean difference from a log odds ratio, normal model (OR2DN).

    Notes
    -----
    ``yi = ln(OR) / 1.65``, ``vi = vi_OR / 1.65^2``.

    References
    ----------
    Cox, D. R., & Snell, E. J. (1989). Analysis of binary data (2nd ed.).
    Sanchez-Meca, J., Marin-Martinez, F., & Chacon-Moscoso, S. (2003). Psychological Methods,
    8(4), 448-467.
    """
    yi, vi = _log_or(x)
    return Estimate(yi / COX, vi / COX**2, (_zero_flag(*_cells(x)),))


def or2dl(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean difference from a log odds ratio, logistic model (OR2DL).

    Notes
    -----
    ``yi = ln(OR) sqrt(3) / pi``, ``vi = vi_OR 3 / pi^2``.

    References
    ----------
    Hasselblad, V., & Hedges, L. V. (1995). Psychological Bulletin, 117(1), 167-178.
    Chinn, S. (2000). A simple method for converting an odds ratio to effect size for use in
    meta-analysis. Statistics in Medicine, 19(22), 3127-3131.
    """
    yi, vi = _log_or(x)
    return Estimate(yi / LOGISTIC, vi / LOGISTIC**2, (_zero_flag(*_cells(x)),))
