"""The frozen result of :func:`metaatt.bayes.pool` (exact or NUTS)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from .._format import TextSummary, fmt
from .._studies import forest_study_rows, study_table
from ..errors import MetaattError
from ._report import bf_text, pool_html, pool_summary
from .priors import Normal, TauPrior

__all__ = ["BayesPoolResult", "PosteriorSummary"]

_PARAMS = ("mu", "tau", "predictive")


@dataclass(frozen=True)
class PosteriorSummary:
    """Marginal posterior summary of one parameter.

    ``ci_low``/``ci_high`` is the equal-tailed credible interval at ``level``;
    ``hpd_low``/``hpd_high`` the shortest (highest posterior density) interval.
    """

    mean: float
    sd: float
    median: float
    ci_low: float
    ci_high: float
    hpd_low: float
    hpd_high: float
    level: float

    def to_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def row(self) -> list[str]:
        return [
            fmt(self.mean),
            fmt(self.median),
            fmt(self.sd),
            fmt(self.ci_low),
            fmt(self.ci_high),
            fmt(self.hpd_low),
            fmt(self.hpd_high),
        ]


@dataclass(frozen=True, repr=False)
class BayesPoolResult(TextSummary):
    """Bayesian random-effects meta-analysis: posterior summaries, frozen.

    ``mu``, ``tau`` and ``predictive`` (the effect of a new study) are
    :class:`PosteriorSummary` objects; ``theta`` is a DataFrame of shrunken study effects
    (``study, yi, se, mean, sd, median, ci_low, ci_high, hpd_low, hpd_high``);
    ``prob_mu_above`` is P(mu > ``threshold`` | y); ``bf10_effect`` (mu != 0 vs mu = 0) and
    ``bf10_heterogeneity`` (tau > 0 vs tau = 0) are NaN where a prior is improper.
    ``weights`` is each study's posterior expected share (%) of the inverse-variance
    weight ``1 / (v_i + tau^2)``. NUTS results carry ``idata`` (ArviZ InferenceData) and
    ``diagnostics`` (R-hat, ESS).
    """

    method: str
    model: str
    level: float
    k: int
    tau_prior: TauPrior
    mu_prior: Normal | None
    mu: PosteriorSummary
    tau: PosteriorSummary
    predictive: PosteriorSummary
    theta: pd.DataFrame
    threshold: float
    prob_mu_above: float
    bf10_effect: float
    bf10_heterogeneity: float
    log_evidence: float
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame
    excluded: pd.DataFrame
    measure: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = ()
    nu: PosteriorSummary | None = None
    diagnostics: pd.DataFrame | None = None
    sampler: dict[str, Any] | None = None
    idata: Any = field(default=None, compare=False)
    _posterior: Any = field(default=None, compare=False)

    # ------------------------------------------------------------------ frequentist-like names
    @property
    def estimate(self) -> float:
        """Posterior mean of mu (the pooled effect)."""
        return self.mu.mean

    @property
    def ci_low(self) -> float:
        return self.mu.ci_low

    @property
    def ci_high(self) -> float:
        return self.mu.ci_high

    @property
    def pi_low(self) -> float:
        """Lower end of the equal-tailed predictive interval for a new study's effect."""
        return self.predictive.ci_low

    @property
    def pi_high(self) -> float:
        return self.predictive.ci_high

    # ------------------------------------------------------------------ posterior queries
    def probability(self, threshold: float, param: str = "mu") -> float:
        """Posterior probability that ``param`` ("mu", "tau", "predictive") exceeds ``threshold``."""
        param = self._check_param(param)
        try:
            value = float(threshold)
        except (TypeError, ValueError):
            raise MetaattError(f"threshold: expected a number, got {threshold!r}") from None
        if not math.isfinite(value):
            raise MetaattError(f"threshold: must be finite, got {threshold!r}")
        return float(self._posterior.prob_above(param, value))

    def density_frame(self, param: str = "mu", points: int = 401) -> pd.DataFrame:
        """Marginal posterior density of ``param`` on a grid: DataFrame(x, density).

        ``param`` is ``"mu"``, ``"tau"`` or ``"predictive"``. The grid spans the central
        99.9% (tau: from its lower bound, or the 0.05% quantile where the density has a pole
        there, to the 99.5% quantile). A ``prior`` column holds the prior density when the
        prior of mu or tau is proper. Exact results evaluate the
        density exactly; NUTS results use a kernel density estimate of the draws (tau:
        reflected at 0) and, for the predictive distribution, the normal mixture over draws.
        """
        param = self._check_param(param)
        if not isinstance(points, int | np.integer) or points < 2:
            raise MetaattError(f"points: expected an integer >= 2, got {points!r}")
        x = self._posterior.grid(param, int(points))
        frame = pd.DataFrame({"x": x, "density": self._posterior.density(param, x)})
        prior = self._prior_density(param, x)
        if prior is not None:
            frame["prior"] = prior
        frame.attrs.update(
            {
                "param": param,
                "method": self.method,
                "measure": self.measure,
                "synthetic": self.synthetic,
            }
        )
        return frame

    def _prior_density(self, param: str, x: np.ndarray) -> np.ndarray | None:
        """Prior density on the same grid (proper priors of mu and tau only)."""
        if param == "mu" and self.mu_prior is not None:
            z = (x - self.mu_prior.mean) / self.mu_prior.sd
            return np.exp(-0.5 * z**2) / (self.mu_prior.sd * np.sqrt(2.0 * np.pi))
        if param == "tau" and self.tau_prior.proper:
            with np.errstate(divide="ignore", over="ignore"):
                return np.exp(self.tau_prior.logpdf(x))
        return None

    @staticmethod
    def _check_param(param: Any) -> str:
        if param not in _PARAMS:
            raise MetaattError(f"param: unknown parameter {param!r}; choose one of {list(_PARAMS)}")
        return str(param)

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """Per-study table: observed yi, vi, se, confidence interval, posterior weight (%),
        and the shrunken effect (theta_mean, theta_sd, theta_median, intervals)."""
        frame = study_table(self.labels, self.yi, self.vi, self.level, self.weights)
        for column in ("mean", "sd", "median", "ci_low", "ci_high", "hpd_low", "hpd_high"):
            frame[f"theta_{column}"] = self.theta[column].to_numpy()
        return frame

    def forest_frame(self) -> pd.DataFrame:
        """Forest-plot frame (variant "bayes"): for each study its observed estimate
        (kind "study") followed by its posterior (kind "shrunken"); then the posterior of mu
        ("pooled", posterior mean with equal-tailed interval) and of a new study's effect
        ("prediction")."""
        studies = self.to_frame()
        observed = forest_study_rows(studies, group=None, study=studies.study)
        shrunken = pd.DataFrame(
            {
                "label": studies.study,
                "estimate": studies.theta_mean,
                "ci_low": studies.theta_ci_low,
                "ci_high": studies.theta_ci_high,
                "weight": np.nan,
                "kind": "shrunken",
                "group": None,
                "study": studies.study,
            }
        )
        order = np.argsort(np.r_[np.arange(self.k), np.arange(self.k)], kind="stable")
        rows = pd.concat([observed, shrunken], ignore_index=True).iloc[order]
        extra = pd.DataFrame(
            [
                {
                    "label": "Bayesian random-effects (mu)",
                    "estimate": self.mu.mean,
                    "ci_low": self.mu.ci_low,
                    "ci_high": self.mu.ci_high,
                    "weight": 100.0,
                    "kind": "pooled",
                    "group": None,
                    "study": None,
                },
                {
                    "label": "Prediction (new study)",
                    "estimate": self.predictive.mean,
                    "ci_low": self.predictive.ci_low,
                    "ci_high": self.predictive.ci_high,
                    "weight": np.nan,
                    "kind": "prediction",
                    "group": None,
                    "study": None,
                },
            ]
        )
        frame = pd.concat([rows, extra], ignore_index=True)
        frame.attrs.update(
            {
                "measure": self.measure,
                "level": self.level,
                "synthetic": self.synthetic,
                "heterogeneity": self.heterogeneity_text(),
                "variant": "bayes",
                "title": ("SYNTHETIC DATA - " if self.synthetic else "")
                + "Bayesian random-effects meta-analysis",
            }
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Every statistic as plain Python values (for JSON, lock files, reports)."""
        return plain_fields(self, skip=("idata", "data"), keep_index=False)

    # ------------------------------------------------------------------ printing
    def heterogeneity_text(self) -> str:
        """One line on tau (posterior median and interval) and the heterogeneity Bayes factor."""
        pct = f"{100 * self.level:g}%"
        text = (
            f"Heterogeneity: tau median = {fmt(self.tau.median)} "
            f"[{pct} CrI {fmt(self.tau.ci_low)}, {fmt(self.tau.ci_high)}]"
        )
        if not math.isnan(self.bf10_heterogeneity):
            text += f", BF10(tau > 0) = {bf_text(self.bf10_heterogeneity)}"
        return text

    def summary(self) -> str:
        """A report laid out like bayesmeta's ``print``/``summary`` output."""
        return pool_summary(self)

    def __repr__(self) -> str:
        return (
            f"BayesPoolResult(method={self.method!r}, k={self.k}, mu={self.mu.mean:.4g} "
            f"[{self.mu.ci_low:.4g}, {self.mu.ci_high:.4g}], tau median={self.tau.median:.4g})"
        )

    def _repr_html_(self) -> str:
        return pool_html(self)

    def plot(self, **kwargs: Any) -> Any:
        """Forest plot with observed and shrunken estimates (see :func:`metaatt.plot.forest`)."""
        from ..plot import forest

        return forest(self, **kwargs)


def plain_fields(result: Any, skip: tuple[str, ...], keep_index: bool = True) -> dict[str, Any]:
    """The public fields of a Bayesian result as plain Python values (its ``to_dict``).

    Summaries and priors give their own ``to_dict``; tables become lists of records (with
    their index as a column when ``keep_index``), arrays and tuples lists. Fields in ``skip``
    (InferenceData, the input table, design matrices) are left out.
    """
    out: dict[str, Any] = {}
    for f in fields(result):
        if f.name.startswith("_") or f.name in skip:
            continue
        value = getattr(result, f.name)
        if isinstance(value, PosteriorSummary | TauPrior | Normal):
            value = value.to_dict()
        elif isinstance(value, pd.DataFrame):
            value = (value.reset_index() if keep_index else value).to_dict(orient="records")
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out
