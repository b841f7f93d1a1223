"""``multilevel``: the three-level model for effects nested in studies.

metafor's ``rma.mv(yi, vi, random = ~ 1 | study/es_id)``: every effect has its sampling
error, a within-study (level 2) random effect and a between-study (level 3) random effect.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ._coefficients import resolve_btt, wald_test
from ._fit import critical_value, two_sided_p
from ._inputs import read_effects, resolve_column
from ._nested import NestedStructure
from ._validate import check_choice, check_labels, check_level
from ._variance_components import maximize, profile_interval
from .errors import BoundaryWarning, MetaattError
from .formula import check_full_rank
from .multilevel_result import MultilevelResult
from .regression import read_moderator_inputs

__all__ = ["multilevel"]


def _codes(
    values: Any, name: str, data: pd.DataFrame | None, n_rows: int
) -> tuple[np.ndarray, list]:
    values = resolve_column(values, name, data)
    series = check_labels(values, name)
    if len(series) != n_rows:
        raise MetaattError(f"{name}: {len(series)} values for {n_rows} effect sizes")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = codes.astype(float)
    codes[codes < 0] = np.nan
    return codes, list(uniques)


def multilevel(
    yi: Any,
    vi: Any = None,
    *,
    study: Any,
    es_id: Any = None,
    sei: Any = None,
    method: str = "REML",
    data: pd.DataFrame | None = None,
    mods: Any = None,
    intercept: bool = True,
    test: str = "z",
    level: float = 0.95,
    btt: Any = None,
    labels: Any = None,
    missing: str = "raise",
    profile: bool = True,
    allow_mixed_metrics: bool = False,
) -> MultilevelResult:
    """Three-level meta-analysis (effect sizes within studies), optionally with moderators.

    Parameters
    ----------
    yi, vi, sei
        Effect sizes and sampling variances (or standard errors): arrays, column names of
        ``data``, or an effect-size table as ``yi``.
    study
        Study (level-3 cluster) of every effect size: array or column name.
    es_id
        Effect-size identifier within studies (level-2 unit); default: every row is its
        own unit. Rows sharing ``(study, es_id)`` share the level-2 random effect.
    method
        ``"REML"`` (default) or ``"ML"``.
    data, mods, intercept, btt
        Table for column names; moderators as in :func:`metaatt.meta_regression`.
    test
        ``"z"`` or ``"t"`` (t with ``k - p`` df, metafor's ``test = "t"``).
    level
        Confidence level of every interval.
    labels, missing
        Labels of the effect sizes; ``"raise"`` or ``"exclude"`` rows with missing values.
    profile
        Compute profile-likelihood CIs of both variance components (default True).
    allow_mixed_metrics
        As in :func:`metaatt.pool`: a table whose ``metric`` column mixes metrics is
        refused unless ``True``.

    Returns
    -------
    MultilevelResult
        Coefficients (``estimate``, ``se``, ``ci_low``, ``ci_high``, ...), ``sigma2``
        (between-study, within-study) with profile-likelihood CIs, I^2 per level,
        ``loglik``, Q test, prediction interval and ``predict(newmods)``.

    Notes
    -----
    ``y_ij = x_ij' beta + u_i + w_ij + e_ij`` with ``u_i ~ N(0, sigma2_1)`` (between
    studies), ``w_ij ~ N(0, sigma2_2)`` (within studies) and ``e_ij ~ N(0, v_ij)``. The
    (restricted) log-likelihood, with metafor's constants, is
    ``-1/2 [(k - p) log 2 pi - log|X'X| + log|V| + log|X'V^{-1}X| + r'V^{-1}r]`` (REML) or
    ``-1/2 [k log 2 pi + log|V| + r'V^{-1}r]`` (ML), maximised over the two variance
    components with the analytic score (see :mod:`metaatt._nested`,
    :mod:`metaatt._variance_components`); ``b = (X'V^{-1}X)^{-1} X'V^{-1}y``.
    I^2 per level: ``100 sigma2_l / (sigma2_1 + sigma2_2 + s2)`` with the typical sampling
    variance ``s2 = (k - p) / tr(P)``, ``P = W - WX(X'WX)^{-1}X'W``, ``W = diag(1/v)``
    (Cheung 2014; metafor's FAQ "I^2 for multilevel and multivariate models"). The
    prediction interval is ``b +/- crit sqrt(se^2 + sigma2_1 + sigma2_2)``. Profile
    likelihood CIs: the values of ``sigma2_l`` where the log-likelihood maximised over the
    other component is ``chi2_{1, level} / 2`` below the maximum.

    References
    ----------
    Konstantopoulos, S. (2011). Fixed effects and variance components estimation in
    three-level meta-analysis. Research Synthesis Methods, 2, 61-76. Cheung, M. W.-L.
    (2014). Modeling dependent effect sizes with three-level meta-analyses: A structural
    equation modeling approach. Psychological Methods, 19, 211-229. Viechtbauer, W.
    (2010). Conducting meta-analyses in R with the metafor package. JSS, 36(3).

    Examples
    --------
    Konstantopoulos (2011), schools within districts (reference-cases.md case 16):

    >>> import metaatt, pandas as pd
    >>> dat = metaatt.datasets.load("konstantopoulos2011")  # doctest: +SKIP
    >>> res = metaatt.multilevel("yi", "vi", study="district", data=dat)  # doctest: +SKIP
    >>> print(f"{res.estimate:.4f} {res.se:.4f} {res.sigma2[0]:.4f} {res.sigma2[1]:.4f}")  # doctest: +SKIP
    0.1847 0.0846 0.0651 0.0327
    """
    method = check_choice(method, "method", ("REML", "ML"))
    test = check_choice(test, "test", ("z", "t"))
    level = check_level(level)
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    table = data if data is not None else (yi if isinstance(yi, pd.DataFrame) else None)
    n_rows = len(table) if table is not None else len(np.atleast_1d(np.asarray(yi, dtype=object)))
    study_codes, study_levels = _codes(study, "study", table, n_rows)
    extra: dict[str, Any] = {"study": study_codes}
    es_levels: list = []
    if es_id is not None:
        es_codes, es_levels = _codes(es_id, "es_id", table, n_rows)
        extra["es_id"] = es_codes
    if mods is None:
        inputs, extras = read_effects(
            yi,
            vi,
            sei=sei,
            data=data,
            labels=labels,
            missing=missing,
            extra=extra,
            allow_mixed_metrics=allow_mixed_metrics,
        )
        X = np.ones((inputs.k, 1))
        moderators = None
        names: tuple[str, ...] = ("intrcpt",)
        has_intercept = True
    else:
        inputs, extras, moderators = read_moderator_inputs(
            yi,
            vi,
            mods,
            sei=sei,
            data=data,
            labels=labels,
            missing=missing,
            intercept=intercept,
            extra=extra,
            allow_mixed_metrics=allow_mixed_metrics,
        )
        X, names, has_intercept = moderators.X, moderators.names, moderators.intercept
    k, p = X.shape
    s_code = extras["study"].astype(int)
    _, s_code = np.unique(s_code, return_inverse=True)
    if "es_id" in extras:
        pairs = np.column_stack([s_code, extras["es_id"].astype(int)])
        _, c_code = np.unique(pairs, axis=0, return_inverse=True)
        c_code = c_code.ravel()
    else:
        c_code = np.arange(k)
    n_studies = int(s_code.max()) + 1
    n_clusters = int(c_code.max()) + 1
    if n_studies < 2:
        raise MetaattError(
            "study: all effect sizes come from one study; the between-study variance needs "
            "at least two studies"
        )
    if n_clusters == n_studies:
        raise MetaattError(
            "study: every study contributes a single effect size (or es_id does not vary "
            "within studies), so the between- and within-study variances cannot be told "
            "apart; use pool() for a two-level model"
        )
    if k <= p:
        raise MetaattError(f"mods: {p} coefficients but only {k} effect sizes")
    check_full_rank(X, names)
    btt_idx = resolve_btt(btt, names, has_intercept)

    structure = NestedStructure(inputs.yi, inputs.vi, X, s_code, c_code)
    maximum = maximize(structure, method)
    sigma2 = maximum.sigma2
    notes: list[str] = []
    level_names = ("between-study", "within-study")
    at_zero = tuple(bool(s <= 0.0) for s in sigma2)
    for name, zero in zip(level_names, at_zero, strict=True):
        if zero:
            message = f"the {method} estimate of the {name} variance is 0 (boundary of the parameter space)"
            warnings.warn(message, BoundaryWarning, stacklevel=2)
            notes.append(message)
    if profile:
        bounds = [profile_interval(structure, method, maximum, j, level) for j in (0, 1)]
        ci_low = np.array([b[0] for b in bounds])
        ci_high = np.array([b[1] for b in bounds])
    else:
        ci_low = ci_high = np.full(2, np.nan)

    coef = maximum.parts.coef
    vcov = maximum.parts.vcov
    se = np.sqrt(np.diag(vcov))
    ddf = float(k - p) if test == "t" else np.inf
    crit = float(critical_value(level, ddf))
    statistic = coef / se
    pval = two_sided_p(statistic, ddf)
    qm, qm_pval = wald_test(coef, vcov, btt_idx, ddf)
    s2 = (k - p) / structure.fixed_effects_trace()
    total = sigma2.sum() + s2
    qe = structure.qe()
    n_par = p + 2
    n_eff = k - p if method == "REML" else k
    loglik = maximum.parts.loglik
    aicc_n = max(n_eff, n_par + 2)
    intercept_only = p == 1 and has_intercept
    se_pi = np.sqrt(se[0] ** 2 + sigma2.sum())
    scalar = (lambda a: float(a[0])) if intercept_only else (lambda a: np.asarray(a))
    return MultilevelResult(
        method=method,
        test=test,
        level=level,
        k=k,
        p=p,
        n_studies=n_studies,
        n_clusters=n_clusters,
        coef_names=tuple(names),
        coef=coef,
        estimate=float(coef[0]),
        se=scalar(se),
        statistic=scalar(statistic),
        df=ddf,
        pval=scalar(pval),
        ci_low=scalar(coef - crit * se),
        ci_high=scalar(coef + crit * se),
        pi_low=float(coef[0] - crit * se_pi) if intercept_only else np.nan,
        pi_high=float(coef[0] + crit * se_pi) if intercept_only else np.nan,
        vcov=vcov,
        sigma2=sigma2,
        sigma2_ci_low=ci_low,
        sigma2_ci_high=ci_high,
        sigma2_at_boundary=at_zero,
        i2=float(100.0 * sigma2.sum() / total),
        i2_levels=100.0 * sigma2 / total,
        s2=float(s2),
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * n_par,
        bic=-2.0 * loglik + n_par * np.log(n_eff),
        aicc=-2.0 * loglik + 2.0 * n_par * aicc_n / (aicc_n - n_par - 1),
        qe=qe,
        qe_df=k - p,
        qe_pval=float(special.chdtrc(k - p, qe)),
        qm=float(qm),
        qm_df=len(btt_idx),
        qm_df2=ddf,
        qm_pval=float(qm_pval),
        btt=btt_idx,
        iterations=maximum.iterations,
        yi=inputs.yi,
        vi=inputs.vi,
        X=X,
        study=tuple(str(study_levels[int(c)]) for c in extras["study"]),
        es_id=tuple(str(es_levels[int(c)]) for c in extras["es_id"]) if "es_id" in extras else None,
        labels=inputs.labels,
        data=inputs.data,
        excluded=inputs.excluded,
        intercept=has_intercept,
        measure=inputs.measure,
        synthetic=inputs.synthetic,
        notes=tuple(notes),
        _structure=structure,
        _moderators=moderators,
    )
