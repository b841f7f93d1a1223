"""Score estimators on simulated meta-analyses (see :mod:`metaatt.simulate`)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._fit import fit_model
from .._pooled import heterogeneity_intervals, pooled_statistics
from .._validate import check_level, check_seed
from .._wls import Design
from ..errors import MetaattError
from ..pooling import normalize_method, normalize_test
from ..tau2 import estimate_tau2
from ._generate import _check_condition, _draw, _variances, grid, uniform

__all__ = ["METRICS", "condition_seed", "evaluate"]


#: the columns :func:`evaluate` reports for each condition, method and test
METRICS = (
    "replicates",
    "mean_estimate",
    "bias",
    "mcse_bias",
    "empirical_se",
    "mean_se",
    "rmse",
    "coverage",
    "mcse_coverage",
    "mean_ci_width",
    "rejection_rate",
    "pi_coverage",
    "mean_tau2",
    "bias_tau2",
    "rmse_tau2",
    "tau2_ci_coverage",
    "boundary_rate",
    "mean_i2",
)


def evaluate(
    conditions: Any,
    *,
    methods: str | Iterable[str] = ("REML",),
    tests: str | Iterable[str] = ("z",),
    replicates: int = 1000,
    level: float = 0.95,
    random_seed: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Bias, RMSE and coverage of pooling methods across simulated conditions.

    Parameters
    ----------
    conditions
        A DataFrame with one row per condition (columns ``k``, and optionally ``tau2``,
        ``mu``, ``vi``; see :func:`generate`), e.g. from :func:`grid`; or a dict of lists
        (passed to :func:`grid`); or a list of dicts.
    methods, tests
        tau^2 estimators (as in :func:`metaatt.pool`; not GENQ) and tests to compare.
    replicates
        Datasets per condition.
    level
        Confidence level of every interval.
    random_seed
        Seed. Each condition draws from its own stream, :func:`condition_seed` of the seed
        and the condition's values, so its results do not depend on the other conditions
        or their order, and ``generate(..., n_datasets=replicates,
        random_seed=condition_seed(random_seed, k=..., ...))`` regenerates its datasets.
    progress
        Show a progress bar over conditions (needs tqdm; silently skipped without it).

    Returns
    -------
    pandas.DataFrame
        One row per condition, method and test: the condition (``condition`` number, ``k``,
        ``tau2``, ``mu``, ``vi``), ``method``, ``test`` and the :data:`METRICS`:
        ``mean_estimate``; ``bias`` = mean(estimate) - mu with its Monte Carlo SE
        ``mcse_bias`` = empirical_se / sqrt(n); ``empirical_se`` (SD of the estimates);
        ``mean_se`` (mean model SE); ``rmse``; ``coverage`` of the CI with
        ``mcse_coverage`` = sqrt(c (1 - c) / n); ``mean_ci_width``; ``rejection_rate`` of
        mu = 0 at alpha = 1 - level (power, or type I error when mu = 0); ``pi_coverage``,
        the mean probability that a new study's true effect falls in the prediction
        interval; ``mean_tau2``, ``bias_tau2``, ``rmse_tau2``; ``tau2_ci_coverage`` of the
        Q-profile interval; ``boundary_rate`` (tau^2 estimated as 0); ``mean_i2``.
        ``attrs`` record replicates, level, random_seed and ``synthetic = True``.

    Notes
    -----
    Performance measures and Monte Carlo SEs as defined by Morris, White & Crowther
    (2019, Table 6). Every replicate of a condition is fitted in one vectorized batch,
    exactly as :func:`metaatt.pool` would fit it alone.

    Examples
    --------
    >>> from metaatt import simulate
    >>> res = simulate.evaluate(simulate.grid(k=[10], tau2=[0.1]), methods=["DL", "REML"],
    ...                         replicates=200, random_seed=1, progress=False)
    >>> res[["k", "method", "test"]].to_string(index=False)
    ' k method test\\n10     DL    z\\n10   REML    z'
    """
    table = _conditions(conditions)
    methods = [normalize_method(m) for m in ([methods] if isinstance(methods, str) else methods)]
    if "GENQ" in methods:
        raise MetaattError("methods: 'GENQ' needs user weights and cannot be simulated here")
    tests = [normalize_test(t) for t in ([tests] if isinstance(tests, str) else tests)]
    if not methods or not tests:
        raise MetaattError("methods, tests: give at least one method and one test")
    level = check_level(level)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise MetaattError(f"replicates: must be an integer >= 1, got {replicates!r}")
    random_seed = check_seed(random_seed)
    if isinstance(random_seed, np.random.Generator):
        raise MetaattError("random_seed: expected None or an integer, got a Generator")
    base = np.random.SeedSequence(random_seed)
    rows = []
    for number, condition in _progress(table.to_dict("records"), enabled=progress):
        k, tau2, mu = _check_condition(
            condition["k"], condition.get("tau2", 0.0), condition.get("mu", 0.0)
        )
        distribution = _variances(condition.get("vi", uniform(0.01, 0.1)))
        seed = condition_seed(base, k=k, tau2=tau2, mu=mu, vi=distribution)
        yi, vi, _ = _draw(np.random.default_rng(seed), replicates, k, mu, tau2, distribution)
        design = Design(yi, vi, np.ones_like(yi), None, np.full(replicates, k), 1)
        described = {
            "condition": number + 1,
            "k": k,
            "tau2": tau2,
            "mu": mu,
            "vi": str(distribution),
        }
        intervals = None
        for method in methods:
            estimate = estimate_tau2(design, method)
            for test in tests:
                fit = fit_model(design, method, test, level, tau2_estimate=estimate)
                if intervals is None:  # the Q-profile depends on the data only
                    intervals = heterogeneity_intervals(fit, level)
                stats = pooled_statistics(fit, level, intervals=False)
                scores = _score(stats, intervals, mu=mu, tau2=tau2, level=level)
                rows.append({**described, "method": method, "test": test, **scores})
    out = pd.DataFrame(rows)
    out.attrs.update(
        {
            "synthetic": True,
            "replicates": replicates,
            "level": level,
            "random_seed": random_seed,
            "reference": "Morris, White & Crowther (2019), Statistics in Medicine 38:2074-2102",
        }
    )
    return out


