"""Exceptions and warnings raised by metaatt.

Every user error is a :class:`MetaattError`, a subclass of :class:`ValueError`, whose
message names the argument, the row or study, and what is wrong. Numerical trouble is a
warning of a specific class (so it can be filtered precisely) or a
:class:`ConvergenceError`.

Examples
--------
>>> import warnings, metaatt
>>> warnings.simplefilter("ignore", metaatt.BoundaryWarning)  # silence tau2 = 0 notes
"""

from __future__ import annotations

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
]


class MetaattError(ValueError):
    """Invalid input: the message names the argument, the row or study, and the problem."""


class ConvergenceError(MetaattError, ArithmeticError):
    """An iterative estimator did not converge; the message says which and why."""


class MetaattWarning(UserWarning):
    """Base class of every warning metaatt emits."""


class ConvergenceWarning(MetaattWarning):
    """An iterative computation converged only loosely or needed a fallback."""


class MultimodalLikelihoodWarning(ConvergenceWarning):
    """The (restricted) likelihood has several maxima and the reported one is not the highest."""


class SamplingWarning(ConvergenceWarning):
    """MCMC diagnostics failed (R-hat, effective sample size, divergences); the message
    names the parameters concerned (metaatt.bayes, method="nuts")."""


class BoundaryWarning(MetaattWarning):
    """A variance component was estimated on the boundary of its parameter space (0)."""


class DegenerateStatisticWarning(MetaattWarning):
    """A statistic is degenerate for these data (e.g. a zero Knapp-Hartung standard error)."""


class HeterogeneityUndefinedWarning(MetaattWarning):
    """Heterogeneity statistics are undefined (for example k = 1); they are reported as NaN."""


class InfeasibleAssumptionWarning(MetaattWarning):
    """An assumed value (e.g. a correlation) is impossible for the observed data."""


class StudyExcludedWarning(MetaattWarning):
    """Studies were left out of a model; the result's ``excluded`` table gives each reason."""


class SyntheticDataWarning(MetaattWarning):
    """The data are SYNTHETIC (generated for demonstration) and not results of real studies."""
