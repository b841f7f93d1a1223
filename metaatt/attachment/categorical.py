"""Categorical attachment outcomes (secure vs insecure) as effect sizes.

Paired data (the same patients classified before and after therapy) come as a full table
``n_ss`` (secure -> secure), ``n_si`` (secure -> insecure), ``n_is`` (insecure -> secure),
``n_ii`` (insecure -> insecure), or as marginal counts only (secure before, secure after: see
:mod:`metaatt.attachment.marginal`).
Independent arms at post-test come as secure counts per arm. Positive values always mean
more security after therapy (or in the arm than in the comparator).

``categorical=`` selects the scale:

* ``"logit"``: d = ln(OR) sqrt(3)/pi (Hasselblad & Hedges 1995; Chinn 2000);
* ``"normal"``: d = ln(OR)/1.65 (Cox 1970);
* ``"probit"``: d = Phi^-1(p_post) - Phi^-1(p_pre) with the paired covariance;
* ``"log_or"``: the marginal log odds ratio (metafor MPOR / MPORM / OR);
* ``"conditional"``: the McNemar-type conditional log OR ln(n_is/n_si) (metafor MPORC).

The first three give latent-variable d's on the raw-score scale, comparable with SMCR /
d_av, not with the change-score d_z (Morris & DeShon 2002).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice, check_number
from ..errors import MetaattError
from ..extract._common import check_range, read_vectors
from ..extract.convert import COX_CONSTANT, LOGIT_CONSTANT

__all__ = ["CATEGORICAL_SCALES", "ZERO_CELL_POLICIES", "between_categorical", "paired_categorical"]

CATEGORICAL_SCALES = ("logit", "normal", "probit", "log_or", "conditional")
ZERO_CELL_POLICIES = ("add", "none")
_SCALE_FORMULA = {
    "logit": "d = ln(OR) sqrt(3)/pi, v = 3 v_lnOR/pi^2 (Hasselblad & Hedges 1995)",
    "normal": "d = ln(OR)/1.65, v = v_lnOR/1.65^2 (Cox 1970)",
}


def _escalc(measure: str, **inputs: Any) -> pd.DataFrame:
    from ..effects import escalc

    return escalc(measure, add=0.0, to="none", **inputs)


def _probit_paired(p1, p2, p11, n):
    z1, z2 = stats.norm.ppf(p1), stats.norm.ppf(p2)
    f1, f2 = stats.norm.pdf(z1), stats.norm.pdf(z2)
    var = (p1 * (1 - p1) / f1**2 + p2 * (1 - p2) / f2**2 - 2 * (p11 - p1 * p2) / (f1 * f2)) / n
    return z2 - z1, var


def _to_scale(yi: np.ndarray, vi: np.ndarray, scale: str) -> tuple[np.ndarray, np.ndarray]:
    if scale == "logit":
        return yi * LOGIT_CONSTANT, vi * LOGIT_CONSTANT**2
    if scale == "normal":
        return yi / COX_CONSTANT, vi / COX_CONSTANT**2
    return yi, vi


def _reasons(values: Any) -> list[str | None]:
    return [None if r is None or (not isinstance(r, str) and pd.isna(r)) or r == "" else str(r)
            for r in values]  # fmt: skip


def _frame(yi, vi, metric, formula, **extra) -> pd.DataFrame:
    out = pd.DataFrame({"yi": yi, "vi": vi, "metric": metric, "formula": formula})
    for name, value in extra.items():
        out[name] = value
    if "reason" in out:
        out["reason"] = pd.Series(_reasons(out["reason"]), dtype=object)
    return out


def paired_categorical(
    n_ss: Any,
    n_si: Any,
    n_is: Any,
    n_ii: Any,
    *,
    categorical: str = "logit",
    zero_cells: str = "add",
    cc: float = 0.5,
) -> pd.DataFrame:
    """Effect size of a full paired pre x post classification table.

    Parameters
    ----------
    n_ss, n_si, n_is, n_ii
        Counts secure -> secure, secure -> insecure, insecure -> secure, insecure -> insecure.
    categorical
        Scale (module docstring): ``"logit"``, ``"normal"``, ``"probit"``, ``"log_or"``,
        ``"conditional"``.
    zero_cells
        ``"add"``: add ``cc`` to all four cells of a table with a zero cell (metafor's
        ``add=1/2, to="only0"``); ``"none"``: leave such rows uncomputed with a reason.
    cc
        The continuity correction (> 0).

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric`` (``d_raw_change``, ``log_or_paired`` or
        ``log_or_conditional``), ``formula``, ``assumptions``, ``reason``.

    Notes
    -----
    Marginal log OR (metafor ``MPOR``, Becker & Balagtas 1993):
    ``ln[p_post/(1-p_post)] - ln[p_pre/(1-p_pre)]``, ``p_pre = (n_ss + n_si)/n``,
    ``p_post = (n_ss + n_is)/n``, with the paired variance. Probit:
    ``d = Phi^-1(p_post) - Phi^-1(p_pre)``, ``v = [p1 q1/f1^2 + p2 q2/f2^2 - 2 (p11 - p1 p2)
    /(f1 f2)] / n`` (delta method, ``f = phi(Phi^-1(p))``, ``Cov(p1, p2) = (p11 - p1 p2)/n``).
    Conditional (MPORC): ``ln(n_is/n_si)``, ``v = 1/n_is + 1/n_si``.

    References
    ----------
    Becker, M. P., & Balagtas, C. C. (1993). Marginal modeling of binary cross-over data.
    Biometrics, 49(4), 997-1009. Zou, G. Y. (2007). One relative risk versus two odds ratios:
    Implications for meta-analyses involving paired and unpaired binary data. Clinical Trials,
    4(1), 25-31. Hasselblad & Hedges (1995); Chinn (2000).
    """
    check_choice(categorical, "categorical", CATEGORICAL_SCALES)
    check_choice(zero_cells, "zero_cells", ZERO_CELL_POLICIES)
    v = read_vectors(None, None, n_ss=n_ss, n_si=n_si, n_is=n_is, n_ii=n_ii)
    cells = np.column_stack([v["n_ss"], v["n_si"], v["n_is"], v["n_ii"]])
    for j, name in enumerate(("n_ss", "n_si", "n_is", "n_ii")):
        check_range(cells[:, j], name, low=0, what="a count")
    cc = check_number(cc, "cc", low=0, low_open=True)
    k = len(cells)
    if (cells.sum(axis=1) == 0).any():
        raise MetaattError("n_ss, n_si, n_is, n_ii: a table has no patients")
    zero = (cells == 0).any(axis=1)
    assumptions = np.where(zero, "", "").astype(object)
    reason = np.full(k, None, dtype=object)
    if zero_cells == "add":
        cells = cells + np.where(zero, cc, 0.0)[:, None]
        assumptions[zero] = f"{cc:g} added to every cell of the paired table (a cell was 0)"
    else:
        reason[zero] = "a cell of the paired table is 0 and zero_cells='none'"
    ss, si, is_, ii = cells.T
    n = cells.sum(axis=1)
    yi = np.full(k, np.nan)
    vi = np.full(k, np.nan)
    ok = reason == None  # noqa: E711 (elementwise)
    if categorical == "probit":
        p1, p2, p11 = (ss[ok] + si[ok]) / n[ok], (ss[ok] + is_[ok]) / n[ok], ss[ok] / n[ok]
        yi[ok], vi[ok] = _probit_paired(p1, p2, p11, n[ok])
        metric = "d_raw_change"
        formula = "probit: d = Phi^-1(p_post) - Phi^-1(p_pre), paired delta-method variance"
    elif ok.any():
        measure = "MPORC" if categorical == "conditional" else "MPOR"
        es = _escalc(measure, ai=ss[ok], bi=is_[ok], ci=si[ok], di=ii[ok])
        yi[ok], vi[ok] = _to_scale(es["yi"].to_numpy(), es["vi"].to_numpy(), categorical)
        if "reason" in es:
            reason[np.flatnonzero(ok)] = es["reason"].to_numpy()
        metric = {"conditional": "log_or_conditional", "log_or": "log_or_paired"}.get(
            categorical, "d_raw_change"
        )
        formula = (
            "MPORC: ln(n_is/n_si), v = 1/n_is + 1/n_si"
            if categorical == "conditional"
            else "MPOR: marginal log OR post vs pre (Becker & Balagtas 1993)"
            + (f"; {_SCALE_FORMULA[categorical]}" if categorical in _SCALE_FORMULA else "")
        )
    else:
        metric, formula = "d_raw_change", ""
    return _frame(yi, vi, metric, formula, assumptions=assumptions, reason=reason)


def between_categorical(
    x1: Any,
    n1: Any,
    x2: Any,
    n2: Any,
    *,
    categorical: str = "logit",
    zero_cells: str = "add",
    cc: float = 0.5,
) -> pd.DataFrame:
    """Effect size of secure proportions in two independent arms (at post-test).

    Parameters
    ----------
    x1, n1
        Secure patients and patients in the arm.
    x2, n2
        The same in the comparator.
    categorical
        ``"logit"``, ``"normal"``, ``"probit"`` or ``"log_or"``.
    zero_cells, cc
        As in :func:`paired_categorical`.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric`` (``d_between_post`` or ``log_or``), ``formula``,
        ``assumptions``, ``reason``.

    Notes
    -----
    metafor's ``OR`` (log OR), ``OR2DL`` (logit) and ``OR2DN`` (normal) of the table
    ``[x1, n1 - x1; x2, n2 - x2]``; probit: ``Phi^-1(p1) - Phi^-1(p2)`` with
    ``v = p1 q1/(n1 f1^2) + p2 q2/(n2 f2^2)`` (metafor's ``PBIT``).

    References
    ----------
    Hasselblad & Hedges (1995); Sanchez-Meca et al. (2003).
    """
    check_choice(categorical, "categorical", ("logit", "normal", "probit", "log_or"))
    check_choice(zero_cells, "zero_cells", ZERO_CELL_POLICIES)
    cc = check_number(cc, "cc", low=0, low_open=True)
    v = read_vectors(None, None, x1=x1, n1=n1, x2=x2, n2=n2)
    for name in ("x1", "x2"):
        check_range(v[name], name, low=0, what="a count")
    for name in ("n1", "n2"):
        check_range(v[name], name, low=1, what="patients")
    check_range(v["n1"] - v["x1"], "x1", low=0, what="cannot exceed n1")
    check_range(v["n2"] - v["x2"], "x2", low=0, what="cannot exceed n2")
    cells = np.column_stack([v["x1"], v["n1"] - v["x1"], v["x2"], v["n2"] - v["x2"]])
    k = len(cells)
    zero = (cells == 0).any(axis=1)
    assumptions = np.full(k, "", dtype=object)
    reason = np.full(k, None, dtype=object)
    if zero_cells == "add":
        cells = cells + np.where(zero, cc, 0.0)[:, None]
        assumptions[zero] = f"{cc:g} added to every cell of the 2x2 table (a cell was 0)"
    else:
        reason[zero] = "a cell of the 2x2 table is 0 and zero_cells='none'"
    ok = reason == None  # noqa: E711
    yi, vi = np.full(k, np.nan), np.full(k, np.nan)
    a, b, c, d = cells.T
    if categorical == "probit":
        p1, p2 = a / (a + b), c / (c + d)
        z1, z2 = stats.norm.ppf(p1), stats.norm.ppf(p2)
        f1, f2 = stats.norm.pdf(z1), stats.norm.pdf(z2)
        y = z1 - z2
        var = p1 * (1 - p1) / ((a + b) * f1**2) + p2 * (1 - p2) / ((c + d) * f2**2)
        yi[ok], vi[ok] = y[ok], var[ok]
        formula = "probit: d = Phi^-1(p_arm) - Phi^-1(p_comparator)"
    else:
        measure = {"logit": "OR2DL", "normal": "OR2DN", "log_or": "OR"}[categorical]
        if ok.any():
            es = _escalc(measure, ai=a[ok], bi=b[ok], ci=c[ok], di=d[ok])
            yi[ok], vi[ok] = es["yi"].to_numpy(), es["vi"].to_numpy()
        formula = {
            "OR": "OR: log odds ratio arm vs comparator",
            "OR2DL": "OR2DL: d = ln(OR) sqrt(3)/pi (Hasselblad & Hedges 1995)",
            "OR2DN": "OR2DN: d = ln(OR)/1.65 (Cox 1970)",
        }[measure]
    metric = "log_or" if categorical == "log_or" else "d_between_post"
    return _frame(yi, vi, metric, formula, assumptions=assumptions, reason=reason)
