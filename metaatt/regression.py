"""``meta_regression``: mixed-effects meta-regression (metafor's ``rma(yi, vi, mods = ...)``)."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ._coefficients import resolve_btt, wald_test
from ._fit import ModelFit, fit_model
from ._fit_checks import report_fit
from ._inputs import EffectInputs, read_effects
from ._validate import check_level, describe_row, first_bad
from ._wls import Design
from .errors import BoundaryWarning, MetaattError
from .formula import ModeratorMatrix, build_moderators, check_full_rank
from .pooling import normalize_method, normalize_test
from .qprofile import q_profile_interval
from .regression_result import MetaRegressionResult

__all__ = ["adjusted_r2", "meta_regression", "pseudo_r2", "read_moderator_inputs"]


def _input_rows(yi: Any, data: pd.DataFrame | None) -> tuple[pd.DataFrame | None, int]:
    """The table formulas are evaluated in, and the number of input rows."""
    table = data if data is not None else (yi if isinstance(yi, pd.DataFrame) else None)
    if table is not None:
        if not isinstance(table, pd.DataFrame):
            raise MetaattError(f"data: expected a pandas DataFrame, got {type(table).__name__}")
        return table, len(table)
    return None, len(np.atleast_1d(np.asarray(yi, dtype=object)))


def read_moderator_inputs(
    yi: Any,
    vi: Any,
    mods: Any,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    missing: str = "raise",
    intercept: bool = True,
    extra: dict[str, Any] | None = None,
    allow_mixed_metrics: bool = False,
) -> tuple[EffectInputs, dict[str, np.ndarray], ModeratorMatrix]:
    """Effect sizes and the moderator matrix of the included studies (shared by models).

    Rows with a missing moderator are named in an error (``missing="raise"``) or excluded
    with the reason ``"mods[...] missing"``. The returned matrix holds the included rows.
    """
    table, n_rows = _input_rows(yi, data)
    moderators = build_moderators(mods, data=table, n_rows=n_rows, intercept=intercept)
    X_all = moderators.X
    if moderators.spec is not None:
        # formula: the engine marks rows with any missing variable; name the formula
        flags = {"mods (formula variables)": np.where(np.isnan(X_all).any(axis=1), np.nan, 0.0)}
    else:
        flags = {
            f"mods[{name}]": X_all[:, j]
            for j, name in enumerate(moderators.names)
            if np.isnan(X_all[:, j]).any()
        }
    inputs, extras = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        extra={**flags, **(extra or {})},
        allow_mixed_metrics=allow_mixed_metrics,
    )
    for name in flags:
        extras.pop(name)
    return inputs, extras, dataclasses.replace(moderators, X=X_all[inputs.included])


def pseudo_r2(tau2_intercept_only: float, tau2: float) -> float:
    """metafor's pseudo-R^2 in percent: ``max(0, 100 (tau2_RE - tau2_ME) / tau2_RE)``.

    It is 0 when the intercept-only model already has ``tau2_RE = 0`` (Raudenbush 2009,
    p. 304; metafor's ``R2``). metafor's iterative estimators often stop at a tiny positive
    ``tau2_RE`` (e.g. 1e-14) instead of 0 and then report 100 when ``tau2 = 0``; metaatt's
    root finders return the boundary value 0 exactly, so that case reads 0 here.
    """
    if tau2_intercept_only <= 0:
        return 0.0
    return max(0.0, 100.0 * (tau2_intercept_only - tau2) / tau2_intercept_only)


def adjusted_r2(q_intercept_only: float, qe: float, k: int, p: int) -> float:
    """R^2 (percent) of a fixed-effects meta-regression: the adjusted R^2 of the weighted
    least-squares fit, ``max(0, 1 - (QE / (k - p)) / (Q / (k - 1)))``, with ``Q`` the
    heterogeneity statistic of the intercept-only model (as metafor, which reports the
    adjusted R^2 of ``lm(yi ~ X, weights = 1/vi)``); 0 when all outcomes are equal."""
    if q_intercept_only <= 0:
        return 0.0
    return max(0.0, 100.0 * (1.0 - (qe / (k - p)) / (q_intercept_only / (k - 1))))


def meta_regression(
    yi: Any,
    vi: Any = None,
    mods: Any = None,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    intercept: bool = True,
    btt: Any = None,
    labels: Any = None,
    weights: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
) -> MetaRegressionResult:
    """Fit a mixed-effects (or fixed-effects) meta-regression model.

    Parameters
    ----------
    yi, vi, sei
        Effect sizes and sampling variances (or standard errors): arrays, column names of
        ``data``, or an effect-size table as ``yi``.
    mods
        Moderators: a formula string (``"~ ablat + year"``, evaluated in ``data`` by the
        formula machinery statsmodels brings), column name(s) of ``data``, or a 1-D/2-D
        array or DataFrame (one column per moderator); see :mod:`metaatt.formula`.
    data
        Table for column names and formulas.
    method
        tau^2 estimator (``"REML"``, ``"ML"``, ``"DL"``, ``"PM"``, ``"EB"``, ``"SJ"``, ...)
        or ``"EE"``/``"FE"`` for a fixed-effects meta-regression.
    test
        ``"z"``, ``"t"``, ``"hksj"`` (Knapp-Hartung; metafor's ``knha``) or ``"hksj-adhoc"``.
    level
        Confidence level for every interval.
    intercept
        Add an intercept (first coefficient).
    btt
        Coefficients (names or 0-based positions) tested by the omnibus test; default every
        coefficient except the intercept.
    labels, weights, missing
        Study labels; user weights (``method="GENQ"`` only); ``"raise"`` or ``"exclude"``
        rows with missing values.
    allow_mixed_metrics
        As in :func:`metaatt.pool`: a table whose ``metric`` column mixes metrics (e.g.
        change-score ``d_z`` and raw-score ``d_raw_change``) is refused unless ``True``.

    Returns
    -------
    MetaRegressionResult
        Coefficient table, tau^2 (SE, Q-profile CI), I^2, H^2, pseudo-R^2, QM and QE tests;
        ``predict(newmods)`` for predictions with CI and prediction interval.

    Notes
    -----
    Model ``y_i = x_i' beta + u_i + e_i``, ``u_i ~ N(0, tau^2)``, ``e_i ~ N(0, v_i)``;
    ``b = (X'WX)^{-1} X'Wy`` with ``W = diag(1/(v_i + tau^2))`` and ``Var(b) = (X'WX)^{-1}``
    (multiplied by ``Q_gen / (k - p)`` under Knapp-Hartung, tests then t with ``k - p`` df).
    ``QE = sum (y_i - x_i' b_FE)^2 / v_i`` on ``k - p`` df. ``QM = b_S' Var(b_S)^{-1} b_S``
    (chi^2, or ``QM / m`` against ``F(m, k - p)`` for t-based tests). Residual
    ``I^2 = 100 tau^2 / (tau^2 + s^2)`` with ``s^2 = (k - p) / tr(P)``, ``P`` the
    fixed-effects residual-maker. Pseudo-``R^2 = max(0, (tau^2_RE - tau^2) / tau^2_RE)``
    with ``tau^2_RE`` from the intercept-only model with the same estimator (Raudenbush
    2009); for fixed-effects models ``R^2`` is the adjusted R^2 of the weighted fit
    (:func:`adjusted_r2`). Numerically identical to metafor's ``rma.uni`` with ``mods``.

    Models without an intercept use ``y' P y`` for ``QE`` and the tau^2 estimators.
    metafor 3.8 mean-centres ``yi`` first even without an intercept, which changes ``QE``
    and tau^2 unless the constant lies in the span of ``X`` (e.g. a full set of dummies);
    for such models (regression through the origin) metaatt keeps the textbook definition
    and therefore differs from metafor 3.8.

    As :func:`metaatt.pool`, a residual tau^2 of 0 on the boundary, a likelihood with a
    higher second maximum and a zero Knapp-Hartung scale raise a ``BoundaryWarning``,
    ``MultimodalLikelihoodWarning`` or ``DegenerateStatisticWarning`` and are recorded in
    ``notes`` (see :mod:`metaatt._fit_checks`); a zero covariance matrix leaves the omnibus
    test NaN, as metafor's NA.

    References
    ----------
    Raudenbush, S. W. (2009). Analyzing effect sizes: Random-effects models. In H. Cooper,
    L. V. Hedges, & J. C. Valentine (Eds.), The handbook of research synthesis and
    meta-analysis (2nd ed., pp. 295-315). Knapp, G., & Hartung, J. (2003). Improved tests
    for a random effects meta-regression with a single covariate. Statistics in Medicine,
    22, 2693-2710. Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor
    package. Journal of Statistical Software, 36(3).

    Examples
    --------
    BCG vaccine trials, log risk ratio on absolute latitude and year (metafor's ``rma``
    example: tau^2 0.1108, R^2 64.63%, QE(10) 28.3251):

    >>> import warnings, metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> es = metaatt.escalc("RR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg)
    >>> es["ablat"], es["year"] = bcg.ablat, bcg.year
    >>> res = metaatt.meta_regression("yi", "vi", "~ ablat + year", data=es)
    >>> print(f"{res.tau2:.4f} {res.r2:.2f} {res.qe:.4f}")
    0.1108 64.63 28.3251
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    inputs, extras, moderators = read_moderator_inputs(
        yi,
        vi,
        mods,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        intercept=intercept,
        extra={"weights": weights},
        allow_mixed_metrics=allow_mixed_metrics,
    )
    X = moderators.X
    k, p = X.shape
    if k <= p:
        raise MetaattError(
            f"mods: the model has {p} coefficients ({list(moderators.names)}) but only {k} "
            "studies; a meta-regression needs more studies than coefficients"
        )
    check_full_rank(X, moderators.names)
    user_weights = _user_weights(method, extras.get("weights"), inputs.labels)
    btt_idx = resolve_btt(btt, moderators.names, moderators.intercept)

    design = Design.single(inputs.yi, inputs.vi, X)
    fit = fit_model(design, method, test, level, user_weights)
    notes: list[str] = []
    report_fit(
        fit,
        notes,
        subject="the residual tau^2",
        consequence="the moderators account for all heterogeneity",
    )
    r2, tau2_re = np.nan, np.nan
    if moderators.intercept and p > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)
            base = fit_model(Design.single(inputs.yi, inputs.vi), method, "z", level, user_weights)
        if method == "EE":
            r2 = adjusted_r2(float(base.qe[0]), float(fit.qe[0]), k, p)
        else:
            tau2_re = float(base.tau2[0])
            r2 = pseudo_r2(tau2_re, float(fit.tau2[0]))
    return _build_result(
        fit,
        moderators,
        inputs,
        btt_idx,
        r2=r2,
        tau2_re=tau2_re,
        notes=tuple(notes),
        user_weights=user_weights,
    )


def _user_weights(
    method: str, weights: np.ndarray | None, labels: tuple[str, ...]
) -> np.ndarray | None:
    if method == "GENQ":
        if weights is None:
            raise MetaattError("weights: method 'GENQ' needs a weight for every study")
        if (weights <= 0).any():
            i = first_bad(weights <= 0)
            raise MetaattError(
                f"weights: {describe_row(i, labels)} is {weights[i]:g}; weights must be > 0"
            )
        return weights[None, :]
    if weights is not None:
        raise MetaattError(f"weights: user weights are only used by method 'GENQ', not {method!r}")
    return None


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` without numpy's warnings (a zero Knapp-Hartung SE gives +-inf or NaN, as
    metafor; the DegenerateStatisticWarning explains it)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def _build_result(
    fit: ModelFit,
    moderators: ModeratorMatrix,
    inputs: EffectInputs,
    btt: tuple[int, ...],
    *,
    r2: float,
    tau2_re: float,
    notes: tuple[str, ...],
    user_weights: np.ndarray | None,
) -> MetaRegressionResult:
    level = fit.level
    coef = fit.coef[0]
    vcov = fit.vcov[0]
    se = fit.se[0]
    ddf = float(fit.df[0])
    lo, hi = fit.ci(level)
    qm, qm_pval = wald_test(coef, vcov, btt, ddf)
    interval = q_profile_interval(fit.design, level)
    s2 = float(fit.s2[0])
    t_low, t_high = float(interval.low[0]), float(interval.high[0])
    weights = fit.weights[0]
    k, p = moderators.X.shape
    return MetaRegressionResult(
        method=fit.method,
        test=fit.test,
        level=level,
        k=k,
        p=p,
        coef_names=moderators.names,
        coef=coef,
        se=se,
        statistic=_ratio(coef, se),
        df=ddf,
        pval=fit.pval[0],
        ci_low=lo[0],
        ci_high=hi[0],
        vcov=vcov,
        tau2=float(fit.tau2[0]),
        se_tau2=float(fit.tau2_estimate.se[0]),
        tau2_ci_low=t_low,
        tau2_ci_high=t_high,
        i2=float(fit.i2[0]),
        i2_ci_low=100.0 * t_low / (t_low + s2),
        i2_ci_high=100.0 * t_high / (t_high + s2),
        h2=float(fit.h2[0]),
        r2=float(r2),
        tau2_intercept_only=float(tau2_re),
        qm=float(qm),
        qm_df=len(btt),
        qm_df2=ddf,
        qm_pval=float(qm_pval),
        btt=btt,
        qe=float(fit.qe[0]),
        qe_df=int(fit.qe_df[0]),
        qe_pval=float(fit.qe_pval[0]),
        s2=s2,
        hksj_scale=float(fit.knha_scale[0]),
        tau2_at_boundary=bool(fit.tau2_estimate.at_boundary[0]),
        yi=inputs.yi,
        vi=inputs.vi,
        X=moderators.X,
        weights=100.0 * weights / weights.sum(),
        labels=inputs.labels,
        data=inputs.data,
        excluded=inputs.excluded,
        formula=moderators.formula,
        intercept=moderators.intercept,
        measure=inputs.measure,
        synthetic=inputs.synthetic,
        notes=notes,
        _fit=fit,
        _moderators=moderators,
        _user_weights=user_weights,
    )
