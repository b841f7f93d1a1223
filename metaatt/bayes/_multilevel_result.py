"""The frozen result of :func:`metaatt.bayes.multilevel` (three-level model)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._format import TextSummary, fmt, footer_lines, html_table, text_table
from ..errors import MetaattError
from .priors import Normal, TauPrior
from .result import PosteriorSummary, plain_fields

__all__ = ["BayesMultilevelResult"]


@dataclass(frozen=True, repr=False)
class BayesMultilevelResult(TextSummary):
    """Posterior of the three-level model: ``mu``; ``tau`` (sd between studies) and
    ``sigma`` (sd between effect sizes within a study); ``icc`` = tau^2/(tau^2 + sigma^2);
    ``predictive`` (an effect size of a new study); ``study_effects`` (mu + u_s, one row per
    study) and ``theta`` (shrunken effect sizes)."""

    level: float
    k: int
    n_studies: int
    mu: PosteriorSummary
    tau: PosteriorSummary
    sigma: PosteriorSummary
    icc: PosteriorSummary
    predictive: PosteriorSummary
    study_effects: pd.DataFrame
    theta: pd.DataFrame
    threshold: float
    prob_mu_above: float
    tau_prior: TauPrior
    sigma_prior: TauPrior
    mu_prior: Normal | None
    study: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame
    excluded: pd.DataFrame
    diagnostics: pd.DataFrame
    sampler: dict[str, Any]
    measure: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = ()
    idata: Any = field(default=None, compare=False)
    _posterior: Any = field(default=None, compare=False)

    @property
    def estimate(self) -> float:
        return self.mu.mean

    def density_frame(self, param: str = "mu", points: int = 401) -> pd.DataFrame:
        """Posterior density of ``"mu"``, ``"tau"`` (between studies) or ``"predictive"``."""
        if param not in ("mu", "tau", "predictive"):
            raise MetaattError(f"param: choose 'mu', 'tau' or 'predictive', got {param!r}")
        x = self._posterior.grid(param, points)
        frame = pd.DataFrame({"x": x, "density": self._posterior.density(param, x)})
        frame.attrs.update({"param": param, "synthetic": self.synthetic, "measure": self.measure})
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Per effect size: study, label, yi, vi and the shrunken effect."""
        frame = pd.DataFrame(
            {"study": list(self.study), "label": list(self.labels), "yi": self.yi, "vi": self.vi}
        )
        for column in ("mean", "sd", "median", "ci_low", "ci_high"):
            frame[f"theta_{column}"] = self.theta[column].to_numpy()
        return frame

    def forest_frame(self) -> pd.DataFrame:
        """Forest frame (variant "bayes"): per study a heading, its effect sizes (observed,
        kind "study", and shrunken) and the study's posterior effect (kind "subgroup");
        then mu ("pooled") and a new effect size of a new study ("prediction")."""
        crit = special.ndtri(0.5 + self.level / 2.0)
        se = np.sqrt(self.vi)
        rows: list[dict[str, Any]] = []
        for s, (_, eff) in zip(
            self.study_effects.study, self.study_effects.iterrows(), strict=True
        ):
            members = np.flatnonzero(np.asarray(self.study) == s)
            rows.append(
                {
                    "label": s,
                    "estimate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "weight": np.nan,
                    "kind": "heading",
                    "group": s,
                }
            )
            for i in members:
                rows.append(
                    {
                        "label": self.labels[i],
                        "estimate": self.yi[i],
                        "ci_low": self.yi[i] - crit * se[i],
                        "ci_high": self.yi[i] + crit * se[i],
                        "weight": np.nan,
                        "kind": "study",
                        "group": s,
                    }
                )
                rows.append(
                    {
                        "label": self.labels[i],
                        "estimate": self.theta["mean"].iloc[i],
                        "ci_low": self.theta.ci_low.iloc[i],
                        "ci_high": self.theta.ci_high.iloc[i],
                        "weight": np.nan,
                        "kind": "shrunken",
                        "group": s,
                    }
                )
            rows.append(
                {
                    "label": f"{s} (study effect)",
                    "estimate": eff["mean"],
                    "ci_low": eff.ci_low,
                    "ci_high": eff.ci_high,
                    "weight": np.nan,
                    "kind": "subgroup",
                    "group": s,
                }
            )
        rows.append(
            {
                "label": "Bayesian three-level model (mu)",
                "estimate": self.mu.mean,
                "ci_low": self.mu.ci_low,
                "ci_high": self.mu.ci_high,
                "weight": 100.0,
                "kind": "pooled",
                "group": None,
            }
        )
        rows.append(
            {
                "label": "Prediction (new study)",
                "estimate": self.predictive.mean,
                "ci_low": self.predictive.ci_low,
                "ci_high": self.predictive.ci_high,
                "weight": np.nan,
                "kind": "prediction",
                "group": None,
            }
        )
        frame = pd.DataFrame(rows)
        frame.attrs.update(
            {
                "measure": self.measure,
                "level": self.level,
                "synthetic": self.synthetic,
                "heterogeneity": f"tau (between studies) median {fmt(self.tau.median)}, "
                f"sigma (within studies) median {fmt(self.sigma.median)}",
                "variant": "bayes",
            }
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Every statistic as plain Python values (for JSON, lock files, reports)."""
        return plain_fields(self, skip=("idata", "data"))

    def summary(self) -> str:
        pct = f"{100 * self.level:g}%"
        s = self.sampler
        mu_prior = self.mu_prior.describe() if self.mu_prior is not None else "flat"
        lines = ["*** SYNTHETIC DATA: demonstration only ***", ""] if self.synthetic else []
        lines += [
            f"Bayesian three-level meta-analysis (k = {self.k} effect sizes in "
            f"{self.n_studies} studies)",
            f"Computation: NUTS (PyMC), {s['chains']} chains x {s['draws']} draws after "
            f"{s['tune']} tuning steps, random_seed = {s['random_seed']}",
            f"Priors: tau ~ {self.tau_prior.describe()}; sigma ~ {self.sigma_prior.describe()}; "
            f"mu ~ {mu_prior}",
            "",
            f"Marginal posteriors ({pct} intervals):",
        ]
        header = ["", "mean", "median", "sd", "ci.lb", "ci.ub", "hpd.lb", "hpd.ub"]
        rows = [
            [name, *getattr(self, attr).row()]
            for name, attr in (
                ("mu", "mu"),
                ("tau (between)", "tau"),
                ("sigma (within)", "sigma"),
                ("ICC", "icc"),
                ("prediction", "predictive"),
            )
        ]
        lines.append(text_table(header, rows))
        lines += [
            "",
            f"P(mu > {self.threshold:g} | data) = {self.prob_mu_above:.4f}",
            f"Diagnostics: max R-hat = {self.diagnostics.r_hat.max():.3f}, min bulk ESS = "
            f"{self.diagnostics.ess_bulk.min():.0f}, divergences = {s['divergences']}",
        ]
        lines += footer_lines(self.excluded, self.notes, "effect sizes")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"BayesMultilevelResult(k={self.k}, studies={self.n_studies}, "
            f"mu={self.mu.mean:.4g}, tau={self.tau.median:.4g}, sigma={self.sigma.median:.4g})"
        )

    def _repr_html_(self) -> str:
        table = pd.DataFrame(
            [
                {"parameter": n, **getattr(self, a).to_dict()}
                for n, a in (
                    ("mu", "mu"),
                    ("tau", "tau"),
                    ("sigma", "sigma"),
                    ("ICC", "icc"),
                    ("prediction", "predictive"),
                )
            ]
        ).drop(columns="level")
        title = ("SYNTHETIC DATA - " if self.synthetic else "") + "Bayesian three-level model"
        return "\n".join(
            [
                f"<div class='metaatt-result'><h4>{html.escape(title)}</h4>",
                html_table(table),
                "</div>",
            ]
        )
