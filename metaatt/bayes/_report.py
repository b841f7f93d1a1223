"""Text and HTML reports of :class:`~metaatt.bayes.result.BayesPoolResult`."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from .._format import fmt, footer_html, footer_lines, html_table, text_table
from .priors import Normal, TauPrior

__all__ = ["bf_text", "computation_text", "pool_html", "pool_summary", "prior_text"]


def prior_text(prior: TauPrior | Normal | None) -> str:
    return "flat (improper uniform)" if prior is None else prior.describe()


def bf_text(value: float) -> str:
    return "NA" if math.isnan(value) else f"{value:.4g}"


def computation_text(res: Any) -> str:
    if res.method == "exact":
        return "exact numerical integration over tau (Roever 2020); no sampling"
    s = res.sampler or {}
    return (
        f"NUTS (PyMC), {s.get('chains')} chains x {s.get('draws')} draws after "
        f"{s.get('tune')} tuning steps, random_seed = {s.get('random_seed')}"
    )


def pool_summary(res: Any) -> str:
    """The text report of a :class:`BayesPoolResult` (bayesmeta-like layout)."""
    pct = f"{100 * res.level:g}%"
    lines = []
    if res.synthetic:
        lines += ["*** SYNTHETIC DATA: demonstration only, not results of real studies ***", ""]
    effects = "normal" if res.model == "normal" else "Student-t"
    lines.append(f"Bayesian random-effects meta-analysis ({effects} random effects; k = {res.k})")
    lines.append(f"Computation: {computation_text(res)}")
    lines.append(f"Priors: tau ~ {prior_text(res.tau_prior)}; mu ~ {prior_text(res.mu_prior)}")
    lines += ["", f"Marginal posteriors ({pct} intervals: equal-tailed CrI and shortest HPD):"]
    header = ["", "mean", "median", "sd", "ci.lb", "ci.ub", "hpd.lb", "hpd.ub"]
    rows = [["tau", *res.tau.row()], ["mu", *res.mu.row()]]
    rows.append(["prediction", *res.predictive.row()])
    if res.nu is not None:
        rows.append(["nu", *res.nu.row()])
    lines.append(text_table(header, rows))
    lines += ["", f"P(mu > {res.threshold:g} | data) = {res.prob_mu_above:.4f}"]
    lines.append(
        f"Bayes factors: BF10 effect (mu != 0 vs mu = 0) = {bf_text(res.bf10_effect)}; "
        f"BF10 heterogeneity (tau > 0 vs tau = 0) = {bf_text(res.bf10_heterogeneity)}"
    )
    lines += ["", "Shrinkage estimates (posterior of each study's true effect):"]
    header = ["study", "yi", "se", "mean", "median", "sd", "ci.lb", "ci.ub"]
    theta = res.theta
    rows = [
        [str(s), fmt(y), fmt(se), fmt(m), fmt(md), fmt(sd), fmt(lo), fmt(hi)]
        for s, y, se, m, md, sd, lo, hi in zip(
            theta.study,
            theta.yi,
            theta.se,
            theta["mean"],
            theta["median"],
            theta.sd,
            theta.ci_low,
            theta.ci_high,
            strict=True,
        )
    ]
    lines.append(text_table(header, rows))
    if res.diagnostics is not None:
        worst = res.diagnostics
        lines += [
            "",
            f"Diagnostics: max R-hat = {worst.r_hat.max():.3f}, "
            f"min bulk ESS = {worst.ess_bulk.min():.0f}, "
            f"min tail ESS = {worst.ess_tail.min():.0f}, "
            f"divergences = {(res.sampler or {}).get('divergences', 0)}",
        ]
    lines += footer_lines(res.excluded, res.notes)
    return "\n".join(lines)


def pool_html(res: Any) -> str:
    """HTML of a :class:`BayesPoolResult` for notebooks."""
    pct = f"{100 * res.level:g}%"
    title = ("SYNTHETIC DATA - " if res.synthetic else "") + (
        f"Bayesian random-effects meta-analysis ({res.method})"
    )
    table = pd.DataFrame(
        [
            {"parameter": name, **getattr(res, attr).to_dict()}
            for name, attr in (("tau", "tau"), ("mu", "mu"), ("prediction", "predictive"))
        ]
    ).drop(columns="level")
    parts = [
        f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {res.k}</h4>",
        f"<p>Priors: tau ~ {html.escape(prior_text(res.tau_prior))}; "
        f"mu ~ {html.escape(prior_text(res.mu_prior))}</p>",
        html_table(table, caption=f"Posterior summaries ({pct} intervals)"),
        f"<p>P(mu &gt; {res.threshold:g}) = {res.prob_mu_above:.4f}; "
        f"BF10 effect = {bf_text(res.bf10_effect)}; "
        f"BF10 heterogeneity = {bf_text(res.bf10_heterogeneity)}</p>",
        "<details><summary>Shrinkage estimates</summary>",
        html_table(res.theta),
        "</details>",
    ]
    parts += footer_html(res.excluded, res.notes)
    parts.append("</div>")
    return "\n".join(parts)
