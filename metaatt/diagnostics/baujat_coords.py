"""Baujat plot coordinates: contribution to heterogeneity against influence on the result."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..bias._common import require_studies
from ._batch import fit_subsets, spec_of

__all__ = ["baujat"]


def baujat(result: Any) -> pd.DataFrame:
    """Coordinates of the Baujat plot, as metafor's ``baujat``.

    Parameters
    ----------
    result
        A fitted model (:func:`metaatt.pool`, a meta-regression result, or a
        Mantel-Haenszel / Peto result).

    Returns
    -------
    pandas.DataFrame
        ``study``, ``x`` (the study's contribution to the heterogeneity statistic) and ``y``
        (its influence on the fitted value), one row per study; ``attrs["variant"] =
        "baujat"``.

    Notes
    -----
    For the common-effect model (Baujat et al. 2002) ``x_i = (y_i - b)^2 / v_i``, the
    study's term of Cochran's Q, and ``y_i = (x_i'b - x_i'b_(i))^2 / x_i'V_(i)x_i``, the
    standardized squared change of the fitted value when study ``i`` is left out. For
    random-effects and mixed-effects models the same quantities use the model's own fit:
    ``x_i`` is the squared Pearson residual ``(y_i - x_i'b)^2 / (v_i + tau^2)`` and ``b_(i)``,
    ``V_(i)`` come from the refit without study ``i`` (Viechtbauer 2021). The ``k``
    leave-one-out refits are one batched fit.

    References
    ----------
    Baujat, B., Mahe, C., Pignon, J.-P., & Hill, C. (2002). A graphical method for exploring
    heterogeneity in meta-analyses: application to a meta-analysis of 65 trials. Statistics
    in Medicine, 21, 2641-2652.
    """
    function = "baujat"
    spec = spec_of(result, function)
    require_studies(spec.k, spec.p + 1, function, "one more than the number of coefficients")
    X = spec.design_matrix()
    full = fit_subsets(spec, np.ones((1, spec.k)))
    deleted = fit_subsets(spec, 1.0 - np.eye(spec.k))
    fitted = X @ full.coef[0]
    x = (spec.yi - fitted) ** 2 / (spec.vi + full.tau2[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        fitted_deleted = np.einsum("ki,ki->k", X, deleted.coef)
        var_deleted = np.einsum("ki,kij,kj->k", X, deleted.vcov, X)
        y = (fitted - fitted_deleted) ** 2 / var_deleted
    frame = pd.DataFrame({"study": list(spec.labels), "x": x, "y": y})
    frame.attrs.update({"variant": "baujat", "synthetic": spec.synthetic})
    return frame
