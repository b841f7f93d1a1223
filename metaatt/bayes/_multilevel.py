"""Bayesian three-level meta-analysis: effect sizes nested in studies (PyMC, NUTS).

Model (Konstantopoulos 2011, in Bayesian form): effect size j of study s,
``y_sj ~ N(theta_sj, v_sj)``, ``theta_sj = mu + u_s + w_sj``, ``u_s ~ N(0, tau^2)``
(between studies), ``w_sj ~ N(0, sigma^2)`` (between effect sizes within a study);
non-centered ``u_s = tau a_s``, ``w_sj = sigma b_sj``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._inputs import read_effects, resolve_column
from .._validate import check_level
from ..errors import MetaattError
from ._draws import DrawsPosterior, summarize_columns, summarize_draws
from ._multilevel_result import BayesMultilevelResult
from ._pymc import check_sampler, diagnose, draws_of, import_pymc, sample, sampler_record
from .pooling import DEFAULT_TAU_PRIOR, check_priors, check_threshold, theta_frame
from .priors import TauPrior, prior_from_spec

__all__ = ["BayesMultilevelResult", "multilevel"]


def multilevel(
    yi: Any,
    vi: Any = None,
    *,
    study: Any,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
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
    yi, vi, sei, data, labels, missing, allow_mixed_metrics
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
        allow_mixed_metrics=allow_mixed_metrics,
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
        {"study": study_names, **summarize_columns(draws_of(idata, "study_effect"), level)}
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
        theta=theta_frame(inputs, summarize_columns(draws_of(idata, "theta"), level)),
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
