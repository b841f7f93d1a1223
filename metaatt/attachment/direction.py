"""Direction harmonization: positive always means change toward security."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from .instruments import as_registry

__all__ = ["harmonize"]


def harmonize(
    frame: pd.DataFrame, *, instrument: str = "instrument", instruments: Any = None
) -> pd.DataFrame:
    """Flip the sign of effect sizes from instruments where higher scores mean less security.

    Parameters
    ----------
    frame
        An effect-size table with ``yi`` (and optionally ``ci_low`` / ``ci_high``) computed
        on each instrument's own scale (post minus pre, arm minus comparator), and a column
        naming the instrument. It is not modified.
    instrument
        Name of that column.
    instruments
        Instrument registry (default: the built-in one).

    Returns
    -------
    pandas.DataFrame
        A copy with ``yi`` multiplied by the instrument's direction (+1 or -1), CI bounds
        flipped and swapped accordingly, and a ``direction`` column.

    Notes
    -----
    ``yi_harmonized = direction x yi``; e.g. a fall in ECR-R anxiety (negative raw change)
    becomes a positive effect. Categorical instruments (secure counts) have direction +1.
    A table that already has a ``direction`` column is refused, so signs are never flipped
    twice. :func:`metaatt.attachment.effect_sizes` harmonizes by itself.

    References
    ----------
    Fraley, R. C., Waller, N. G., & Brennan, K. A. (2000) (ECR-R scoring: higher = more
    anxious / avoidant).
    """
    if not isinstance(frame, pd.DataFrame):
        raise MetaattError(f"frame: expected a DataFrame, got {type(frame).__name__}")
    if "yi" not in frame.columns:
        raise MetaattError("frame: needs a 'yi' column")
    if instrument not in frame.columns:
        raise MetaattError(f"instrument: column {instrument!r} is not in the table")
    if "direction" in frame.columns:
        raise MetaattError(
            "frame: already has a 'direction' column (harmonized); flipping again would undo it"
        )
    registry = as_registry(instruments)
    direction = np.array(
        [registry.get(str(name)).direction for name in frame[instrument]], dtype=float
    )
    out = frame.copy()
    out["yi"] = out["yi"].to_numpy(dtype=float) * direction
    if {"ci_low", "ci_high"} <= set(out.columns):
        low = out["ci_low"].to_numpy(dtype=float) * direction
        high = out["ci_high"].to_numpy(dtype=float) * direction
        out["ci_low"], out["ci_high"] = np.minimum(low, high), np.maximum(low, high)
    out["direction"] = direction.astype(int)
    return out
