"""Graphical marks of a forest plot: squares, whiskers, diamonds, prediction bars, arrows.

Every mark is drawn on display-scale x values (already back-transformed) and carries a
``gid`` naming what it is (``study-markers``, ``study-ci``, ``diamond-pooled-<row>``,
``prediction-<row>``, ``clip-arrows-left`` ...), so tests and users can find it and SVG
output keeps the names as element ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import transforms as mtransforms
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from .columns import Column, part_offsets, pretty_statistics
from .forest_cells import EST_COLUMNS
from .forest_layout import Row
from .frames import ForestInput
from .scales import DisplayScale
from .style import Style

__all__ = [
    "BAYES_OFFSET",
    "draw_arrows",
    "draw_columns",
    "draw_diamond",
    "draw_intervals",
    "draw_prediction",
    "draw_rows",
    "draw_texts",
    "legend",
    "legend_entries",
    "marker_sizes",
    "text_transform",
]

#: vertical offset (row units) of observed and posterior marks sharing a Bayesian row
BAYES_OFFSET = 0.2

#: half height of a diamond and of a prediction bar's end caps, in row units
DIAMOND_HALF = 0.34
CAP_HALF = 0.2


def marker_sizes(weights: np.ndarray, style: Style) -> np.ndarray:
    """Scatter sizes (points^2): marker area proportional to weight.

    The largest weight gets a square of side ``style.marker_max``; sides never fall below
    ``style.marker_min``. Without weights (all NaN) every square is mid-sized.
    """
    w = np.asarray(weights, dtype=float)
    finite = np.isfinite(w) & (w > 0)
    side = np.full(w.shape, 0.6 * style.marker_max)
    if finite.any():
        side[finite] = style.marker_max * np.sqrt(w[finite] / w[finite].max())
        side[~finite] = style.marker_min
    return np.maximum(side, style.marker_min) ** 2


def draw_intervals(
    ax: Axes,
    y: np.ndarray,
    est: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    sizes: np.ndarray,
    *,
    marker: str,
    color: str,
    name: str,
    style: Style,
    linewidth: float | None = None,
    facecolor: str | None = None,
) -> None:
    """Point estimates (``marker``) with horizontal interval whiskers, one per row."""
    if len(y) == 0:
        return
    segments = np.stack([np.column_stack([low, y]), np.column_stack([high, y])], axis=1)
    lines = LineCollection(
        segments,
        colors=color,
        linewidths=linewidth or style.linewidth,
        capstyle="butt",
        zorder=2,
    )
    lines.set_gid(f"{name}-ci")
    ax.add_collection(lines, autolim=False)
    points = ax.scatter(
        est,
        y,
        s=sizes,
        marker=marker,
        c=facecolor or color,
        edgecolors=color,
        linewidths=0.5,
        zorder=3,
    )
    points.set_gid(f"{name}-markers")


def draw_diamond(
    ax: Axes, y: float, est: float, low: float, high: float, *, color: str, name: str
) -> Polygon:
    """A summary diamond: widest at the interval, tip up and down at the estimate."""
    vertices = [(low, y), (est, y - DIAMOND_HALF), (high, y), (est, y + DIAMOND_HALF)]
    diamond = Polygon(
        vertices, closed=True, facecolor=color, edgecolor=color, linewidth=0.6, zorder=3
    )
    diamond.set_gid(name)
    ax.add_patch(diamond)
    return diamond


def draw_prediction(
    ax: Axes, y: float, low: float, high: float, *, color: str, name: str, style: Style
) -> None:
    """A prediction interval: a bar with end caps (distinct from a study's whisker)."""
    xs = [low, low, low, high, high, high]
    ys = [y - CAP_HALF, y + CAP_HALF, y, y, y - CAP_HALF, y + CAP_HALF]
    line = Line2D(
        xs, ys, color=color, linewidth=1.6 * style.linewidth, solid_capstyle="butt", zorder=3
    )
    line.set_gid(name)
    ax.add_line(line)


def draw_arrows(
    ax: Axes,
    y: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    xlim: tuple[float, float],
    colors: Sequence[str],
) -> None:
    """Arrowheads at the axis edge where an interval runs beyond the plotted range."""
    lo_edge, hi_edge = xlim
    for side, edge, values, marker in (
        ("left", lo_edge, low, "<"),
        ("right", hi_edge, high, ">"),
    ):
        values = np.asarray(values, dtype=float)
        clipped = values < lo_edge if side == "left" else values > hi_edge
        if not clipped.any():
            continue
        ys = np.asarray(y, dtype=float)[clipped]
        shades = [c for c, hit in zip(colors, clipped, strict=True) if hit]
        arrows = ax.scatter(
            np.full(len(ys), edge),
            ys,
            s=22,
            marker=marker,
            c=shades,
            linewidths=0,
            clip_on=False,
            zorder=4,
        )
        arrows.set_gid(f"clip-arrows-{side}")


def text_transform(fig: Figure, ax: Axes, dx: float) -> mtransforms.Transform:
    """x: axes fraction shifted by ``dx`` inches; y: data (row) units."""
    blended = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
    return blended + mtransforms.ScaledTranslation(dx, 0.0, fig.dpi_scale_trans)


def draw_rows(
    ax: Axes,
    inp: ForestInput,
    rows: list[Row],
    scale: DisplayScale,
    st: Style,
    xlim: tuple[float, float],
    bayes: bool,
) -> None:
    frame = inp.frame
    est, low, high = (scale.clip(scale(frame[c].to_numpy()), *xlim) for c in EST_COLUMNS)
    weight = frame["weight"].to_numpy()
    study = [r for r in rows if r.kind == "study"]
    ys = np.array([r.y - (BAYES_OFFSET if r.shrunken >= 0 else 0.0) for r in study])
    idx = np.array([r.index for r in study], dtype=int)
    study_color = st.muted if bayes else st.study
    arrows: list[tuple[float, int, str]] = []
    sizes = marker_sizes(weight[idx], st)
    filled = _filled_mask(frame, idx)
    for name, mask, color, face in (
        ("study", ~filled, study_color, None),
        ("filled", filled, st.filled, "white"),
    ):
        if not mask.any():
            continue
        draw_intervals(
            ax,
            ys[mask],
            est[idx[mask]],
            low[idx[mask]],
            high[idx[mask]],
            sizes[mask],
            marker="s",
            color=color,
            name=name,
            style=st,
            facecolor=face,
        )
        arrows += [(y, i, color) for y, i in zip(ys[mask], idx[mask], strict=True)]
    shrunken = [(r.y + BAYES_OFFSET, r.shrunken) for r in study if r.shrunken >= 0]
    shrunken += [(r.y, r.index) for r in rows if r.kind == "shrunken"]
    if shrunken:
        sy = np.array([s[0] for s in shrunken])
        si = np.array([s[1] for s in shrunken], dtype=int)
        sizes = np.full(len(si), (0.55 * st.marker_max) ** 2)
        draw_intervals(
            ax,
            sy,
            est[si],
            low[si],
            high[si],
            sizes,
            marker="o",
            color=st.shrunken,
            name="shrunken",
            style=st,
        )
        arrows += [(y, i, st.shrunken) for y, i in zip(sy, si, strict=True)]
    for row in rows:
        i = row.index
        if row.kind in ("pooled", "subgroup"):
            color = st.pooled if row.kind == "pooled" else st.subgroup
            draw_diamond(
                ax, row.y, est[i], low[i], high[i], color=color, name=f"diamond-{row.kind}-{i}"
            )
            arrows.append((row.y, i, color))
        elif row.kind == "prediction":
            draw_prediction(
                ax, row.y, low[i], high[i], color=st.prediction, name=f"prediction-{i}", style=st
            )
            arrows.append((row.y, i, st.prediction))
    if arrows:
        ay, ai, colors = zip(*arrows, strict=True)
        ai_arr = np.array(ai, dtype=int)
        draw_arrows(ax, ay, low[ai_arr], high[ai_arr], xlim, colors)


def _filled_mask(frame: Any, idx: np.ndarray) -> np.ndarray:
    """Study rows imputed by trim and fill (a boolean ``filled`` column), if any."""
    if "filled" not in frame.columns or len(idx) == 0:
        return np.zeros(len(idx), dtype=bool)
    flags = frame["filled"].to_numpy(dtype=object)[idx]
    return np.array([bool(f) if f is not None and f == f else False for f in flags])


def draw_columns(
    fig: Figure,
    ax: Axes,
    left: list[Column],
    right: list[Column],
    rows: list[Row],
    st: Style,
    header_y: float,
) -> None:
    ys = [r.y for r in rows if r.kind != "text"]
    kinds = [r.kind for r in rows if r.kind != "text"]
    for side, base, block in (("left", 0.0, left), ("right", 1.0, right)):
        for c, column in enumerate(block):
            anchors = part_offsets(column)
            head_x = column.x
            ax.text(
                base,
                header_y,
                column.header,
                transform=text_transform(fig, ax, head_x),
                ha=column.align,
                va="center",
                parse_math=False,
                gid=f"header-{side}{c}",
                **st.font(fontweight="bold"),
            )
            for j, (part, dx) in enumerate(zip(column.parts, anchors, strict=True)):
                trans = text_transform(fig, ax, dx)
                for r, (text, y) in enumerate(zip(part, ys, strict=True)):
                    if not text:
                        continue
                    heavy = column.bold is not None and column.bold[r]
                    ax.text(
                        base,
                        y,
                        text,
                        transform=trans,
                        ha=column.align,
                        va="center",
                        fontweight="bold" if heavy else "normal",
                        fontstyle="italic"
                        if kinds[r] == "subgroup" and c + base == 0
                        else "normal",
                        parse_math=False,
                        gid=f"cell-{side}{c}-{j}-{r}",
                        **st.font(),
                    )


def draw_texts(fig: Figure, ax: Axes, rows: list[Row], left_w: float, st: Style) -> None:
    trans = text_transform(fig, ax, -left_w)
    for n, row in enumerate(r for r in rows if r.kind == "text"):
        box = {"facecolor": "white", "edgecolor": "none", "pad": 1.0} if row.group else None
        ax.text(
            0.0,
            row.y,
            pretty_statistics(row.text),
            transform=trans,
            ha="left",
            va="center",
            parse_math=False,
            bbox=box,
            zorder=5,
            gid=f"note-{n}",
            **st.font(st.fontsize - 0.5, color=st.muted),
        )


def legend(ax: Axes, st: Style, header_y: float, entries: list[tuple[str, str, str, str]]) -> None:
    """A one-line legend in the header row, over the plot region.

    ``entries``: (label, marker, edge colour, face colour).
    """
    handles = [
        Line2D(
            [],
            [],
            marker=marker,
            color=edge,
            markerfacecolor=face,
            linewidth=st.linewidth,
            markersize=5,
            label=label,
        )
        for label, marker, edge, face in entries
    ]
    trans = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
    box = ax.legend(
        handles=handles,
        loc="center",
        bbox_to_anchor=(0.5, header_y),
        bbox_transform=trans,
        ncols=len(handles),
        frameon=False,
        prop={"family": st.family, "size": st.fontsize - 0.5},
        handlelength=1.6,
        columnspacing=1.2,
        borderaxespad=0.0,
    )
    box.set_gid("legend")


def legend_entries(inp: ForestInput, st: Style, bayes: bool) -> list[tuple[str, str, str, str]]:
    """Legend entries a frame needs: observed vs posterior, or observed vs filled."""
    if bayes:
        return [("Observed", "s", st.muted, st.muted), ("Posterior", "o", st.shrunken, st.shrunken)]
    study = inp.frame.index[inp.study_mask].to_numpy()
    if _filled_mask(inp.frame, study).any():
        return [
            ("Observed", "s", st.study, st.study),
            ("Filled (imputed)", "s", st.filled, "white"),
        ]
    return []
