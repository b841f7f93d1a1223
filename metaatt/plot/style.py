"""The look of every metaatt figure: one frozen :class:`Style`, text measuring, saving.

Nothing here touches matplotlib's global ``rcParams``: every artist gets its properties
explicitly, so a user's own style sheet is left alone and metaatt figures look the same
under any of them. Colours follow the Okabe-Ito colour-blind-safe palette.

References
----------
Okabe, M., & Ito, K. (2008). Color universal design (CUD): How to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.textpath import TextToPath

from ..errors import MetaattError

__all__ = [
    "MINUS",
    "SYNTHETIC_NOTE",
    "Style",
    "clean_axes",
    "figure_axes",
    "fmt_number",
    "measure_width",
    "new_axes",
    "resolve_style",
    "savefig",
    "set_title",
]

#: said in the title of every plot of synthetic (demonstration) data
SYNTHETIC_NOTE = "SYNTHETIC DATA (not results of real studies)"
#: typographic minus sign (same advance as a digit in common fonts, so columns align)
MINUS = "\u2212"


@dataclass(frozen=True)
class Style:
    """Sizes (points, inches) and colours shared by every metaatt plot.

    Pass a ``Style`` or a dict of field overrides as ``style=`` to any plot function,
    e.g. ``style={"fontsize": 10, "pooled": "black"}``.
    """

    fontsize: float = 9.0
    #: font families in order of preference; the first installed one is used
    #: (Arial-compatible sans serifs first, as most journals ask; None: matplotlib's default)
    fonts: tuple[str, ...] | None = (
        "Arial",
        "Helvetica",
        "Liberation Sans",
        "Nimbus Sans",
        "DejaVu Sans",
    )
    #: height of one forest row as a multiple of the font size
    row_spacing: float = 1.8
    #: width of the graphical (interval) region of a forest plot, inches
    plot_width: float = 3.0
    #: gap between text columns, inches
    column_gap: float = 0.16
    #: outer margin of the figure, inches
    margin: float = 0.12
    text: str = "#1a1a1a"
    muted: str = "#555555"
    study: str = "#1a1a1a"
    pooled: str = "#00416a"
    subgroup: str = "#5b8db8"
    prediction: str = "#a5332b"
    shrunken: str = "#0072b2"
    refline: str = "#8c8c8c"
    filled: str = "#d55e00"
    egger: str = "#d55e00"
    #: grey shades of a contour-enhanced funnel plot: p > .10, .10-.05, .05-.01, < .01
    contour_shades: tuple[str, ...] = ("#ffffff", "#bdbdbd", "#dcdcdc", "#f0f0f0")
    linewidth: float = 0.9
    #: largest and smallest side of a study's square marker, points
    marker_max: float = 11.0
    marker_min: float = 3.0

    @property
    def family(self) -> str:
        """The font family used: the first of ``fonts`` that is installed."""
        return _installed_family(self.fonts)

    def font(self, size: float | None = None, **extra: Any) -> dict[str, Any]:
        """Text keyword arguments: family, size and colour (plus ``extra``)."""
        props: dict[str, Any] = {
            "fontfamily": self.family,
            "fontsize": self.fontsize if size is None else size,
            "color": self.text,
        }
        props.update(extra)
        return props


@functools.lru_cache(maxsize=16)
def _installed_family(fonts: tuple[str, ...] | None) -> str:
    from matplotlib import font_manager

    if fonts:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        for name in fonts:
            if name in installed:
                return name
    return str(plt.rcParams["font.family"][0])


def resolve_style(style: Style | Mapping[str, Any] | None) -> Style:
    """A :class:`Style` from ``None`` (defaults), a ``Style``, or a dict of overrides."""
    if style is None:
        return Style()
    if isinstance(style, Style):
        return style
    if isinstance(style, Mapping):
        names = {f.name for f in dataclasses.fields(Style)}
        unknown = sorted(set(style) - names)
        if unknown:
            raise MetaattError(f"style: unknown field(s) {unknown}; available: {sorted(names)}")
        return dataclasses.replace(Style(), **style)
    raise MetaattError(f"style: expected a Style or a dict, got {type(style).__name__}")


def fmt_number(value: float, digits: int) -> str:
    """Fixed-point text with a typographic minus; empty for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:.{digits}f}"
    if text.lstrip("-").strip("0.") == "":  # -0.00 -> 0.00
        text = text.lstrip("-")
    return text.replace("-", MINUS)


