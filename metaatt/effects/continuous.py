"""Two independent groups, quantitative outcome: means, SDs and group sizes.

Every function takes the validated inputs (``x["m1i"]`` etc., float arrays) and a per-row
``vtype`` array, and returns an :class:`~metaatt.effects._common.Estimate`. Notation:
``n1, n2`` group sizes, ``m1, m2`` means, ``s1, s2`` SDs, ``m = n1 + n2 - 2``,
``J(m)`` the exact Hedges correction (:func:`~metaatt.effects._hedges.hedges_j`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import Estimate, Flag, by_vtype, weighted_mean
from ._hedges import hedges_j

Inputs = Mapping[str, np.ndarray]

#: logistic-distribution scale factor pi / sqrt(3) (Hasselblad & Hedges 1995)
LOGISTIC = np.pi / np.sqrt(3.0)
#: normal-distribution factor of Cox & Snell (1989)
COX = 1.65


def _pooled_sd(x: Inputs) -> np.ndarray:
    n1, n2 = x["n1i"], x["n2i"]
    return np.sqrt(((n1 - 1) * x["sd1i"] ** 2 + (n2 - 1) * x["sd2i"] ** 2) / (n1 + n2 - 2))


def _j_flag(m: np.ndarray, what: str) -> Flag:
    return Flag(~(m > 1), f"Hedges' correction J(m) needs m = {what} > 1", "yi", force=True)


def _zero_sd_flag(sd: np.ndarray, what: str) -> Flag:
    return Flag(sd == 0, f"{what} is 0, so the standardized difference is undefined")


def md(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Raw mean difference (MD).

    Notes
    -----
    ``yi = m1 - m2``. ``vtype="LS"`` (and ``"UB"``, identical in metafor 3.8):
    ``vi = s1^2/n1 + s2^2/n2`` (no homoscedasticity); ``"HO"``:
    ``vi = sp^2 (1/n1 + 1/n2)`` with the pooled SD ``sp``.

    References
    ----------
    Borenstein, M. (2009). Effect sizes for continuous data. In The handbook of research
    synthesis and meta-analysis (2nd ed., pp. 221-235), eqs. 12.5 (LS) and 12.3 (HO).
    """
    n1, n2 = x["n1i"], x["n2i"]
    yi = x["m1i"] - x["m2i"]
    ls = lambda: x["sd1i"] ** 2 / n1 + x["sd2i"] ** 2 / n2  # noqa: E731
    vi = by_vtype(vtype, {"LS": ls, "UB": ls, "HO": lambda: _pooled_sd(x) ** 2 * (1 / n1 + 1 / n2)})
    return Estimate(
        yi, vi, (Flag((vtype == "HO") & (n1 + n2 <= 2), "pooled SD needs n1i + n2i > 2"),)
    )


def _smd_variants(
    yi: np.ndarray,
    di: np.ndarray,
    j: np.ndarray,
    m: np.ndarray,
    inv_n: np.ndarray,
    n_sq: np.ndarray,
    weights: np.ndarray,
    vtype: np.ndarray,
) -> np.ndarray:
    """Sampling variances shared by SMD and SMD1 (``n_sq`` is the d^2 denominator / 2)."""
    return by_vtype(
        vtype,
        {
            "LS": lambda: inv_n + yi**2 / (2 * n_sq),
            "UB": lambda: inv_n + (1 - (m - 2) / (m * j**2)) * yi**2,
            "LS2": lambda: j**2 * (inv_n + di**2 / (2 * n_sq)),
            "AV": lambda: inv_n + weighted_mean(yi, weights) ** 2 / (2 * n_sq),
        },
    )


