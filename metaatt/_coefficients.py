"""Coefficient tables and Wald tests shared by the model results with moderators.

``meta_regression``, ``multilevel``, ``robust`` and ``permutation_test`` all report a table
of coefficients (estimate, se, statistic, df, pval, ci_low, ci_high) and an omnibus Wald
test of a subset ``btt`` of them; the helpers here build both, batched over analyses where
that helps (permutation tests refit thousands of models at once).

Omnibus test (metafor's ``QM``): ``QM = b_S' V_S^{-1} b_S`` for the coefficients ``S``,
referred to chi^2 with ``m = |S|`` df; when the coefficient tests use a t distribution
with ``ddf`` df the statistic is ``F = QM / m`` referred to ``F(m, ddf)``
(Knapp & Hartung 2003; Viechtbauer 2010, section 3.3).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ._format import fmt, fmt_p, text_table
from .errors import MetaattError

__all__ = [
    "coefficient_frame",
    "coefficient_lines",
    "plain",
    "resolve_btt",
    "wald_contrast",
    "wald_test",
]


def resolve_btt(
    btt: Any, names: Sequence[str], intercept: bool, *, name: str = "btt"
) -> tuple[int, ...]:
    """Indices (0-based) of the coefficients an omnibus test covers.

    ``None``: every coefficient except the intercept (all of them when there is no
    intercept or it is the only one). Otherwise coefficient names, 0-based positions, or a
    mix of both.
    """
    p = len(names)
    if btt is None:
        if intercept and p > 1:
            return tuple(range(1, p))
        return tuple(range(p))
    if isinstance(btt, (str, int, np.integer)):
        items = [btt]
    elif isinstance(btt, Iterable) and not isinstance(btt, Mapping):
        items = list(btt)
    else:
        raise MetaattError(f"{name}: expected coefficient names or positions, got {btt!r}")
    if not items:
        raise MetaattError(f"{name}: choose at least one coefficient for the omnibus test")
    out: list[int] = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise MetaattError(
                    f"{name}: no coefficient named {item!r}; coefficients: {list(names)}"
                )
            out.append(list(names).index(item))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= int(item) < p:
                raise MetaattError(
                    f"{name}: position {item} out of range; positions are 0-based, 0..{p - 1} "
                    f"for {list(names)}"
                )
            out.append(int(item))
        else:
            raise MetaattError(f"{name}: expected coefficient names or positions, got {item!r}")
    if len(set(out)) != len(out):
        raise MetaattError(f"{name}: a coefficient is listed twice ({[names[i] for i in out]})")
    return tuple(sorted(out))


def _solve(V: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``V^{-1} b`` batched over leading axes; NaN where ``V`` is singular (e.g. a zero
    Knapp-Hartung covariance matrix: metafor then reports the omnibus test as NA)."""
    try:
        return np.linalg.solve(V, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        flat_V = V.reshape(-1, *V.shape[-2:])
        flat_b = b.reshape(-1, b.shape[-1])
        out = np.full(flat_b.shape, np.nan)
        for i, (Vi, bi) in enumerate(zip(flat_V, flat_b, strict=True)):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.solve(Vi, bi)
        return out.reshape(b.shape)


def wald_test(
    coef: np.ndarray, vcov: np.ndarray, btt: Sequence[int], ddf: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Omnibus Wald test of ``coef[..., btt] = 0``, batched over leading axes.

    Returns ``(statistic, pval)``: chi^2 ``QM`` where ``ddf`` is infinite, else
    ``F = QM / m`` with ``(m, ddf)`` df.
    """
    idx = np.asarray(btt, dtype=int)
    b = coef[..., idx]
    V = vcov[..., idx[:, None], idx[None, :]]
    qm = np.einsum("...i,...i->...", b, _solve(V, b))
    m = len(idx)
    ddf = np.broadcast_to(np.asarray(ddf, dtype=float), qm.shape)
    finite = np.isfinite(ddf)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_stat = qm / m
        p_f = special.fdtrc(m, np.where(finite, ddf, 1.0), f_stat)
    p_chi = special.chdtrc(m, qm)
    return np.where(finite, f_stat, qm), np.where(finite, p_f, p_chi)


def wald_contrast(
    coef: np.ndarray, vcov: np.ndarray, L: np.ndarray, ddf: float
) -> tuple[float, float]:
    """Wald test of ``L b = 0`` (``L`` with ``m`` rows): chi^2, or ``F = QM / m`` when
    ``ddf`` is finite. Returns ``(statistic, pval)``."""
    Lb = L @ coef
    qm = float(Lb @ _solve(L @ vcov @ L.T, Lb))
    m = L.shape[0]
    if np.isfinite(ddf):
        return qm / m, float(special.fdtrc(m, ddf, qm / m))
    return qm, float(special.chdtrc(m, qm))


def coefficient_frame(
    names: Sequence[str],
    estimate: np.ndarray,
    se: np.ndarray,
    statistic: np.ndarray,
    df: np.ndarray | float,
    pval: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
) -> pd.DataFrame:
    """Tidy coefficient table indexed by coefficient name."""
    df = np.broadcast_to(np.asarray(df, dtype=float), np.shape(estimate))
    frame = pd.DataFrame(
        {
            "estimate": estimate,
            "se": se,
            "statistic": statistic,
            "df": df,
            "pval": pval,
            "ci_low": ci_low,
            "ci_high": ci_high,
        },
        index=pd.Index(list(names), name="coefficient"),
    )
    return frame


def coefficient_lines(frame: pd.DataFrame) -> str:
    """The coefficient table printed as metafor does (zval/tval, df only for t tests)."""
    t_test = bool(np.isfinite(frame["df"]).any())
    stat = "tval" if t_test else "zval"
    header = ["", "estimate", "se", stat]
    if t_test:
        header.append("df")
    header += ["pval", "ci.lb", "ci.ub"]
    rows = []
    for name, row in frame.iterrows():
        cells = [str(name), fmt(row.estimate), fmt(row.se), fmt(row.statistic)]
        if t_test:
            cells.append(f"{row.df:.4g}")
        cells += [fmt_p(row.pval), fmt(row.ci_low), fmt(row.ci_high)]
        rows.append(cells)
    table = text_table(header, rows).splitlines()
    # left-align the name column
    width = max(len(str(n)) for n in frame.index)
    out = []
    for line, name in zip(table, ["", *map(str, frame.index)], strict=True):
        out.append(name.ljust(width) + line[width:] if len(line) >= width else line)
    return "\n".join(out)


def plain(value: Any) -> Any:
    """Plain Python value of a result field (for ``to_dict``)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return value.reset_index().to_dict(orient="list")
    return value
