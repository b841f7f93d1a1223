"""Graphical marks of a forest plot: squares, whiskers, diamonds, prediction bars, arrows.

Every mark is drawn on display-scale x values (already back-transformed) and carries a
``gid`` naming what it is (``study-markers``, ``study-ci``, ``diamond-pooled-<row>``,
``prediction-<row>``, ``clip-arrows-left`` ...), so tests and users can find it and SVG
output keeps the names as element ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import transforms as mtransforms
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from .columns import Column, part_offsets
from .forest_cells import EST_COLUMNS
from .forest_layout import Row
from .frames import ForestInput
from .scales import DisplayScale
from .style import Style

__all__ = [
    "BAYES_OFFSET",
    "bayes_legend",
    "draw_arrows",
    "draw_columns",
    "draw_diamond",
    "draw_intervals",
    "draw_prediction",
    "draw_rows",
    "draw_texts",
    "marker_sizes",
    "pretty_statistics",
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


def pretty_statistics(text: str) -> str:
    """Typeset the plain-text statistics line: tau^2 -> τ², I^2 -> I², p = <.001 -> p < .001."""
    return (
        text.replace("tau^2", "\u03c4\u00b2")
        .replace("I^2", "I\u00b2")
        .replace("= <", "< ")
        .replace("<  ", "< ")
    )


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
    est, low, high = (scale(frame[c].to_numpy()) for c in EST_COLUMNS)
    weight = frame["weight"].to_numpy()
    study = [r for r in rows if r.kind == "study"]
    ys = np.array([r.y - (BAYES_OFFSET if r.shrunken >= 0 else 0.0) for r in study])
    idx = np.array([r.index for r in study], dtype=int)
    study_color = st.muted if bayes else st.study
    arrows: list[tuple[float, int, str]] = []
    if len(idx):
        draw_intervals(
            ax,
            ys,
            est[idx],
            low[idx],
            high[idx],
            marker_sizes(weight[idx], st),
            marker="s",
            color=study_color,
            name="study",
            style=st,
        )
        arrows += [(y, i, study_color) for y, i in zip(ys, idx, strict=True)]
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


def bayes_legend(ax: Axes, st: Style, header_y: float) -> None:
    handles = [
        Line2D(
            [],
            [],
            marker="s",
            color=st.muted,
            linewidth=st.linewidth,
            markersize=5,
            label="Observed",
        ),
        Line2D(
            [],
            [],
            marker="o",
            color=st.shrunken,
            linewidth=st.linewidth,
            markersize=5,
            label="Posterior",
        ),
    ]
    trans = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
    legend = ax.legend(
        handles=handles,
        loc="center",
        bbox_to_anchor=(0.5, header_y),
        bbox_transform=trans,
        ncols=2,
        frameon=False,
        prop={"family": st.family, "size": st.fontsize - 0.5},
        handlelength=1.6,
        columnspacing=1.2,
        borderaxespad=0.0,
    )
    legend.set_gid("legend")
