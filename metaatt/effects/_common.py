"""Small building blocks shared by the effect-size families."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Estimate", "Flag", "SampleSizes", "by_vtype", "weighted_mean"]


class SampleSizes(tuple):
    """Per-row total sample sizes in ``frame.attrs["ni"]`` (metafor's ``attr(yi, "ni")``).

    An immutable tuple of floats: pandas deep-copies ``attrs`` on nearly every operation,
    which for a plain list costs a Python call per row; this one is shared instead.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> SampleSizes:
        return self


@dataclass(frozen=True)
class Flag:
    """Rows for which a measure is undefined, with the reason shown to the user.

    By default a flag only *explains* rows whose ``yi`` or ``vi`` came out undefined (NaN or
    infinite). With ``force=True`` it declares them missing, like R's ``NA`` in metafor:
    ``scope`` says which of ``"yi"``, ``"vi"`` or ``"both"``. A missing value, unlike a
    computed NaN or infinity, does not take the other quantity with it (metafor keeps an
    estimate without a variance, e.g. a correlation from fewer than 4 pairs, and a ``vtype="AV"``
    variance without an estimate when Hedges' correction is undefined).
    """

    mask: np.ndarray
    reason: str
    scope: str = "both"
    force: bool = False


@dataclass(frozen=True)
class Estimate:
    """Raw output of one measure: estimates, sampling variances and undefined rows."""

    yi: np.ndarray
    vi: np.ndarray
    flags: tuple[Flag, ...] = field(default_factory=tuple)


def by_vtype(vtype: np.ndarray, variants: Mapping[str, Callable[[], np.ndarray]]) -> np.ndarray:
    """Per-row sampling variance chosen by ``vtype``; each variant is computed only if used."""
    out = np.full(len(vtype), np.nan)
    uniform = len(vtype) == 0 or bool((vtype == vtype[0]).all())
    for name in vtype[:1] if uniform else np.unique(vtype):
        rows = vtype == name
        out[rows] = np.broadcast_to(variants[str(name)](), out.shape)[rows]
    return out


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean over the rows with a value (NaN if none), as metafor's ``"AV"`` types.

    Undefined values (NaN) are skipped; an infinite value is kept, so that, as in metafor,
    it makes the mean and hence every ``"AV"`` variance undefined.
    """
    ok = ~np.isnan(values) & ~np.isnan(weights)
    total = weights[ok].sum()
    if not ok.any() or total == 0:
        return float("nan")
    return float((weights[ok] * values[ok]).sum() / total)
