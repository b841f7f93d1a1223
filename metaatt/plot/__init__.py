"""Publication-quality plots of metaatt results (matplotlib; imported on first use).

Every function takes a result (or the tidy frame it hands over) and returns a matplotlib
:class:`~matplotlib.figure.Figure`; ``ax=`` draws into an existing axes instead. Plots
compute no statistics: a forest plot draws ``result.forest_frame()``, a funnel plot the
result's ``yi``/``vi`` and estimate, diagnostics the coordinates their results carry.

- :func:`forest`: forest plot (studies, pooled diamond, prediction interval,
  heterogeneity; subgroups, Bayesian shrinkage, leave-one-out and cumulative variants).
- :func:`funnel`: funnel plot with pseudo-confidence region, contour-enhanced shading,
  trim-and-fill studies and Egger's regression line.
- :func:`baujat`, :func:`labbe`, :func:`bubble`, :func:`posterior`: diagnostics.
- :func:`savefig`: save with embedded TrueType fonts (PNG, SVG, PDF ...).
"""

from __future__ import annotations

try:
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - matplotlib is an optional dependency
    raise ImportError("metaatt.plot needs matplotlib: pip install 'metaatt[plot]'") from exc

from .bubble_plot import bubble
from .converters import from_cumulative, from_influence_table, from_leave_one_out
from .diagnostics import baujat, labbe
from .forest_plot import forest
from .funnel_plot import funnel
from .posterior_plot import posterior
from .scales import RATIO_MEASURES
from .style import Style, savefig

__all__ = [
    "RATIO_MEASURES",
    "Style",
    "baujat",
    "bubble",
    "forest",
    "from_cumulative",
    "from_influence_table",
    "from_leave_one_out",
    "funnel",
    "labbe",
    "posterior",
    "savefig",
]
