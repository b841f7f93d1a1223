"""Bayesian three-level meta-analysis: effect sizes nested in studies (PyMC, NUTS).

Model (Konstantopoulos 2011, in Bayesian form): effect size j of study s,
``y_sj ~ N(theta_sj, v_sj)``, ``theta_sj = mu + u_s + w_sj``, ``u_s ~ N(0, tau^2)``
(between studies), ``w_sj ~ N(0, sigma^2)`` (between effect sizes within a study);
non-centered ``u_s = tau a_s``, ``w_sj = sigma b_sj``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._format import fmt, html_table, text_table
from .._inputs import read_effects, resolve_column
from .._validate import check_level
from ..errors import MetaattError
from ._draws import DrawsPosterior, shortest_interval, summarize_draws
from ._pymc import check_sampler, diagnose, draws_of, import_pymc, sample, sampler_record
from .pooling import DEFAULT_TAU_PRIOR, check_priors, check_threshold, theta_frame
from .priors import Normal, TauPrior, prior_from_spec
from .result import PosteriorSummary

__all__ = ["BayesMultilevelResult", "multilevel"]


def _interval_frame(draws: np.ndarray, level: float) -> dict[str, np.ndarray]:
    alpha = (1.0 - level) / 2.0
    hpd = shortest_interval(draws, level)
    return {
        "mean": draws.mean(axis=0),
        "sd": draws.std(axis=0, ddof=1),
        "median": np.median(draws, axis=0),
        "ci_low": np.quantile(draws, alpha, axis=0),
        "ci_high": np.quantile(draws, 1.0 - alpha, axis=0),
        "hpd_low": hpd[:, 0],
        "hpd_high": hpd[:, 1],
    }


@dataclass(frozen=True, repr=False)
class BayesMultilevelResult:
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
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("_") or f.name in ("idata", "data"):
                continue
            if isinstance(value, PosteriorSummary | TauPrior | Normal):
                value = value.to_dict()
            elif isinstance(value, pd.DataFrame):
                value = value.reset_index().to_dict(orient="records")
            elif isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

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
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"BayesMultilevelResult(k={self.k}, studies={self.n_studies}, "
            f"mu={self.mu.mean:.4g}, tau={self.tau.median:.4g}, sigma={self.sigma.median:.4g})"
        )

    def __str__(self) -> str:
        return self.summary()

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


def multilevel(
    yi: Any,
    vi: Any = None,
    *,
    study: Any,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    missing: str = "raise",
    tau_prior: Any = DEFAULT_TAU_PRIOR,
    sigma_prior: Any = DEFAULT_TAU_PRIOR,
    mu_prior: Any = None,
    level: float = 0.95,
    threshold: float = 0.0,
    random_seed: int | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int = 1,
    target_accept: float = 0.95,
) -> BayesMultilevelResult:
    """Three-level Bayesian meta-analysis of effect sizes nested in studies (NUTS).

    Parameters
    ----------
    yi, vi, sei, data, labels, missing
        Effect sizes (one row per effect size) as for :func:`metaatt.bayes.pool`.
    study
        Study identifier of every effect size (array or column name of ``data``).
    tau_prior, sigma_prior
        Priors on the sd between studies (tau) and between effect sizes within a study
        (sigma); default ``HalfNormal(0.5)`` each.
    mu_prior
        :class:`Normal` prior on mu or None (flat).
    level, threshold, random_seed, draws, tune, chains, cores, target_accept
        As for :func:`metaatt.bayes.pool` with ``method="nuts"``.

    Returns
    -------
    BayesMultilevelResult

    Notes
    -----
    ``y_sj = mu + u_s + w_sj + e_sj``, ``u_s ~ N(0, tau^2)``, ``w_sj ~ N(0, sigma^2)``,
    ``e_sj ~ N(0, v_sj)``: the model of metafor's ``rma.mv(yi, vi, random = ~ 1 | study/id)``
    (Konstantopoulos 2011) with priors. Effect sizes of one study share ``u_s``; their
    sampling errors are assumed independent.

    References
    ----------
    Konstantopoulos S (2011). Fixed effects and variance components estimation in
    three-level meta-analysis. Research Synthesis Methods 2:61-76. Van den Noortgate W et al.
    (2013). Three-level meta-analysis of dependent effect sizes. Behavior Research Methods
    45:576-594.
    """
    level = check_level(level)
    threshold = check_threshold(threshold)
    tau_prior, mu_prior = check_priors(tau_prior, mu_prior)
    sigma_prior = prior_from_spec(sigma_prior, "sigma_prior")
    if not isinstance(sigma_prior, TauPrior):
        raise MetaattError("sigma_prior: expected a prior for an sd (e.g. HalfNormal(0.5))")
    settings = check_sampler(
        {
            "draws": draws,
            "tune": tune,
            "chains": chains,
            "cores": cores,
            "target_accept": target_accept,
            "random_seed": random_seed,
        }
    )
    table = yi if isinstance(yi, pd.DataFrame) and data is None else data
    ids = resolve_column(study, "study", table)
    if ids is None:
        raise MetaattError("study: the study identifier of every effect size is required")
    ids = np.asarray(pd.Series(ids, dtype=object).astype(str))
    codes_all, names = pd.factorize(ids)
    inputs, extras = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        extra={"study": codes_all.astype(float)},
    )
    codes = extras["study"].astype(int)
    used, codes = np.unique(codes, return_inverse=True)
    study_names = [str(names[i]) for i in used]
    if len(study_names) < 2:
        raise MetaattError("study: the three-level model needs effect sizes from >= 2 studies")
    pm, _ = import_pymc()
    coords = {"study": study_names, "effect": [str(i) for i in range(inputs.k)]}
    with pm.Model(coords=coords) as model:
        mu = mu_prior.pymc("mu") if mu_prior is not None else pm.Flat("mu")
        tau = tau_prior.pymc("tau")
        sigma = sigma_prior.pymc("sigma")
        a = pm.Normal("a", 0.0, 1.0, dims="study")
        b = pm.Normal("b", 0.0, 1.0, dims="effect")
        study_effect = pm.Deterministic("study_effect", mu + tau * a, dims="study")
        theta = pm.Deterministic("theta", study_effect[codes] + sigma * b, dims="effect")
        z_new = pm.Normal("z_new", 0.0, 1.0, shape=2)
        pm.Deterministic("theta_new", mu + tau * z_new[0] + sigma * z_new[1])
        pm.Normal("y", mu=theta, sigma=np.sqrt(inputs.vi), observed=inputs.yi, dims="effect")
    idata = sample(model, settings)
    diagnostics, divergences = diagnose(
        idata, ["mu", "tau", "sigma", "study_effect", "theta_new"], settings
    )
    tau_d, sigma_d, mu_d = draws_of(idata, "tau"), draws_of(idata, "sigma"), draws_of(idata, "mu")
    new = draws_of(idata, "theta_new")
    study_frame = pd.DataFrame(
        {"study": study_names, **_interval_frame(draws_of(idata, "study_effect"), level)}
    )
    return BayesMultilevelResult(
        level=level,
        k=inputs.k,
        n_studies=len(study_names),
        mu=summarize_draws(mu_d, level),
        tau=summarize_draws(tau_d, level),
        sigma=summarize_draws(sigma_d, level),
        icc=summarize_draws(tau_d**2 / (tau_d**2 + sigma_d**2), level),
        predictive=summarize_draws(new, level),
        study_effects=study_frame,
        theta=theta_frame(inputs, _interval_frame(draws_of(idata, "theta"), level)),
        threshold=threshold,
        prob_mu_above=float(np.mean(mu_d > threshold)),
        tau_prior=tau_prior,
        sigma_prior=sigma_prior,
        mu_prior=mu_prior,
        study=tuple(study_names[c] for c in codes),
        yi=inputs.yi,
        vi=inputs.vi,
        labels=inputs.labels,
        data=inputs.data,
        excluded=inputs.excluded,
        diagnostics=diagnostics,
        sampler=sampler_record(settings, divergences),
        measure=inputs.measure,
        synthetic=inputs.synthetic,
        idata=idata,
        _posterior=DrawsPosterior(mu_d, tau_d, new, normal_effects=False),
    )
