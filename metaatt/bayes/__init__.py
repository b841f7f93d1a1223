"""Bayesian random-effects meta-analysis: exact answers fast, PyMC where the model grows.

- :func:`pool`: the normal-normal hierarchical model. ``method="exact"`` integrates over
  tau numerically (no sampling; Roever 2020); ``method="nuts"`` fits the same model in PyMC.
- :func:`meta_regression`, :func:`multilevel`, :func:`robust_pool`: PyMC models beyond the
  exact case (moderators; effect sizes nested in studies; Student-t random effects).
- Priors: :class:`HalfNormal`, :class:`HalfCauchy`, :class:`HalfStudentT`, :class:`Uniform`
  for tau; :class:`Normal` (or None, flat) for mu; empirical priors for tau^2 by outcome type
  from :func:`turner_prior` (Turner et al. 2015) and :func:`rhodes_prior` (Rhodes et al.
  2015).

Importing this module loads numpy, scipy and pandas only; pymc and arviz are imported when a
NUTS model is fitted (install them with ``pip install 'metaatt[bayes]'``).
"""

from __future__ import annotations

from ._multilevel import BayesMultilevelResult, multilevel
from ._regression import BayesRegressionResult, meta_regression
from .empirical import rhodes_prior, turner_prior
from .nuts import robust_pool
from .pooling import DEFAULT_TAU_PRIOR, pool
from .priors import (
    HalfCauchy,
    HalfNormal,
    HalfStudentT,
    LogNormalTau2,
    LogStudentTTau2,
    Normal,
    TauPrior,
    Uniform,
    prior_from_spec,
)
from .result import BayesPoolResult, PosteriorSummary

__all__ = [
    "DEFAULT_TAU_PRIOR",
    "BayesMultilevelResult",
    "BayesPoolResult",
    "BayesRegressionResult",
    "HalfCauchy",
    "HalfNormal",
    "HalfStudentT",
    "LogNormalTau2",
    "LogStudentTTau2",
    "Normal",
    "PosteriorSummary",
    "TauPrior",
    "Uniform",
    "meta_regression",
    "multilevel",
    "pool",
    "prior_from_spec",
    "rhodes_prior",
    "robust_pool",
    "turner_prior",
]