def smd(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean difference, Hedges' g (SMD).

    Notes
    -----
    ``d = (m1 - m2) / sp`` with ``sp^2 = ((n1-1) s1^2 + (n2-1) s2^2) / m``, ``m = n1+n2-2``,
    and ``yi = J(m) d``. Sampling variance by ``vtype``:

    - ``"LS"``: ``1/n1 + 1/n2 + yi^2 / (2 (n1+n2))`` (Hedges 1982, eq. 8);
    - ``"UB"``: ``1/n1 + 1/n2 + (1 - (m-2) / (m J(m)^2)) yi^2``, unbiased (Hedges 1983, eq. 9);
    - ``"LS2"``: ``J(m)^2 (1/n1 + 1/n2 + d^2 / (2 (n1+n2)))`` (Borenstein 2009, eq. 12.17);
    - ``"AV"``: as LS with ``yi`` replaced by the ``(n1+n2)``-weighted mean of all ``yi``.

    References
    ----------
    Hedges, L. V. (1981). Journal of Educational Statistics, 6(2), 107-128.
    Hedges, L. V. (1982). Psychological Bulletin, 92(2), 490-499.
    Hedges, L. V. (1983). Psychological Bulletin, 93(2), 388-395.
    """
    n1, n2 = x["n1i"], x["n2i"]
    m = n1 + n2 - 2
    sd = _pooled_sd(x)
    di = (x["m1i"] - x["m2i"]) / sd
    j = hedges_j(m)
    yi = j * di
    vi = _smd_variants(yi, di, j, m, 1 / n1 + 1 / n2, n1 + n2, n1 + n2, vtype)
    return Estimate(yi, vi, (_j_flag(m, "n1i + n2i - 2"), _zero_sd_flag(sd, "the pooled SD")))


def smd1(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean difference with group 2's SD as standardizer (SMD1, Glass-type).

    Notes
    -----
    ``yi = J(n2 - 1) (m1 - m2) / s2``; ``sd1i`` is not used. Variances as for SMD with
    ``m = n2 - 1`` and ``2 n2`` in place of ``2 (n1 + n2)``: LS
    ``1/n1 + 1/n2 + yi^2 / (2 n2)``; UB, LS2 and AV analogously.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128.
    """
    n1, n2 = x["n1i"], x["n2i"]
    m = n2 - 1
    di = (x["m1i"] - x["m2i"]) / x["sd2i"]
    j = hedges_j(m)
    yi = j * di
    vi = _smd_variants(yi, di, j, m, 1 / n1 + 1 / n2, n2, n1 + n2, vtype)
    return Estimate(yi, vi, (_j_flag(m, "n2i - 1"), _zero_sd_flag(x["sd2i"], "sd2i")))


def smd1h(x: Inputs, vtype: np.ndarray) -> Estimate:
    """SMD1 allowing unequal variances (SMD1H).

    Notes
    -----
    ``yi = J(n2 - 1) (m1 - m2) / s2`` and
    ``vi = s1^2 / (n1 s2^2) + 1/n2 + yi^2 / (2 n2)``.

    References
    ----------
    Bonett, D. G. (2008). Confidence intervals for standardized linear contrasts of means.
    Psychological Methods, 13(2), 99-109.
    """
    n1, n2 = x["n1i"], x["n2i"]
    m = n2 - 1
    yi = hedges_j(m) * (x["m1i"] - x["m2i"]) / x["sd2i"]
    vi = x["sd1i"] ** 2 / (n1 * x["sd2i"] ** 2) + 1 / n2 + yi**2 / (2 * n2)
    return Estimate(yi, vi, (_j_flag(m, "n2i - 1"), _zero_sd_flag(x["sd2i"], "sd2i")))


def smdh(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Standardized mean difference with heteroscedastic variances (SMDH).

    Notes
    -----
    ``s^2 = (s1^2 + s2^2) / 2``, ``yi = J(n1+n2-2) (m1 - m2) / s`` and

    ``vi = J^2 [yi^2 (s1^4/(n1-1) + s2^4/(n2-1)) / (8 s^4) + (s1^2/(n1-1) + s2^2/(n2-1)) / s^2]``

    References
    ----------
    Bonett, D. G. (2009). Meta-analytic interval estimation for standardized and
    unstandardized mean differences. Psychological Methods, 14(3), 225-238.
    """
    n1, n2 = x["n1i"], x["n2i"]
    s1, s2 = x["sd1i"], x["sd2i"]
    m = n1 + n2 - 2
    var = (s1**2 + s2**2) / 2
    j = hedges_j(m)
    yi = j * (x["m1i"] - x["m2i"]) / np.sqrt(var)
    vi = j**2 * (
        yi**2 * (s1**4 / (n1 - 1) + s2**4 / (n2 - 1)) / (8 * var**2)
        + (s1**2 / (n1 - 1) + s2**2 / (n2 - 1)) / var
    )
    flags = (
        _j_flag(m, "n1i + n2i - 2"),
        _zero_sd_flag(var, "the average SD"),
        Flag((n1 <= 1) | (n2 <= 1), "SMDH needs at least 2 per group"),
    )
    return Estimate(yi, vi, flags)


def rom(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log ratio of means (ROM, log response ratio).

    Notes
    -----
    ``yi = ln(m1 / m2)`` (defined when both means have the same sign). ``vtype``:

    - ``"LS"``: ``s1^2 / (n1 m1^2) + s2^2 / (n2 m2^2)`` (Hedges et al. 1999, eq. 1);
    - ``"HO"``: ``sp^2 (1/(n1 m1^2) + 1/(n2 m2^2))`` with the pooled SD;
    - ``"AV"``: ``cv1^2/n1 + cv2^2/n2`` with ``cvg`` the ``n``-weighted mean coefficient of
      variation of group g over all studies;
    - ``"AVHO"``: ``cv^2 (1/n1 + 1/n2)`` with ``cv = sum(n1 cv1 + n2 cv2) / sum(n1 + n2)``
      over the studies where both CVs are defined.

    References
    ----------
    Hedges, L. V., Gurevitch, J., & Curtis, P. S. (1999). The meta-analysis of response ratios
    in experimental ecology. Ecology, 80(4), 1150-1156, eq. 1.
    Lajeunesse, M. J. (2011). Ecology, 92(11), 2049-2055.
    """
    n1, n2, m1, m2 = x["n1i"], x["n2i"], x["m1i"], x["m2i"]
    yi = np.log(m1 / m2)
    cv1, cv2 = x["sd1i"] / m1, x["sd2i"] / m2

    def avho() -> np.ndarray:
        both = n1 * cv1 + n2 * cv2  # studies with both CVs (as metafor)
        cv = weighted_mean(both / (n1 + n2), n1 + n2)
        return cv**2 * (1 / n1 + 1 / n2)

    vi = by_vtype(
        vtype,
        {
            "LS": lambda: cv1**2 / n1 + cv2**2 / n2,
            "HO": lambda: _pooled_sd(x) ** 2 * (1 / (n1 * m1**2) + 1 / (n2 * m2**2)),
            "AV": lambda: weighted_mean(cv1, n1) ** 2 / n1 + weighted_mean(cv2, n2) ** 2 / n2,
            "AVHO": avho,
        },
    )
    flags = (
        Flag((m1 == 0) | (m2 == 0), "a mean is 0, so the log ratio of means is undefined"),
        Flag(m1 * m2 < 0, "the means have opposite signs, so the log ratio is undefined"),
    )
    return Estimate(yi, vi, flags)


def cvr(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log coefficient-of-variation ratio (CVR).

    Notes
    -----
    ``yi = ln(s1/m1) + 1/(2(n1-1)) - ln(s2/m2) - 1/(2(n2-1))``,
    ``vi = 1/(2(n1-1)) + s1^2/(n1 m1^2) + 1/(2(n2-1)) + s2^2/(n2 m2^2)``
    (eq. 12 without the correlation terms, assuming normal data).

    References
    ----------
    Nakagawa, S., et al. (2015). Meta-analysis of variation: ecological and evolutionary
    applications and beyond. Methods in Ecology and Evolution, 6(2), 143-152, eqs. 11-12.
    """
    n1, n2, m1, m2, s1, s2 = x["n1i"], x["n2i"], x["m1i"], x["m2i"], x["sd1i"], x["sd2i"]
    yi = np.log(s1 / m1) + 1 / (2 * (n1 - 1)) - np.log(s2 / m2) - 1 / (2 * (n2 - 1))
    vi = 1 / (2 * (n1 - 1)) + s1**2 / (n1 * m1**2) + 1 / (2 * (n2 - 1)) + s2**2 / (n2 * m2**2)
    flags = (
        Flag((n1 <= 1) | (n2 <= 1), "CVR needs at least 2 per group"),
        Flag((s1 / m1 <= 0) | (s2 / m2 <= 0), "CVR needs positive means and SDs"),
    )
    return Estimate(yi, vi, flags)


def vr(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log variability ratio (VR).

    Notes
    -----
    ``yi = ln(s1/s2) + 1/(2(n1-1)) - 1/(2(n2-1))``, ``vi = 1/(2(n1-1)) + 1/(2(n2-1))``.

    References
    ----------
    Nakagawa, S., et al. (2015). Methods in Ecology and Evolution, 6(2), 143-152, eqs. 9-10.
    """
    n1, n2, s1, s2 = x["n1i"], x["n2i"], x["sd1i"], x["sd2i"]
    yi = np.log(s1 / s2) + 1 / (2 * (n1 - 1)) - 1 / (2 * (n2 - 1))
    vi = 1 / (2 * (n1 - 1)) + 1 / (2 * (n2 - 1))
    flags = (
        Flag((n1 <= 1) | (n2 <= 1), "VR needs at least 2 per group"),
        Flag((s1 == 0) | (s2 == 0), "an SD is 0, so the log variability ratio is undefined"),
    )
    return Estimate(yi, vi, flags)


def rpb(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Point-biserial correlation from two groups' means and SDs (RPB).

    Notes
    -----
    With the uncorrected ``d = (m1 - m2)/sp`` and ``h = m/n1 + m/n2`` (``m = n1+n2-2``,
    ``n = n1+n2``): ``yi = d / sqrt(d^2 + h)``. ``vtype="ST"`` (stratified sampling, the
    default ``"LS"``): ``vi = h^2 / (h + d^2)^3 (1/n1 + 1/n2 + d^2 / (2n))`` (delta method);
    ``"CS"`` (cross-sectional sampling): ``vi = (1 - yi^2)^2 (n yi^2 / (4 n1 n2) +
    (2 - 3 yi^2) / (2n))`` (Tate 1954).

    References
    ----------
    Tate, R. F. (1954). Correlation between a discrete and a continuous variable.
    Annals of Mathematical Statistics, 25(3), 603-607.
    """
    n1, n2 = x["n1i"], x["n2i"]
    n = n1 + n2
    m = n - 2
    di = (x["m1i"] - x["m2i"]) / _pooled_sd(x)
    h = m / n1 + m / n2
    yi = di / np.sqrt(di**2 + h)
    st = lambda: h**2 / (h + di**2) ** 3 * (1 / n1 + 1 / n2 + di**2 / (2 * n))  # noqa: E731
    cs = lambda: (1 - yi**2) ** 2 * (n * yi**2 / (4 * n1 * n2) + (2 - 3 * yi**2) / (2 * n))  # noqa: E731
    vi = by_vtype(vtype, {"LS": st, "ST": st, "CS": cs})
    return Estimate(yi, vi, (Flag(n <= 2, "RPB needs n1i + n2i > 2"),))


def _d2or(x: Inputs, factor: float) -> Estimate:
    n1, n2 = x["n1i"], x["n2i"]
    di = (x["m1i"] - x["m2i"]) / _pooled_sd(x)
    vd = 1 / n1 + 1 / n2 + di**2 / (2 * (n1 + n2))
    return Estimate(
        factor * di, factor**2 * vd, (Flag(n1 + n2 <= 2, "pooled SD needs n1i + n2i > 2"),)
    )


def d2orn(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log odds ratio from a standardized mean difference, normal model (D2ORN).

    Notes
    -----
    With Cohen's ``d`` (pooled SD, no small-sample correction) and its LS variance
    ``vd = 1/n1 + 1/n2 + d^2 / (2 (n1+n2))``: ``yi = 1.65 d``, ``vi = 1.65^2 vd``.

    References
    ----------
    Cox, D. R., & Snell, E. J. (1989). Analysis of binary data (2nd ed.). Chapman & Hall.
    Sanchez-Meca, J., et al. (2003). Psychological Methods, 8(4), 448-467.
    """
    return _d2or(x, COX)


def d2orl(x: Inputs, vtype: np.ndarray) -> Estimate:
    """Log odds ratio from a standardized mean difference, logistic model (D2ORL).

    Notes
    -----
    ``yi = d pi / sqrt(3)``, ``vi = vd pi^2 / 3`` with Cohen's ``d`` and ``vd`` as in D2ORN.

    References
    ----------
    Hasselblad, V., & Hedges, L. V. (1995). Meta-analysis of screening and diagnostic tests.
    Psychological Bulletin, 117(1), 167-178.
    Chinn, S. (2000). Statistics in Medicine, 19(22), 3127-3131.
    """
    return _d2or(x, LOGISTIC)
