"""Robustness steps: small-study/bias tests, leave-one-out, influence, and sensitivity to
assumed correlations and to the tau^2 estimator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._context import Context, StepOutput, as_frame, pool_with, pooled_row
from ._numbers import flatten, flatten_frame

__all__ = [
    "assumption_sensitivity",
    "bias_step",
    "influence_step",
    "leave_one_out_step",
    "methods_table",
]


def _bias_row(name: str, result: Any) -> dict[str, Any]:
    """One row of the bias table: what each test reports, in shared column names."""
    get = lambda field: float(getattr(result, field, np.nan))  # noqa: E731
    row = {"test": name, "k": get("k")}
    if name == "egger":
        row.update(statistic=get("statistic"), df=get("df"), pval=get("pval"),
                   estimate=get("estimate"), ci_low=get("ci_low"), ci_high=get("ci_high"))  # fmt: skip
        row["note"] = f"{result.model} model, predictor {result.predictor}; estimate = limit"
    elif name == "rank_correlation":
        row.update(statistic=get("tau"), pval=get("pval"))
        row["note"] = "Kendall's tau"
    else:
        row.update(statistic=get("statistic"), pval=get("pval"), estimate=get("estimate"),
                   se=get("se"), ci_low=get("ci_low"), ci_high=get("ci_high"),
                   tau2=get("tau2"), k0=float(result.k0))  # fmt: skip
        row["note"] = f"{result.k0} studies filled on the {result.side} ({result.estimator})"
    return row


def bias_step(ctx: Context, name: str) -> StepOutput:
    import metaatt

    function = {
        "egger": "egger_test",
        "rank_correlation": "rank_correlation_test",
        "trim_and_fill": "trim_and_fill",
    }[name]
    result = getattr(metaatt, function)(ctx.primary)
    key = f"bias.{name}"
    values = result.to_dict()
    adjusted = values.pop("result", None)
    numbers = flatten(values, key)
    if isinstance(adjusted, dict):  # trim-and-fill: the model refitted with filled studies
        scalars = {k: v for k, v in adjusted.items() if not isinstance(v, (list, tuple))}
        numbers.update(flatten(scalars, f"{key}.adjusted"))
    table = pd.DataFrame([_bias_row(name, result)])
    return StepOutput(key, function.replace("_", " "), result, table, numbers)


def leave_one_out_step(ctx: Context) -> StepOutput:
    from .. import leave_one_out

    result = leave_one_out(ctx.primary)
    table = as_frame(result)
    if "study" not in table.columns and len(table) == len(ctx.labels):
        table.insert(0, "study", ctx.labels)
    key = "sensitivity.leave_one_out"
    return StepOutput(key, "Leave-one-out", result, table, flatten_frame(table, key, "study"))


def influence_step(ctx: Context) -> StepOutput:
    from .. import influence

    result = influence(ctx.primary)
    table = as_frame(result)
    if "study" not in table.columns and len(table) == len(ctx.labels):
        table.insert(0, "study", ctx.labels)
    key = "sensitivity.influence"
    return StepOutput(
        key, "Influence diagnostics", result, table, flatten_frame(table, key, "study")
    )


def assumption_sensitivity(ctx: Context, assumption: str) -> StepOutput:
    """Re-compute the effect sizes at each assumed value (pre-post ``correlation`` or
    ``phi``) and re-pool with the primary model."""
    from ._sources import load_effects

    method = ctx.spec.models.methods[0]
    values = ctx.spec.sensitivity[assumption]
    symbol = {"correlation": "r", "phi": "phi", "rho": "rho"}[assumption]
    rows = []
    results = {}
    for value in values:
        effects = load_effects(ctx.spec, **{assumption: value}).effects
        result = pool_with(ctx, method, effects)
        results[value] = result
        row = pooled_row(result, method)
        rows.append({symbol: value, **{k: v for k, v in row.items() if k not in ("model", "test")}})
    table = pd.DataFrame(rows)
    key = f"sensitivity.{assumption}"
    labelled = table.assign(**{symbol: [f"{symbol}={v:g}" for v in table[symbol]]})
    numbers = flatten_frame(labelled, key, key=symbol)
    title = (
        "Sensitivity to the assumed "
        + {
            "correlation": "pre-post correlation",
            "phi": "phi of marginal counts",
            "rho": "within-cluster correlation",
        }[assumption]
    )
    return StepOutput(key, title, results, table, numbers)


def methods_table(ctx: Context) -> StepOutput:
    rows = [pooled_row(ctx.outputs[f"pooled.{m}"].result, m) for m in ctx.spec.models.methods]
    table = pd.DataFrame(rows)
    return StepOutput("sensitivity.methods", "tau^2 estimators compared", None, table, {})
