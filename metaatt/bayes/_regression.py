"""Bayesian meta-regression with moderators (PyMC, NUTS).

Model: ``y_i ~ N(theta_i, v_i)``, ``theta_i = x_i' beta + tau z_i``, ``z_i ~ N(0, 1)``
(non-centered), ``beta_j ~ coef_prior`` (flat by default), ``tau ~ tau_prior``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._format import TextSummary, fmt, footer_lines, html_table, text_table
from .._inputs import read_effects
from .._validate import check_level
from ..errors import MetaattError
from ._draws import summarize_columns, summarize_draws
from ._moderators import moderator_matrix
from ._pymc import check_sampler, diagnose, draws_of, import_pymc, sample, sampler_record
from .pooling import DEFAULT_TAU_PRIOR, check_priors, theta_frame
from .priors import Normal, TauPrior
from .result import PosteriorSummary, plain_fields

__all__ = ["BayesRegressionResult", "coefficient_table", "meta_regression"]


def coefficient_table(draws: np.ndarray, names: tuple[str, ...], level: float) -> pd.DataFrame:
    """Posterior summaries of coefficient draws (n, p): one row per coefficient."""
    return pd.DataFrame(
        {**summarize_columns(draws, level), "prob_positive": (draws > 0).mean(axis=0)},
        index=pd.Index(list(names), name="term"),
    )


def _kde_frame(draws: np.ndarray, points: int, nonnegative: bool) -> pd.DataFrame:
    if nonnegative:
        x = np.linspace(0.0, float(np.quantile(draws, 0.995)), points)
        kde = stats.gaussian_kde(np.concatenate([draws, -draws]))
        return pd.DataFrame({"x": x, "density": 2.0 * kde(x)})
    lo, hi = np.quantile(draws, [0.0005, 0.9995])
    x = np.linspace(float(lo), float(hi), points)
    return pd.DataFrame({"x": x, "density": stats.gaussian_kde(draws)(x)})


@dataclass(frozen=True, repr=False)
class BayesRegressionResult(TextSummary):
    """Posterior of a Bayesian meta-regression: ``coef`` (DataFrame indexed by term: mean,
    sd, median, equal-tailed and shortest intervals, P(beta > 0)), ``tau`` and the shrunken
    study effects ``theta``; ``idata`` is the ArviZ InferenceData."""

    level: float
    k: int
    names: tuple[str, ...]
    coef: pd.DataFrame
    tau: PosteriorSummary
    theta: pd.DataFrame
    tau_prior: TauPrior
    coef_prior: Normal | None
    X: np.ndarray
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

    @property
    def p(self) -> int:
        return len(self.names)

    def _draws(self, name: str) -> np.ndarray:
        return draws_of(self.idata, name)

    def predict(self, newmods: Any) -> pd.DataFrame:
        """Posterior of the mean effect ``x' beta`` (mean, equal-tailed CrI) and of a new
        study's effect ``x' beta + tau z`` (prediction interval) at moderator values.

        ``newmods``: array of shape (m, p) including the intercept column, or (m, p - 1)
        without it when the model has an intercept.
        """
        X = np.atleast_2d(np.asarray(newmods, dtype=float))
        if X.shape[1] == self.p - 1 and self.names[0] == "intrcpt":
            X = np.hstack([np.ones((X.shape[0], 1)), X])
        if X.shape[1] != self.p or not np.isfinite(X).all():
            raise MetaattError(
                f"newmods: expected {self.p} finite columns {list(self.names)}, got {X.shape[1]}"
            )
        beta, tau = self._draws("beta"), self._draws("tau")
        mean_draws = beta @ X.T  # (n, m)
        rng = np.random.default_rng(self.sampler.get("random_seed"))
        new = mean_draws + tau[:, None] * rng.standard_normal(mean_draws.shape)
        alpha = (1.0 - self.level) / 2.0
        return pd.DataFrame(
            {
                "mean": mean_draws.mean(axis=0),
                "sd": mean_draws.std(axis=0, ddof=1),
                "ci_low": np.quantile(mean_draws, alpha, axis=0),
                "ci_high": np.quantile(mean_draws, 1 - alpha, axis=0),
                "pi_low": np.quantile(new, alpha, axis=0),
                "pi_high": np.quantile(new, 1 - alpha, axis=0),
            }
        )

    def density_frame(self, param: str = "tau", points: int = 401) -> pd.DataFrame:
        """Kernel density of the posterior of ``"tau"`` or of a coefficient (by term name)."""
        if param == "tau":
            frame = _kde_frame(self._draws("tau"), points, nonnegative=True)
        elif param in self.names:
            frame = _kde_frame(self._draws("beta")[:, self.names.index(param)], points, False)
        else:
            raise MetaattError(f"param: choose 'tau' or one of {list(self.names)}, got {param!r}")
        frame.attrs.update({"param": param, "synthetic": self.synthetic, "measure": self.measure})
        return frame

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table with the term as a column."""
        return self.coef.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """Every statistic as plain Python values (for JSON, lock files, reports)."""
        return plain_fields(self, skip=("idata", "data", "X"))

    def summary(self) -> str:
        pct = f"{100 * self.level:g}%"
        prior = self.coef_prior.describe() if self.coef_prior is not None else "flat"
        lines = ["*** SYNTHETIC DATA: demonstration only ***", ""] if self.synthetic else []
        s = self.sampler
        lines += [
            f"Bayesian meta-regression (normal random effects; k = {self.k}, "
            f"p = {self.p} coefficients)",
            f"Computation: NUTS (PyMC), {s['chains']} chains x {s['draws']} draws after "
            f"{s['tune']} tuning steps, random_seed = {s['random_seed']}",
            f"Priors: tau ~ {self.tau_prior.describe()}; each coefficient ~ {prior}",
            "",
            f"Coefficients ({pct} equal-tailed CrI):",
        ]
        rows = [
            [
                t,
                fmt(r["mean"]),
                fmt(r["sd"]),
                fmt(r["median"]),
                fmt(r.ci_low),
                fmt(r.ci_high),
                f"{r.prob_positive:.4f}",
            ]
            for t, r in self.coef.iterrows()
        ]
        lines.append(text_table(["term", "mean", "sd", "median", "ci.lb", "ci.ub", "P(>0)"], rows))
        lines += [
            "",
            f"tau (residual heterogeneity): median {fmt(self.tau.median)}, mean "
            f"{fmt(self.tau.mean)} [{pct} CrI {fmt(self.tau.ci_low)}, {fmt(self.tau.ci_high)}]",
            f"Diagnostics: max R-hat = {self.diagnostics.r_hat.max():.3f}, min bulk ESS = "
            f"{self.diagnostics.ess_bulk.min():.0f}, divergences = {s['divergences']}",
        ]
        lines += footer_lines(self.excluded, self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"BayesRegressionResult(k={self.k}, terms={list(self.names)})"

    def _repr_html_(self) -> str:
        title = ("SYNTHETIC DATA - " if self.synthetic else "") + "Bayesian meta-regression"
        return "\n".join(
            [
                f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {self.k}</h4>",
                html_table(self.to_frame(), caption="Coefficients"),
                f"<p>tau: median {fmt(self.tau.median)} [{fmt(self.tau.ci_low)}, "
                f"{fmt(self.tau.ci_high)}]</p>",
                "</div>",
            ]
        )


def meta_regression(
    yi: Any,
    vi: Any = None,
    mods: Any = None,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
    intercept: bool = True,
    tau_prior: Any = DEFAULT_TAU_PRIOR,
    coef_prior: Any = None,
    level: float = 0.95,
    random_seed: int | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int = 1,
    target_accept: float = 0.9,
) -> BayesRegressionResult:
    """Bayesian mixed-effects meta-regression fitted by NUTS (PyMC).

    Parameters
    ----------
    yi, vi, sei, data, labels, missing, allow_mixed_metrics
        Effect sizes as for :func:`metaatt.bayes.pool`.
    mods
        Moderators: column name(s) of ``data``, a 1-D/2-D array or a DataFrame (non-numeric
        columns dummy coded); formula strings when :mod:`metaatt.formula` is available.
    intercept
        Add an intercept column (first coefficient, ``intrcpt``).
    tau_prior
        Prior on the residual heterogeneity tau (default ``HalfNormal(0.5)``).
    coef_prior
        :class:`Normal` prior for every coefficient, or None (flat).
    level, random_seed, draws, tune, chains, cores, target_accept
        Credible level and NUTS settings.

    Returns
    -------
    BayesRegressionResult

    Notes
    -----
    ``y_i ~ N(x_i' beta + u_i, v_i)``, ``u_i ~ N(0, tau^2)``; non-centered
    ``u_i = tau z_i``. The frequentist counterpart is :func:`metaatt.meta_regression`
    (Viechtbauer 2010); with flat coefficient priors and little prior weight on tau the
    posterior means approach the REML estimates.

    References
    ----------
    Higgins JPT, Thompson SG (2004). Controlling the risk of spurious findings from
    meta-regression. Statistics in Medicine 23:1663-1682. Thompson SG, Sharp SJ (1999).
    Explaining heterogeneity in meta-analysis: a comparison of methods. Statistics in
    Medicine 18:2693-2708.
    """
    level = check_level(level)
    tau_prior, coef_prior = check_priors(tau_prior, coef_prior, "coef_prior")
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
    X_all, names = moderator_matrix(mods, yi, data, intercept)
    inputs, extras = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        extra={"mods": X_all},
        allow_mixed_metrics=allow_mixed_metrics,
    )
    X = extras["mods"].reshape(inputs.k, -1)
    if inputs.k <= X.shape[1]:
        raise MetaattError(f"mods: {X.shape[1]} coefficients need more than {inputs.k} studies")
    pm, _ = import_pymc()
    coords = {"term": list(names), "study": [f"{i}" for i in range(inputs.k)]}
    with pm.Model(coords=coords) as model:
        if coef_prior is None:
            beta = pm.Flat("beta", dims="term")
        else:
            beta = pm.Normal("beta", mu=coef_prior.mean, sigma=coef_prior.sd, dims="term")
        tau = tau_prior.pymc("tau")
        z = pm.Normal("z", 0.0, 1.0, dims="study")
        theta = pm.Deterministic("theta", pm.math.dot(X, beta) + tau * z, dims="study")
        pm.Normal("y", mu=theta, sigma=np.sqrt(inputs.vi), observed=inputs.yi, dims="study")
    idata = sample(model, settings)
    diagnostics, divergences = diagnose(idata, ["beta", "tau", "theta"], settings)
    beta_draws, theta_draws = draws_of(idata, "beta"), draws_of(idata, "theta")
    theta = theta_frame(inputs, summarize_columns(theta_draws, level))
    return BayesRegressionResult(
        level=level,
        k=inputs.k,
        names=names,
        coef=coefficient_table(beta_draws, names, level),
        tau=summarize_draws(draws_of(idata, "tau"), level),
        theta=theta,
        tau_prior=tau_prior,
        coef_prior=coef_prior,
        X=X,
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
    )
