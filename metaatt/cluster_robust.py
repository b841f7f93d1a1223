"""``robust``: cluster-robust tests and confidence intervals for a fitted model.

metafor's ``robust(x, cluster, adjust = TRUE)`` (CR1) / ``adjust = FALSE`` (CR0) and, with
``clubSandwich = TRUE``, clubSandwich's CR2 estimator with Satterthwaite t tests
(``coef_test``) and the HTZ omnibus test (``Wald_test``). The formulas are in
:mod:`metaatt._sandwich`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ._coefficients import resolve_btt
from ._fit import critical_value, two_sided_p
from ._sandwich import ClusterBlocks, htz_test, sandwich, satterthwaite_df
from ._validate import check_choice, check_labels, check_level, describe_row, first_bad
from .errors import MetaattError, MetaattWarning
from .multilevel_result import MultilevelResult
from .regression_result import MetaRegressionResult
from .results import PoolResult
from .robust_result import RobustResult

__all__ = ["ADJUSTMENTS", "robust"]

ADJUSTMENTS = ("CR2", "CR1", "CR0")


def _cluster_codes(cluster: Any, result: Any) -> np.ndarray:
    """Cluster labels for the analysed rows, as integer codes."""
    data = result.data
    if isinstance(cluster, str):
        if cluster not in data.columns:
            raise MetaattError(
                f"cluster: column {cluster!r} is not in the model's data; available: {list(data.columns)}"
            )
        values = data[cluster].to_numpy(dtype=object)
    else:
        values = check_labels(cluster, "cluster").to_numpy(dtype=object)
        if values.ndim != 1:
            raise MetaattError(f"cluster: expected one label per study, got shape {values.shape}")
        n_all = result.k + len(result.excluded)
        if len(values) == n_all and len(result.excluded):
            keep = np.ones(n_all, dtype=bool)
            keep[np.asarray(result.excluded.row, dtype=int) - 1] = False
            values = values[keep]
        elif len(values) != result.k:
            raise MetaattError(
                f"cluster: {len(values)} labels, but the model analysed {result.k} studies"
                + (f" ({n_all} input rows)" if len(result.excluded) else "")
            )
    missing = pd.isna(pd.Series(values)).to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise MetaattError(f"cluster: {describe_row(i, result.labels)} has no cluster label")
    return pd.factorize(pd.Series(values))[0]


def _model_view(result: Any, codes: np.ndarray):
    """(y, X, coef, names, intercept, phi_block, w_block, codes) in the model's row order."""
    if isinstance(result, MultilevelResult):
        st = result._structure
        s_b, s_w = (float(s) for s in result.sigma2)
        codes = codes[st.order]
        split = pd.DataFrame({"s": st.study, "c": codes}).groupby("s")["c"].nunique()
        if (split > 1).any():
            raise MetaattError(
                "cluster: a study is split across clusters; every cluster must contain whole "
                "studies (the random effects must be nested within the clusters)"
            )

        def phi_block(rows: np.ndarray) -> np.ndarray:
            same_study = st.study[rows][:, :, None] == st.study[rows][:, None, :]
            same_cluster = st.cluster[rows][:, :, None] == st.cluster[rows][:, None, :]
            diag = np.einsum("jk,kl->jkl", st.v[rows], np.eye(rows.shape[1]))
            return diag + s_w * same_cluster + s_b * same_study

        return (
            st.y,
            st.X,
            result.coef,
            result.coef_names,
            result.intercept,
            phi_block,
            lambda rows, phi: np.linalg.inv(phi),
            codes,
        )
    if isinstance(result, MetaRegressionResult):
        X, coef, names, intercept = result.X, result.coef, result.coef_names, result.intercept
        user = result._user_weights
    else:
        X = np.ones((result.k, 1))
        coef, names, intercept = np.array([result.estimate]), ("intrcpt",), True
        user = result._fit.weights[:1] if result.method == "GENQ" else None
    sigma = result.vi + result.tau2
    weights = 1.0 / sigma if user is None else np.asarray(user, dtype=float)[0]

    def diag_block(values: np.ndarray) -> Any:
        return lambda rows, *_: np.einsum("jk,kl->jkl", values[rows], np.eye(rows.shape[1]))

    return (result.yi, X, coef, names, intercept, diag_block(sigma), diag_block(weights), codes)


