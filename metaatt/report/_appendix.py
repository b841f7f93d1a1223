"""The reproducible appendix (Markdown and self-contained HTML) of a spec run.

Sections: summary and methods paragraph; extraction table with provenance; effect sizes;
pooled results; figures; Bayesian, subgroup, moderator, bias and sensitivity analyses;
warnings; software versions, seed, input checksums and the spec itself.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MetaattError
from ._environment import input_checksums
from ._figures import FigureFile
from ._methods import methods_paragraph
from ._tables import SYNTHETIC_LABEL, to_markdown

__all__ = ["appendix_html", "appendix_markdown", "table_title"]

_SECTION_TITLES = {
    "extraction": "Extraction table (every sheet row, with provenance)",
    "provenance": "Pooled studies: weights and the printed numbers behind them",
    "effects": "Effect sizes",
    "pooled": "Pooled results (frequentist models)",
    "bayes": "Bayesian models",
    "meta_regression": "Meta-regression",
    "bias": "Small-study effects and publication bias",
    "sensitivity_correlation": "Sensitivity to the assumed pre-post correlation",
    "sensitivity_phi": "Sensitivity to the assumed phi of marginal counts",
    "sensitivity_rho": "Sensitivity to the assumed within-cluster correlation",
    "sensitivity_leave_one_out": "Leave-one-out analysis",
    "sensitivity_influence": "Influence diagnostics",
    "sensitivity_methods": "Sensitivity to the tau^2 estimator",
}


def table_title(name: str) -> str:
    """Heading of a results table (``subgroups_therapy`` -> ``Subgroups by therapy``)."""
    if not isinstance(name, str):
        raise MetaattError(f"name: expected the table's name (text), got {name!r}")
    if name.startswith("subgroups_"):
        return f"Subgroups by {name.removeprefix('subgroups_')}"
    return _SECTION_TITLES.get(name, name.replace("_", " "))


def _headline(results: Any) -> str:
    p = results.primary
    pct = f"{100 * p.level:g}%"
    text = (
        f"Primary model ({p.method}, k = {p.k}): estimate {p.estimate:.4f} "
        f"[{pct} CI {p.ci_low:.4f}, {p.ci_high:.4f}]"
    )
    if p.method != "EE":
        text += f", tau^2 = {p.tau2:.4f}, I^2 = {p.i2:.1f}%"
        if p.pi_low == p.pi_low:
            text += f", {pct} prediction interval [{p.pi_low:.4f}, {p.pi_high:.4f}]"
    return text + "."


def _analysis_tables(results: Any) -> list[tuple[str, pd.DataFrame]]:
    return [
        (name, frame)
        for name, frame in results.tables().items()
        if name not in ("extraction", "effects", "provenance")
    ]


def _reproduce_lines(results: Any) -> list[str]:
    spec = results.spec.path.name if results.spec.path else "SPEC.toml"
    return [
        f"metaatt run {spec} --output results   # recompute every output",
        f"metaatt check {spec}                  # compare with the locked numbers",
    ]


def appendix_markdown(results: Any, figures: list[FigureFile], *, relative_to: Path) -> str:
    """The appendix as Markdown (figures linked relative to ``relative_to``)."""
    digits = results.spec.output.digits
    synthetic = results.synthetic
    lines = [f"# Appendix: {results.title}", ""]
    if synthetic:
        lines += [f"> **{SYNTHETIC_LABEL}.**", ""]
    if results.spec.sections[""].description:
        lines += [results.spec.sections[""].description, ""]
    lines += [
        "## Summary",
        "",
        _headline(results),
        "",
        "## Methods",
        "",
        methods_paragraph(results),
        "",
    ]
    tables = results.tables()
    if results.extraction is not None:
        lines += ["## Extraction table (every sheet row, with provenance)", ""]
        lines.append(to_markdown(results.extraction, digits=digits, synthetic=synthetic))
        lines += ["## Pooled studies: weights and the printed numbers behind them", ""]
        lines.append(to_markdown(tables["provenance"], digits=digits, synthetic=synthetic))
    else:
        lines += ["## Effect sizes", ""]
        lines.append(to_markdown(results.effects, digits=digits, synthetic=synthetic))
    lines += ["## Primary model", "", "```", results.primary.summary(), "```", ""]
    for figure in figures:
        link = (
            figure.paths.get("svg") or figure.paths.get("png") or next(iter(figure.paths.values()))
        )
        lines += [f"![{figure.title}]({link.relative_to(relative_to).as_posix()})", ""]
    for name, frame in _analysis_tables(results):
        lines += [f"## {table_title(name)}", ""]
        lines.append(to_markdown(frame, digits=digits, synthetic=synthetic))
    if results.warnings:
        lines += ["## Warnings", "", *(f"- {w}" for w in results.warnings), ""]
    lines += _reproducibility_markdown(results)
    return "\n".join(lines) + "\n"


def _reproducibility_markdown(results: Any) -> list[str]:
    lines = [
        "## Reproducibility",
        "",
        f"Seed: {results.spec.seed}",
        "",
        "| package | version |",
        "|:---|:---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in results.environment.items()]
    lines += ["", "Input files:", ""]
    lines += [
        f"- {role}: `{v['path']}` sha256 `{v['sha256']}`"
        for role, v in input_checksums(results.spec).items()
    ]
    lines += ["", "Reproduce:", "", "```", *_reproduce_lines(results), "```", ""]
    if results.spec.text:
        lines += ["Analysis spec:", "", "```toml", results.spec.text.rstrip(), "```", ""]
    return lines


_CSS = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table.metaatt{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
table.metaatt td,table.metaatt th{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:right}
table.metaatt caption{text-align:left;font-weight:bold}
.synthetic{background:#fff3cd;border:2px solid #d39e00;padding:.6rem 1rem;font-weight:bold}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto} img{max-width:100%}
.scroll{overflow-x:auto}
"""


