"""Leave-one-out analysis: the model refitted without each study in turn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..bias._common import require_intercept_only, require_studies
from ._batch import fit_subsets, spec_of
from ._frames import subset_table

__all__ = ["leave_one_out"]


def leave_one_out(result: Any) -> pd.DataFrame:
    """Refit the model ``k`` times, leaving out one study each time (metafor's ``leave1out``).

    Parameters
    ----------
    result
        A fitted model without moderators (:func:`metaatt.pool`); each refit uses its tau^2
        method, test and level.

    Returns
    -------
    pandas.DataFrame
        One row per omitted study: ``study``, ``k`` (studies in the refit), ``estimate``,
        ``se``, ``statistic``, ``df`` (inf for z tests), ``pval``, ``ci_low``, ``ci_high``,
        ``q``, ``q_pval``, ``tau2``, ``tau2_at_boundary`` (the estimate is 0 on the
        boundary: flagged here, not warned), ``i2`` (%), ``h2``. ``attrs``: ``variant`` =
        ``"leave_one_out"``, ``measure``, ``level``, ``synthetic``, ``method``, ``test`` and
        the full-data ``estimate``, ``ci_low``, ``ci_high``. Pass the table to
        :func:`metaatt.plot.from_leave_one_out` / :func:`metaatt.plot.from_cumulative` for a forest plot.

    Notes
    -----
    The ``k`` refits are one batched fit (an analysis per omitted study, the omitted study
    masked out), so the cost is that of a single vectorized fit of ``k`` analyses. When only
    one study remains, heterogeneity is not estimable and reported as metafor does for a
    single study (``q = 0``, ``q_pval = 1``, ``tau2 = 0``, ``i2 = 0``, ``h2 = 1``).

    References
    ----------
    Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
    meta-analysis. Research Synthesis Methods, 1, 112-125.
    """
    function = "leave_one_out"
    spec = spec_of(result, function)
    require_intercept_only(spec, function)
    require_studies(spec.k, 2, function)
    mask = 1.0 - np.eye(spec.k)
    fits = fit_subsets(spec, mask)
    full = fit_subsets(spec, np.ones((1, spec.k)))
    table = subset_table(spec, fits, list(spec.labels), "leave_one_out", full)
    return single_study_convention(table)


def single_study_convention(table: pd.DataFrame) -> pd.DataFrame:
    """metafor reports a one-study fit with Q = 0, p = 1, tau2 = 0, I2 = 0 and H2 = 1."""
    single = table["k"].to_numpy() == 1
    if single.any():
        table.loc[single, ["q", "tau2", "i2"]] = 0.0
        table.loc[single, ["q_pval", "h2"]] = 1.0
    return table
