"""Cumulative meta-analysis: the model refitted as studies are added one at a time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_float_vector, check_same_length
from ..bias._common import require_intercept_only
from ..errors import MetaattError
from ._batch import fit_subsets, spec_of
from ._frames import subset_table
from .loo import single_study_convention

__all__ = ["cumulative"]


def _order(spec: Any, order: Any) -> np.ndarray:
    if order is None:
        return np.arange(spec.k)
    if isinstance(order, str):
        if spec.data is None or order not in spec.data.columns:
            raise MetaattError(f"order: column {order!r} is not in the analysed data")
        values = spec.data[order]
    else:
        values = order
    if isinstance(values, pd.Series) and not pd.api.types.is_numeric_dtype(values):
        keys = pd.Series(values).astype(str).to_numpy()
        if len(keys) != spec.k:
            raise MetaattError(f"order: {len(keys)} values for {spec.k} studies")
        return np.argsort(keys, kind="stable")
    keys = as_float_vector(values, "order", labels=spec.labels)
    check_same_length(order=keys, yi=spec.yi)
    return np.argsort(keys, kind="stable")


def cumulative(result: Any, order: Any = None) -> pd.DataFrame:
    """Cumulative meta-analysis, as metafor's ``cumul``.

    Parameters
    ----------
    result
        A fitted model without moderators (:func:`metaatt.pool`); each step uses its tau^2
        method, test and level.
    order
        How studies are added: ``None`` (the order of the data), a column name of the
        analysed data (e.g. ``"year"``), or one sort key per study. Studies are added in
        increasing order of the key (ties keep the data order).

    Returns
    -------
    pandas.DataFrame
        One row per step: ``study`` (the study added), ``k``, ``estimate``, ``se``,
        ``statistic``, ``df``, ``pval``, ``ci_low``, ``ci_high``, ``q``, ``q_pval``,
        ``tau2``, ``tau2_at_boundary`` (flagged, not warned), ``i2`` (%), ``h2``. ``attrs``:
        ``variant = "cumulative"``, ``measure``,
        ``level``, ``synthetic``, ``method``, ``test`` and the full-data estimate and CI.
        Pass the table to :func:`metaatt.plot.from_leave_one_out` / :func:`metaatt.plot.from_cumulative` for a forest plot.

    Notes
    -----
    The ``k`` nested analyses are fitted at once (one batched fit, analysis ``j`` masking
    all but the first ``j`` studies). The first step (a single study) is reported as metafor
    does: ``q = 0``, ``q_pval = 1``, ``tau2 = 0``, ``i2 = 0``, ``h2 = 1``.

    References
    ----------
    Lau, J., Antman, E. M., Jimenez-Silva, J., Kupelnick, B., Mosteller, F., & Chalmers,
    T. C. (1992). Cumulative meta-analysis of therapeutic trials for myocardial infarction.
    New England Journal of Medicine, 327, 248-254.
    """
    function = "cumulative"
    spec = spec_of(result, function)
    require_intercept_only(spec, function)
    idx = _order(spec, order)
    position = np.empty(spec.k, dtype=int)
    position[idx] = np.arange(spec.k)
    mask = (position[None, :] <= np.arange(spec.k)[:, None]).astype(float)
    fits = fit_subsets(spec, mask)
    full = fit_subsets(spec, np.ones((1, spec.k)))
    studies = [spec.labels[i] for i in idx]
    table = subset_table(spec, fits, studies, "cumulative", full)
    return single_study_convention(table)
