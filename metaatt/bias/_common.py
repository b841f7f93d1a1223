"""What every publication-bias method reads from a fitted model, validated once.

:func:`model_spec` turns a fitted result (a :class:`~metaatt.results.PoolResult`, or any
result carrying a :class:`~metaatt._fit.ModelFit` in ``_fit``, such as a meta-regression)
into a :class:`ModelSpec`: outcomes, sampling variances, the moderator matrix, the tau^2
method, test and level, so that each method refits exactly the model the user fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._fit import ModelFit
from .._validate import as_float_vector, check_same_length, describe_row, first_bad
from ..errors import MetaattError

__all__ = ["ModelSpec", "model_spec", "require_studies", "sample_sizes"]


@dataclass(frozen=True)
class ModelSpec:
    """The data and settings of a fitted model (one analysis)."""

    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray | None  # (k, p) moderators, None for an intercept-only model
    method: str
    test: str
    level: float
    user_weights: np.ndarray | None  # GENQ weights
    labels: tuple[str, ...]
    data: pd.DataFrame | None
    measure: str | None
    synthetic: bool

    @property
    def k(self) -> int:
        return len(self.yi)

    @property
    def p(self) -> int:
        return 1 if self.X is None else self.X.shape[1]

    @property
    def intercept_only(self) -> bool:
        if self.X is None:
            return True
        return self.X.shape[1] == 1 and bool(np.all(self.X[:, 0] == 1.0))

    def design_matrix(self) -> np.ndarray:
        """``X`` with an explicit intercept column for intercept-only models."""
        return np.ones((self.k, 1)) if self.X is None else self.X


def model_spec(result: Any, function: str) -> ModelSpec:
    """Read a fitted model for ``function`` (used in error messages)."""
    fit = getattr(result, "_fit", None)
    if not isinstance(fit, ModelFit):
        raise MetaattError(
            f"{function}: expected a fitted model such as the result of metaatt.pool(), "
            f"got {type(result).__name__}"
        )
    design = fit.design
    if design.y.shape[0] != 1:
        raise MetaattError(f"{function}: the result holds {design.y.shape[0]} analyses, not one")
    keep = design.mask[0] > 0
    yi = design.y[0][keep]
    vi = design.v[0][keep]
    X = None if design.X is None else design.X[0][keep]
    weights = fit.weights[0][keep] if fit.method == "GENQ" else None
    labels = tuple(getattr(result, "labels", None) or (f"Study {i + 1}" for i in range(len(yi))))
    return ModelSpec(
        yi=yi,
        vi=vi,
        X=X,
        method=fit.method,
        test=fit.test,
        level=fit.level,
        user_weights=weights,
        labels=labels,
        data=getattr(result, "data", None),
        measure=getattr(result, "measure", None),
        synthetic=bool(getattr(result, "synthetic", False)),
    )


def require_studies(k: int, needed: int, function: str, why: str = "") -> None:
    """Raise unless at least ``needed`` studies are available."""
    if k < needed:
        reason = f" ({why})" if why else ""
        raise MetaattError(
            f"{function}: needs at least {needed} studies{reason}, but the model has k = {k}"
        )


def require_intercept_only(spec: ModelSpec, function: str) -> None:
    """The method is defined for models without moderators only (as in metafor)."""
    if not spec.intercept_only:
        raise MetaattError(
            f"{function}: only defined for models without moderators (an equal- or "
            "random-effects model); fit the model with metaatt.pool()"
        )


def sample_sizes(spec: ModelSpec, ni: Any, function: str) -> np.ndarray:
    """Per-study sample sizes: ``ni`` (values or a column name), else the analysed data's
    ``ni`` column, else its ``attrs["ni"]`` (as metafor reads ``attr(yi, "ni")``)."""
    if isinstance(ni, str):
        if spec.data is None or ni not in spec.data.columns:
            raise MetaattError(f"ni: column {ni!r} is not in the analysed data")
        ni = spec.data[ni]
    elif ni is None:
        if spec.data is not None and "ni" in spec.data.columns:
            ni = spec.data["ni"]
        elif spec.data is not None and spec.data.attrs.get("ni") is not None:
            ni = spec.data.attrs["ni"]  # sample sizes carried as a table attribute
        else:
            raise MetaattError(
                f"{function}: this predictor needs the sample sizes; pass ni= (one per study) "
                "or analyse an effect-size table with an 'ni' column"
            )
    values = as_float_vector(ni, "ni", labels=spec.labels)
    check_same_length(ni=values, yi=spec.yi)
    if (values <= 0).any():
        i = first_bad(values <= 0)
        raise MetaattError(
            f"ni: {describe_row(i, spec.labels)} is {values[i]:g}; sample sizes must be > 0"
        )
    return values