def condition_seed(
    random_seed: int | np.random.SeedSequence | None,
    *,
    k: int,
    tau2: float = 0.0,
    mu: float = 0.0,
    vi: Any = None,
) -> np.random.SeedSequence:
    """The seed :func:`evaluate` uses for one condition (from the seed and its values)."""
    random_seed = check_seed(random_seed)
    if isinstance(random_seed, np.random.Generator):
        raise MetaattError(
            "random_seed: expected None, an integer or a SeedSequence, got a Generator"
        )
    if (
        isinstance(k, bool)
        or not isinstance(k, int | float | np.number)
        or not np.isfinite(k)
        or k != int(k)
    ):
        raise MetaattError(f"k: expected a whole number of studies, got {k!r}")
    base = (
        random_seed
        if isinstance(random_seed, np.random.SeedSequence)
        else np.random.SeedSequence(random_seed)
    )
    label = str(_variances(uniform(0.01, 0.1) if vi is None else vi))
    key = f"k={int(k)};tau2={float(tau2)!r};mu={float(mu)!r};vi={label}"
    return np.random.SeedSequence([base.entropy, zlib.crc32(key.encode("utf-8"))])


def _conditions(conditions: Any) -> pd.DataFrame:
    if isinstance(conditions, dict):
        return grid(**conditions)
    if isinstance(conditions, list):
        conditions = pd.DataFrame(conditions)
    if not isinstance(conditions, pd.DataFrame):
        raise MetaattError(
            f"conditions: expected a DataFrame, a dict or a list of dicts, got {type(conditions).__name__}"
        )
    if "k" not in conditions.columns:
        raise MetaattError("conditions: a column k (studies per meta-analysis) is required")
    unknown = set(conditions.columns) - {"k", "tau2", "mu", "vi"}
    if unknown:
        raise MetaattError(f"conditions: unknown column(s) {sorted(unknown)}; use k, tau2, mu, vi")
    if conditions.empty:
        raise MetaattError("conditions: no condition to simulate")
    return conditions.reset_index(drop=True)


def _progress(records: list[dict], *, enabled: bool) -> Iterable[tuple[int, dict]]:
    items = enumerate(records)
    if not enabled:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional (the "all" extra): no bar
        return items
    return tqdm(items, total=len(records), desc="conditions", unit="condition")


def _mean(values: np.ndarray) -> float:
    """Mean over the finite-or-flag entries; NaN (without a warning) when there are none."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def _score(
    stats: dict[str, np.ndarray],
    intervals: dict[str, np.ndarray],
    *,
    mu: float,
    tau2: float,
    level: float,
) -> dict[str, float]:
    estimate = stats["estimate"]
    n = estimate.size
    error = estimate - mu
    empirical_se = float(estimate.std(ddof=1)) if n > 1 else float("nan")
    covered = ((stats["ci_low"] <= mu) & (mu <= stats["ci_high"])).astype(float)
    coverage = float(covered.mean())
    pi_low, pi_high = stats["pi_low"], stats["pi_high"]
    if tau2 > 0:
        tau = np.sqrt(tau2)
        pi_cover = special.ndtr((pi_high - mu) / tau) - special.ndtr((pi_low - mu) / tau)
    else:
        pi_cover = np.where(np.isnan(pi_low), np.nan, (pi_low <= mu) & (mu <= pi_high))
    estimated = stats["tau2"]
    low, high = intervals["tau2_ci_low"], intervals["tau2_ci_high"]
    tau2_covered = np.where(np.isnan(low), np.nan, (low <= tau2) & (tau2 <= high))
    return {
        "replicates": n,
        "mean_estimate": float(estimate.mean()),
        "bias": float(error.mean()),
        "mcse_bias": empirical_se / np.sqrt(n),
        "empirical_se": empirical_se,
        "mean_se": float(stats["se"].mean()),
        "rmse": float(np.sqrt(np.mean(error * error))),
        "coverage": coverage,
        "mcse_coverage": float(np.sqrt(coverage * (1.0 - coverage) / n)),
        "mean_ci_width": float((stats["ci_high"] - stats["ci_low"]).mean()),
        "rejection_rate": float((stats["pval"] < 1.0 - level).mean()),
        "pi_coverage": _mean(np.asarray(pi_cover, dtype=float)),
        "mean_tau2": _mean(estimated),
        "bias_tau2": _mean(estimated - tau2),
        "rmse_tau2": float(np.sqrt(_mean((estimated - tau2) ** 2))),
        "tau2_ci_coverage": _mean(np.asarray(tau2_covered, dtype=float)),
        "boundary_rate": float(stats["tau2_at_boundary"].mean()),
        "mean_i2": _mean(stats["i2"]),
    }