@functools.lru_cache(maxsize=1)
def _text_to_path() -> TextToPath:
    return TextToPath()


@functools.lru_cache(maxsize=4096)
def _width(text: str, size: float, weight: str, style: str, font_file: str) -> float:
    prop = FontProperties(fname=font_file, size=size, weight=weight, style=style)
    width, _, _ = _text_to_path().get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


def measure_width(
    texts: Iterable[str],
    size: float,
    *,
    weight: str = "normal",
    style: str = "normal",
    family: str | None = None,
) -> float:
    """Width in points of the widest of ``texts`` (unhinted, as in vector output).

    Only the longest strings are measured exactly (character counts rank them); a 4%
    allowance covers the rare narrower-glyph string that ranks lower but sets wider.
    """
    unique = sorted({t for t in texts if t}, key=len, reverse=True)
    if not unique:
        return 0.0
    font_file = findfont(FontProperties(family=family, size=size, weight=weight, style=style))
    best = max(_width(t, size, weight, style, font_file) for t in unique[:12])
    return best * 1.04


def new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure and axes to draw into: ``ax`` itself, or a new figure of ``size`` inches."""
    if ax is None:
        fig = plt.figure(figsize=size)
        return fig, fig.add_axes((0.0, 0.0, 1.0, 1.0))
    if not isinstance(ax, Axes):
        raise MetaattError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure, ax


def figure_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new constrained-layout figure of ``size`` inches."""
    if ax is None:
        fig, new = plt.subplots(figsize=size, layout="constrained")
        return fig, new
    if not isinstance(ax, Axes):
        raise MetaattError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure, ax


def set_title(ax: Axes, style: Style, title: str | None, synthetic: bool) -> None:
    """Left-aligned bold title; SYNTHETIC DATA is always said when the data are synthetic."""
    text = title or ""
    if synthetic:
        text = f"{text} \u2014 {SYNTHETIC_NOTE}" if text else SYNTHETIC_NOTE
    if text:
        ax.set_title(text, loc="left", **style.font(style.fontsize + 1, fontweight="bold"))


def clean_axes(ax: Axes, style: Style, *, left: bool = True) -> None:
    """Remove chart junk: no top/right spines, outward ticks, readable tick labels."""
    ax.spines[["top", "right"]].set_visible(False)
    if not left:
        ax.spines["left"].set_visible(False)
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
        spine.set_color(style.text)
    ax.tick_params(
        labelsize=style.fontsize,
        labelfontfamily=style.family,
        colors=style.text,
        width=0.8,
        length=3.5,
        direction="out",
    )
    for label in (ax.xaxis.label, ax.yaxis.label):
        label.set_fontsize(style.fontsize)
        label.set_fontfamily(style.family)


def savefig(fig: Figure, path: Any, **kwargs: Any) -> Any:
    """Save ``fig`` for publication: TrueType fonts embedded in PDF/PS, tight box, 300 dpi.

    ``path`` is a file name (the format follows the extension: ``.png``, ``.svg``,
    ``.pdf``, ...) or a binary file object (give ``format=``); keyword arguments go to
    :meth:`matplotlib.figure.Figure.savefig`. Returns the path (or the file object).
    """
    if not isinstance(fig, Figure):
        raise MetaattError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
    if isinstance(path, str | os.PathLike):
        path = Path(path)
    kwargs.setdefault("dpi", 300)
    kwargs.setdefault("bbox_inches", "tight")
    kwargs.setdefault("pad_inches", 0.05)
    with plt.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path"}):
        try:
            fig.savefig(path, **kwargs)
        except OSError as err:
            raise MetaattError(f"path: cannot write {str(path)!r}: {err.strerror or err}") from None
        except ValueError as err:  # e.g. an unsupported file format
            raise MetaattError(f"path: {err}") from None
    return path
