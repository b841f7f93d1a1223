"""The per-study table every result prints and the study rows of every forest frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["forest_study_rows", "study_table"]


def study_table(
    labels: Sequence[str], yi: np.ndarray, vi: np.ndarray, level: float, weights: np.ndarray
) -> pd.DataFrame:
    """study, yi, vi, se and the study's own Wald interval at ``level``, weight (%).

    Notes
    -----
    ``yi +/- z_{(1 + level)/2} sqrt(vi)`` (as metafor's ``forest`` and ``summary.escalc``).
    """
    import pandas as pd  # loaded when a table is first asked for

    crit = special.ndtri(0.5 + level / 2.0)
    se = np.sqrt(vi)
    return pd.DataFrame(
        {
            "study": list(labels),
            "yi": yi,
            "vi": vi,
            "se": se,
            "ci_low": yi - crit * se,
            "ci_high": yi + crit * se,
            "weight": weights,
        }
    )


def forest_study_rows(studies: pd.DataFrame, **extra: object) -> pd.DataFrame:
    """The ``kind = "study"`` rows of a forest frame from a :func:`study_table`; ``extra``
    adds columns (e.g. ``group=None``)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "label": studies.study,
            "estimate": studies.yi,
            "ci_low": studies.ci_low,
            "ci_high": studies.ci_high,
            "weight": studies.weight,
            "kind": "study",
            **extra,
        }
    )