def robust(
    result: PoolResult | MetaRegressionResult | MultilevelResult,
    *,
    cluster: Any,
    adjust: str = "CR2",
    level: float | None = None,
    btt: Any = None,
) -> RobustResult:
    """Cluster-robust standard errors, tests and CIs for a fitted model.

    Parameters
    ----------
    result
        A result of :func:`metaatt.pool`, :func:`metaatt.meta_regression` or
        :func:`metaatt.multilevel`.
    cluster
        Cluster of every analysed study: an array (one label per analysed study, or per
        input row when studies were excluded) or a column name of the model's data.
    adjust
        ``"CR2"`` (default; bias-reduced linearisation with Satterthwaite df and the HTZ
        omnibus test, as clubSandwich), ``"CR1"`` (metafor's ``robust()`` default: CR0
        times ``J / (J - p)``, t tests with ``J - p`` df) or ``"CR0"`` (no small-sample
        factor; ``J - p`` df).
    level
        Confidence level; the model's by default.
    btt
        Coefficients of the omnibus test (names or 0-based positions); by default the
        model's.

    Returns
    -------
    RobustResult
        Robust ``se``, ``df``, ``statistic``, ``pval``, ``ci_low``, ``ci_high`` (floats for
        intercept-only models, arrays otherwise), ``vcov`` and the omnibus test ``qm`` with
        ``(qm_df, qm_df2)`` df.

    Notes
    -----
    The coefficients stay those of the model; only their covariance is replaced by the
    sandwich ``M (sum_j X_j' W_j A_j e_j e_j' A_j' W_j X_j) M`` (see
    :mod:`metaatt._sandwich`). The working covariance for CR2 is the model's own:
    ``diag(v + tau^2)`` for ``pool``/``meta_regression``, the three-level covariance for
    ``multilevel``. Knapp-Hartung scaling of the model is not used (as metafor).

    References
    ----------
    Hedges, L. V., Tipton, E., & Johnson, M. C. (2010). Robust variance estimation in
    meta-regression with dependent effect size estimates. Research Synthesis Methods, 1,
    39-65. Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for
    cluster-robust variance estimation and hypothesis testing in fixed effects models.
    JBES, 36, 672-683. Tipton, E., & Pustejovsky, J. E. (2015). JEBS, 40, 604-634.
    """
    if not isinstance(result, (PoolResult, MetaRegressionResult, MultilevelResult)):
        raise MetaattError(
            "result: expected the result of pool(), meta_regression() or multilevel(), got "
            f"{type(result).__name__}"
        )
    adjust = check_choice(adjust, "adjust", ADJUSTMENTS)
    level = result.level if level is None else check_level(level)
    codes = _cluster_codes(cluster, result)
    y, X, coef, names, intercept, phi_block, w_block, codes = _model_view(result, codes)
    p = X.shape[1]
    blocks = ClusterBlocks.from_codes(codes)
    J = blocks.n_clusters
    if p >= J:
        raise MetaattError(
            f"cluster: {J} clusters for {p} coefficient(s); cluster-robust inference needs more "
            "clusters than coefficients"
        )
    if btt is None:
        btt_idx = tuple(getattr(result, "btt", (0,)))
    else:
        btt_idx = resolve_btt(btt, names, intercept)
    resid = y - X @ coef
    fit = sandwich(X, resid, blocks, phi_block, w_block, adjust)
    se = np.sqrt(np.diag(fit.vcov))
    if not (se > 0).all():
        j = first_bad(~(se > 0))
        raise MetaattError(
            f"result: the cluster-robust standard error of {names[j]!r} is {se[j]:g} (the "
            "residuals within clusters cancel exactly, e.g. identical effect sizes), so no "
            "robust test is possible"
        )
    statistic = coef / se
    C = np.eye(p)[list(btt_idx)]
    notes: list[str] = []
    if adjust == "CR2":
        df = satterthwaite_df(fit)
        qm, qm_df, qm_df2, wald = htz_test(fit, coef, C)
        if qm_df2 > 0:
            qm_pval = float(special.fdtrc(qm_df, qm_df2, qm))
        else:
            qm, qm_pval = np.nan, np.nan
            message = (
                f"the HTZ omnibus test of {len(btt_idx)} coefficients is undefined with "
                f"{J} clusters (denominator df {qm_df2:.3g} <= 0); its statistic and "
                "p-value are NaN"
            )
            warnings.warn(message, MetaattWarning, stacklevel=2)
            notes.append(message)
    else:
        df = np.full(p, float(J - p))
        Cb = C @ coef
        wald = float(Cb @ np.linalg.solve(C @ fit.vcov @ C.T, Cb))
        qm_df, qm_df2 = float(len(btt_idx)), float(J - p)
        qm = wald / qm_df
        qm_pval = float(special.fdtrc(qm_df, qm_df2, qm))
    pval = np.array([two_sided_p(statistic[i], df[i]) for i in range(p)], dtype=float)
    crit = np.array([critical_value(level, df[i]) for i in range(p)], dtype=float)
    scalar = (
        (lambda a: float(np.asarray(a)[0])) if (p == 1 and intercept) else (lambda a: np.asarray(a))
    )
    return RobustResult(
        adjust=adjust,
        model=type(result).__name__,
        method=result.method,
        level=level,
        k=len(y),
        n_clusters=J,
        coef_names=tuple(names),
        coef=np.asarray(coef, dtype=float),
        estimate=float(coef[0]),
        se=scalar(se),
        statistic=scalar(statistic),
        df=scalar(df),
        pval=scalar(pval),
        ci_low=scalar(coef - crit * se),
        ci_high=scalar(coef + crit * se),
        vcov=fit.vcov,
        qm=float(qm),
        qm_df=float(qm_df),
        qm_df2=float(qm_df2),
        qm_pval=float(qm_pval),
        wald=float(wald),
        btt=btt_idx,
        cluster_sizes=tuple(int(n) for n in np.bincount(codes)),
        notes=tuple(notes),
        excluded=_excluded_of(result),
    )


def _excluded_of(result: Any) -> pd.DataFrame:
    """The model's table of excluded studies (empty when it has none)."""
    excluded = getattr(result, "excluded", None)
    if isinstance(excluded, pd.DataFrame):
        return excluded.copy()
    return pd.DataFrame(columns=["study", "row", "reason"])
