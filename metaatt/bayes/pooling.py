"""``metaatt.bayes.pool``: Bayesian random-effects meta-analysis (exact or NUTS)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._inputs import EffectInputs, read_effects
from .._validate import check_choice, check_level
from ..errors import MetaattError
from .exact import ExactPosterior
from .priors import HalfNormal, Normal, TauPrior, prior_from_spec
from .result import BayesPoolResult, PosteriorSummary

__all__ = ["DEFAULT_TAU_PRIOR", "pool"]

#: default prior on tau: half-normal with scale 0.5 (weakly informative on the SMD / log OR
#: scale; Roever et al. 2021, Res Synth Methods 12:448-474)
DEFAULT_TAU_PRIOR = HalfNormal(0.5)
METHODS = ("exact", "nuts")


def check_priors(
    tau_prior: Any, mu_prior: Any, mu_name: str = "mu_prior"
) -> tuple[TauPrior, Normal | None]:
    """Validate the tau and mu priors (prior objects or spec mappings); ``mu_name`` is the
    argument name used in messages about the second prior."""
    tau = prior_from_spec(tau_prior, "tau_prior")
    if tau is None:
        raise MetaattError("tau_prior: a prior for tau is required, e.g. HalfNormal(0.5)")
    if isinstance(tau, Normal):
        raise MetaattError(
            f"tau_prior: {tau.describe()} is a prior for mu; tau >= 0 needs HalfNormal, "
            "HalfCauchy, HalfStudentT, Uniform, LogNormalTau2 or LogStudentTTau2"
        )
    if not isinstance(tau, TauPrior):
        raise MetaattError(f"tau_prior: expected a tau prior, got {type(tau_prior).__name__}")
    mu = prior_from_spec(mu_prior, mu_name)
    if mu is not None and not isinstance(mu, Normal):
        raise MetaattError(
            f"{mu_name}: expected Normal(mean, sd) or None (flat), got {mu.describe()}"
        )
    return tau, mu


def check_threshold(threshold: Any) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise MetaattError(f"threshold: expected a number, got {threshold!r}") from None
    if not math.isfinite(value):
        raise MetaattError(f"threshold: must be finite, got {threshold!r}")
    return value


def bayes_factor_plan(
    bayes_factors: Any, tau_prior: TauPrior, mu_prior: Normal | None
) -> tuple[bool, bool, list[str]]:
    """Which Bayes factors can be computed: (effect, heterogeneity, notes)."""
    if bayes_factors not in (None, True, False):
        raise MetaattError(f"bayes_factors: expected True, False or None, got {bayes_factors!r}")
    notes: list[str] = []
    if bayes_factors is False:
        return False, False, notes
    effect, heterogeneity = mu_prior is not None, tau_prior.proper
    if bayes_factors is True:
        if not effect:
            raise MetaattError(
                "mu_prior: the Bayes factor for an effect (mu != 0 vs mu = 0) needs a proper "
                "prior on mu, e.g. mu_prior=Normal(0, 1); got a flat prior (mu_prior=None)"
            )
        if not heterogeneity:
            raise MetaattError(
                f"tau_prior: the Bayes factor for heterogeneity needs a proper prior on tau; "
                f"got {tau_prior.describe()}"
            )
    if not effect:
        notes.append("BF10 for an effect is not defined with a flat (improper) mu prior")
    if not heterogeneity:
        notes.append("BF10 for heterogeneity is not defined with an improper tau prior")
    return effect, heterogeneity, notes


def exp_or_inf(log_value: float) -> float:
    """exp without overflow errors (a Bayes factor beyond 1e308 is reported as inf)."""
    return math.inf if log_value > 709.0 else math.exp(log_value)


def theta_frame(inputs: EffectInputs, values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        {"study": list(inputs.labels), "yi": inputs.yi, "se": np.sqrt(inputs.vi), **values}
    )


def _exact_summaries(
    post: ExactPosterior, level: float
) -> tuple[PosteriorSummary, PosteriorSummary, PosteriorSummary, dict[str, np.ndarray]]:
    alpha = (1.0 - level) / 2.0
    probs = np.array([alpha, 0.5, 1.0 - alpha])
    out = []
    for mix in (post.mu_mixture(), post.predictive_mixture()):
        q = mix.quantile(probs)[0]
        hpd = mix.shortest_interval(level)[0]
        out.append((float(mix.mean()[0]), float(mix.sd()[0]), q, hpd))
    finite_sd = post.second_moment_exists or post.mu_prior is not None
    mu_mean, mu_sd, mu_q, mu_hpd = out[0]
    mu = PosteriorSummary(
        mu_mean, mu_sd if finite_sd else math.inf, mu_q[1], mu_q[0], mu_q[2], *mu_hpd, level
    )
    pr_mean, pr_sd, pr_q, pr_hpd = out[1]
    predictive = PosteriorSummary(
        pr_mean,
        pr_sd if post.second_moment_exists else math.inf,
        pr_q[1],
        pr_q[0],
        pr_q[2],
        *pr_hpd,
        level,
    )
    tau_mean, tau_sd = post.tau_mean_sd()
    tq = post.tau_quantile(probs)
    tau = PosteriorSummary(
        tau_mean, tau_sd, tq[1], tq[0], tq[2], *post.tau_shortest_interval(level), level
    )
    theta = post.theta_mixture()
    tq = theta.quantile(probs)
    hpd = theta.shortest_interval(level)
    values = {
        "mean": theta.mean(),
        "sd": theta.sd(),
        "median": tq[:, 1],
        "ci_low": tq[:, 0],
        "ci_high": tq[:, 2],
        "hpd_low": hpd[:, 0],
        "hpd_high": hpd[:, 1],
    }
    return mu, tau, predictive, values


def _moment_notes(post: ExactPosterior) -> list[str]:
    notes = []
    if not post.mean_exists:
        notes.append("the posterior mean of tau is infinite (heavy-tailed prior, few studies)")
    if not post.second_moment_exists:
        notes.append(
            "the posterior variance of tau (and so the sd of the predictive distribution"
            + ("" if post.mu_prior is not None else " and of mu")
            + ") is infinite; use the medians and intervals"
        )
    return notes


def pool(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
    tau_prior: Any = DEFAULT_TAU_PRIOR,
    mu_prior: Any = None,
    method: str = "exact",
    level: float = 0.95,
    threshold: float = 0.0,
    bayes_factors: bool | None = None,
    random_seed: int | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int = 1,
    target_accept: float = 0.9,
) -> BayesPoolResult:
    """Bayesian random-effects meta-analysis of the normal-normal hierarchical model.

    Parameters
    ----------
    yi, vi, sei, data, labels, missing
        Effect sizes and sampling variances (or standard errors), as for
        :func:`metaatt.pool`: arrays, column names of ``data``, or an effect-size table
        (output of :func:`metaatt.escalc`; rows with a ``reason`` are excluded).
    allow_mixed_metrics
        As in :func:`metaatt.pool`: a table whose ``metric`` column mixes metrics (e.g.
        change-score ``d_z`` and raw-score ``d_raw_change``) is refused unless ``True``.
    tau_prior
        Prior on tau: :class:`HalfNormal` (default ``HalfNormal(0.5)``), :class:`HalfCauchy`,
        :class:`HalfStudentT`, :class:`Uniform`, or an empirical prior on tau^2
        (:func:`turner_prior`, :func:`rhodes_prior`); a mapping such as
        ``{"distribution": "half-normal", "scale": 0.5}`` is accepted too.
    mu_prior
        :class:`Normal` prior on mu, or None for the improper flat prior.
    method
        ``"exact"`` (numerical integration over tau; no sampling) or ``"nuts"`` (PyMC,
        non-centered; needs the ``metaatt[bayes]`` extra).
    level
        Credible level of every interval.
    threshold
        ``prob_mu_above`` is P(mu > threshold | y).
    bayes_factors
        None (default): compute the Bayes factors whose priors are proper, NaN otherwise;
        True: require both (error if a prior is improper); False: skip them.
    random_seed, draws, tune, chains, cores, target_accept
        NUTS settings (ignored by ``method="exact"``).

    Returns
    -------
    BayesPoolResult
        Posterior summaries of mu, tau and a new study's effect, shrunken study effects,
        P(mu > threshold), Bayes factors, forest and density frames.

    Notes
    -----
    ``y_i ~ N(theta_i, v_i)``, ``theta_i ~ N(mu, tau^2)``. Given tau, mu is normal with
    mean ``mu_hat = V (sum w_i y_i + m0/s0^2)`` and variance ``V = 1/(sum w_i + 1/s0^2)``,
    ``w_i = 1/(v_i + tau^2)``; p(tau | y) is proportional to ``p(tau) p(y | tau)`` with mu
    integrated out analytically, and is integrated numerically (adaptive Gauss-Legendre in
    log tau); every other marginal is a mixture of normals over tau (Roever 2020, sec. 2-3;
    see :mod:`metaatt.bayes.exact`). Equal-tailed and shortest intervals are both reported
    (bayesmeta's default is the shortest). Bayes factors: ``BF10_effect =
    p(y | M1) / p(y | mu = 0)``, ``BF10_heterogeneity = p(y | M1) / p(y | tau = 0)``.

    References
    ----------
    Roever C (2020). Bayesian random-effects meta-analysis using the bayesmeta R package.
    Journal of Statistical Software 93(6). Gelman A et al. (2013). Bayesian Data Analysis,
    3rd ed., sec. 5.4-5.5 (eight schools).

    Examples
    --------
    The eight schools (Rubin 1981) with bayesmeta's priors (Roever 2020, sec. 4.1):

    >>> from metaatt import bayes
    >>> y = [28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16]
    >>> se = [14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]
    >>> res = bayes.pool(y, sei=se, tau_prior=bayes.HalfCauchy(25), mu_prior=bayes.Normal(0, 50))
    >>> print(f"{res.tau.median:.4f} {res.tau.mean:.4f} {res.tau.hpd_high:.4f}")
    4.7585 5.8845 15.1659
    >>> print(f"{res.mu.median:.3f} {res.prob_mu_above:.4f}")
    7.963 0.9488
    """
    method = check_choice(method, "method", METHODS)
    level = check_level(level)
    threshold = check_threshold(threshold)
    tau_prior, mu_prior = check_priors(tau_prior, mu_prior)
    want_effect, want_het, notes = bayes_factor_plan(bayes_factors, tau_prior, mu_prior)
    inputs, _ = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        allow_mixed_metrics=allow_mixed_metrics,
    )
    if method == "nuts":
        from .nuts import fit_nnhm

        return fit_nnhm(
            inputs,
            tau_prior=tau_prior,
            mu_prior=mu_prior,
            level=level,
            threshold=threshold,
            bayes_factors=(want_effect, want_het),
            notes=notes,
            sampler={
                "draws": draws,
                "tune": tune,
                "chains": chains,
                "cores": cores,
                "target_accept": target_accept,
                "random_seed": random_seed,
            },
        )
    post = ExactPosterior(inputs.yi, inputs.vi, tau_prior, mu_prior)
    mu, tau, predictive, theta = _exact_summaries(post, level)
    notes += _moment_notes(post)
    if random_seed is not None:
        notes.append("random_seed is not used: the exact method draws no random numbers")
    bf_effect = exp_or_inf(post.log_bf_effect()) if want_effect else math.nan
    bf_het = exp_or_inf(post.log_bf_heterogeneity()) if want_het else math.nan
    proper = tau_prior.proper and mu_prior is not None
    return BayesPoolResult(
        method="exact",
        model="normal",
        level=level,
        k=inputs.k,
        tau_prior=tau_prior,
        mu_prior=mu_prior,
        mu=mu,
        tau=tau,
        predictive=predictive,
        theta=theta_frame(inputs, theta),
        threshold=threshold,
        prob_mu_above=post.prob_above("mu", threshold),
        bf10_effect=bf_effect,
        bf10_heterogeneity=bf_het,
        log_evidence=post.log_evidence if proper else math.nan,
        yi=inputs.yi,
        vi=inputs.vi,
        weights=post.study_weights(),
        labels=inputs.labels,
        data=inputs.data,
        excluded=inputs.excluded,
        measure=inputs.measure,
        synthetic=inputs.synthetic,
        notes=tuple(notes),
        _posterior=post,
    )
