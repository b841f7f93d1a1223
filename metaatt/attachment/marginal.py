"""Marginal secure counts of the same patients (no paired table): MPORM with phi.

The concordant proportion p11 (secure at both occasions) is not printed; it lies in the
Frechet range ``[max(0, p_pre + p_post - 1), min(p_pre, p_post)]``. An assumed phi picks one
value (recorded), :func:`marginal_sensitivity` shows the whole range, and a margin of 0 or n
determines the table exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import as_float_vector, check_choice, check_number
from ..errors import MetaattError
from ..extract._common import check_range, read_vectors
from .categorical import (
    _SCALE_FORMULA,
    CATEGORICAL_SCALES,
    ZERO_CELL_POLICIES,
    _escalc,
    _probit_paired,
    _reasons,
    _to_scale,
    paired_categorical,
)

__all__ = [
    "feasible_p11",
    "marginal_categorical",
    "marginal_sensitivity",
    "p11_from_phi",
    "phi_from_p11",
]


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
    p1, p2 = _values(p_pre=(p_pre, 0.0), p_post=(p_post, 0.0))
    return np.maximum(0.0, p1 + p2 - 1.0), np.minimum(p1, p2)


def phi_from_p11(p11: Any, p_pre: Any, p_post: Any) -> np.ndarray:
    """phi = (p11 - p_pre p_post) / sqrt(p_pre q_pre p_post q_post) (NaN if a margin is 0/1)."""
    p11, p1, p2 = _values(p11=(p11, 0.0), p_pre=(p_pre, 0.0), p_post=(p_post, 0.0))
    denom = np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    out = np.full(np.broadcast(p11, p1, p2).shape, np.nan)
    ok = np.broadcast_to(denom > 0, out.shape)
    num = np.broadcast_to(p11 - p1 * p2, out.shape)
    den = np.broadcast_to(denom, out.shape)
    out[ok] = np.clip(num[ok] / den[ok], -1.0, 1.0)
    return out


def p11_from_phi(phi: Any, p_pre: Any, p_post: Any) -> np.ndarray:
    """p11 = p_pre p_post + phi sqrt(p_pre q_pre p_post q_post)."""
    phi, p1, p2 = _values(phi=(phi, -1.0), p_pre=(p_pre, 0.0), p_post=(p_post, 0.0))
    return p1 * p2 + phi * np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))


def _values(**values: tuple[Any, float]) -> list[np.ndarray]:
    """Arrays (shapes kept) of proportions in [0, 1] (or correlations in [-1, 1]: low -1)."""
    out = []
    for name, (value, low) in values.items():
        flat = as_float_vector(np.ravel(np.asarray(value, dtype=object)), name, allow_nan=True)
        check_range(flat[~np.isnan(flat)], name, low=low, high=1.0)
        out.append(flat.reshape(np.shape(value)))
    try:
        np.broadcast(*out)
    except ValueError:
        detail = ", ".join(f"{n} has shape {a.shape}" for n, a in zip(values, out, strict=True))
        raise MetaattError(f"lengths differ: {detail}; give one value per study") from None
    return out


def _marginal_inputs(n_secure_pre: Any, n_secure_post: Any, n: Any) -> dict[str, np.ndarray]:
    raw = read_vectors(None, None, n_secure_pre=n_secure_pre, n_secure_post=n_secure_post, n=n)
    v = {"x_pre": raw["n_secure_pre"], "x_post": raw["n_secure_post"], "n": raw["n"]}
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
    determined = (x1 == 0) | (x1 == nn) | (x2 == 0) | (x2 == nn)  # a margin fixes the table
    low = np.where(determined, high, low)
    phi_in = (
        read_vectors(None, None, nan_ok=("phi",), phi=phi).get("phi") if phi is not None else None
    )
    if phi_in is None:
        phi_in = np.full(k, np.nan)
    elif len(phi_in) == 1:
        phi_in = np.repeat(phi_in, k)
    assumed_phi = check_number(assumed_phi, "assumed_phi", low=-1, high=1)
    cc = check_number(cc, "cc", low=0, low_open=True)
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
        ss = np.round(high[idx] * nn[idx])
        table = paired_categorical(
            ss, x1[idx] - ss, x2[idx] - ss, nn[idx] - x1[idx] - x2[idx] + ss,
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
    if len(rest):
        stuck = rest[phi_used[rest] >= 1 - 1e-12]  # phi = 1: nobody changed classification
        out.loc[stuck, ["yi", "vi"]] = np.nan
        out.loc[stuck, "reason"] = (
            "phi = 1 means no patient changed classification: the sampling variance is 0 "
            "and the row cannot be weighted; assume a smaller phi"
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
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 2:
        raise MetaattError(f"points: need a whole number >= 2, got {points!r}")
    v = _marginal_inputs(n_secure_pre, n_secure_post, n)
    k = len(v["n"])
    p1, p2 = v["x_pre"] / v["n"], v["x_post"] / v["n"]
    low, high = feasible_p11(p1, p2)
    grid = low[:, None] + (high - low)[:, None] * np.linspace(0, 1, int(points))[None, :]
    rows = np.repeat(np.arange(k), int(points))
    p11 = grid.ravel()
    fixed = (
        (v["x_pre"] == 0) | (v["x_pre"] == v["n"]) | (v["x_post"] == 0) | (v["x_post"] == v["n"])
    )
    low, high = np.where(fixed, high, low), high
    determined = np.repeat(fixed, int(points))
    keep = ~determined | (np.tile(np.arange(int(points)), k) == 0)
    rows, p11, determined = rows[keep], p11[keep], determined[keep]
    nn, q1, q2 = v["n"][rows], p1[rows], p2[rows]
    x_pre, x_post = v["x_pre"][rows], v["x_post"][rows]
    ss = np.where(determined, np.round(p11 * nn), p11 * nn)
    cells = np.column_stack([ss, x_pre - ss, x_post - ss, nn - x_pre - x_post + ss])
    cells = np.where(np.abs(cells) < 1e-9 * nn[:, None], 0.0, cells)  # rounding at the bounds
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
    vi = np.where(np.isfinite(phi) & (phi >= 1 - 1e-12), 0.0, vi)  # nobody changed: v = 0
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
