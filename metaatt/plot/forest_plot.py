"""``forest``: the forest plot of any result that hands over a forest frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import transforms as mtransforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .._validate import check_same_length
from ..errors import MetaattError
from .columns import place_columns, pretty_statistics
from .forest_cells import build_columns
from .forest_draw import (
    draw_columns,
    draw_rows,
    draw_texts,
    legend,
    legend_entries,
    text_transform,
)
from .forest_layout import Row, build_rows, pair_shrunken, study_order
from .frames import INTERVAL_KINDS, ForestInput, read_forest_input
from .scales import ONE_GROUP_MEASURES, DisplayScale, resolve_scale
from .style import SYNTHETIC_NOTE, Style, measure_width, new_axes, resolve_style

__all__ = ["forest"]


def forest(
    result: Any,
    *,
    labels: Sequence[Any] | None = None,
    columns: Any = None,
    right_columns: Any = None,
    sort_by: str | None = None,
    ascending: bool = True,
    transform: Any = None,
    xlim: tuple[float, float] | None = None,
    refline: Any = "auto",
    favours: tuple[str, str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    digits: int = 2,
    ax: Axes | None = None,
    style: Style | dict[str, Any] | None = None,
) -> Figure:
    """Draw a publication-quality forest plot of ``result``.

    Parameters
    ----------
    result
        A result with ``forest_frame()`` (:class:`metaatt.PoolResult`, subgroup and
        Bayesian results, ...), a forest-frame DataFrame, or a leave-one-out / cumulative
        table (``attrs["variant"]``). The plot draws exactly the frame's numbers.
    labels
        Study labels replacing the frame's, one per study row (in the frame's order).
    columns
        Extra text columns left of the plot: names (or ``(name, header)`` pairs, or a dict
        name -> header) of columns of the frame or of ``result.data`` (every input
        column, e.g. ``["year", "n"]``).
    right_columns
        Text columns right of the plot. Default: ``"estimate"`` (estimate [CI]) and
        ``"weight"`` when the frame has weights; Bayesian frames show ``"estimate"``
        (observed) and ``"posterior"``; leave-one-out and cumulative frames add ``tau2``
        and ``i2`` when present. Any frame or data column may be added.
    sort_by, ascending
        Sort the studies within each block (subgroup) by a frame or data column, e.g.
        ``"estimate"``, ``"weight"``, ``"year"``.
    transform
        ``None`` (the analysis scale, e.g. log risk ratios, labelled as such), ``"exp"``
        (exp of every value on a log axis: ratios), ``"auto"`` (exp for log ratios, tanh for
        Fisher's z, inverse logit for logit proportions) or an increasing function.
    xlim
        Plotted range on the displayed scale; intervals beyond it end in an arrowhead.
    refline
        Reference (no-effect) line on the displayed scale: ``"auto"`` (0, or 1 after exp;
        none for one-group measures such as proportions), a number, or ``None``.
    favours
        Two captions under the axis, left and right of the reference line.
    title, xlabel
        Override the title (default ``attrs["title"]``) and the axis label.
    digits
        Decimals of the printed estimates and intervals.
    ax
        Draw into this axes (its area is shared by the text columns and the plot);
        default: a new figure sized so that every row and column fits.
    style
        A :class:`metaatt.plot.Style` or a dict of its fields.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Rows of kind ``study`` are squares with area proportional to ``weight``, ``pooled``
    and ``subgroup`` rows diamonds from ``ci_low`` to ``ci_high`` with the tips at
    ``estimate``, ``prediction`` rows a capped bar; ``shrunken`` rows (posterior study
    effects) share their study's line as circles. The heterogeneity line and the test
    for subgroup differences are ``attrs["heterogeneity"]`` and
    ``attrs["subgroup_test"]`` verbatim.

    References
    ----------
    Lewis, S., & Clarke, M. (2001). Forest plots: trying to see the wood and the trees.
    BMJ, 322(7300), 1479-1480. IntHout, J., Ioannidis, J. P. A., Rovers, M. M., &
    Goeman, J. J. (2016). Plea for routinely presenting prediction intervals in
    meta-analysis. BMJ Open, 6(7), e010247.
    """
    st = resolve_style(style)
    if not isinstance(digits, (int, np.integer)) or isinstance(digits, bool) or digits < 0:
        raise MetaattError(f"digits: expected a non-negative integer, got {digits!r}")
    inp = read_forest_input(result)
    frame = inp.frame
    if labels is not None:
        inp = _relabel(inp, labels)
        frame = inp.frame
    pairs = pair_shrunken(frame)
    order = study_order(inp, sort_by, bool(ascending), set(pairs.values()))
    rows = build_rows(inp, order, pairs)
    bayes = bool(pairs) or inp.variant == "bayes"
    scale = resolve_scale(transform, frame.attrs.get("measure"))
    level = float(frame.attrs.get("level") or 0.95)

    ref = _reference(refline, scale, frame.attrs.get("measure"))
    lo, hi = _display_range(frame, scale, xlim, ref)
    title_text = _title(title, frame.attrs)
    left, right = build_columns(inp, rows, columns, right_columns, scale, level, digits, bayes)
    left_w, right_w = place_columns(left, right, st)
    text_w = max(
        (
            measure_width([pretty_statistics(r.text)], st.fontsize - 0.5, family=st.family) / 72
            for r in rows
            if r.kind == "text"
        ),
        default=0.0,
    )
    title_w = measure_width([title_text], st.fontsize + 1, weight="bold", family=st.family) / 72

    header_y = -1.2
    top = header_y - (1.5 if title_text else 0.0) - 0.8
    bottom = max(r.y for r in rows) + 0.8
    row_h = st.fontsize * st.row_spacing / 72 * (1.25 if bayes else 1.0)
    axis_h = 0.42 + (0.2 if favours else 0.0)
    plot_w = max(st.plot_width, text_w - left_w, title_w - left_w - right_w, 0.8)
    fig, ax = _make_axes(ax, st, left_w, right_w, plot_w, (bottom - top) * row_h, axis_h)

    ax.set_ylim(bottom, top)
    plot_inches = ax.get_position().width * fig.get_size_inches()[0]
    most = int(np.clip(plot_inches / 0.42, 3, 7))
    scale.apply_to_axis(ax, lo, hi, _analysis_range(frame), most=most)
    _style_axes(ax, st, xlabel or scale.title, favours, ref)
    draw_rows(ax, inp, rows, scale, st, (lo, hi), bayes)
    _vertical_lines(ax, inp, rows, ref, scale, st)
    draw_columns(fig, ax, left, right, rows, st, header_y)
    draw_texts(fig, ax, rows, left_w, st)
    if title_text:
        ax.text(
            0.0,
            header_y - 1.5,
            title_text,
            transform=text_transform(fig, ax, -left_w),
            ha="left",
            va="center",
            parse_math=False,
            gid="title",
            **st.font(st.fontsize + 1, fontweight="bold"),
        )
    entries = legend_entries(inp, st, bayes)
    if entries:
        legend(ax, st, header_y, entries)
    return fig


def _vertical_lines(
    ax: Axes, inp: ForestInput, rows: list[Row], ref: float | None, scale: DisplayScale, st: Style
) -> None:
    """The reference line; for refit tables also a dashed line at the all-studies estimate."""
    graphic = [r.y for r in rows if r.kind in INTERVAL_KINDS]
    if ref is not None:
        line = Line2D(
            [ref, ref],
            [min(graphic) - 0.6, max(graphic) + 0.6],
            color=st.refline,
            linewidth=0.8,
            zorder=1,
        )
        line.set_gid("refline")
        ax.add_line(line)
    if inp.variant not in ("leave_one_out", "cumulative"):
        return
    pooled = [r for r in rows if r.kind == "pooled"]
    studies = [r.y for r in rows if r.kind == "study"]
    if pooled and studies:
        x = float(scale(inp.frame["estimate"][pooled[0].index]))
        line = Line2D(
            [x, x],
            [min(studies) - 0.6, pooled[0].y],
            color=st.pooled,
            linewidth=0.8,
            linestyle=(0, (4, 3)),
            zorder=1,
        )
        line.set_gid("pooled-line")
        ax.add_line(line)


# ---------------------------------------------------------------------- preparation
def _relabel(inp: ForestInput, labels: Sequence[Any]) -> ForestInput:
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise MetaattError(f"labels: expected one label per study, got {type(labels).__name__}")
    study = np.flatnonzero(inp.study_mask)
    try:
        check_same_length(labels=np.asarray(labels, dtype=object), studies=study)
    except MetaattError:
        raise MetaattError(
            f"labels: {len(labels)} labels given for {len(study)} studies (k = {len(study)}); "
            "give one label per study row, in the result's order"
        ) from None
    frame = inp.frame.copy()
    frame.attrs = dict(inp.frame.attrs)
    old = frame["label"].to_numpy(dtype=object)
    new = [str(x) for x in labels]
    mapping = {(frame["group"][i], old[i]): new[j] for j, i in enumerate(study)}
    shrunken = np.flatnonzero((frame["kind"] == "shrunken").to_numpy())
    for i in shrunken:  # posterior rows follow their study's new label
        key = (frame["group"][i], old[i])
        if key in mapping:
            frame.loc[i, "label"] = mapping[key]
    frame.loc[study, "label"] = new
    return ForestInput(frame=frame, data=inp.data, data_row=inp.data_row)


def _reference(refline: Any, scale: DisplayScale, measure: str | None) -> float | None:
    if refline is None:
        return None
    if isinstance(refline, str):
        if refline != "auto":
            raise MetaattError(f"refline: expected 'auto', a number or None, got {refline!r}")
        return None if measure in ONE_GROUP_MEASURES else float(scale(0.0))
    try:
        value = float(refline)
    except (TypeError, ValueError):
        raise MetaattError(f"refline: expected 'auto', a number or None, got {refline!r}") from None
    if not np.isfinite(value):
        raise MetaattError(f"refline: must be finite, got {refline!r}")
    return value


def _analysis_range(frame: Any) -> tuple[float, float]:
    drawn = frame["kind"].isin(INTERVAL_KINDS).to_numpy()
    return float(frame["ci_low"][drawn].min()), float(frame["ci_high"][drawn].max())


def _display_range(
    frame: Any, scale: DisplayScale, xlim: Any, ref: float | None
) -> tuple[float, float]:
    """Plotted x range on the displayed scale: ``xlim``, or every estimate and summary
    interval plus study intervals up to one core width beyond them."""
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
    kinds = frame["kind"]
    drawn = kinds.isin(INTERVAL_KINDS).to_numpy()
    summary = kinds.isin(("pooled", "subgroup", "prediction")).to_numpy()
    points = frame["estimate"][drawn & (kinds != "prediction").to_numpy()].to_numpy()
    core = np.concatenate(
        [points, frame["ci_low"][summary].to_numpy(), frame["ci_high"][summary].to_numpy()]
    )
    core_lo, core_hi = float(np.min(core)), float(np.max(core))
    width = max(core_hi - core_lo, 1e-3 * max(1.0, abs(core_lo), abs(core_hi)))
    lo = max(float(frame["ci_low"][drawn].min()), core_lo - width)
    hi = min(float(frame["ci_high"][drawn].max()), core_hi + width)
    lo_s, hi_s = (float(v) for v in scale([lo, hi]))
    if ref is not None:
        lo_s, hi_s = min(lo_s, ref), max(hi_s, ref)
    if scale.axis == "log":
        pad = (np.log(hi_s) - np.log(lo_s)) * 0.04
        return float(np.exp(np.log(lo_s) - pad)), float(np.exp(np.log(hi_s) + pad))
    pad = (hi_s - lo_s) * 0.04
    return lo_s - pad, hi_s + pad


def _title(title: str | None, attrs: dict[str, Any]) -> str:
    text = title if title is not None else str(attrs.get("title") or "")
    if attrs.get("synthetic"):
        text = f"{text} \u2014 {SYNTHETIC_NOTE}" if text else SYNTHETIC_NOTE
    return text


# ---------------------------------------------------------------------- geometry
def _make_axes(
    ax: Axes | None,
    st: Style,
    left_w: float,
    right_w: float,
    plot_w: float,
    body_h: float,
    axis_h: float,
) -> tuple[Figure, Axes]:
    m = st.margin
    if ax is None:
        width = m + left_w + plot_w + right_w + m
        height = m + body_h + axis_h + m
        fig, ax = new_axes(None, (width, height))
        ax.set_position(
            ((m + left_w) / width, (m + axis_h) / height, plot_w / width, body_h / height)
        )
        return fig, ax
    fig, ax = new_axes(ax, (0.0, 0.0))
    fw = fig.get_size_inches()[0]
    box = ax.get_position()
    x0 = box.x0 * fw + left_w
    w = max(box.width * fw - left_w - right_w, 0.8)
    ax.set_position((x0 / fw, box.y0, w / fw, box.height))
    return fig, ax


def _style_axes(
    ax: Axes, st: Style, xlabel: str, favours: tuple[str, str] | None, ref: float | None
) -> None:
    ax.set_facecolor("none")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_linewidth(0.8)
    ax.spines["bottom"].set_color(st.text)
    ax.set_yticks([])
    ax.tick_params(
        axis="x",
        labelsize=st.fontsize,
        labelfontfamily=st.family,
        colors=st.text,
        width=0.8,
        length=3.5,
    )
    ax.set_xlabel(xlabel, labelpad=14 if favours else 4, **st.font())
    if favours is None:
        return
    if not (isinstance(favours, (tuple, list)) and len(favours) == 2):
        raise MetaattError(f"favours: expected two captions (left, right), got {favours!r}")
    x = ref if ref is not None else float(np.sqrt(np.prod(ax.get_xlim())))
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    for text, dx, ha, gid in (
        (favours[0], -6, "right", "favours-left"),
        (favours[1], 6, "left", "favours-right"),
    ):
        ax.annotate(
            str(text),
            xy=(x, 0),
            xycoords=trans,
            xytext=(dx, -2.2 * st.fontsize),
            textcoords="offset points",
            ha=ha,
            va="center",
            annotation_clip=False,
            gid=gid,
            **st.font(st.fontsize - 1, color=st.muted),
        )
