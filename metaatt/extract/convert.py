"""Conversions between d, log odds ratio, correlation r and Fisher's z, with variances.

All conversions are exact inverses of each other (for the estimate and, by the delta method,
for the variance), so converting there and back returns the input.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_choice
from ..errors import MetaattError
from ._common import check_range, effect_frame, read_vectors

__all__ = [
    "COX_CONSTANT",
    "LOGIT_CONSTANT",
    "convert",
    "d_to_log_or",
    "d_to_r",
    "log_or_to_d",
    "r_to_d",
    "r_to_z",
    "z_to_r",
]

#: sqrt(3)/pi: SD of the standard logistic distribution is pi/sqrt(3)
LOGIT_CONSTANT = np.sqrt(3.0) / np.pi
#: Cox (1970) constant: ln(OR) / 1.65 approximates d under a normal latent variable
COX_CONSTANT = 1.65
_METHODS = ("logit", "normal")


def _vectors(yi: Any, vi: Any, **others: Any) -> dict[str, np.ndarray]:
    v = read_vectors(None, None, yi=yi, vi=vi, **others)
    check_range(v["vi"], "vi", low=0, low_open=True, what="sampling variances")
    return v


def _a_constant(v: dict[str, np.ndarray]) -> np.ndarray:
    if ("n1" in v) != ("n2" in v):
        raise MetaattError("n1, n2: give both group sizes or neither (equal groups: a = 4)")
    if "n1" in v:
        check_range(v["n1"], "n1", low=1)
        check_range(v["n2"], "n2", low=1)
        return (v["n1"] + v["n2"]) ** 2 / (v["n1"] * v["n2"])
    return np.full(len(v["yi"]), 4.0)


def log_or_to_d(yi: Any, vi: Any, *, method: str = "logit") -> pd.DataFrame:
    """Standardized mean difference from a log odds ratio (latent-variable conversion).

    Parameters
    ----------
    yi, vi
        Log odds ratios and their sampling variances.
    method
        ``"logit"``: ``d = ln(OR) sqrt(3)/pi`` (logistic latent variable); ``"normal"``:
        ``d = ln(OR)/1.65`` (normal latent variable, Cox's approximation).

    Returns
    -------
    pandas.DataFrame
        ``yi`` (d), ``vi``, ``metric`` (``"d"``: set the design-specific metric yourself),
        ``formula``.

    Notes
    -----
    ``logit``: ``d = ln(OR) sqrt(3)/pi``, ``v_d = 3 v / pi^2``. ``normal``:
    ``d = ln(OR)/1.65``, ``v_d = v / 1.65^2``. Both assume an underlying continuous variable
    dichotomized at a threshold; the result is on the raw-score (not the change-score) scale.

    References
    ----------
    Hasselblad, V., & Hedges, L. V. (1995). Meta-analysis of screening and diagnostic tests.
    Psychological Bulletin, 117(1), 167-178. Chinn, S. (2000). A simple method for converting
    an odds ratio to effect size for use in meta-analysis. Statistics in Medicine, 19(22),
    3127-3131. Cox, D. R. (1970). Analysis of binary data. Methuen. Sanchez-Meca, J.,
    Marin-Martinez, F., & Chacon-Moscoso, S. (2003). Effect-size indices for dichotomized
    outcomes in meta-analysis. Psychological Methods, 8(4), 448-467.
    """
    check_choice(method, "method", _METHODS)
    v = _vectors(yi, vi)
    c = LOGIT_CONSTANT if method == "logit" else 1 / COX_CONSTANT
    formula = "d = ln(OR) sqrt(3)/pi" if method == "logit" else "d = ln(OR)/1.65"
    return effect_frame(v["yi"] * c, v["vi"] * c**2, "d", f"{formula}; v_d = c^2 v")


def d_to_log_or(yi: Any, vi: Any, *, method: str = "logit") -> pd.DataFrame:
    """Log odds ratio from a standardized mean difference (inverse of :func:`log_or_to_d`).

    Parameters
    ----------
    yi, vi
        d values and variances.
    method
        ``"logit"`` (``ln(OR) = d pi/sqrt(3)``) or ``"normal"`` (``ln(OR) = 1.65 d``).

    Returns
    -------
    pandas.DataFrame
        ``yi`` (log OR), ``vi``, ``metric`` (``"log_or"``), ``formula``.

    Notes
    -----
    ``ln(OR) = d / c`` and ``v = v_d / c^2`` with ``c = sqrt(3)/pi`` or ``1/1.65``.

    References
    ----------
    Hasselblad & Hedges (1995); Chinn (2000); Borenstein et al. (2009), eq. 7.1-7.4.
    """
    check_choice(method, "method", _METHODS)
    v = _vectors(yi, vi)
    c = LOGIT_CONSTANT if method == "logit" else 1 / COX_CONSTANT
    formula = "ln(OR) = d pi/sqrt(3)" if method == "logit" else "ln(OR) = 1.65 d"
    return effect_frame(v["yi"] / c, v["vi"] / c**2, "log_or", f"{formula}; v = v_d / c^2")


def d_to_r(yi: Any, vi: Any, *, n1: Any = None, n2: Any = None) -> pd.DataFrame:
    """Point-biserial correlation from a between-group d.

    Parameters
    ----------
    yi, vi
        d values and variances.
    n1, n2
        Group sizes; without them ``a = 4`` (equal groups).

    Returns
    -------
    pandas.DataFrame
        ``yi`` (r), ``vi``, ``metric`` (``"r"``), ``formula``.

    Notes
    -----
    ``r = d / sqrt(d^2 + a)``, ``a = (n1 + n2)^2 / (n1 n2)``;
    ``v_r = a^2 v_d / (d^2 + a)^3`` (delta method).

    References
    ----------
    Borenstein et al. (2009), eq. 7.7-7.8.
    """
    v = _vectors(yi, vi, n1=n1, n2=n2)
    a = _a_constant(v)
    d = v["yi"]
    return effect_frame(
        d / np.sqrt(d**2 + a),
        a**2 * v["vi"] / (d**2 + a) ** 3,
        "r",
        "r = d/sqrt(d^2 + a), a = (n1+n2)^2/(n1 n2); v_r = a^2 v_d/(d^2 + a)^3",
    )


def r_to_d(yi: Any, vi: Any, *, n1: Any = None, n2: Any = None) -> pd.DataFrame:
    """Between-group d from a point-biserial correlation (inverse of :func:`d_to_r`).

    Parameters
    ----------
    yi, vi
        Correlations (|r| < 1) and their variances.
    n1, n2
        Group sizes; without them ``a = 4`` and ``d = 2r / sqrt(1 - r^2)``.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (d), ``vi``, ``metric`` (``"d"``), ``formula``.

    Notes
    -----
    ``d = r sqrt(a / (1 - r^2))``, ``v_d = a v_r / (1 - r^2)^3``; with ``a = 4`` this is
    Borenstein et al.'s ``d = 2r/sqrt(1 - r^2)``, ``v_d = 4 v_r/(1 - r^2)^3``.

    References
    ----------
    Borenstein et al. (2009), eq. 7.5-7.6.
    """
    v = _vectors(yi, vi, n1=n1, n2=n2)
    check_range(v["yi"], "yi", low=-1, high=1, low_open=True, high_open=True, what="|r| < 1")
    a = _a_constant(v)
    r = v["yi"]
    return effect_frame(
        r * np.sqrt(a / (1 - r**2)),
        a * v["vi"] / (1 - r**2) ** 3,
        "d",
        "d = r sqrt(a/(1 - r^2)); v_d = a v_r/(1 - r^2)^3",
    )


def r_to_z(yi: Any, vi: Any = None, *, n: Any = None) -> pd.DataFrame:
    """Fisher's z from a correlation.

    Parameters
    ----------
    yi
        Correlations, ``|r| < 1``.
    vi
        Their variances (delta method: ``v_z = v_r / (1 - r^2)^2``), or
    n
        the sample sizes (``v_z = 1/(n - 3)``, the usual large-sample variance). Give one.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (z), ``vi``, ``metric`` (``"z"``), ``formula``.

    Notes
    -----
    ``z = atanh(r) = 0.5 ln((1 + r)/(1 - r))``.

    References
    ----------
    Fisher, R. A. (1921). On the 'probable error' of a coefficient of correlation deduced from
    a small sample. Metron, 1, 3-32. Borenstein et al. (2009), eq. 6.2-6.3.
    """
    if (vi is None) == (n is None):
        raise MetaattError("vi, n: give the variances of r or the sample sizes n, not both")
    if n is not None:
        v = read_vectors(None, None, yi=yi, n=n)
        check_range(v["n"], "n", low=3, low_open=True, what="1/(n - 3) needs n > 3")
        var = 1 / (v["n"] - 3)
        formula = "z = atanh(r); v = 1/(n - 3)"
    else:
        v = _vectors(yi, vi)
        var = v["vi"] / (1 - v["yi"] ** 2) ** 2
        formula = "z = atanh(r); v = v_r/(1 - r^2)^2"
    check_range(v["yi"], "yi", low=-1, high=1, low_open=True, high_open=True, what="|r| < 1")
    return effect_frame(np.arctanh(v["yi"]), var, "z", formula)


def z_to_r(yi: Any, vi: Any) -> pd.DataFrame:
    """Correlation from Fisher's z (inverse of :func:`r_to_z` with variances).

    Parameters
    ----------
    yi, vi
        Fisher z values and variances.

    Returns
    -------
    pandas.DataFrame
        ``yi`` (r), ``vi``, ``metric`` (``"r"``), ``formula``.

    Notes
    -----
    ``r = tanh(z)``, ``v_r = v_z (1 - r^2)^2`` (delta method).

    References
    ----------
    Borenstein et al. (2009), eq. 6.4.
    """
    v = _vectors(yi, vi)
    r = np.tanh(v["yi"])
    return effect_frame(r, v["vi"] * (1 - r**2) ** 2, "r", "r = tanh(z); v_r = v_z (1 - r^2)^2")


_STEPS = {
    ("log_or", "d"): lambda y, v, kw: log_or_to_d(y, v, method=kw["method"]),
    ("d", "log_or"): lambda y, v, kw: d_to_log_or(y, v, method=kw["method"]),
    ("d", "r"): lambda y, v, kw: d_to_r(y, v, n1=kw["n1"], n2=kw["n2"]),
    ("r", "d"): lambda y, v, kw: r_to_d(y, v, n1=kw["n1"], n2=kw["n2"]),
    ("r", "z"): lambda y, v, kw: r_to_z(y, v),
    ("z", "r"): lambda y, v, kw: z_to_r(y, v),
}
_CHAIN = ("log_or", "d", "r", "z")


def convert(
    yi: Any,
    vi: Any,
    *,
    source: str,
    target: str,
    method: str = "logit",
    n1: Any = None,
    n2: Any = None,
) -> pd.DataFrame:
    """Convert effect sizes along log OR <-> d <-> r <-> z, composing the single steps.

    Parameters
    ----------
    yi, vi
        Effect sizes and variances on the ``source`` scale.
    source, target
        One of ``"log_or"``, ``"d"``, ``"r"``, ``"z"``.
    method
        Latent-variable method for log OR <-> d (``"logit"`` or ``"normal"``).
    n1, n2
        Group sizes for d <-> r (default: equal groups).

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric`` (= ``target``), ``formula`` (the steps, ``" -> "``
        joined).

    Notes
    -----
    See :func:`log_or_to_d`, :func:`d_to_r`, :func:`r_to_z` and their inverses.

    References
    ----------
    Borenstein et al. (2009), ch. 7.

    Examples
    --------
    >>> from metaatt.extract import convert
    >>> out = convert([0.5], [0.04], source="d", target="z")
    >>> round(float(out.yi[0]), 4), round(float(out.vi[0]), 5)
    (0.2475, 0.00941)
    """
    check_choice(source, "source", _CHAIN)
    check_choice(target, "target", _CHAIN)
    i, j = _CHAIN.index(source), _CHAIN.index(target)
    step = 1 if j >= i else -1
    path = [_CHAIN[k] for k in range(i, j + step, step)]
    kw = {"method": method, "n1": n1, "n2": n2}
    v = _vectors(yi, vi)
    frame = effect_frame(v["yi"], v["vi"], source, "identity")
    formulas = []
    for a, b in itertools.pairwise(path):
        frame = _STEPS[(a, b)](frame["yi"].to_numpy(), frame["vi"].to_numpy(), kw)
        formulas.append(frame["formula"].iloc[0])
    out = effect_frame(
        frame["yi"].to_numpy(),
        frame["vi"].to_numpy(),
        target,
        " -> ".join(formulas) if formulas else "identity",
    )
    return out
