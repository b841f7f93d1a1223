"""``subgroup_analysis``: pooled results per subgroup and the test for subgroup differences."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ._coefficients import wald_contrast
from ._fit import critical_value, fit_model, two_sided_p
from ._fit_checks import report_fit, single_study
from ._inputs import read_effects, resolve_column
from ._pooled import pooled_statistics
from ._validate import check_choice, check_labels, check_level
from ._wls import Design
from .errors import MetaattError, MetaattWarning
from .pooling import normalize_method, normalize_test
from .results import PoolResult
from .subgroup_result import SubgroupResult

__all__ = ["subgroup_analysis"]

GROUP_COLUMNS = (
    "k",
    "estimate",
    "se",
    "statistic",
    "pval",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "q",
    "q_df",
    "q_pval",
)


def _group_codes(groups: Any, data: pd.DataFrame | None, n_rows: int) -> tuple[np.ndarray, list]:
    """Float codes (NaN where missing) and the ordered group levels."""
    table = data
    values = resolve_column(groups, "groups", table)
    if values is None:
        raise MetaattError("groups: a subgroup label for every study is required")
    series = check_labels(values, "groups")
    if len(series) != n_rows:
        raise MetaattError(f"groups: {len(series)} labels for {n_rows} studies")
    missing = series.isna().to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [lv for lv in series.cat.categories if (series == lv).any()]
    else:
        present = series[~missing].unique().tolist()
        try:
            levels = sorted(present)
        except TypeError:
            levels = sorted(present, key=str)
    position = {level: i for i, level in enumerate(levels)}
    codes = np.array(
        [np.nan if miss else position[value] for value, miss in zip(series, missing, strict=True)],
        dtype=float,
    )
    return codes, levels


def subgroup_analysis(
    yi: Any,
    vi: Any = None,
    groups: Any = None,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    method: str = "REML",
    tau2: str = "separate",
    test: str = "z",
    level: float = 0.95,
    labels: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
) -> SubgroupResult:
    """Pool each subgroup and test whether the subgroup effects differ.

    Parameters
    ----------
    yi, vi, sei
        Effect sizes and sampling variances (or standard errors): arrays, column names of
        ``data``, or an effect-size table as ``yi``.
    groups
        Subgroup label of every study (array or column name). Levels are ordered as the
        categories of a categorical column, otherwise sorted.
    method, test, level
        As in :func:`metaatt.pool` (``test="hksj"`` is Knapp-Hartung).
    tau2
        ``"separate"``: each subgroup gets its own tau^2 (one ``pool`` per subgroup);
        ``"common"``: one tau^2 shared by all subgroups (a meta-regression on the subgroup
        dummies).
    labels, missing
        Study labels; ``"raise"`` or ``"exclude"`` rows with missing values (a missing
        subgroup label counts as missing).
    allow_mixed_metrics
        As in :func:`metaatt.pool`: a table whose ``metric`` column mixes metrics is
        refused unless ``True`` (checked over all analysed studies, not per subgroup).

    Returns
    -------
    SubgroupResult
        ``groups`` (DataFrame indexed by subgroup: k, estimate, se, statistic, pval,
        ci_low, ci_high, pi_low, pi_high, tau2, i2, q, q_df, q_pval), ``q_between``,
        ``q_between_df``, ``q_between_pval``, the ``overall`` :class:`PoolResult`, and
        ``forest_frame()`` with the ``"subgroups"`` layout.

    Notes
    -----
    Separate tau^2: the subgroup estimates ``b_g`` with standard errors ``s_g`` are compared
    with a common-effect model, ``Q_between = sum w_g (b_g - b_w)^2`` with ``w_g = 1/s_g^2``
    and ``b_w = sum w_g b_g / sum w_g``, on ``G - 1`` df (Borenstein et al. 2009, ch. 19;
    metafor's recommended ``rma(b_g, sei = s_g, mods = ~ group, method = "FE")``).
    Common tau^2: the model ``y_i = mu_g(i) + u_i + e_i`` is fitted once; the group means
    and their CIs come from it, and the test of ``mu_1 = ... = mu_G`` is its omnibus Wald
    test (``QM`` on ``G - 1`` df, or ``F(G - 1, k - G)`` under Knapp-Hartung), identical to
    metafor's ``rma(yi, vi, mods = ~ factor(group))``. Within-subgroup ``q`` is Cochran's Q
    of the subgroup; with a common tau^2, ``i2`` is ``100 tau2 / (tau2 + s2_g)`` with the
    subgroup's typical within-study variance ``s2_g``.

    Warnings as in :func:`metaatt.pool`, naming the subgroups concerned and recorded in
    ``notes``: ``BoundaryWarning`` (tau^2 = 0), ``MultimodalLikelihoodWarning``,
    ``DegenerateStatisticWarning`` (zero Knapp-Hartung scale) and
    ``HeterogeneityUndefinedWarning`` (single-study subgroups). The overall model's
    situations are recorded in ``overall.notes`` without a warning.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis, ch. 19. Wiley. Viechtbauer, W. (2010). Conducting
    meta-analyses in R with the metafor package. Journal of Statistical Software, 36(3).
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    mode = check_choice(tau2, "tau2", ("separate", "common"))
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    table = data if data is not None else (yi if isinstance(yi, pd.DataFrame) else None)
    n_rows = len(table) if table is not None else len(np.atleast_1d(np.asarray(yi, dtype=object)))
    codes, levels = _group_codes(groups, table, n_rows)
    inputs, extras = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        extra={"groups": codes},
        allow_mixed_metrics=allow_mixed_metrics,
    )
    code = extras["groups"].astype(int)
    present = np.unique(code)
    levels = [levels[i] for i in present]
    code = np.searchsorted(present, code)
    names = [str(level) for level in levels]
    if len(names) < 2:
        only = f" ({names[0]!r})" if names else ""
        raise MetaattError(
            f"groups: only one subgroup{only} among the analysed studies; a subgroup "
            "analysis needs at least two groups to compare"
        )
    if len(set(names)) != len(names):
        raise MetaattError(f"groups: labels {levels} are not distinct as text")

    if mode == "common" and inputs.k <= len(names):
        raise MetaattError(
            f"groups: {inputs.k} studies in {len(names)} subgroups; a common tau^2 needs more "
            "studies than subgroups"
        )
    notes: list[str] = []
    yi_g = [inputs.yi[code == g] for g in range(len(names))]
    vi_g = [inputs.vi[code == g] for g in range(len(names))]
    sizes = np.array([len(y) for y in yi_g])
    # within-group heterogeneity (model-free) from a common-effect fit per group
    within = fit_model(Design.padded(yi_g, vi_g), "EE", "z", level)
    singles = [n for n, size in zip(names, sizes, strict=True) if size == 1]
    separate = mode == "separate"
    single_study(
        singles,
        notes,
        tau2_zero=separate and method != "EE",
        test=test if separate else "z",
    )

    if separate:
        table_g, between, study_weights = _separate(
            yi_g, vi_g, code, names, method, test, level, notes
        )
    else:
        table_g, between, study_weights = _common(
            inputs, code, len(names), method, test, level, notes
        )
    table_g["k"] = sizes
    table_g["q"] = within.qe
    table_g["q_df"] = np.maximum(sizes - 1, 0)
    table_g["q_pval"] = np.where(sizes > 1, within.qe_pval, np.nan)
    if mode == "common":
        with np.errstate(invalid="ignore", divide="ignore"):
            table_g["i2"] = np.where(
                sizes > 1, 100.0 * table_g["tau2"] / (table_g["tau2"] + within.s2), np.nan
            )
        if method == "EE":
            table_g["i2"] = within.i2
    frame = pd.DataFrame(
        {c: table_g[c] for c in GROUP_COLUMNS}, index=pd.Index(names, name="group")
    )
    frame["k"] = frame["k"].astype(int)
    frame["q_df"] = frame["q_df"].astype(int)

    overall = _overall(inputs, method, test, level)
    group_of = tuple(names[g] for g in code)
    return SubgroupResult(
        method=method,
        test=test,
        level=level,
        tau2_mode=mode,
        k=inputs.k,
        groups=frame,
        q_between=between[0],
        q_between_df=len(names) - 1,
        q_between_df2=between[1],
        q_between_pval=between[2],
        overall=overall,
        group_of=group_of,
        study_weights=study_weights,
        yi=inputs.yi,
        vi=inputs.vi,
        labels=inputs.labels,
        data=inputs.data.assign(group=list(group_of))
        if "group" not in inputs.data
        else inputs.data,
        excluded=inputs.excluded,
        measure=inputs.measure,
        synthetic=inputs.synthetic,
        notes=tuple(notes),
    )


