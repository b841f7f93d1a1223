"""metaatt: meta-analysis with provenance, exact Bayesian pooling and an attachment layer.

The flow is ``escalc`` (effect sizes with provenance) -> ``pool`` / ``meta_regression`` /
``multilevel`` / ``bayes.pool`` (models) -> result objects -> ``plot`` / reports.

``import metaatt`` loads only numpy, pandas and scipy; every public name below is imported
on first use (PEP 562), so statsmodels, matplotlib, pymc and arviz load only when needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    BoundaryWarning,
    ConvergenceError,
    ConvergenceWarning,
    DegenerateStatisticWarning,
    HeterogeneityUndefinedWarning,
    InfeasibleAssumptionWarning,
    MetaattError,
    MetaattWarning,
    MultimodalLikelihoodWarning,
    SamplingWarning,
    StudyExcludedWarning,
    SyntheticDataWarning,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily on first attribute access)
_LAZY_ATTRIBUTES: dict[str, str] = {
    "pool": "metaatt.pooling",
    "PoolResult": "metaatt.results",
    "pool_batch": "metaatt.batch",
    "escalc": "metaatt.effects",
    "meta_regression": "metaatt.regression",
    "subgroup_analysis": "metaatt.subgroups",
    "permutation_test": "metaatt.permutation",
    "multilevel": "metaatt.multilevel_model",
    "robust": "metaatt.cluster_robust",
    "aggregate": "metaatt.aggregation",
    "aggregate_sensitivity": "metaatt.aggregation",
    "egger_test": "metaatt.bias",
    "rank_correlation_test": "metaatt.bias",
    "trim_and_fill": "metaatt.bias",
    "pet_peese": "metaatt.bias",
    "selection_model": "metaatt.bias",
    "fail_safe_n": "metaatt.bias",
    "leave_one_out": "metaatt.diagnostics",
    "influence": "metaatt.diagnostics",
    "cumulative": "metaatt.diagnostics",
    "mantel_haenszel": "metaatt.twobytwo",
    "peto": "metaatt.twobytwo",
    "provenance_table": "metaatt.provenance",
    "with_provenance": "metaatt.provenance",
    "assumption_sensitivity": "metaatt.assumptions",
}
# lazily imported submodules
_LAZY_SUBMODULES = frozenset(
    {"attachment", "bayes", "datasets", "effects", "extract", "plot", "report", "spec", "simulate"}
    | {"bias", "diagnostics", "twobytwo"}  # publication bias, sensitivity, 2x2 pooling
)

__all__ = [
    "BoundaryWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DegenerateStatisticWarning",
    "HeterogeneityUndefinedWarning",
    "InfeasibleAssumptionWarning",
    "MetaattError",
    "MetaattWarning",
    "MultimodalLikelihoodWarning",
    "SamplingWarning",
    "StudyExcludedWarning",
    "SyntheticDataWarning",
    "__version__",
    *sorted(_LAZY_ATTRIBUTES),
    *sorted(_LAZY_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRIBUTES:
        value = getattr(importlib.import_module(_LAZY_ATTRIBUTES[name]), name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES:
        module = importlib.import_module(f"metaatt.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'metaatt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for static type checkers only
    from .pooling import pool as pool
    from .results import PoolResult as PoolResult
