"""Display scales: which transform an axis uses and how its labels read.

Effect sizes are analysed on a scale where they are roughly normal (log risk ratio,
Fisher's z, logit proportion); readers want them back-transformed (risk ratio,
correlation, proportion). A :class:`DisplayScale` maps analysis values to displayed
values and tells matplotlib which axis scale keeps the picture linear on the analysis
scale: ``transform="exp"`` draws exp(values) on a log axis, so a diamond symmetric in log
units stays symmetric. Nothing is transformed unless asked: a ratio measure plotted with
``transform=None`` is labelled as the log ratio it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..errors import MetaattError
from .style import MINUS

__all__ = ["RATIO_MEASURES", "DisplayScale", "measure_title", "resolve_scale"]

#: measures analysed as log ratios (escalc codes)
RATIO_MEASURES = frozenset(
    {"RR", "OR", "PETO", "ROM", "IRR", "HR", "CVR", "VR", "MPRR", "MPOR", "MPORC", "MPORM"}
)
#: single-group measures analysed on the log scale (exp gives the natural quantity)
LOG_MEASURES = frozenset({"PLN", "IRLN", "MNLN", "CVLN", "SDLN"})
#: measures analysed as Fisher's z (tanh gives the correlation)
FISHER_Z_MEASURES = frozenset({"ZCOR", "ZPCOR", "ZPHI", "ZTET", "ZPB", "ZBIS"})
#: measures that describe one group, where 0 is no natural reference
ONE_GROUP_MEASURES = frozenset(
    {"PR", "PLN", "PLO", "PAS", "PFT", "IR", "IRLN", "IRS", "IRFT", "MN", "MNLN", "CVLN", "SDLN"}
)

_NAMES = {
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "PETO": "Odds ratio (Peto)",
    "ROM": "Ratio of means",
    "IRR": "Incidence rate ratio",
    "HR": "Hazard ratio",
    "CVR": "Coefficient of variation ratio",
    "VR": "Variability ratio",
    "MPRR": "Risk ratio (paired)",
    "MPOR": "Marginal odds ratio (paired)",
    "MPORC": "Conditional odds ratio (paired)",
    "MPORM": "Marginal odds ratio (paired)",
    "RD": "Risk difference",
    "MD": "Mean difference",
    "SMD": "Standardized mean difference",
    "SMDH": "Standardized mean difference",
    "SMCR": "Standardized mean change",
    "SMCRH": "Standardized mean change",
    "SMCC": "Standardized mean change (change scores)",
    "MC": "Mean change",
    "COR": "Correlation",
    "PR": "Proportion",
    "PLN": "Proportion",
    "PLO": "Proportion",
    "IR": "Incidence rate",
    "IRLN": "Incidence rate",
    "MN": "Mean",
    "MNLN": "Mean",
    "ZCOR": "Correlation",
    "ZPCOR": "Partial correlation",
}
_ANALYSIS_NAMES = {
    "PLN": "Log proportion",
    "PLO": "Log odds (logit proportion)",
    "IRLN": "Log incidence rate",
    "MNLN": "Log mean",
    "CVLN": "Log coefficient of variation",
    "SDLN": "Log standard deviation",
    "ZCOR": "Fisher's z",
    "ZPCOR": "Fisher's z (partial correlation)",
}


def measure_title(measure: str | None, *, transformed: bool) -> str:
    """Axis title of ``measure`` on the analysis scale or back-transformed."""
    if measure is None:
        return "Estimate"
    if transformed:
        return _NAMES.get(measure, measure)
    if measure in RATIO_MEASURES:
        name = _NAMES[measure]
        return f"Log {name[0].lower()}{name[1:]}"
    return _ANALYSIS_NAMES.get(measure, _NAMES.get(measure, measure))


def _ilogit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass(frozen=True)
class DisplayScale:
    """How analysis-scale values are shown on an axis.

    ``func`` maps analysis values to displayed values; ``axis`` is the matplotlib scale
    (``"linear"``, ``"log"`` or ``"function"``); ``abbrev`` heads the estimate column.
    """

    func: Callable[[Any], Any]
    axis: str
    title: str
    abbrev: str
    transformed: bool

    def __call__(self, values: Any) -> np.ndarray:
        with np.errstate(over="ignore"):  # exp of a huge bound is inf: drawn as clipped
            return np.asarray(self.func(np.asarray(values, dtype=float)), dtype=float)

    def clip(self, values: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Displayed values limited to far outside ``[lo, hi]`` (the axis clips the rest)."""
        if self.axis == "log":
            return np.clip(values, lo / 1e3, hi * 1e3)
        span = hi - lo
        return np.clip(values, lo - 10 * span, hi + 10 * span)

    def apply_to_axis(
        self,
        ax: Axes,
        lo: float,
        hi: float,
        analysis_range: tuple[float, float],
        *,
        ticks: bool = True,
        most: int = 7,
        which: str = "x",
    ) -> None:
        """Set the x scale, the limits ``lo``/``hi`` (displayed scale) and readable ticks.

        ``analysis_range`` (analysis scale) spans the grid on which a general transform is
        inverted for matplotlib's function scale. ``which`` is the axis, ``"x"`` or ``"y"``.
        """
        axis = ax.xaxis if which == "x" else ax.yaxis
        set_scale = ax.set_xscale if which == "x" else ax.set_yscale
        set_lim = ax.set_xlim if which == "x" else ax.set_ylim
        if self.axis == "log":
            set_scale("log")
            set_lim(lo, hi)
            if ticks:
                axis.set_major_locator(FixedLocator(nice_log_ticks(lo, hi, most)))
                axis.set_minor_locator(NullLocator())
                axis.set_major_formatter(FuncFormatter(_plain))
            return
        if self.axis == "function":
            a, b = analysis_range
            span = max(b - a, 1e-6)
            grid = np.linspace(a - 2 * span, b + 2 * span, 8001)
            values = self(grid)
            ok = np.isfinite(values)
            grid, values = grid[ok], values[ok]
            if len(grid) < 2 or not np.all(np.diff(values) > 0):
                raise MetaattError(
                    "transform: the function must be finite and strictly increasing over "
                    f"the plotted range [{a:.3g}, {b:.3g}]"
                )

            def forward(x: Any) -> Any:
                return np.interp(x, values, grid)

            def inverse(x: Any) -> Any:
                return np.interp(x, grid, values)

            set_scale("function", functions=(forward, inverse))
            if ticks:
                axis.set_major_locator(MaxNLocator(nbins=max(most - 1, 2)))
                axis.set_major_formatter(FuncFormatter(_plain))
        elif ticks:
            axis.set_major_locator(MaxNLocator(nbins=max(most - 1, 2), steps=[1, 2, 2.5, 5, 10]))
        set_lim(lo, hi)


