"""The analysis steps a spec asks for; each returns a :class:`StepOutput`.

A step calls one public metaatt function (``pool``, ``bayes.pool``, ``subgroup_analysis``,
``meta_regression``, ``egger_test``, ``trim_and_fill``, ``leave_one_out``, ...) on the
effect-size table and turns its result into a tidy table (for reports) and named numbers
(for results.json and the lock file). Steps compute nothing themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from ._context import (
    POOLED_COLUMNS,
    Context,
    Step,
    StepOutput,
    as_frame,
    pool_with,
    pooled_row,
)
from ._numbers import flatten, flatten_frame
from ._parse import AnalysisSpec, Section
from ._robustness import (
    assumption_sensitivity,
    bias_step,
    influence_step,
    leave_one_out_step,
    methods_table,
)

__all__ = ["POOLED_COLUMNS", "Context", "Step", "StepOutput", "plan"]


def plan(spec: AnalysisSpec) -> list[Step]:
    """The steps ``spec`` asks for, in run order (the primary model first)."""
    models = spec.models
    steps = [
        Step(f"pooled.{m}", f"pool ({m})", lambda c, m=m: _pooled(c, m)) for m in models.methods
    ]
    steps += [
        Step(f"bayes.{b.name}", f"Bayesian pool ({b.name})", lambda c, b=b: _bayes(c, b))
        for b in spec.bayes
    ]
    steps += [
        Step(f"subgroups.{col}", f"subgroups by {col}", lambda c, col=col: _subgroups(c, col))
        for col in spec.subgroups.by
    ]
    if spec.meta_regression.moderators:
        steps.append(Step("meta_regression", "meta-regression", _meta_regression))
    bias = spec.bias
    for name, title in (
        ("egger", "Egger's regression test"),
        ("rank_correlation", "rank correlation test"),
        ("trim_and_fill", "trim and fill"),
    ):
        if bias[name]:
            steps.append(Step(f"bias.{name}", title, lambda c, n=name: bias_step(c, n)))
    sens = spec.sensitivity
    if sens.leave_one_out:
        steps.append(Step("sensitivity.leave_one_out", "leave-one-out", leave_one_out_step))
    if sens.influence:
        steps.append(Step("sensitivity.influence", "influence diagnostics", influence_step))
    for assumption in ("correlation", "phi", "rho"):
        if sens[assumption]:
            steps.append(
                Step(
                    f"sensitivity.{assumption}",
                    f"assumed {assumption} varied",
                    lambda c, a=assumption: assumption_sensitivity(c, a),
                )
            )
    if sens.methods and len(models.methods) > 1:
        steps.append(Step("sensitivity.methods", "tau^2 estimators compared", methods_table))
    return steps


def _pooled(ctx: Context, method: str) -> StepOutput:
    result = pool_with(ctx, method)
    table = pd.DataFrame([pooled_row(result, method)])
    numbers = flatten(
        {k: v for k, v in result.to_dict().items() if k not in ("yi", "vi")},
        f"pooled.{method}",
        list(result.labels),
    )
    return StepOutput(f"pooled.{method}", f"Pooled estimate ({method})", result, table, numbers)


# ---------------------------------------------------------------------- Bayesian pooling
def _prior(spec: Any) -> Any:
    """The prior object of a checked spec table (see :func:`metaatt.bayes.prior_from_spec`)."""
    if spec is None:
        return None
    from ..bayes import prior_from_spec

    return prior_from_spec(dict(spec))


def prior_text(spec: Any) -> str:
    """``half-normal(scale = 0.5)``; empirical priors name their source."""
    if spec is None:
        return "default"
    return _prior(spec).describe()


def _bayes(ctx: Context, section: Section) -> StepOutput:
    from .. import bayes

    kwargs: dict[str, Any] = {"tau_prior": _prior(section.tau_prior), "method": section.method}
    if section.mu_prior is not None:
        kwargs["mu_prior"] = _prior(section.mu_prior)
    if section.method == "nuts":
        kwargs.update(
            random_seed=ctx.spec.seed, draws=section.draws, tune=section.tune, chains=section.chains
        )
    if section.level != 0.95:
        kwargs["level"] = section.level
    result = bayes.pool(ctx.effects, **kwargs)
    rows = []
    for parameter in ("mu", "tau", "predictive"):
        summary = getattr(result, parameter, None)
        if summary is None:
            continue
        values = summary if isinstance(summary, dict) else _fields(summary)
        rows.append({"prior": section.name, "parameter": parameter, **values})
    table = pd.DataFrame(rows)
    for name in ("bf10_effect", "bf10_heterogeneity"):
        value = getattr(result, name, None)
        if value is not None:
            table[name] = float(value)
    key = f"bayes.{section.name}"
    numbers = flatten_frame(table.drop(columns="prior"), key, key="parameter")
    for name in ("bf10_effect", "bf10_heterogeneity"):
        if name in table.columns:
            numbers[f"{key}.{name}"] = float(table[name].iloc[0])
    theta = getattr(result, "theta", None)
    if isinstance(theta, pd.DataFrame) and len(theta) == len(ctx.labels):
        theta = theta.assign(study=ctx.labels)
        numbers.update(flatten_frame(theta, f"{key}.theta", key="study"))
    return StepOutput(key, f"Bayesian model ({section.name})", result, table, numbers)


def _fields(summary: Any) -> dict[str, float]:
    if hasattr(summary, "to_dict"):
        return {k: float(v) for k, v in summary.to_dict().items() if k != "level"}
    return {
        name: float(getattr(summary, name))
        for name in ("mean", "median", "sd", "ci_low", "ci_high")
        if hasattr(summary, name)
    }


# ---------------------------------------------------------------------- moderators
def _check_columns(ctx: Context, columns: tuple[str, ...] | list[str], where: str) -> None:
    missing = [c for c in columns if c not in ctx.effects.columns]
    if missing:
        from ._parse import SpecError

        raise SpecError(
            ctx.spec.source_name,
            [
                f"{where}: the effect-size table has no column {c!r}; columns: "
                f"{[c for c in ctx.effects.columns if c not in ('yi', 'vi')]}"
                for c in missing
            ],
        )


def _subgroups(ctx: Context, column: str) -> StepOutput:
    from .. import subgroup_analysis

    _check_columns(ctx, [column], "[subgroups] by")
    effects = ctx.effects
    if effects[column].isna().any():
        i = int(np.flatnonzero(effects[column].isna().to_numpy())[0])
        raise MetaattError(
            f"[subgroups] by: study {effects['study'].iloc[i]!r} has no value in column {column!r}"
        )
    models = ctx.spec.models
    result = subgroup_analysis(
        "yi",
        "vi",
        column,
        data=effects,
        method=models.methods[0],
        tau2=ctx.spec.subgroups.tau2,
        test=models.test,
        level=models.level,
    )
    groups = as_frame(result.groups)
    groups = groups.rename(columns={groups.columns[0]: "group"})
    key = f"subgroups.{column}"
    numbers = flatten_frame(groups, key, key="group")
    for name in ("q_between", "q_between_df", "q_between_pval"):
        numbers[f"{key}.{name}"] = float(getattr(result, name))
    test = {
        "group": "test of subgroup differences",
        "q": result.q_between,
        "q_df": result.q_between_df,
        "q_pval": result.q_between_pval,
    }
    table = pd.concat([groups, pd.DataFrame([test])], ignore_index=True)
    return StepOutput(key, f"Subgroups by {column}", result, table, numbers)


def _meta_regression(ctx: Context) -> StepOutput:
    from .. import meta_regression

    moderators = list(ctx.spec.meta_regression.moderators)
    _check_columns(ctx, moderators, "[meta_regression] moderators")
    models = ctx.spec.models
    data = ctx.effects.copy()
    for column in moderators:  # sheet columns arrive as text: numbers become numbers
        if not pd.api.types.is_numeric_dtype(data[column]):
            text = data[column].astype("string").str.strip().replace("", pd.NA)
            numbers = pd.to_numeric(text, errors="coerce")
            if numbers.notna().sum() == text.notna().sum():
                data[column] = numbers.astype(float)
    if all(m.isidentifier() for m in moderators):
        mods: Any = "~ " + " + ".join(moderators)
    else:
        mods = moderators
    result = meta_regression(
        "yi",
        "vi",
        mods,
        data=data,
        method=models.methods[0],
        test=models.test,
        level=models.level,
    )
    coefficients = as_frame(result.to_frame())
    coefficients = coefficients.rename(columns={coefficients.columns[0]: "term"})
    numbers = flatten_frame(coefficients, "meta_regression.coef", key="term")
    values = result.to_dict()
    fit = ("k", "tau2", "se_tau2", "tau2_ci_low", "tau2_ci_high", "i2", "h2", "r2",
           "qm", "qm_df", "qm_pval", "qe", "qe_df", "qe_pval")  # fmt: skip
    numbers.update(flatten({k: values[k] for k in fit if k in values}, "meta_regression"))
    model_rows = pd.DataFrame(
        [
            {"term": "QM (test of moderators)", "statistic": values["qm"],
             "df": values["qm_df"], "pval": values["qm_pval"]},
            {"term": "QE (residual heterogeneity)", "statistic": values["qe"],
             "df": values["qe_df"], "pval": values["qe_pval"]},
            {"term": "tau^2 (residual)", "estimate": values["tau2"],
             "ci_low": values["tau2_ci_low"], "ci_high": values["tau2_ci_high"]},
            {"term": "R^2 (%)", "estimate": values.get("r2", np.nan)},
        ]
    )  # fmt: skip
    table = pd.concat([coefficients, model_rows], ignore_index=True)
    return StepOutput("meta_regression", "Meta-regression", result, table, numbers)
