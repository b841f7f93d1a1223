"""Categorical attachment outcomes (secure vs insecure) as effect sizes.

Paired data (the same patients classified before and after therapy) come as a full table
``n_ss`` (secure -> secure), ``n_si`` (secure -> insecure), ``n_is`` (insecure -> secure),
``n_ii`` (insecure -> insecure), or as marginal counts only (secure before, secure after).
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

from .._validate import check_choice
from ..errors import MetaattError
from ..extract._common import check_range, read_vectors
from ..extract.convert import COX_CONSTANT, LOGIT_CONSTANT

__all__ = [
    "CATEGORICAL_SCALES",
    "ZERO_CELL_POLICIES",
    "between_categorical",
    "feasible_p11",
    "marginal_categorical",
    "marginal_sensitivity",
    "p11_from_phi",
    "paired_categorical",
    "phi_from_p11",
]

CATEGORICAL_SCALES = ("logit", "normal", "probit", "log_or", "conditional")
ZERO_CELL_POLICIES = ("add", "none")
_SCALE_FORMULA = {
    "logit": "d = ln(OR) sqrt(3)/pi, v = 3 v_lnOR/pi^2 (Hasselblad & Hedges 1995)",
    "normal": "d = ln(OR)/1.65, v = v_lnOR/1.65^2 (Cox 1970)",
}


def _escalc(measure: str, **inputs: Any) -> pd.DataFrame:
    from ..effects import escalc

    return escalc(measure, add=0.0, to="none", **inputs)


def feasible_p11(p_pre: Any, p_post: Any) -> tuple[np.ndarray, np.ndarray]:
    """Range of the concordant proportion p11 (secure at both occasions) given the margins.

    Parameters
    ----------
    p_pre, p_post
        Proportions secure before and after.

    Returns
    -------
    (low, high)
        ``max(0, p_pre + p_post - 1)`` and ``min(p_pre, p_post)`` (Frechet bounds).

    Notes
    -----
    The table is determined exactly when ``low == high``, i.e. when a margin is 0 or 1.

    References
    ----------
    Frechet, M. (1951). Sur les tableaux de correlation dont les marges sont donnees. Annales
    de l'Universite de Lyon, Section A, 14, 53-77.
    """
    p1, p2 = np.asarray(p_pre, dtype=float), np.asarray(p_post, dtype=float)
    return np.maximum(0.0, p1 + p2 - 1.0), np.minimum(p1, p2)


def phi_from_p11(p11: Any, p_pre: Any, p_post: Any) -> np.ndarray:
    """phi = (p11 - p_pre p_post) / sqrt(p_pre q_pre p_post q_post) (NaN if a margin is 0/1)."""
    p11, p1, p2 = (np.asarray(x, dtype=float) for x in (p11, p_pre, p_post))
    denom = np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    out = np.full(np.broadcast(p11, p1, p2).shape, np.nan)
    ok = np.broadcast_to(denom > 0, out.shape)
    num = np.broadcast_to(p11 - p1 * p2, out.shape)
    den = np.broadcast_to(denom, out.shape)
    out[ok] = num[ok] / den[ok]
    return out


def p11_from_phi(phi: Any, p_pre: Any, p_post: Any) -> np.ndarray:
    """p11 = p_pre p_post + phi sqrt(p_pre q_pre p_post q_post)."""
    phi, p1, p2 = (np.asarray(x, dtype=float) for x in (phi, p_pre, p_post))
    return p1 * p2 + phi * np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))


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
    if not cc > 0:
        raise MetaattError(f"cc: the continuity correction must be > 0, got {cc!r}")
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
        p1, p2, p11 = (ss + si) / n, (ss + is_) / n, ss / n
        yi[ok], vi[ok] = (x[ok] for x in _probit_paired(p1, p2, p11, n))
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


def _marginal_inputs(n_secure_pre: Any, n_secure_post: Any, n: Any) -> dict[str, np.ndarray]:
    v = read_vectors(None, None, x_pre=n_secure_pre, x_post=n_secure_post, n=n)
    check_range(v["n"], "n", low=1, integer=False, what="patients")
    check_range(v["x_pre"], "n_secure_pre", low=0, what="a count")
    check_range(v["x_post"], "n_secure_post", low=0, what="a count")
    check_range(v["n"] - v["x_pre"], "n_secure_pre", low=0, what="cannot exceed n")
    check_range(v["n"] - v["x_post"], "n_secure_post", low=0, what="cannot exceed n")
    return v


def marginal_categorical(
    n_secure_pre: Any,
    n_secure_post: Any,
    n: Any,
    *,
    phi: Any = None,
    assumed_phi: float = 0.5,
    categorical: str = "logit",
    zero_cells: str = "add",
    cc: float = 0.5,
) -> pd.DataFrame:
    """Effect size from marginal secure counts of the same patients (no paired table).

    Parameters
    ----------
    n_secure_pre, n_secure_post
        Secure patients before and after (same n patients).
    n
        Patients classified on both occasions.
    phi
        Known phi correlations between occasions (entries may be NaN).
    assumed_phi
        Used where ``phi`` is missing; recorded as an assumption.
    categorical, zero_cells, cc
        As in :func:`paired_categorical`.

    Returns
    -------
    pandas.DataFrame
        ``yi``, ``vi``, ``metric``, ``formula``, ``phi_used``, ``p11_low``, ``p11_high``,
        ``assumptions``, ``reason``.

    Notes
    -----
    When a margin is 0 or n the table is determined exactly (``p11`` has one feasible value)
    and :func:`paired_categorical` is used on it, with the zero-cell policy. Otherwise the
    marginal log OR uses metafor's ``MPORM`` with phi; a phi outside the feasible range
    implied by ``p11 in [max(0, p_pre + p_post - 1), min(p_pre, p_post)]`` is moved to the
    nearest bound and recorded. MPORM's variance is ``1/(n p1 q1) + 1/(n p2 q2) -
    2 phi / (n sqrt(p1 q1 p2 q2))``. The conditional OR cannot be computed from margins unless
    the table is determined.

    References
    ----------
    Becker & Balagtas (1993); Zou (2007); metafor's escalc documentation (measure MPORM).
    """
    check_choice(categorical, "categorical", CATEGORICAL_SCALES)
    check_choice(zero_cells, "zero_cells", ZERO_CELL_POLICIES)
    v = _marginal_inputs(n_secure_pre, n_secure_post, n)
    k = len(v["n"])
    x1, x2, nn = v["x_pre"], v["x_post"], v["n"]
    p1, p2 = x1 / nn, x2 / nn
    low, high = feasible_p11(p1, p2)
    determined = low == high
    phi_in = (
        read_vectors(None, None, nan_ok=("phi",), phi=phi).get("phi") if phi is not None else None
    )
    if phi_in is None:
        phi_in = np.full(k, np.nan)
    elif len(phi_in) == 1:
        phi_in = np.repeat(phi_in, k)
    check_range(np.array([float(assumed_phi)]), "assumed_phi", low=-1, high=1)
    check_range(phi_in[~np.isnan(phi_in)], "phi", low=-1, high=1)
    imputed = np.isnan(phi_in)
    phi_used = np.where(imputed, float(assumed_phi), phi_in)
    out = pd.DataFrame(
        {
            "yi": np.nan, "vi": np.nan, "metric": "", "formula": "", "phi_used": np.nan,
            "p11_low": low, "p11_high": high, "assumptions": "", "reason": None,
        },
        index=range(k),
    )  # fmt: skip
    notes = [[] for _ in range(k)]
    if determined.any():
        idx = np.flatnonzero(determined)
        ss = low[idx] * nn[idx]
        table = paired_categorical(
            np.round(ss), np.round(x1[idx] - ss), np.round(x2[idx] - ss),
            np.round(nn[idx] - x1[idx] - x2[idx] + ss),
            categorical=categorical, zero_cells=zero_cells, cc=cc,
        )  # fmt: skip
        for col in ("yi", "vi", "metric", "reason"):
            out.loc[idx, col] = table[col].to_numpy()
        out.loc[idx, "formula"] = [
            "table determined by the margins (a margin is 0 or n); " + f for f in table.formula
        ]
        for j, i in enumerate(idx):
            if table.assumptions.iloc[j]:
                notes[i].append(table.assumptions.iloc[j])
    rest = np.flatnonzero(~determined)
    if len(rest):
        phi_low = phi_from_p11(low[rest], p1[rest], p2[rest])
        phi_high = phi_from_p11(high[rest], p1[rest], p2[rest])
        wanted = phi_used[rest]
        clamped = np.clip(wanted, phi_low, phi_high)
        phi_used[rest] = clamped
        out.loc[rest, "phi_used"] = clamped
        for j, i in enumerate(rest):
            if imputed[i]:
                notes[i].append(f"phi between occasions assumed {assumed_phi:g} (MPORM)")
            if clamped[j] != wanted[j]:
                notes[i].append(
                    f"phi {wanted[j]:g} infeasible for these margins (feasible "
                    f"[{phi_low[j]:.3f}, {phi_high[j]:.3f}]); set to {clamped[j]:.3f}"
                )
        if categorical == "conditional":
            out.loc[rest, "reason"] = (
                "the conditional (McNemar) OR needs the full paired table, not margins"
            )
            out.loc[rest, "metric"] = "log_or_conditional"
        elif categorical == "probit":
            p11 = p11_from_phi(clamped, p1[rest], p2[rest])
            yi, vi = _probit_paired(p1[rest], p2[rest], p11, nn[rest])
            out.loc[rest, ["yi", "vi"]] = np.column_stack([yi, vi])
            out.loc[rest, "metric"] = "d_raw_change"
            out.loc[rest, "formula"] = (
                "probit: d = Phi^-1(p_post) - Phi^-1(p_pre); p11 from phi, paired variance"
            )
        else:
            es = _escalc(
                "MPORM", ai=x2[rest], bi=nn[rest] - x2[rest], ci=x1[rest], di=nn[rest] - x1[rest],
                ri=clamped,
            )  # fmt: skip
            yi, vi = _to_scale(es["yi"].to_numpy(), es["vi"].to_numpy(), categorical)
            out.loc[rest, ["yi", "vi"]] = np.column_stack([yi, vi])
            if "reason" in es:
                out.loc[rest, "reason"] = es["reason"].to_numpy()
            out.loc[rest, "metric"] = "log_or_paired" if categorical == "log_or" else "d_raw_change"
            out.loc[rest, "formula"] = "MPORM: marginal log OR with phi" + (
                f"; {_SCALE_FORMULA[categorical]}" if categorical in _SCALE_FORMULA else ""
            )
    out["assumptions"] = ["; ".join(x) for x in notes]
    out["reason"] = pd.Series(_reasons(out["reason"]), dtype=object)
    out["yi"] = out["yi"].astype(float)
    out["vi"] = out["vi"].astype(float)
    return out


def marginal_sensitivity(
    n_secure_pre: Any,
    n_secure_post: Any,
    n: Any,
    *,
    points: int = 11,
    categorical: str = "logit",
) -> pd.DataFrame:
    """How a marginal-counts effect size moves over the whole feasible range of p11.

    Parameters
    ----------
    n_secure_pre, n_secure_post, n
        Marginal secure counts and patients (one value or one per study).
    points
        Grid points from the lowest to the highest feasible p11 (>= 2).
    categorical
        ``"logit"``, ``"normal"``, ``"probit"`` or ``"log_or"``.

    Returns
    -------
    pandas.DataFrame
        One row per study and grid point: ``row`` (1-based study), ``p11``, ``phi``, implied
        cells ``n_ss``, ``n_si``, ``n_is``, ``n_ii`` (possibly fractional), ``yi``, ``vi``,
        ``ci_low``, ``ci_high`` (95% Wald), ``determined`` (True when the margins fix the
        table: one point).

    Notes
    -----
    ``p11`` runs over ``[max(0, p_pre + p_post - 1), min(p_pre, p_post)]``; ``phi`` is the
    implied correlation; the effect size is computed as in :func:`marginal_categorical` with
    that phi (no continuity correction is needed unless the table is determined).

    References
    ----------
    Frechet (1951); Becker & Balagtas (1993).
    """
    check_choice(categorical, "categorical", ("logit", "normal", "probit", "log_or"))
    if int(points) != points or points < 2:
        raise MetaattError(f"points: need a whole number >= 2, got {points!r}")
    v = _marginal_inputs(n_secure_pre, n_secure_post, n)
    k = len(v["n"])
    p1, p2 = v["x_pre"] / v["n"], v["x_post"] / v["n"]
    low, high = feasible_p11(p1, p2)
    grid = low[:, None] + (high - low)[:, None] * np.linspace(0, 1, int(points))[None, :]
    rows = np.repeat(np.arange(k), int(points))
    p11 = grid.ravel()
    determined = np.repeat(low == high, int(points))
    keep = ~determined | (np.tile(np.arange(int(points)), k) == 0)
    rows, p11, determined = rows[keep], p11[keep], determined[keep]
    nn, q1, q2 = v["n"][rows], p1[rows], p2[rows]
    ss = p11 * nn
    cells = np.column_stack([ss, q1 * nn - ss, q2 * nn - ss, nn * (1 - q1 - q2) + ss])
    phi = phi_from_p11(p11, q1, q2)
    yi, vi = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    free = ~determined
    if free.any():
        if categorical == "probit":
            yi[free], vi[free] = _probit_paired(q1[free], q2[free], p11[free], nn[free])
        else:
            es = _escalc(
                "MPORM", ai=q2[free] * nn[free], bi=(1 - q2[free]) * nn[free],
                ci=q1[free] * nn[free], di=(1 - q1[free]) * nn[free], ri=phi[free],
            )  # fmt: skip
            yi[free], vi[free] = _to_scale(es["yi"].to_numpy(), es["vi"].to_numpy(), categorical)
    if determined.any():
        table = paired_categorical(*cells[determined].T, categorical=categorical)
        yi[determined], vi[determined] = table["yi"].to_numpy(), table["vi"].to_numpy()
    se = np.sqrt(np.where(vi >= 0, vi, np.nan))
    z = stats.norm.isf(0.025)
    return pd.DataFrame(
        {
            "row": rows + 1, "p11": p11, "phi": phi,
            "n_ss": cells[:, 0], "n_si": cells[:, 1], "n_is": cells[:, 2], "n_ii": cells[:, 3],
            "yi": yi, "vi": vi, "ci_low": yi - z * se, "ci_high": yi + z * se,
            "determined": determined,
        }
    )  # fmt: skip


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
