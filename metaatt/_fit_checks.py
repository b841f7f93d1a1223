"""The numerical situations every random-effects model reports the same way.

One place that turns a fitted :class:`~metaatt._fit.ModelFit` into warnings and result
notes, so that :func:`metaatt.meta_regression` and :func:`metaatt.subgroup_analysis` (and
any later model) say what :func:`metaatt.pool` says, with the same warning classes:

- :class:`~metaatt.errors.BoundaryWarning`: the tau^2 estimate is 0, on the boundary;
- :class:`~metaatt.errors.MultimodalLikelihoodWarning`: the (restricted) likelihood is
  higher at another local maximum than at the one reported (metafor's choice);
- :class:`~metaatt.errors.DegenerateStatisticWarning`: the Knapp-Hartung scale factor is 0,
  so the standard error and the interval have width 0;
- :class:`~metaatt.errors.HeterogeneityUndefinedWarning`: k = 1 (see :func:`single_study`).

Each message is also appended to ``notes`` (the result's ``notes``). Functions that fit many
analyses at once (``pool_batch``, ``leave_one_out``, ``cumulative``, ``influence``,
``permutation_test``) flag these situations in columns instead of warning per analysis.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ._fit import ModelFit
from .errors import (
    BoundaryWarning,
    DegenerateStatisticWarning,
    HeterogeneityUndefinedWarning,
    MultimodalLikelihoodWarning,
)

__all__ = ["report_fit", "single_study"]


def _emit(message: str, category: type[Warning], notes: list[str], stacklevel: int) -> None:
    warnings.warn(message, category, stacklevel=stacklevel + 1)
    notes.append(message)


def report_fit(
    fit: ModelFit,
    notes: list[str],
    *,
    subject: str = "tau^2",
    consequence: str = "the random-effects model reduces to the common-effect model",
    names: Sequence[str] | None = None,
    stacklevel: int = 3,
) -> None:
    """Warn about the fit's boundary, multimodality and zero Knapp-Hartung scale.

    Parameters
    ----------
    fit
        One analysis (``names=None``) or one per subgroup (``names``: their labels).
    notes
        The result's notes; every message is appended.
    subject, consequence
        How the messages name the variance component (``"the residual tau^2"``) and what a
        zero estimate means for the model.
    names
        Labels of the analyses of a batched fit (subgroups); analyses with a single study
        are skipped (their heterogeneity is undefined: see :func:`single_study`).
    stacklevel
        Of the warnings, counted from the caller of this function.
    """
    method, test = fit.method, fit.test
    df = fit.design.df
    informative = df >= 1  # analyses with residual df (k > p): tau^2 can be estimated
    where = (lambda rows: "") if names is None else (lambda rows: _subgroups(names, rows))
    if method != "EE":
        boundary = fit.tau2_estimate.at_boundary & informative
        if boundary.any():
            _emit(
                f"the {method} estimate of {subject} is 0{where(boundary)}, on the boundary of "
                f"the parameter space: {consequence}",
                BoundaryWarning,
                notes,
                stacklevel,
            )
    higher = fit.tau2_estimate.higher_maximum
    if higher is not None:
        multimodal = np.isfinite(higher) & informative
        for i in np.flatnonzero(multimodal):
            _emit(
                f"the {method} likelihood{where(np.arange(len(df)) == i)} has more than one "
                f"maximum: {subject} = {fit.tau2[i]:.6g} is the maximum Fisher scoring reaches "
                f"from the Hedges start (metafor's algorithm, reported), but the likelihood is "
                f"higher near {subject} = {higher[i]:.4g}; compare estimators or inspect the "
                "likelihood profile",
                MultimodalLikelihoodWarning,
                notes,
                stacklevel,
            )
    if test.startswith("hksj"):
        degenerate = (fit.knha_scale == 0.0) & informative
        if degenerate.any():
            _emit(
                f"the generalized Q statistic is 0{where(degenerate)} (all estimates equal the "
                "fitted ones), so the Hartung-Knapp standard error is 0 and the interval has "
                "width 0; test='hksj-adhoc' keeps the scale factor at 1 or more",
                DegenerateStatisticWarning,
                notes,
                stacklevel,
            )


def single_study(
    names: Sequence[str], notes: list[str], *, tau2_zero: bool, test: str, stacklevel: int = 3
) -> None:
    """Warn that subgroups ``names`` hold one study each: heterogeneity undefined (NaN).

    ``tau2_zero``: the subgroup's own tau^2 is taken as 0 (separate tau^2 per subgroup);
    ``test``: the test of such a subgroup when it is not ``"z"`` (it needs k >= 2).
    """
    if not names:
        return
    message = (
        f"subgroup(s) {list(names)} contain a single study: their heterogeneity statistics "
        "are undefined (NaN)"
    )
    if tau2_zero:
        message += " and tau^2 is taken as 0"
    if test != "z":
        message += f"; test {test!r} needs k >= 2, so a z test is used for them"
    _emit(message, HeterogeneityUndefinedWarning, notes, stacklevel)


def _subgroups(names: Sequence[str], rows: np.ndarray) -> str:
    chosen = [names[i] for i in np.flatnonzero(rows)]
    label = "subgroup" if len(chosen) == 1 else "subgroups"
    return f" in {label} {', '.join(repr(n) for n in chosen)}"
