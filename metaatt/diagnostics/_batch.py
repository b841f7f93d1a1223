"""Many refits of one model at once: every leave-one-out subset, or every cumulative prefix.

Both sensitivity analyses refit the user's model (same tau^2 method, test and level) to
``B`` subsets of its studies. The subsets are expressed as a ``(B, k)`` 0/1 mask over the
same ``k`` studies and fitted as one batched :class:`~metaatt._wls.Design`: no Python loop
over studies. Very large ``k`` is processed in chunks of analyses so that the ``B x k``
arrays stay within :data:`MAX_CELLS` numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._fit import ModelFit, fit_model
from .._wls import Design
from ..bias._common import ModelSpec, model_spec

__all__ = ["MAX_CELLS", "SubsetFits", "fit_subsets", "spec_of"]

#: largest number of cells (analyses x studies x coefficients) fitted in one batch
MAX_CELLS = 4_000_000


def spec_of(result: Any, function: str) -> ModelSpec:
    """The fitted model behind ``result`` (see :func:`metaatt.bias._common.model_spec`)."""
    return model_spec(result, function)


@dataclass(frozen=True)
class SubsetFits:
    """Per-subset results (leading axis: subset) of refitting a model."""

    coef: np.ndarray  # (B, p)
    vcov: np.ndarray  # (B, p, p)
    df: np.ndarray  # (B,)
    tau2: np.ndarray
    qe: np.ndarray
    qe_df: np.ndarray
    qe_pval: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    scale: np.ndarray  # Knapp-Hartung factor s2w (1 without it)
    at_boundary: np.ndarray  # tau^2 estimate 0 on the boundary (False for EE / not estimable)
    k: np.ndarray
    ok: np.ndarray  # (B,) False where the subset's model is not estimable

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.einsum("bii->bi", self.vcov))


def _full_rank(X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Whether ``X`` restricted to each subset has full column rank."""
    xtx = np.einsum("bk,ki,kj->bij", mask, X, X)
    return np.linalg.matrix_rank(xtx) == X.shape[1]


def _fit_chunk(spec: ModelSpec, mask: np.ndarray) -> ModelFit:
    B, _k = mask.shape
    y = np.where(mask > 0, spec.yi[None, :], 0.0)
    v = np.where(mask > 0, spec.vi[None, :], 1.0)
    X = None if spec.X is None else np.broadcast_to(spec.X, (B, *spec.X.shape))
    design = Design(y, v, mask, X, mask.sum(axis=1).astype(int), spec.p)
    weights = None if spec.user_weights is None else np.tile(spec.user_weights, (B, 1))
    return fit_model(design, spec.method, spec.test, spec.level, weights)


def fit_subsets(spec: ModelSpec, mask: np.ndarray) -> SubsetFits:
    """Refit ``spec``'s model to every subset (row) of ``mask``; NaN where not estimable."""
    mask = np.asarray(mask, dtype=float)
    B = mask.shape[0]
    ok = mask.sum(axis=1) >= spec.p
    if spec.X is not None:
        ok &= _full_rank(spec.X, mask)
    p = spec.p
    out = {
        "coef": np.full((B, p), np.nan),
        "vcov": np.full((B, p, p), np.nan),
        "df": np.full(B, np.nan),
        "tau2": np.full(B, np.nan),
        "qe": np.full(B, np.nan),
        "qe_df": np.full(B, np.nan),
        "qe_pval": np.full(B, np.nan),
        "i2": np.full(B, np.nan),
        "h2": np.full(B, np.nan),
        "scale": np.full(B, np.nan),
        "at_boundary": np.zeros(B, dtype=bool),
    }
    rows = np.flatnonzero(ok)
    chunk = max(1, MAX_CELLS // max(1, mask.shape[1] * p * p))
    for start in range(0, len(rows), chunk):
        idx = rows[start : start + chunk]
        fit = _fit_chunk(spec, mask[idx])
        with np.errstate(invalid="ignore"):
            values = {
                "coef": fit.coef,
                "vcov": fit.vcov,
                "df": fit.df,
                "tau2": fit.tau2,
                "qe": fit.qe,
                "qe_df": fit.qe_df.astype(float),
                "qe_pval": fit.qe_pval,
                "i2": fit.i2,
                "h2": fit.h2,
                "scale": fit.knha_scale,
                "at_boundary": fit.tau2_estimate.at_boundary & (spec.method != "EE"),
            }
        for name, value in values.items():
            out[name][idx] = value
    return SubsetFits(k=mask.sum(axis=1).astype(int), ok=ok, **out)
