"""``posterior``: posterior densities of a Bayesian meta-analysis (mu, tau, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import MetaattError
from .adapters import first_attr
from .style import SYNTHETIC_NOTE, Style, clean_axes, resolve_style

__all__ = ["posterior"]

_TITLES = {
    "mu": "Average effect \u03bc",
    "tau": "Heterogeneity \u03c4",
    "predictive": "Predicted effect in a new study",
}


def posterior(
    result: Any,
    params: str | Sequence[str] = ("mu", "tau"),
    *,
    interval: bool = True,
    ax: Axes | Sequence[Axes] | None = None,
    style: Style | dict[str, Any] | None = None,
) -> Figure:
    """Posterior density of each parameter in ``params``, one panel each.

    Parameters
    ----------
    result
        A Bayesian result with ``density_frame(param)`` returning a table with columns
        ``x`` and ``density`` (optionally ``prior``: the prior density on the same grid);
        ``result.<param>`` may give ``mean``, ``ci_low`` and ``ci_high`` (credible
        interval), which are marked.
    params
        Parameter names, e.g. ``"mu"``, ``"tau"``, ``"predictive"``.
    interval
        Shade the credible interval and mark the posterior mean.
    ax
        An axes (one parameter) or a sequence of axes (one per parameter).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The curves are the tables' values joined by straight lines; the shaded area spans
    ``ci_low`` to ``ci_high`` of ``result.<param>`` under that curve. Nothing is
    estimated here.
    """
    st = resolve_style(style)
    if not callable(getattr(result, "density_frame", None)):
        raise MetaattError(
            "result: expected a Bayesian result with density_frame(param), got "
            f"{type(result).__name__}"
        )
    names = [params] if isinstance(params, str) else [str(p) for p in params]
    if not names:
        raise MetaattError("params: name at least one parameter, e.g. 'mu'")
    fig, axes = _panels(ax, len(names))
    for name, panel in zip(names, axes, strict=True):
        frame = result.density_frame(name)
        if not isinstance(frame, pd.DataFrame) or not {"x", "density"} <= set(frame.columns):
            raise MetaattError(
                f"result.density_frame({name!r}) must return a table with columns x and density"
            )
        x = frame["x"].to_numpy(dtype=float)
        d = frame["density"].to_numpy(dtype=float)
        if len(x) < 2 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(d))):
            raise MetaattError(f"result.density_frame({name!r}): x and density must be finite")
        line = panel.plot(x, d, color=st.pooled, linewidth=1.4, label="Posterior")[0]
        line.set_gid(f"density-{name}")
        if "prior" in frame.columns:
            prior = panel.plot(
                x,
                frame["prior"].to_numpy(dtype=float),
                color=st.muted,
                linestyle=(0, (4, 2)),
                linewidth=1.0,
                label="Prior",
            )[0]
            prior.set_gid(f"prior-{name}")
        summary = first_attr(result, (name,))
        low, high, mean = (_field(summary, f) for f in ("ci_low", "ci_high", "mean"))
        if interval and low is not None and high is not None:
            inside = (x >= low) & (x <= high)
            area = panel.fill_between(
                x,
                0.0,
                d,
                where=inside,
                color=st.shrunken,
                alpha=0.25,
                linewidth=0,
                label="Credible interval",
            )
            area.set_gid(f"interval-{name}")
        if interval and mean is not None:
            mark = panel.axvline(
                mean, color=st.pooled, linewidth=0.9, linestyle=":", label="Posterior mean"
            )
            mark.set_gid(f"mean-{name}")
        panel.set_ylim(bottom=0.0)
        panel.set_yticks([])
        clean_axes(panel, st, left=False)
        panel.set_xlabel(_TITLES.get(name, name), **st.font())
    axes[0].legend(
        loc="upper right", frameon=False, prop={"family": st.family, "size": st.fontsize - 1}
    )
    if bool(getattr(result, "synthetic", False)):
        axes[0].set_title(
            SYNTHETIC_NOTE,
            loc="left",
            **st.font(st.fontsize, fontweight="bold"),
        )
    return fig


def _field(summary: Any, name: str) -> float | None:
    value = first_attr(summary, (name,)) if summary is not None else None
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _panels(ax: Any, n: int) -> tuple[Figure, list[Axes]]:
    import matplotlib.pyplot as plt

    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 2.8), layout="constrained", squeeze=False)
        return fig, list(axes[0])
    axes = [ax] if isinstance(ax, Axes) else list(ax)
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        raise MetaattError(f"ax: expected {n} matplotlib Axes (one per parameter), got {ax!r}")
    return axes[0].figure, axes
