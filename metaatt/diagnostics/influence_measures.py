"""Case-deletion influence diagnostics (Viechtbauer & Cheung 2010; metafor's ``influence``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..bias._common import ModelSpec, require_studies
from ._batch import SubsetFits, fit_subsets, spec_of

__all__ = ["coefficient_names", "full_fit_quantities", "influence"]


def coefficient_names(result: Any, p: int) -> list[str]:
    """Names of the model coefficients (``intrcpt`` for the intercept, as metafor)."""
    names = getattr(result, "coef_names", None) or getattr(result, "names", None)
    if names is not None and len(names) == p:
        return [str(n) for n in names]
    return ["intrcpt"] if p == 1 else ["intrcpt", *(f"x{j}" for j in range(1, p))]


def full_fit_quantities(spec: ModelSpec) -> tuple[SubsetFits, np.ndarray, np.ndarray]:
    """The model refitted to all studies, its weights and its hat values."""
    full = fit_subsets(spec, np.ones((1, spec.k)))
    X = spec.design_matrix()
    w = spec.user_weights if spec.user_weights is not None else 1.0 / (spec.vi + full.tau2[0])
    inv = np.linalg.inv(X.T @ (w[:, None] * X))
    hat = w * np.einsum("ki,ij,kj->k", X, inv, X)
    return full, w, hat


def _dfbetas_variance(spec: ModelSpec, X: np.ndarray, tau2_del: np.ndarray) -> np.ndarray:
    """``diag((X' W_(i) X)^{-1})`` with ``W_(i)`` the weights at ``tau2_(i)``, all studies."""
    w = 1.0 / (spec.vi[None, :] + np.nan_to_num(tau2_del)[:, None])  # (k deletions, k)
    xtwx = np.einsum("ki,bk,kj->bij", X, w, X)
    var = np.einsum("bii->bi", np.linalg.inv(xtwx))
    return np.where(np.isfinite(tau2_del)[:, None], var, np.nan)


def influence(result: Any) -> pd.DataFrame:
    """Leave-one-out influence diagnostics, as metafor's ``influence.rma.uni``.

    Parameters
    ----------
    result
        A fitted model (:func:`metaatt.pool`, or a meta-regression result carrying a model
        fit); the deleted fits use its tau^2 method and test.

    Returns
    -------
    pandas.DataFrame
        One row per study: ``study``, ``rstudent`` (externally standardized residual),
        ``dffits``, ``cooks_d``, ``cov_r``, ``tau2_del``, ``qe_del``, ``hat``, ``weight``
        (%), one ``dfbetas_<coef>`` column per coefficient and ``influential`` (metafor's
        ``inf`` marker). ``attrs``: ``variant = "influence"``, ``level``, ``synthetic``,
        ``method``, ``test``. Rows whose deleted model cannot be fitted are NaN.

    Notes
    -----
    With ``b``, ``V = Var(b)`` the full fit, ``b_(i)``, ``V_(i)``, ``tau2_(i)`` the fit
    without study ``i``, ``h_i = w_i x_i'(X'WX)^{-1} x_i`` the hat value and
    ``w_i = 1/(v_i + tau^2)``:

    * ``rstudent_i = (y_i - x_i'b_(i)) / sqrt(s_(i) (v_i + tau2_(i)) + x_i'V_(i) x_i)``
    * ``DFFITS_i = x_i'(b - b_(i)) / sqrt(s_(i) h_i (tau2_(i) + v_i))``
    * ``Cook's D_i = (b - b_(i))' V^{-1} (b - b_(i))``
    * ``COVRATIO_i = det V_(i) / det V``
    * ``DFBETAS_ij = (b_j - b_(i)j) / sqrt(s_(i) [(X'W_(i)X)^{-1}]_jj)`` with
      ``W_(i) = diag(1/(v + tau2_(i)))`` over all ``k`` studies (the analogue of
      Belsley et al.'s deleted scale with the full design, as metafor computes it)

    ``s_(i)`` is the Knapp-Hartung factor of the deleted fit (1 for z tests; ``V`` and
    ``V_(i)`` include it). A study is flagged ``influential`` when ``|DFFITS| > 3 sqrt(p / (k - p))``, the
    chi^2_p CDF at Cook's D exceeds 0.5, ``h_i > 3 p / k``, or any ``|DFBETAS| > 1``.
    All ``k`` deleted fits are one batched fit.

    References
    ----------
    Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
    meta-analysis. Research Synthesis Methods, 1, 112-125. Belsley, D. A., Kuh, E., &
    Welsch, R. E. (1980). Regression diagnostics. Wiley.
    """
    function = "influence"
    spec = spec_of(result, function)
    require_studies(spec.k, spec.p + 1, function, "one more than the number of coefficients")
    X = spec.design_matrix()
    k, p = spec.k, spec.p
    full, w, hat = full_fit_quantities(spec)
    deleted = fit_subsets(spec, 1.0 - np.eye(k))
    b, V = full.coef[0], full.vcov[0]
    diff = b[None, :] - deleted.coef  # (k, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        pred_deleted = np.einsum("ki,ki->k", X, deleted.coef)
        var_pred = np.einsum("ki,kij,kj->k", X, deleted.vcov, X)
        # s = the deleted fit's Knapp-Hartung factor (1 for z tests) scales every variance
        s = deleted.scale
        rstudent = (spec.yi - pred_deleted) / np.sqrt(s * (spec.vi + deleted.tau2) + var_pred)
        dffits = np.einsum("ki,ki->k", X, diff) / np.sqrt(s * hat * (deleted.tau2 + spec.vi))
        cooks = np.einsum("ki,ij,kj->k", diff, np.linalg.inv(V), diff)
        cov_r = np.linalg.det(deleted.vcov) / np.linalg.det(V)
        dfbetas = diff / np.sqrt(s[:, None] * _dfbetas_variance(spec, X, deleted.tau2))
    weight = 100.0 * w / w.sum()
    with np.errstate(invalid="ignore"):
        flagged = (
            (np.abs(dffits) > 3.0 * np.sqrt(p / (k - p)))
            | (special.chdtr(p, cooks) > 0.5)
            | (hat > 3.0 * p / k)
            | (np.abs(dfbetas) > 1.0).any(axis=1)
        )
    frame = pd.DataFrame(
        {
            "study": list(spec.labels),
            "rstudent": rstudent,
            "dffits": dffits,
            "cooks_d": cooks,
            "cov_r": cov_r,
            "tau2_del": deleted.tau2,
            "qe_del": deleted.qe,
            "hat": hat,
            "weight": weight,
        }
    )
    for j, name in enumerate(coefficient_names(result, p)):
        frame[f"dfbetas_{name}"] = dfbetas[:, j]
    frame["influential"] = flagged & deleted.ok
    frame.attrs.update(
        {
            "variant": "influence",
            "level": spec.level,
            "synthetic": spec.synthetic,
            "method": spec.method,
            "test": spec.test,
            "measure": spec.measure,
        }
    )
    return frame