def _plain(value: float, _pos: Any = None) -> str:
    text = f"{value:.4g}"
    return text.replace("-", MINUS)


def nice_log_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Readable ticks for a log axis between ``lo`` and ``hi`` (0.1, 0.25, 0.5, 1, 2, ...)."""
    lo, hi = min(lo, hi), max(lo, hi)
    decades = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
    for mantissas in (
        (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8),
        (1, 1.5, 2, 3, 5, 7),
        (1, 2, 5),
        (1, 2.5, 5),
        (1, 3),
        (1,),
    ):
        ticks = [m * 10.0**e for e in decades for m in mantissas]
        # round away float noise: 0.30000000000000004 -> 0.3
        ticks = sorted({float(f"{t:.6g}") for t in ticks if lo <= t <= hi})
        if len(ticks) <= most:
            if len(ticks) >= 2:
                return ticks
            break
    step = max(1, int(np.ceil(len(ticks) / most)))
    return ticks[::step] if len(ticks) >= 2 else [lo, hi]


def resolve_scale(transform: Any, measure: str | None) -> DisplayScale:
    """The display scale for ``transform`` (None, "exp", "auto" or a callable).

    ``"auto"`` back-transforms what has one natural back-transform: exp for log ratios
    and log measures, tanh for Fisher's z, the inverse logit for logit proportions.
    ``None`` never transforms, whatever the measure.
    """
    if transform == "auto":
        if measure in RATIO_MEASURES or measure in LOG_MEASURES:
            transform = "exp"
        elif measure in FISHER_Z_MEASURES:
            transform = np.tanh
        elif measure == "PLO":
            transform = _ilogit
        else:
            transform = None
    if transform is None:
        abbrev = "Estimate" if measure is None else measure
        if measure in RATIO_MEASURES:
            abbrev = f"log {measure}"
        return DisplayScale(
            func=lambda x: x,
            axis="linear",
            title=measure_title(measure, transformed=False),
            abbrev=abbrev,
            transformed=False,
        )
    title = measure_title(measure, transformed=True)
    if measure is None:
        title = "exp(estimate)" if transform == "exp" else "Estimate (back-transformed)"
    if isinstance(transform, str):
        if transform != "exp":
            raise MetaattError(
                f"transform: unknown value {transform!r}; use None, 'exp', 'auto' or a "
                "function such as numpy.tanh"
            )
        abbrev = measure if measure in RATIO_MEASURES else "exp(estimate)"
        if measure in LOG_MEASURES:
            abbrev = title
        return DisplayScale(np.exp, "log", f"{title} (log scale)", abbrev, True)
    if not callable(transform):
        raise MetaattError(
            f"transform: expected None, 'exp', 'auto' or a function, got {type(transform).__name__}"
        )
    name = getattr(transform, "__name__", "transform")
    abbrev = title if measure is not None else f"{name}(estimate)"
    return DisplayScale(transform, "function", title, abbrev, True)
