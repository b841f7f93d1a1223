"""Effect-size metrics, and the refusal to pool different metrics in one model.

Effect-size tables made by :mod:`metaatt.extract` and :mod:`metaatt.attachment` carry a
``metric`` column naming the scale of ``yi``. Two rows can be pooled only if they share it:
a change-score d_z and a raw-score standardized change are different quantities
(``d_z = d_raw / sqrt(2 (1 - r))``), so mixing them inflates effects when r > .5 (Morris &
DeShon 2002); a conditional (McNemar) odds ratio is not a marginal one. Models call
:func:`check_metric_mix` through :func:`metaatt._inputs.read_effects`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError

__all__ = ["METRICS", "METRIC_COLUMN", "check_metric_mix"]

METRIC_COLUMN = "metric"

#: known metrics and what they measure (user-defined metric names are allowed too)
METRICS: dict[str, str] = {
    "d_raw_change": "within-group standardized mean change, raw-score SD (SMCR, d_av, d_rm, "
    "latent d from paired categorical data)",
    "d_z": "within-group change standardized by the SD of change scores (SMCC, paired t)",
    "d_between_post": "between-group standardized mean difference (e.g. at post-test)",
    "d_ppc": "pre-post-control difference in standardized change (Morris 2008)",
    "log_or_paired": "marginal log odds ratio of paired binary data (MPOR, MPORM)",
    "log_or_conditional": "conditional (McNemar) log odds ratio of paired data (MPORC)",
    "rd_paired": "marginal risk difference of paired binary data (MPRD)",
    "log_or": "log odds ratio of independent groups",
    "log_rr": "log risk ratio of independent groups",
    "rd": "risk difference of independent groups",
    "md": "raw mean difference",
    "r": "correlation coefficient",
    "z": "Fisher's z-transformed correlation",
    "d": "standardized mean difference of unspecified design",
    "generic": "an estimate of unspecified metric (from a confidence interval)",
}

_WHY = {
    frozenset({"d_z", "d_raw_change"}): (
        "change-score d_z and raw-score standardized change are on different scales "
        "(d_z = d_raw / sqrt(2(1 - r))); mixing them inflates effects when r > .5 "
        "(Morris & DeShon 2002)"
    ),
    frozenset({"log_or_paired", "log_or_conditional"}): (
        "a conditional (McNemar) odds ratio is a within-person effect and is larger than "
        "the marginal odds ratio of the same data"
    ),
}


def _rows(mask: np.ndarray, labels: Sequence[str]) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(f"{i + 1} ({labels[i]})" for i in idx[:4])
    return shown + (f" and {len(idx) - 4} more" if len(idx) > 4 else "")


def check_metric_mix(
    data: pd.DataFrame | None,
    included: np.ndarray,
    labels: Sequence[Any],
    *,
    allow_mixed_metrics: bool = False,
) -> None:
    """Raise a :class:`MetaattError` if the included rows carry different metrics.

    Parameters
    ----------
    data
        The effect-size table (or ``None``: nothing to check).
    included
        Boolean mask of the rows that enter the model.
    labels
        Study labels, for the message.
    allow_mixed_metrics
        ``True`` skips the check (the caller takes responsibility).

    Notes
    -----
    Rows whose metric is missing are not checked. Metric names are compared exactly.
    """
    if allow_mixed_metrics or data is None or METRIC_COLUMN not in data.columns:
        return
    metric = data[METRIC_COLUMN].to_numpy(dtype=object)
    known = np.array([not pd.isna(m) and str(m).strip() != "" for m in metric], dtype=bool)
    use = np.asarray(included, dtype=bool) & known
    values = sorted({str(m) for m in metric[use]})
    if len(values) <= 1:
        return
    labels = [str(x) for x in labels]
    listing = "; ".join(
        f"{m!r}: rows {_rows(use & (metric.astype(str) == m), labels)}" for m in values
    )
    why = _WHY.get(frozenset(values[:2]), "") if len(values) == 2 else ""
    raise MetaattError(
        f"metric: the effect sizes mix {len(values)} metrics ({listing}); rows on different "
        "scales cannot be pooled in one model"
        + (f": {why}" if why else "")
        + ". Analyse one metric at a time (e.g. es[es.metric == 'd_raw_change']), convert "
        "to a common metric, or pass allow_mixed_metrics=True to pool anyway"
    )
