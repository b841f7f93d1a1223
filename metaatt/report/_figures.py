"""Figures of a spec run (forest, funnel, subgroup and Bayesian forests) in several formats.

Plots compute nothing: each result hands :mod:`metaatt.plot` its tidy frame. matplotlib is
imported here, inside the function, never at ``import metaatt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MetaattError

__all__ = ["FigureFile", "make_figures", "save_figure"]


@dataclass(frozen=True)
class FigureFile:
    """One figure written in one or more formats."""

    name: str
    title: str
    paths: dict[str, Path]


def save_figure(figure: Any, folder: Path, name: str, formats: tuple[str, ...], dpi: int) -> dict:
    """Save a matplotlib figure as ``<folder>/<name>.<fmt>`` for each format, then close it.

    Uses :func:`metaatt.plot.savefig` (fonts embedded); creation dates are left out of the
    metadata so that reruns give identical SVG and PDF files.
    """
    import matplotlib.pyplot as plt

    from ..plot import savefig

    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    paths = {}
    try:
        with plt.rc_context({"svg.hashsalt": "metaatt"}):  # stable SVG element ids
            for fmt in formats:
                path = folder / f"{name}.{fmt}"
                savefig(figure, path, format=fmt, dpi=dpi, metadata=metadata.get(fmt))
                paths[fmt] = path
    finally:
        plt.close(figure)
    return paths


def _title(results: Any, result: Any, text: str) -> str:
    """The figure title; SYNTHETIC is added here unless the plot adds it (synthetic result)."""
    if results.synthetic and not getattr(result, "synthetic", False):
        return f"SYNTHETIC DATA - {text}"
    return text


def make_figures(results: Any, folder: Path) -> list[FigureFile]:
    """Draw every figure the spec's ``[plots]`` section asks for into ``folder``."""
    plots = results.spec.plots
    wanted: list[tuple[str, str, str, Any]] = []  # (file name, title, kind, result)
    measure = f" ({results.measure})" if results.measure else ""
    if plots.forest:
        wanted.append(("forest", f"forest plot{measure}", "forest", results.primary))
    if plots.funnel:
        wanted.append(("funnel", "funnel plot", "funnel", results.primary))
    overlays = {  # drawn on the funnel plot when the spec ran them
        option: results.outputs[key].result
        for option, key in (("trim_and_fill", "bias.trim_and_fill"), ("egger", "bias.egger"))
        if key in results.outputs
    }
    if plots.subgroup_forest:
        for column in results.spec.subgroups.by:
            result = results[f"subgroups.{column}"]
            wanted.append(
                (f"forest_subgroups_{column}", f"subgroups by {column}", "forest", result)
            )
    if plots.bayes_forest:
        for name, result in results.bayes.items():
            wanted.append((f"forest_bayes_{name}", f"Bayesian model ({name})", "forest", result))
    if not wanted:
        return []
    try:
        from .. import plot
    except ImportError as exc:  # pragma: no cover - matplotlib is in the [plot] extra
        raise MetaattError(
            "[plots]: figures need metaatt.plot and matplotlib (pip install 'metaatt[plot]'); "
            f"or switch the plots off in the spec's [plots] section ({exc})"
        ) from None
    formats = tuple(plots.formats)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text, kind, result in wanted:
        title = _title(results, result, f"{results.title}: {text}")
        extra = overlays if kind == "funnel" else {}
        figure = getattr(plot, kind)(result, title=title, **extra)
        out.append(FigureFile(name, title, save_figure(figure, folder, name, formats, plots.dpi)))
    return out
