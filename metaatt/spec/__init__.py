"""Analysis specs: a TOML file that says what to analyse and how, run end to end.

The flow a review team follows: an extraction sheet (or a table) goes in; effect sizes,
pooled results, forest plots and a reproducible appendix come out; a lock file next to the
spec holds every number so that CI fails the moment one drifts.

Examples
--------
>>> import metaatt.spec as ms                                    # doctest: +SKIP
>>> spec = ms.load("data/attachment/analysis.toml")              # doctest: +SKIP
>>> results = ms.run(spec, output="results")                     # doctest: +SKIP
>>> results.primary.estimate                                     # doctest: +SKIP
>>> ms.lock(spec); ms.check(spec).ok                             # doctest: +SKIP
>>> ms.assert_locked("data/attachment/analysis.toml")  # in a pytest test  # doctest: +SKIP

See ``metaatt spec-help`` (or :data:`SCHEMA`) for every section and key.
"""

from ._lockfile import CheckReport, Drift, assert_locked, check, lock, read_lock
from ._numbers import flatten, flatten_frame
from ._parse import AnalysisSpec, Section, SpecError, from_dict, load
from ._results import SYNTHETIC_NOTICE, AnalysisResults
from ._runner import run
from ._schema import SCHEMA, Key
from ._steps import StepOutput

__all__ = [
    "SCHEMA",
    "SYNTHETIC_NOTICE",
    "AnalysisResults",
    "AnalysisSpec",
    "CheckReport",
    "Drift",
    "Key",
    "Section",
    "SpecError",
    "StepOutput",
    "assert_locked",
    "check",
    "flatten",
    "flatten_frame",
    "from_dict",
    "load",
    "lock",
    "read_lock",
    "run",
]
