"""Diagnostic plots: Baujat and L'Abbé plots.

Each draws coordinates that results carry: a Baujat table (contribution to Q against
influence on the pooled estimate), the 2x2 counts in a result's ``data``, a
meta-regression's moderators and its ``predict()`` line. Nothing is refitted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validate import as_float_vector
from ..errors import MetaattError
from .adapters import first_attr, result_effects
from .style import Style, clean_axes, figure_axes, resolve_style, set_title

__all__ = ["baujat", "labbe", "n_labels", "sizes"]


def sizes(weights: np.ndarray | None, n: int, largest: float = 260.0) -> np.ndarray:
    """Bubble areas (points^2) proportional to weight; equal sizes without weights."""
    if weights is None or not np.isfinite(weights).all() or weights.max() <= 0:
        return np.full(n, 40.0)
    return np.maximum(largest * weights / weights.max(), 8.0)


# ---------------------------------------------------------------------- Baujat
def baujat(
    result: Any,
    *,
    label: bool | int = True,
    title: str | None = None,
    ax: Axes | None = None,
    style: Style | dict[str, Any] | None = None,
) -> Figure:
    """Baujat plot: each study's contribution to heterogeneity against its influence.

    Parameters
    ----------
    result
        A table with ``x`` (contribution to Cochran's Q), ``y`` (influence on the pooled
        estimate) and a ``study`` (or ``label``) column, as returned by
        ``metaatt.diagnostics.baujat``; an object whose ``baujat`` attribute or method
        gives that table; or a fitted model, whose coordinates ``metaatt.diagnostics``
        computes (the plot itself computes nothing).
    label
        ``True`` labels every study (up to 30; else the 10 largest x + y), an integer
        labels that many studies with the largest x + y, ``False`` none.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Baujat et al. (2002): x is the squared Pearson residual of a study under the
    common-effect model; y the squared change in the pooled estimate when it is left out,
    scaled by the variance of the estimate without it. Both come from the table.

    References
    ----------
    Baujat, B., Mahé, C., Pignon, J.-P., & Hill, C. (2002). A graphical method for
    exploring heterogeneity in meta-analyses: application to a meta-analysis of 65
    trials. Statistics in Medicine, 21(18), 2641-2652.
    """
    st = resolve_style(style)
    table = result
    if not isinstance(table, pd.DataFrame):
        source = getattr(result, "baujat", None)
        table = source() if callable(source) else source
    if table is None and hasattr(result, "yi") and hasattr(result, "vi"):
        table = _baujat_coordinates(result)
    if not isinstance(table, pd.DataFrame) or not {"x", "y"} <= set(table.columns):
        raise MetaattError(
            "result: expected a Baujat table with columns x, y and study (or an object with "
            f"a 'baujat' table), got {type(result).__name__}"
        )
    x = as_float_vector(table["x"], "result.x")
    y = as_float_vector(table["y"], "result.y")
    names = first_attr(table, ("study", "label", "slab"))
    names = [str(s) for s in names] if names is not None else [str(i + 1) for i in range(len(x))]
    fig, ax = figure_axes(ax, (5.2, 4.2))
    points = ax.scatter(x, y, s=30, color=st.study, edgecolors="white", linewidths=0.5, zorder=3)
    points.set_gid("studies")
    n_label = n_labels(label, len(x))
    for i in np.argsort(-(x + y), kind="stable")[:n_label]:
        ax.annotate(
            names[i],
            (x[i], y[i]),
            xytext=(4, 3),
            textcoords="offset points",
            parse_math=False,
            gid=f"label-{i}",
            **st.font(st.fontsize - 1.5),
        )
    clean_axes(ax, st)
    ax.set_xlabel("Contribution to overall heterogeneity", **st.font())
    ax.set_ylabel("Influence on overall result", **st.font())
    ax.margins(0.08)
    set_title(
        ax, st, title, bool(table.attrs.get("synthetic", getattr(result, "synthetic", False)))
    )
    return fig


def _baujat_coordinates(result: Any) -> pd.DataFrame:
    try:
        from ..diagnostics import baujat as coordinates
    except ImportError:
        raise MetaattError(
            "result: Baujat coordinates of a fitted model need metaatt.diagnostics.baujat, "
            "which this installation lacks; pass the coordinate table (study, x, y) instead"
        ) from None
    return coordinates(result)


def n_labels(label: bool | int, k: int) -> int:
    if label is True:
        return k if k <= 30 else 10
    if label is False or label is None:
        return 0
    if isinstance(label, (int, np.integer)) and label >= 0:
        return int(min(label, k))
    raise MetaattError(f"label: expected True, False or a number of studies, got {label!r}")


# ---------------------------------------------------------------------- L'Abbé
#: pooled-effect curves of a L'Abbé plot: treatment risk as a function of control risk
_LABBE_CURVES = {
    "RR": lambda pc, b: np.exp(b) * pc,
    "OR": lambda pc, b: np.exp(b) * pc / (1.0 - pc + np.exp(b) * pc),
    "PETO": lambda pc, b: np.exp(b) * pc / (1.0 - pc + np.exp(b) * pc),
    "RD": lambda pc, b: pc + b,
}


def labbe(
    result: Any,
    *,
    ai: str = "ai",
    bi: str = "bi",
    ci: str = "ci",
    di: str = "di",
    n1i: str = "n1i",
    n2i: str = "n2i",
    title: str | None = None,
    ax: Axes | None = None,
    style: Style | dict[str, Any] | None = None,
) -> Figure:
    """L'Abbé plot: event proportion in group 1 (treatment) against group 2 (control).

    Parameters
    ----------
    result
        A pooled 2x2 result whose ``data`` holds the counts: ``ai``, ``ci`` with ``n1i``,
        ``n2i`` or with ``bi``, ``di`` (names are arguments, e.g. ``ai="tpos"``).
    ai, bi, ci, di, n1i, n2i
        Column names of ``result.data``.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Points are ``(ci / n2i, ai / n1i)``, area proportional to the study's weight. The line
    of no effect is the diagonal; the pooled effect (for RR, OR, PETO, RD results) is the
    curve of treatment risk implied at each control risk: ``RR p``, ``OR p / (1 - p + OR
    p)``, ``p + RD``.

    References
    ----------
    L'Abbé, K. A., Detsky, A. S., & O'Rourke, K. (1987). Meta-analysis in clinical
    research. Annals of Internal Medicine, 107(2), 224-233.
    """
    st = resolve_style(style)
    data = getattr(result, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise MetaattError(
            f"result: expected a result with a data table of 2x2 counts, got {type(result).__name__}"
        )
    p1 = _proportion(data, ai, bi, n1i, "group 1")
    p2 = _proportion(data, ci, di, n2i, "group 2")
    eff = result_effects(result, "result")
    weights = eff.weights if eff.weights is not None and len(eff.weights) == len(p1) else None
    fig, ax = figure_axes(ax, (4.8, 4.6))
    diag = ax.plot([0, 1], [0, 1], color=st.refline, linewidth=0.9, zorder=1, label="No effect")[0]
    diag.set_gid("no-effect-line")
    curve = _LABBE_CURVES.get(eff.measure or "")
    if curve is not None and eff.estimate is not None:
        pc = np.linspace(0.0, 1.0, 201)
        pt = curve(pc, eff.estimate)
        inside = (pt >= 0) & (pt <= 1)
        line = ax.plot(
            pc[inside],
            pt[inside],
            color=st.pooled,
            linestyle=(0, (5, 2)),
            linewidth=1.2,
            zorder=2,
            label=f"Pooled {eff.measure}",
        )[0]
        line.set_gid("pooled-curve")
    points = ax.scatter(
        p2,
        p1,
        s=sizes(weights, len(p1)),
        facecolors="none",
        edgecolors=st.study,
        linewidths=1.0,
        zorder=3,
    )
    points.set_gid("studies")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    clean_axes(ax, st)
    ax.set_xlabel("Event proportion, group 2 (control)", **st.font())
    ax.set_ylabel("Event proportion, group 1 (treatment)", **st.font())
    ax.legend(loc="upper left", frameon=False, prop={"family": st.family, "size": st.fontsize - 1})
    set_title(ax, st, title, eff.synthetic)
    return fig


def _proportion(
    data: pd.DataFrame, events: str, non_events: str, total: str, what: str
) -> np.ndarray:
    if events not in data.columns:
        raise MetaattError(
            f"result.data: no column {events!r} with the events of {what}; name the count "
            f"columns, e.g. labbe(result, ai='tpos', bi='tneg', ci='cpos', di='cneg'); "
            f"available: {list(data.columns)}"
        )
    a = as_float_vector(data[events], events)
    if total in data.columns:
        n = as_float_vector(data[total], total)
    elif non_events in data.columns:
        n = a + as_float_vector(data[non_events], non_events)
    else:
        raise MetaattError(
            f"result.data: neither {total!r} nor {non_events!r} is a column; give the group "
            f"size of {what} or its non-events"
        )
    if (n <= 0).any() or (a < 0).any() or (a > n).any():
        i = int(np.flatnonzero((n <= 0) | (a < 0) | (a > n))[0])
        raise MetaattError(f"result.data: row {i + 1} has {a[i]:g} events of {n[i]:g} in {what}")
    return a / n