def _separate(yi_g, vi_g, code, names, method, test, level, notes):
    design = Design.padded(yi_g, vi_g)
    fit = fit_model(design, method, test, level)
    report_fit(
        fit,
        notes,
        consequence="their random-effects models reduce to the common-effect model",
        names=names,
        stacklevel=4,
    )
    stats = pooled_statistics(fit, level)
    table = {c: stats[c] for c in GROUP_COLUMNS if c in stats}
    table["tau2"] = np.where(design.k > 1, fit.tau2, 0.0) if method != "EE" else np.zeros(len(yi_g))
    # test for subgroup differences: common-effect model on the subgroup estimates
    est, se = stats["estimate"], stats["se"]
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero Knapp-Hartung SE: NaN
        w = 1.0 / se**2
        mean = np.sum(w * est) / np.sum(w)
        q = float(np.sum(w * (est - mean) ** 2))
    pval = float(special.chdtrc(len(est) - 1, q))
    weights = fit.weights * design.mask
    weights = 100.0 * weights / weights.sum(axis=1, keepdims=True)
    study_weights = np.empty(len(code))
    # padded rows hold group after group, each in study order
    study_weights[np.argsort(code, kind="stable")] = weights[design.mask > 0]
    return table, (q, np.inf, pval), study_weights


