"""The normal-normal model and its Student-t (robust) variant fitted by NUTS in PyMC.

Non-centered parametrization (Betancourt & Girolami 2015; Gelman et al. 2013, sec. 5.5):
``theta_i = mu + tau z_i`` with ``z_i ~ N(0, 1)`` (robust model: ``z_i ~ t_nu``), which
avoids the funnel between tau and the study effects when tau is small; the effect of a new
study is ``theta_new = mu + tau z_new``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._inputs import EffectInputs, read_effects
from .._validate import check_level
from ..errors import MetaattError
from ._draws import DrawsPosterior, summarize_columns, summarize_draws
from ._pymc import check_sampler, diagnose, draws_of, import_pymc, sample, sampler_record
from .exact import ExactPosterior
from .pooling import (
    DEFAULT_TAU_PRIOR,
    bayes_factor_plan,
    check_priors,
    check_threshold,
    exp_or_inf,
    theta_frame,
)
from .priors import Normal, TauPrior
from .result import BayesPoolResult

__all__ = ["fit_nnhm", "robust_pool"]


def _build_model(
    inputs: EffectInputs,
    tau_prior: TauPrior,
    mu_prior: Normal | None,
    effects: str,
    nu: float | None,
) -> Any:
    pm, _ = import_pymc()
    coords = {"study": list(dict.fromkeys(_unique_labels(inputs.labels)))}
    with pm.Model(coords=coords) as model:
        mu = mu_prior.pymc("mu") if mu_prior is not None else pm.Flat("mu")
        tau = tau_prior.pymc("tau")
        if effects == "normal":
            z = pm.Normal("z", 0.0, 1.0, dims="study")
            z_new = pm.Normal("z_new", 0.0, 1.0)
        else:
            df = pm.Gamma("nu", alpha=2.0, beta=0.1) if nu is None else nu
            z = pm.StudentT("z", nu=df, mu=0.0, sigma=1.0, dims="study")
            z_new = pm.StudentT("z_new", nu=df, mu=0.0, sigma=1.0)
        theta = pm.Deterministic("theta", mu + tau * z, dims="study")
        pm.Deterministic("theta_new", mu + tau * z_new)
        pm.Normal("y", mu=theta, sigma=np.sqrt(inputs.vi), observed=inputs.yi, dims="study")
    return model


def _unique_labels(labels: tuple[str, ...]) -> list[str]:
    """Labels made unique for PyMC coordinates (duplicates get a suffix)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        n = seen.get(label, 0)
        seen[label] = n + 1
        out.append(label if n == 0 else f"{label} ({n + 1})")
    return out


def fit_nnhm(
    inputs: EffectInputs,
    *,
    tau_prior: TauPrior,
    mu_prior: Normal | None,
    level: float,
    threshold: float,
    bayes_factors: tuple[bool, bool],
    notes: list[str],
    sampler: dict[str, Any],
    effects: str = "normal",
    nu: float | None = None,
) -> BayesPoolResult:
    """Fit the model by NUTS and summarize the draws like the exact method."""
    settings = check_sampler(sampler)
    model = _build_model(inputs, tau_prior, mu_prior, effects, nu)
    idata = sample(model, settings)
    var_names = ["mu", "tau", "theta", "theta_new"]
    if effects != "normal" and nu is None:
        var_names.append("nu")
    diagnostics, divergences = diagnose(idata, var_names, settings)

    mu = draws_of(idata, "mu")
    tau = draws_of(idata, "tau")
    theta = draws_of(idata, "theta")
    theta_new = draws_of(idata, "theta_new")
    values = summarize_columns(theta, level)
    notes = list(notes)
    bf_effect = bf_het = log_evidence = math.nan
    if effects == "normal" and any(bayes_factors):
        exact = ExactPosterior(inputs.yi, inputs.vi, tau_prior, mu_prior)
        if bayes_factors[0]:
            bf_effect = exp_or_inf(exact.log_bf_effect())
        if bayes_factors[1]:
            bf_het = exp_or_inf(exact.log_bf_heterogeneity())
        if tau_prior.proper and mu_prior is not None:
            log_evidence = exact.log_evidence
        notes.append(
            "Bayes factors are computed by numerical integration of the same model "
            "(sampling does not estimate marginal likelihoods)"
        )
    elif effects != "normal":
        notes = [n for n in notes if not n.startswith("BF10")]
        notes.append("Bayes factors are not computed for the Student-t random-effects model")
    if effects == "normal":
        w = 1.0 / (inputs.vi[None, :] + tau[:, None] ** 2)
        weights = 100.0 * (w / w.sum(axis=1, keepdims=True)).mean(axis=0)
    else:
        weights = np.full(inputs.k, np.nan)
    return BayesPoolResult(
        method="nuts",
        model=effects,
        level=level,
        k=inputs.k,
        tau_prior=tau_prior,
        mu_prior=mu_prior,
        mu=summarize_draws(mu, level),
        tau=summarize_draws(tau, level),
        predictive=summarize_draws(theta_new, level),
        theta=theta_frame(inputs, values),
        threshold=threshold,
        prob_mu_above=float(np.mean(mu > threshold)),
        bf10_effect=bf_effect,
        bf10_heterogeneity=bf_het,
        log_evidence=log_evidence,
        yi=inputs.yi,
        vi=inputs.vi,
        weights=weights,
        labels=inputs.labels,
        data=inputs.data,
        excluded=inputs.excluded,
        measure=inputs.measure,
        synthetic=inputs.synthetic,
        notes=tuple(notes),
        nu=summarize_draws(draws_of(idata, "nu"), level)
        if effects != "normal" and nu is None
        else None,
        diagnostics=diagnostics,
        sampler=sampler_record(settings, divergences) | {"nu": nu, "effects": effects},
        idata=idata,
        _posterior=DrawsPosterior(mu, tau, theta_new, normal_effects=effects == "normal"),
    )


