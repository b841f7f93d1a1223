"""Run a validated spec: effect sizes, then every model the spec asks for."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from types import MappingProxyType

from ._parse import AnalysisSpec, load
from ._progress import progress_bar
from ._results import AnalysisResults
from ._sources import load_effects
from ._steps import Context, StepOutput, plan

__all__ = ["run"]


def run(
    spec: AnalysisSpec | str | Path, *, output: str | Path | None = None, progress: bool = False
) -> AnalysisResults:
    """Run an analysis spec and return its results (optionally writing them to ``output``).

    Parameters
    ----------
    spec
        An :class:`AnalysisSpec` or the path of a TOML spec.
    output
        When given, write results.json, tables, figures and the appendix into this folder
        (atomically: a temporary folder moved into place when complete).
    progress
        Show a progress bar (tqdm, when installed) on standard error.

    Returns
    -------
    AnalysisResults
        Frozen: the effect-size table, every model's result, tidy tables, named numbers,
        warnings raised on the way and the software environment.

    Notes
    -----
    Warnings from the models (e.g. a tau^2 estimate on the boundary) are collected into
    ``results.warnings`` (each prefixed by the step that raised it) rather than re-emitted,
    and appear in the summary, the appendix and results.json.
    """
    if not isinstance(spec, AnalysisSpec):
        spec = load(spec)
    steps = plan(spec)
    recorded: list[str] = []
    outputs: dict[str, StepOutput] = {}
    with (
        progress_bar(len(steps) + 1, "metaatt run", enabled=progress) as bar,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        bar.set_description("effect sizes")
        data = load_effects(spec)
        _record(caught, "effect sizes", recorded)
        bar.update(1)
        ctx = Context(spec, data.effects)
        for step in steps:
            bar.set_description(step.title)
            produced = step.run(ctx)
            produced = dataclasses.replace(produced, numbers=MappingProxyType(produced.numbers))
            ctx.outputs[step.key] = produced
            outputs[step.key] = produced
            _record(caught, step.title, recorded)
            bar.update(1)
    numbers: dict[str, float] = {}
    numbers.update(_effect_numbers(data.effects))
    for produced in outputs.values():
        numbers.update(produced.numbers)
    from ..report import environment

    results = AnalysisResults(
        spec=spec,
        title=spec.title,
        effects=data.effects,
        extraction=data.extraction,
        outputs=MappingProxyType(outputs),
        numbers=MappingProxyType(numbers),
        warnings=tuple(recorded),
        environment=MappingProxyType(environment()),
        synthetic=data.synthetic,
        measure=data.measure,
        data_description=data.description,
    )
    if output is not None:
        results.write(output, progress=progress)
    return results


def _record(caught: list[warnings.WarningMessage], where: str, into: list[str]) -> None:
    for item in caught:
        text = f"[{where}] {item.category.__name__}: {item.message}"
        if text not in into:
            into.append(text)
    caught.clear()


def _effect_numbers(effects) -> dict[str, float]:
    out = {}
    for label, yi, vi in zip(effects["study"], effects["yi"], effects["vi"], strict=True):
        out[f"effects[{label}].yi"] = float(yi)
        out[f"effects[{label}].vi"] = float(vi)
    return out
