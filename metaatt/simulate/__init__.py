"""Simulation studies: generate meta-analyses under a known model and score estimators.

:func:`generate` draws SYNTHETIC datasets from the random-effects model
``y_i = mu + u_i + e_i``, ``u_i ~ N(0, tau2)``, ``e_i ~ N(0, v_i)``, with the within-study
variances ``v_i`` drawn from a distribution (:func:`uniform`, :func:`scaled_chi2`,
:func:`fixed`, a scipy frozen distribution, or any ``f(rng, size)``). :func:`evaluate`
runs every estimator and test on ``replicates`` datasets per condition of a :func:`grid`
and reports bias, empirical SE, RMSE, coverage, rejection rate and their Monte Carlo
standard errors (Morris, White & Crowther 2019), one tidy row per condition, method and
test. Each condition is fitted as one batch (the engine of :func:`metaatt.pool_batch`).
Each condition draws from its own stream, :func:`condition_seed` of the seed and the
condition's values, so its results do not depend on the other conditions or their order,
and ``generate(..., random_seed=condition_seed(...))`` regenerates its datasets.

References
----------
Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to evaluate
statistical methods. Statistics in Medicine, 38(11), 2074-2102.
"""

from __future__ import annotations

from ._evaluate import METRICS, condition_seed, evaluate
from ._generate import VarianceDistribution, fixed, generate, grid, scaled_chi2, uniform

__all__ = [
    "METRICS",
    "VarianceDistribution",
    "condition_seed",
    "evaluate",
    "fixed",
    "generate",
    "grid",
    "scaled_chi2",
    "uniform",
]