def _figure_html(figure: FigureFile) -> str:
    title = html.escape(figure.title)
    if "png" in figure.paths:
        data = base64.b64encode(figure.paths["png"].read_bytes()).decode("ascii")
        body = f"<img alt='{title}' src='data:image/png;base64,{data}'>"
    elif "svg" in figure.paths:
        text = figure.paths["svg"].read_text(encoding="utf-8")
        body = text[text.find("<svg") :]
    else:
        name = figure.paths["pdf"].name
        body = f"<a href='figures/{html.escape(name)}'>{title} (PDF)</a>"
    return f"<figure>{body}<figcaption>{title}</figcaption></figure>"


def appendix_html(results: Any, figures: list[FigureFile]) -> str:
    """The appendix as one self-contained HTML page (figures embedded)."""
    from .._format import html_table

    digits = results.spec.output.digits
    esc = html.escape
    banner = f"<p class='synthetic'>{esc(SYNTHETIC_LABEL)}</p>" if results.synthetic else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{'SYNTHETIC - ' if results.synthetic else ''}{esc(results.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Appendix: {esc(results.title)}</h1>",
        banner,
    ]
    if results.spec.sections[""].description:
        parts.append(f"<p>{esc(results.spec.sections[''].description)}</p>")
    parts += ["<h2>Summary</h2>", f"<p>{esc(_headline(results))}</p>"]
    parts += ["<h2>Methods</h2>", f"<p>{esc(methods_paragraph(results))}</p>"]

    def table(frame: pd.DataFrame, title: str) -> None:
        parts.append(f"<h2>{esc(title)}</h2>")
        parts.append(banner)
        parts.append(f"<div class='scroll'>{html_table(frame, digits=digits)}</div>")

    if results.extraction is not None:
        table(results.extraction, "Extraction table (every sheet row, with provenance)")
        table(
            results.tables()["provenance"],
            "Pooled studies: weights and the printed numbers behind them",
        )
    else:
        table(results.effects, "Effect sizes")
    parts += ["<h2>Primary model</h2>", f"<pre>{esc(results.primary.summary())}</pre>"]
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [_figure_html(f) for f in figures]
    for name, frame in _analysis_tables(results):
        table(frame, table_title(name))
    if results.warnings:
        parts.append("<h2>Warnings</h2><ul>")
        parts += [f"<li>{esc(w)}</li>" for w in results.warnings]
        parts.append("</ul>")
    parts.append("<h2>Reproducibility</h2>")
    parts.append(f"<p>Seed: {results.spec.seed}</p>")
    env = pd.DataFrame(
        {"package": list(results.environment), "version": list(results.environment.values())}
    )
    parts.append(html_table(env))
    parts.append("<p>Input files:</p><ul>")
    parts += [
        f"<li>{esc(role)}: <code>{esc(v['path'])}</code> sha256 <code>{esc(v['sha256'])}</code></li>"
        for role, v in input_checksums(results.spec).items()
    ]
    parts.append("</ul><p>Reproduce:</p>")
    parts.append(f"<pre>{esc(chr(10).join(_reproduce_lines(results)))}</pre>")
    if results.spec.text:
        parts.append(f"<p>Analysis spec:</p><pre>{esc(results.spec.text)}</pre>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"
