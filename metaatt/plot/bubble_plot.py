"""``bubble``: effect sizes against a moderator, with a meta-regression's fitted line."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import MetaattError
from .adapters import result_effects
from .diagnostics import n_labels, sizes
from .scales import resolve_scale
from .style import Style, clean_axes, figure_axes, resolve_style, set_title

__all__ = ["bubble"]


def bubble(
    result: Any,
    mod: str | int | None = None,
    *,
    ci: bool = True,
    pi: bool = False,
    label: bool | int = False,
    transform: Any = None,
    title: str | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
    style: Style | dict[str, Any] | None = None,
) -> Figure:
    """Bubble plot of a meta-regression: effect sizes against one moderator.

    Parameters
    ----------
    result
        A :func:`metaatt.meta_regression` result (``yi``, ``vi``, ``X``, ``coef_names``,
        ``weights`` and ``predict()``).
    mod
        The moderator (a coefficient name or its column index in ``X``); default the first
        non-intercept coefficient.
    ci, pi
        Draw the regression line's confidence band and prediction band.
    label
        Label studies (``True``, or the number with the largest weights).
    transform
        As in :func:`metaatt.plot.forest`; the y axis shows the transformed values.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Bubble areas are proportional to the model's weights. The line and bands come from
    ``result.predict()`` over a grid of the moderator, other moderators held at their
    mean (as metafor's ``regplot``).
    """
    st = resolve_style(style)
    X = getattr(result, "X", None)
    names = getattr(result, "coef_names", None)
    if X is None or names is None or not callable(getattr(result, "predict", None)):
        raise MetaattError(
            "result: expected a metaatt.meta_regression result (with X, coef_names and "
            f"predict()), got {type(result).__name__}"
        )
    X = np.asarray(X, dtype=float)
    names = [str(n) for n in names]
    j = _moderator_index(mod, names, X)
    eff = result_effects(result, "result")
    scale = resolve_scale(transform, eff.measure)
    x = X[:, j]
    others = [c for c in range(X.shape[1]) if not _is_intercept(names[c], X[:, c])]
    grid = np.linspace(x.min(), x.max(), 101)
    newmods = np.tile(X[:, others].mean(axis=0), (len(grid), 1))
    newmods[:, others.index(j)] = grid
    pred = result.predict(newmods if len(others) > 1 else grid)
    fig, ax = figure_axes(ax, (5.6, 4.2))
    if pi:
        band = ax.fill_between(
            grid,
            scale(pred["pi_low"]),
            scale(pred["pi_high"]),
            color=st.subgroup,
            alpha=0.12,
            linewidth=0,
            zorder=1,
            label="Prediction interval",
        )
        band.set_gid("pi-band")
    if ci:
        band = ax.fill_between(
            grid,
            scale(pred["ci_low"]),
            scale(pred["ci_high"]),
            color=st.subgroup,
            alpha=0.3,
            linewidth=0,
            zorder=1,
            label="Confidence interval",
        )
        band.set_gid("ci-band")
    line = ax.plot(
        grid, scale(pred["pred"]), color=st.pooled, linewidth=1.4, zorder=2, label="Regression line"
    )[0]
    line.set_gid("regression-line")
    points = ax.scatter(
        x,
        scale(eff.yi),
        s=sizes(eff.weights, len(x)),
        facecolors="#bbbbbb",
        edgecolors=st.study,
        linewidths=0.8,
        alpha=0.85,
        zorder=3,
    )
    points.set_gid("studies")
    weights = eff.weights if eff.weights is not None else np.ones(len(x))
    for i in np.argsort(-weights, kind="stable")[: n_labels(label, len(x)) if label else 0]:
        ax.annotate(
            eff.labels[i],
            (x[i], float(scale(eff.yi[i]))),
            xytext=(5, 3),
            textcoords="offset points",
            parse_math=False,
            **st.font(st.fontsize - 1.5, color=st.muted),
        )
    shown = np.concatenate([eff.yi, pred["ci_low"], pred["ci_high"]])
    if pi:
        shown = np.concatenate([shown, pred["pi_low"], pred["pi_high"]])
    lo, hi = float(np.min(shown)), float(np.max(shown))
    pad = 0.06 * max(hi - lo, 1e-6)
    scale.apply_to_axis(
        ax, float(scale(lo - pad)), float(scale(hi + pad)), (lo, hi), most=7, which="y"
    )
    ref = 0.0 if eff.measure is None or not scale.transformed else float(scale(0.0))
    ax.axhline(ref, color=st.refline, linewidth=0.8, zorder=0).set_gid("refline")
    clean_axes(ax, st)
    ax.set_xlabel(xlabel or names[j], **st.font())
    ax.set_ylabel(scale.title, **st.font())
    ax.legend(loc="best", frameon=False, prop={"family": st.family, "size": st.fontsize - 1})
    set_title(ax, st, title, eff.synthetic)
    return fig


def _is_intercept(name: str, column: np.ndarray) -> bool:
    return name.lower() in ("intrcpt", "intercept", "(intercept)") or bool(np.all(column == 1.0))


def _moderator_index(mod: str | int | None, names: list[str], X: np.ndarray) -> int:
    candidates = [i for i, n in enumerate(names) if not _is_intercept(n, X[:, i])]
    if not candidates:
        raise MetaattError("result: the model has no moderator to plot (intercept only)")
    if mod is None:
        return candidates[0]
    if isinstance(mod, str):
        if mod not in names:
            raise MetaattError(f"mod: unknown moderator {mod!r}; the model has {names}")
        j = names.index(mod)
    elif isinstance(mod, (int, np.integer)) and not isinstance(mod, bool):
        if not 0 <= mod < len(names):
            raise MetaattError(f"mod: index {mod} is outside 0..{len(names) - 1}")
        j = int(mod)
    else:
        raise MetaattError(f"mod: expected a moderator name or index, got {mod!r}")
    if j not in candidates:
        raise MetaattError(f"mod: {names[j]!r} is the intercept, not a moderator")
    return j
