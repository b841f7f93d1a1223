"""``funnel``: funnel plot with pseudo-confidence region and contour-enhanced shading."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from scipy import special

from .._validate import as_float_vector, check_choice, check_level
from ..errors import MetaattError
from .adapters import egger_line, filled_studies, result_effects
from .scales import ONE_GROUP_MEASURES, resolve_scale
from .style import Style, clean_axes, figure_axes, resolve_style, set_title

__all__ = ["YAXES", "funnel"]

#: y-axis choices: standard error, variance, and their inverses (precision)
YAXES = ("sei", "vi", "seinv", "vinv")
_YLABELS = {
    "sei": "Standard error",
    "vi": "Sampling variance",
    "seinv": "Precision (1 / standard error)",
    "vinv": "Inverse variance (1 / sampling variance)",
}
DEFAULT_CONTOURS = (0.10, 0.05, 0.01)


def _to_se(values: np.ndarray, yaxis: str) -> np.ndarray:
    """Standard errors from y-axis values."""
    return {
        "sei": lambda y: y,
        "vi": np.sqrt,
        "seinv": lambda y: 1.0 / y,
        "vinv": lambda y: 1.0 / np.sqrt(y),
    }[yaxis](values)


def _from_se(se: np.ndarray, yaxis: str) -> np.ndarray:
    return {
        "sei": lambda s: s,
        "vi": np.square,
        "seinv": lambda s: 1.0 / s,
        "vinv": lambda s: 1.0 / np.square(s),
    }[yaxis](se)


def funnel(
    result: Any,
    *,
    yaxis: str = "sei",
    contours: bool | Sequence[float] = True,
    pseudo_ci: bool = True,
    level: float | None = None,
    trim_and_fill: Any = None,
    egger: Any = None,
    transform: Any = None,
    xlim: tuple[float, float] | None = None,
    labels: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
    style: Style | dict[str, Any] | None = None,
) -> Figure:
    """Funnel plot: study estimates against their standard errors (or precision).

    Parameters
    ----------
    result
        A result with ``yi``, ``vi`` and ``estimate`` (e.g. :class:`metaatt.PoolResult`).
    yaxis
        ``"sei"`` (standard error, default), ``"vi"`` (variance), ``"seinv"`` or
        ``"vinv"`` (precision); the error axes point down so precise studies sit on top.
    contours
        Contour-enhanced shading of the regions where a study's two-sided z test has
        p > .10, .10-.05, .05-.01 and < .01 around the no-effect value (0 on the analysis
        scale); ``False`` to omit, or a sequence of p thresholds.
    pseudo_ci
        Draw the pooled estimate and its pseudo confidence region ``estimate +/- z se``.
    level
        Level of the pseudo confidence region (default: the result's level).
    trim_and_fill
        A :func:`metaatt.trim_and_fill` result: its filled (imputed) studies are drawn
        as open circles and its adjusted estimate as a dotted line.
    egger
        A :func:`metaatt.egger_test` result: its regression line
        ``yi = intercept + slope * sei`` is drawn across the funnel.
    transform
        As in :func:`metaatt.plot.forest` (``"exp"`` for ratio measures, ...).
    xlim, labels, title, xlabel, ax, style
        Plotted range (displayed scale); label each point with its study; titles;
        draw into ``ax``; a :class:`metaatt.plot.Style`.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The pseudo confidence region is ``estimate +/- z_(1 - alpha/2) se`` for every
    standard error ``se`` (Sterne & Egger 2001); the contours are
    ``0 +/- z_(1 - p/2) se`` (Peters et al. 2008). Only these drawing boundaries are
    computed; every statistic comes from the results.

    References
    ----------
    Sterne, J. A. C., & Egger, M. (2001). Funnel plots for detecting bias in
    meta-analysis. Journal of Clinical Epidemiology, 54(10), 1046-1055.
    Peters, J. L., Sutton, A. J., Jones, D. R., Abrams, K. R., & Rushton, L. (2008).
    Contour-enhanced meta-analysis funnel plots help distinguish publication bias from
    other causes of asymmetry. Journal of Clinical Epidemiology, 61(10), 991-996.
    """
    st = resolve_style(style)
    yaxis = check_choice(yaxis, "yaxis", YAXES)
    eff = result_effects(result, "result")
    level = check_level(eff.level if level is None else level)
    thresholds = _thresholds(contours)
    scale = resolve_scale(transform, eff.measure)
    filled = filled_studies(trim_and_fill) if trim_and_fill is not None else None
    line = egger_line(egger) if egger is not None else None

    se_all = np.sqrt(eff.vi if filled is None else np.concatenate([eff.vi, filled.vi]))
    y_all = _from_se(se_all, yaxis)
    inverted = yaxis in ("sei", "vi")
    if inverted:
        y_lo, y_hi = 0.0, float(y_all.max()) * 1.06
    else:
        y_lo, y_hi = float(y_all.min()) * 0.9, float(y_all.max()) * 1.06
    grid_y = np.linspace(y_lo, y_hi, 200) if inverted else np.geomspace(y_lo, y_hi, 200)
    grid_se = _to_se(grid_y, yaxis)

    fig, ax = figure_axes(ax, (6.4, 4.4))
    ref = None if eff.measure in ONE_GROUP_MEASURES else 0.0
    z_level = float(special.ndtri(0.5 + level / 2.0))
    se_max = float(_to_se(np.array([y_hi if inverted else y_lo]), yaxis)[0])
    points = [eff.yi]
    if filled is not None:
        points.append(filled.yi)
    if eff.estimate is not None and pseudo_ci:
        points.append(np.array([eff.estimate - z_level * se_max, eff.estimate + z_level * se_max]))
    if ref is not None:
        points.append(np.array([ref]))
    values = np.concatenate(points)
    lo, hi = _range(values, xlim, scale)

    if thresholds and ref is not None:
        _draw_contours(ax, thresholds, ref, grid_y, grid_se, scale, st)
    if eff.estimate is not None and pseudo_ci:
        _draw_pseudo_ci(ax, eff.estimate, z_level, grid_y, grid_se, scale, st)
    if line is not None:
        xs = line(grid_se)
        (egg,) = ax.plot(
            scale(xs),
            grid_y,
            color=st.egger,
            linestyle=(0, (5, 2)),
            linewidth=1.2,
            zorder=3,
            label="Egger's regression line",
        )
        egg.set_gid("egger-line")
    if filled is not None:
        pts = ax.scatter(
            scale(filled.yi),
            _from_se(np.sqrt(filled.vi), yaxis),
            s=30,
            facecolors="white",
            edgecolors=st.filled,
            linewidths=1.1,
            zorder=4,
            label=f"Filled studies (k0 = {len(filled.yi)})",
        )
        pts.set_gid("filled")
        if filled.estimate is not None:
            adj = ax.axvline(
                float(scale(filled.estimate)),
                color=st.filled,
                linestyle=":",
                linewidth=1.3,
                zorder=3,
                label="Trim-and-fill estimate",
            )
            adj.set_gid("adjusted-line")
    studies = ax.scatter(
        scale(eff.yi),
        _from_se(np.sqrt(eff.vi), yaxis),
        s=30,
        color=st.study,
        edgecolors="white",
        linewidths=0.5,
        zorder=5,
        label="Studies",
    )
    studies.set_gid("studies")
    if labels:
        for x, y, text in zip(
            scale(eff.yi), _from_se(np.sqrt(eff.vi), yaxis), eff.labels, strict=True
        ):
            ax.annotate(
                text,
                (x, y),
                xytext=(4, 3),
                textcoords="offset points",
                parse_math=False,
                **st.font(st.fontsize - 1.5, color=st.muted),
            )

    scale.apply_to_axis(ax, lo, hi, (float(values.min()), float(values.max())), most=7)
    ax.set_ylim((y_hi, y_lo) if inverted else (y_lo, y_hi))
    clean_axes(ax, st)
    ax.set_xlabel(xlabel or scale.title, **st.font())
    ax.set_ylabel(_YLABELS[yaxis], **st.font())
    handles, _ = ax.get_legend_handles_labels()
    if thresholds and ref is not None:
        handles += _contour_handles(thresholds, st)
    if len(handles) > 1 or thresholds:
        legend = ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            frameon=False,
            prop={"family": st.family, "size": st.fontsize - 1},
            borderaxespad=0.0,
        )
        legend.set_gid("legend")
    set_title(ax, st, title, eff.synthetic)
    return fig


def _thresholds(contours: Any) -> tuple[float, ...]:
    if contours is True:
        return DEFAULT_CONTOURS
    if contours is False or contours is None:
        return ()
    values = as_float_vector(contours, "contours")
    if ((values <= 0) | (values >= 1)).any():
        raise MetaattError(f"contours: p thresholds must lie in (0, 1), got {list(values)}")
    return tuple(sorted(set(values.tolist()), reverse=True))


def _range(values: np.ndarray, xlim: Any, scale: Any) -> tuple[float, float]:
    if xlim is not None:
        try:
            lo, hi = (float(v) for v in xlim)
        except (TypeError, ValueError):
            raise MetaattError(f"xlim: expected two numbers (low, high), got {xlim!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise MetaattError(f"xlim: need finite low < high, got {xlim!r}")
        if scale.axis == "log" and lo <= 0:
            raise MetaattError(f"xlim: a log axis needs positive limits, got {xlim!r}")
        return lo, hi
    a, b = float(np.min(values)), float(np.max(values))
    pad = 0.05 * max(b - a, 1e-6)
    return float(scale(a - pad)), float(scale(b + pad))


def _draw_contours(
    ax: Axes,
    thresholds: tuple[float, ...],
    ref: float,
    grid_y: np.ndarray,
    grid_se: np.ndarray,
    scale: Any,
    st: Style,
) -> None:
    shades = _shades(len(thresholds), st)
    ax.set_facecolor(shades[-1])
    # widest region first (p < smallest threshold lies outside every contour)
    for i, p in enumerate(sorted(thresholds)):
        z = float(special.ndtri(1.0 - p / 2.0))
        left = scale(ref - z * grid_se)
        right = scale(ref + z * grid_se)
        poly = ax.fill_betweenx(
            grid_y, left, right, color=shades[len(thresholds) - 1 - i], linewidth=0, zorder=0
        )
        poly.set_gid(f"contour-{p:g}")


def _shades(n: int, st: Style) -> list[str]:
    base = list(st.contour_shades)
    if n + 1 <= len(base):
        return [*base[:n], base[-1]] if n + 1 < len(base) else base[: n + 1]
    greys = np.linspace(1.0, 0.7, n + 1)
    return [str(round(float(g), 3)) for g in greys]


def _contour_handles(thresholds: tuple[float, ...], st: Style) -> list[Patch]:
    shades = _shades(len(thresholds), st)
    edges = sorted(thresholds, reverse=True)  # e.g. .10, .05, .01
    labels = [f"p > {edges[0]:g}"]
    labels += [f"{b:g} < p \u2264 {a:g}" for a, b in itertools.pairwise(edges)]
    labels.append(f"p \u2264 {edges[-1]:g}")
    return [
        Patch(facecolor=shade, edgecolor="#999999", linewidth=0.5, label=label)
        for shade, label in zip(shades, labels, strict=True)
    ]


def _draw_pseudo_ci(
    ax: Axes,
    estimate: float,
    z: float,
    grid_y: np.ndarray,
    grid_se: np.ndarray,
    scale: Any,
    st: Style,
) -> None:
    for sign in (-1.0, 1.0):
        (line,) = ax.plot(
            scale(estimate + sign * z * grid_se),
            grid_y,
            color=st.muted,
            linestyle=(0, (3, 2)),
            linewidth=0.9,
            zorder=2,
        )
        line.set_gid("pseudo-ci")
    (center,) = ax.plot(
        scale(np.full(2, estimate)),
        grid_y[[0, -1]],
        color=st.pooled,
        linewidth=1.2,
        zorder=2,
        label="Pooled estimate",
    )
    center.set_gid("pooled-line")