def _common(inputs, code, n_groups, method, test, level, notes):
    X = (code[:, None] == np.arange(n_groups)[None, :]).astype(float)
    design = Design.single(inputs.yi, inputs.vi, X)
    fit = fit_model(design, method, test, level)
    report_fit(
        fit,
        notes,
        subject="the common tau^2",
        consequence="the subgroup means are common-effect estimates",
        stacklevel=4,
    )
    coef, vcov, ddf = fit.coef[0], fit.vcov[0], float(fit.df[0])
    se = np.sqrt(np.diag(vcov))
    crit = float(critical_value(level, ddf))
    tau2 = float(fit.tau2[0])
    se_pi = np.sqrt(se**2 + tau2)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero Knapp-Hartung SE
        statistic = coef / se
    table = {
        "estimate": coef,
        "se": se,
        "statistic": statistic,
        "pval": two_sided_p(statistic, ddf),
        "ci_low": coef - crit * se,
        "ci_high": coef + crit * se,
        "pi_low": coef - crit * se_pi,
        "pi_high": coef + crit * se_pi,
        "tau2": np.full(n_groups, tau2),
    }
    L = np.hstack([-np.ones((n_groups - 1, 1)), np.eye(n_groups - 1)])
    stat, pval = wald_contrast(coef, vcov, L, ddf)
    a = fit.weights[0]
    study_weights = 100.0 * a / np.bincount(code, weights=a, minlength=n_groups)[code]
    return table, (stat, ddf, pval), study_weights


def _overall(inputs, method, test, level) -> PoolResult:
    """The model over all subgroups; its situations are noted in its ``notes`` only (the
    warnings of a subgroup analysis are about the subgroups)."""
    fit = fit_model(Design.single(inputs.yi, inputs.vi), method, test, level)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaattWarning)
        report_fit(fit, notes)
    return PoolResult.from_fit(
        fit,
        notes=tuple(notes),
        yi=inputs.yi,
        vi=inputs.vi,
        labels=inputs.labels,
        data=inputs.data,
        excluded=inputs.excluded,
        measure=inputs.measure,
        synthetic=inputs.synthetic,
    )
