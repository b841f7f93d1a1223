"""Sensitivity of a pooled result to an imputed assumption (e.g. the pre-post r).

An imputed value (``assumed_r``, ``assumed_phi``) changes the effect sizes of the rows that
needed it. :func:`assumption_sensitivity` re-runs the whole analysis (effect sizes, then the
model) over a grid of the assumed value and tabulates how the pooled result moves.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._validate import as_float_vector
from .errors import MetaattError

__all__ = ["DEFAULT_GRID", "assumption_sensitivity"]

#: the Cochrane-style range of pre-post correlations: 0.2, 0.3, ..., 0.8
DEFAULT_GRID = tuple(round(x, 10) for x in np.arange(0.2, 0.8001, 0.1))
_ASSUMPTIONS = ("assumed_r", "assumed_phi")
_FIELDS = ("estimate", "se", "pval", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2",
           "h2", "q", "q_pval", "k")  # fmt: skip


def _select(frame: pd.DataFrame, select: Any) -> pd.DataFrame:
    if select is None:
        return frame
    if callable(select):
        chosen = select(frame)
        if isinstance(chosen, pd.DataFrame):
            return chosen
        return frame[np.asarray(chosen, dtype=bool)]
    if isinstance(select, Mapping):
        mask = np.ones(len(frame), dtype=bool)
        for column, wanted in select.items():
            if column not in frame.columns:
                raise MetaattError(f"select: column {column!r} is not in the effect-size table")
            options = [wanted] if isinstance(wanted, str) or np.ndim(wanted) == 0 else list(wanted)
            mask &= frame[column].isin(options).to_numpy()
        return frame[mask]
    raise MetaattError("select: give a dict {column: value(s)}, a function, or None")


def assumption_sensitivity(
    analysis: Any,
    values: Any = DEFAULT_GRID,
    *,
    assumption: str = "assumed_r",
    select: Any = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    allow_mixed_metrics: bool = False,
    **effect_options: Any,
) -> pd.DataFrame:
    """Re-run an analysis over a grid of an assumed value and tabulate the pooled results.

    Parameters
    ----------
    analysis
        An extraction sheet (:class:`~metaatt.attachment.Sheet`, CSV path or DataFrame):
        for each value, ``metaatt.attachment.effect_sizes(sheet, **{assumption: value})`` is
        computed, the rows chosen by ``select`` are pooled with :func:`metaatt.pool`. Or a
        function ``value -> result`` (any object with the fields below) for other analyses.
    values
        Grid of assumed values (default 0.2, 0.3, ..., 0.8).
    assumption
        ``"assumed_r"`` (pre-post correlation) or ``"assumed_phi"`` (phi of marginal
        categorical counts); ignored when ``analysis`` is a function.
    select
        Which effect sizes to pool: ``{column: value or list}`` (e.g.
        ``{"metric": "d_raw_change", "outcome": "attachment anxiety"}``), a function of the
        effect-size table returning rows or a mask, or None (all rows).
    method, test, level, allow_mixed_metrics
        Passed to :func:`metaatt.pool`.
    **effect_options
        Further options of ``effect_sizes`` (e.g. ``categorical="probit"``).

    Returns
    -------
    pandas.DataFrame
        One row per value: the value (column named after ``assumption``, or ``value``),
        ``estimate``, ``se``, ``pval``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high``,
        ``tau2``, ``i2``, ``h2``, ``q``, ``q_pval``, ``k``, ``n_assumed`` (rows whose effect
        size used the assumed value) and ``notes`` (warnings raised by that run).
        ``attrs``: ``assumption``, ``synthetic``.

    Notes
    -----
    Only rows that needed the assumption change: rows with a reported (or derived) r keep
    their effect size. The Cochrane Handbook (section 6.5.2.8 / 16.1.3.2 in earlier editions)
    recommends such a sensitivity analysis whenever correlations are imputed.

    References
    ----------
    Higgins, J. P. T., et al. (Eds.) (2023). Cochrane Handbook for Systematic Reviews of
    Interventions, version 6.4, section 6.5.2.8.
    """
    grid = as_float_vector(values, "values", allow_nan=True, allow_empty=True)
    if grid.ndim != 1 or len(grid) == 0 or not np.isfinite(grid).all():
        raise MetaattError("values: give a non-empty 1-D grid of finite numbers")
    if callable(analysis) and not isinstance(analysis, pd.DataFrame):
        run = analysis
        name = "value"
        synthetic = False
    else:
        if assumption not in _ASSUMPTIONS:
            raise MetaattError(
                f"assumption: choose one of {list(_ASSUMPTIONS)}, got {assumption!r}"
            )
        if ((grid < -1) | (grid > 1)).any():
            raise MetaattError(f"values: {assumption} must lie in [-1, 1]")
        from .attachment import effect_sizes, read_sheet
        from .pooling import pool

        sheet = read_sheet(analysis)
        name = assumption
        used_column = "r_source" if assumption == "assumed_r" else "phi_used"
        synthetic = sheet.synthetic

        def run(value: float) -> Any:
            es = effect_sizes(sheet, **{assumption: float(value)}, **effect_options)
            chosen = _select(es, select)
            if len(chosen) == 0:
                raise MetaattError("select: no effect sizes match the selection")
            result = pool(chosen, method=method, test=test, level=level,
                          allow_mixed_metrics=allow_mixed_metrics)  # fmt: skip
            if assumption == "assumed_r":
                used = int((chosen[used_column] == "imputed").sum())
            else:
                used = int(
                    chosen["assumptions"].str.contains("phi between occasions assumed").sum()
                )
            return result, used

    rows = []
    for value in grid:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = run(value)
        result, used = out if isinstance(out, tuple) else (out, np.nan)
        row = {name: float(value)}
        for field in _FIELDS:
            if not hasattr(result, field):
                raise MetaattError(f"analysis: the result has no field {field!r}")
            row[field] = getattr(result, field)
        row["n_assumed"] = used
        row["notes"] = "; ".join(dict.fromkeys(str(w.message) for w in caught))
        synthetic = synthetic or bool(getattr(result, "synthetic", False))
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update(assumption=name, synthetic=synthetic)
    return table