def robust_pool(
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
    nu: float | None = 4.0,
    level: float = 0.95,
    threshold: float = 0.0,
    random_seed: int | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int = 1,
    target_accept: float = 0.95,
) -> BayesPoolResult:
    """Random-effects meta-analysis with Student-t distributed study effects (NUTS).

    Parameters
    ----------
    yi, vi, sei, data, labels, missing, allow_mixed_metrics, tau_prior, mu_prior, level, threshold
        As for :func:`metaatt.bayes.pool`. Here tau is the *scale* of the t distribution of
        the study effects (their sd is ``tau sqrt(nu / (nu - 2))`` for nu > 2).
    nu
        Degrees of freedom of the random-effects distribution: a fixed number > 0 (default
        4), or None to estimate it with the prior ``nu ~ Gamma(2, 0.1)`` (Juarez & Steel
        2010).
    random_seed, draws, tune, chains, cores, target_accept
        NUTS settings.

    Returns
    -------
    BayesPoolResult
        With ``model="student_t"``; ``nu`` holds the posterior of nu when it is estimated.
        Bayes factors are not computed (NaN).

    Notes
    -----
    ``y_i ~ N(theta_i, v_i)``, ``theta_i = mu + tau z_i``, ``z_i ~ t_nu(0, 1)``: heavy tails
    let an outlying study keep its own effect instead of pulling mu (Baker & Jackson 2008;
    Lee & Thompson 2008).

    References
    ----------
    Baker R, Jackson D (2008). A new approach to outliers in meta-analysis. Health Care
    Management Science 11:121-131. Lee KJ, Thompson SG (2008). Flexible parametric models
    for random-effects distributions. Statistics in Medicine 27:418-434. Juarez MA, Steel MFJ
    (2010). Model-based clustering of non-Gaussian panel data based on skew-t distributions.
    Journal of Business & Economic Statistics 28:52-66.
    """
    level = check_level(level)
    threshold = check_threshold(threshold)
    tau_prior, mu_prior = check_priors(tau_prior, mu_prior)
    if nu is not None:
        try:
            nu = float(nu)
        except (TypeError, ValueError):
            raise MetaattError(f"nu: expected a number > 0 or None, got {nu!r}") from None
        if not (math.isfinite(nu) and nu > 0):
            raise MetaattError(f"nu: degrees of freedom must be a positive number, got {nu!r}")
    _, _, notes = bayes_factor_plan(False, tau_prior, mu_prior)
    inputs, _ = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        allow_mixed_metrics=allow_mixed_metrics,
    )
    return fit_nnhm(
        inputs,
        tau_prior=tau_prior,
        mu_prior=mu_prior,
        level=level,
        threshold=threshold,
        bayes_factors=(False, False),
        notes=notes,
        sampler={
            "draws": draws,
            "tune": tune,
            "chains": chains,
            "cores": cores,
            "target_accept": target_accept,
            "random_seed": random_seed,
        },
        effects="student_t",
        nu=nu,
    )
