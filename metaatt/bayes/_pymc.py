"""Shared PyMC machinery: lazy import, sampler settings, sampling and convergence checks.

pymc and arviz are imported here, inside functions, so that ``import metaatt.bayes`` stays
light. Convergence is judged by the rank-normalized split R-hat and the bulk and tail
effective sample sizes (Vehtari et al. 2021) and by divergent transitions; failures raise a
:class:`~metaatt.errors.SamplingWarning` naming the parameters.

References
----------
Vehtari A, Gelman A, Simpson D, Carpenter B, Buerkner PC (2021). Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC. Bayesian
Analysis 16(2):667-718.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_fraction
from ..errors import MetaattError, SamplingWarning

__all__ = ["INSTALL_HINT", "check_sampler", "diagnose", "import_pymc", "quiet_pytensor", "sample"]

INSTALL_HINT = (
    "method='nuts' and the PyMC models need the optional dependencies pymc and arviz; "
    "install them with: pip install 'metaatt[bayes]'"
)
RHAT_MAX = 1.01
ESS_PER_CHAIN = 100


def import_pymc() -> tuple[Any, Any]:
    """Import pymc and arviz, or raise an ImportError that says how to install them."""
    try:
        with warnings.catch_warnings():
            # arviz announces an upcoming refactor with a FutureWarning at import time
            warnings.simplefilter("ignore", FutureWarning)
            import arviz as az
            import pymc as pm
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return pm, az


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise MetaattError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def check_sampler(settings: dict[str, Any]) -> dict[str, Any]:
    """Validate NUTS settings: draws, tune, chains, cores (>= 1), target_accept in (0, 1),
    random_seed (None or an integer >= 0)."""
    out = {name: _positive_int(settings[name], name) for name in ("draws", "chains", "cores")}
    tune = settings["tune"]
    if isinstance(tune, bool) or not isinstance(tune, int | np.integer) or tune < 0:
        raise MetaattError(f"tune: expected an integer >= 0, got {tune!r}")
    out["tune"] = int(tune)
    out["target_accept"] = check_fraction(settings["target_accept"], "target_accept")
    seed = settings["random_seed"]
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        raise MetaattError(f"random_seed: expected None or an integer >= 0, got {seed!r}")
    out["random_seed"] = None if seed is None else int(seed)
    return out


@contextmanager
def _quiet_pymc():
    """Silence PyMC's progress logging; metaatt reports diagnostics itself."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def quiet_pytensor():
    """Ignore PyTensor's notice that it found no BLAS (and PyMC's FutureWarnings).

    pip-installed PyTensor warns once per process, while compiling the first graph, that it
    could not link to a BLAS; this only affects speed, and raised as an error (pytest's
    ``filterwarnings = error``) it would abort a graph rewrite. Every NUTS path of metaatt
    (``bayes.pool(method="nuts")``, ``robust_pool``, ``meta_regression``, ``multilevel``,
    and so the spec runner) compiles inside :func:`sample`, which uses this.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", "PyTensor could not link to a BLAS", UserWarning)
        yield


def sample(model: Any, settings: dict[str, Any]) -> Any:
    """Run NUTS on ``model`` with the validated ``settings``; returns InferenceData."""
    pm, _ = import_pymc()
    with model, _quiet_pymc(), quiet_pytensor():
        return pm.sample(
            draws=settings["draws"],
            tune=settings["tune"],
            chains=settings["chains"],
            cores=settings["cores"],
            random_seed=settings["random_seed"],
            target_accept=settings["target_accept"],
            progressbar=False,
            compute_convergence_checks=False,
            return_inferencedata=True,
        )


def diagnose(
    idata: Any, var_names: list[str], settings: dict[str, Any]
) -> tuple[pd.DataFrame, int]:
    """R-hat and ESS of ``var_names`` (DataFrame indexed by parameter) and the number of
    divergent transitions; warns with :class:`SamplingWarning` when a check fails."""
    _, az = import_pymc()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        table = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    table = table[["r_hat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd"]].copy()
    table.index.name = "parameter"
    divergences = int(np.asarray(idata.sample_stats["diverging"]).sum())
    chains = settings["chains"]
    ess_min = ESS_PER_CHAIN * chains
    problems = []
    if chains > 1:
        bad = table.index[~(table.r_hat <= RHAT_MAX)]
        problems += [f"{p} (R-hat {table.r_hat[p]:.3f} > {RHAT_MAX})" for p in bad[:8]]
    low = table.index[~(np.minimum(table.ess_bulk, table.ess_tail) >= ess_min)]
    problems += [
        f"{p} (ESS bulk {table.ess_bulk[p]:.0f}, tail {table.ess_tail[p]:.0f} < {ess_min})"
        for p in low[:8]
    ]
    if problems:
        warnings.warn(
            "NUTS convergence checks failed for "
            + ", ".join(problems)
            + "; increase draws and tune (or target_accept) before using these numbers",
            SamplingWarning,
            stacklevel=3,
        )
    if divergences:
        warnings.warn(
            f"NUTS: {divergences} divergent transitions after tuning; the posterior (often "
            "tau near 0) may be explored incompletely; raise target_accept (e.g. 0.99)",
            SamplingWarning,
            stacklevel=3,
        )
    return table, divergences


def draws_of(idata: Any, name: str) -> np.ndarray:
    """Posterior draws of ``name`` with chains and draws flattened (first axis)."""
    values = np.asarray(idata.posterior[name])
    return values.reshape(-1, *values.shape[2:])


def sampler_record(settings: dict[str, Any], divergences: int) -> dict[str, Any]:
    return {**settings, "divergences": divergences, "sampler": "NUTS (PyMC)"}
