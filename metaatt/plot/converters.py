"""Relabel sensitivity tables as forest frames (pure relabelling, no statistics).

:func:`metaatt.leave_one_out` and :func:`metaatt.cumulative` return one row per refit
(columns ``study``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``tau2``, ``i2``, ...;
``attrs["variant"]`` is ``"leave_one_out"`` or ``"cumulative"``). A forest plot of them
shows one interval per refit: the refit without that study, or with the studies up to and
including it. This module renames columns and sets ``kind``; every number is copied as is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError

__all__ = ["INFLUENCE_VARIANTS", "from_cumulative", "from_influence_table", "from_leave_one_out"]

INFLUENCE_VARIANTS = ("leave_one_out", "cumulative")
_TITLES = {"leave_one_out": "Leave-one-out analysis", "cumulative": "Cumulative meta-analysis"}
_LABEL_HEADERS = {"leave_one_out": "Study omitted", "cumulative": "Study added"}
_COPIED_ATTRS = ("measure", "level", "synthetic", "title", "heterogeneity")


def from_influence_table(table: pd.DataFrame, variant: str | None = None) -> pd.DataFrame:
    """A forest frame from a leave-one-out or cumulative table.

    Parameters
    ----------
    table
        Columns ``study``, ``estimate``, ``ci_low``, ``ci_high`` (any others, e.g. ``se``,
        ``tau2``, ``i2``, are kept as display columns); ``attrs`` may carry ``measure``,
        ``level``, ``synthetic`` and the fit with every study, drawn as a diamond below
        the refits: ``pooled`` (a dict with ``estimate``, ``ci_low``, ``ci_high`` and
        optionally ``label``) or the scalars ``estimate``, ``ci_low``, ``ci_high``.
    variant
        ``"leave_one_out"`` or ``"cumulative"``; default ``table.attrs["variant"]``.

    Returns
    -------
    pandas.DataFrame
        One ``study`` row per refit (label = the study omitted or added, weight NaN), plus
        an optional ``pooled`` row; ``attrs`` keep the table's and set ``variant``,
        ``title`` and ``label_header``.
    """
    if not isinstance(table, pd.DataFrame):
        raise MetaattError(f"table: expected a DataFrame, got {type(table).__name__}")
    variant = variant or table.attrs.get("variant")
    if variant not in INFLUENCE_VARIANTS:
        raise MetaattError(
            f"variant: expected one of {INFLUENCE_VARIANTS} (or attrs['variant']), got {variant!r}"
        )
    missing = [c for c in ("study", "estimate", "ci_low", "ci_high") if c not in table.columns]
    if missing:
        raise MetaattError(f"table: the {variant} table lacks column(s) {missing}")
    if len(table) == 0:
        raise MetaattError(f"table: the {variant} table is empty; there is nothing to draw")
    extra = [c for c in table.columns if c not in ("study", "estimate", "ci_low", "ci_high")]
    frame = pd.DataFrame(
        {
            "label": [str(s) for s in table["study"]],
            "estimate": table["estimate"].to_numpy(dtype=float),
            "ci_low": table["ci_low"].to_numpy(dtype=float),
            "ci_high": table["ci_high"].to_numpy(dtype=float),
            "weight": np.nan,
            "kind": "study",
            "group": None,
        }
    )
    for column in extra:
        if column not in frame.columns:
            frame[column] = table[column].to_numpy()
    pooled = table.attrs.get("pooled")
    if pooled is None and _has_full_fit(table.attrs):
        pooled = {k: table.attrs[k] for k in ("estimate", "ci_low", "ci_high")}
    if pooled is not None:
        frame = pd.concat([frame, _pooled_row(pooled)], ignore_index=True)
    attrs: dict[str, Any] = {k: table.attrs[k] for k in _COPIED_ATTRS if k in table.attrs}
    attrs.setdefault("title", _TITLES[variant])
    attrs.setdefault("heterogeneity", "")
    attrs.update(variant=variant, label_header=_LABEL_HEADERS[variant])
    frame.attrs = attrs
    return frame


def _has_full_fit(attrs: dict[str, Any]) -> bool:
    try:
        values = [float(attrs[k]) for k in ("estimate", "ci_low", "ci_high")]
    except (KeyError, TypeError, ValueError):
        return False
    return bool(np.all(np.isfinite(values)))


def _pooled_row(pooled: Any) -> pd.DataFrame:
    if not isinstance(pooled, dict) or not {"estimate", "ci_low", "ci_high"} <= set(pooled):
        raise MetaattError(
            "table: attrs['pooled'] must be a dict with estimate, ci_low and ci_high"
        )
    return pd.DataFrame(
        [
            {
                "label": str(pooled.get("label", "All studies")),
                "estimate": float(pooled["estimate"]),
                "ci_low": float(pooled["ci_low"]),
                "ci_high": float(pooled["ci_high"]),
                "weight": np.nan,
                "kind": "pooled",
                "group": None,
            }
        ]
    )


def from_leave_one_out(table: pd.DataFrame) -> pd.DataFrame:
    """Forest frame of :func:`metaatt.leave_one_out` output (see :func:`from_influence_table`)."""
    return from_influence_table(table, "leave_one_out")


def from_cumulative(table: pd.DataFrame) -> pd.DataFrame:
    """Forest frame of :func:`metaatt.cumulative` output (see :func:`from_influence_table`)."""
    return from_influence_table(table, "cumulative")
