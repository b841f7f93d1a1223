"""Simulation studies: generate meta-analyses under a known model and score estimators.

:func:`generate` draws SYNTHETIC datasets from the random-effects model
``y_i = mu + u_i + e_i``, ``u_i ~ N(0, tau2)``, ``e_i ~ N(0, v_i)``, with the within-study
variances ``v_i`` drawn from a distribution (:func:`uniform`, :func:`scaled_chi2`,
:func:`fixed`, a scipy frozen distribution, or any ``f(rng, size)``). :func:`evaluate`
runs every estimator and test on ``replicates`` datasets per condition of a :func:`grid`
and reports bias, empirical SE, RMSE, coverage, rejection rate and their Monte Carlo
standard errors (Morris, White & Crowther 2019), one tidy row per condition, method and
test. Each condition is fitted as one batch (the engine of :func:`metaatt.pool_batch`);
seeds are spawned per condition (:class:`numpy.random.SeedSequence`), so a condition's
results do not depend on which other conditions are run.

References
----------
Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to evaluate
statistical methods. Statistics in Medicine, 38(11), 2074-2102.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ._fit import fit_model
from ._pooled import heterogeneity_intervals, pooled_statistics
from ._validate import as_float_vector, check_level
from ._wls import Design
from .errors import MetaattError
from .pooling import normalize_method, normalize_test
from .tau2 import estimate_tau2

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


@dataclass(frozen=True)
class VarianceDistribution:
    """How within-study sampling variances are drawn: ``sample(rng, (n, k)) -> array``."""

    label: str
    sampler: Callable[[np.random.Generator, tuple[int, int]], np.ndarray]

    def sample(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        values = np.asarray(self.sampler(rng, shape), dtype=float)
        if values.shape != shape:
            values = np.broadcast_to(values, shape).copy()
        if not (np.isfinite(values).all() and (values > 0).all()):
            raise MetaattError(f"vi: the distribution {self.label} gave a variance that is not > 0")
        return values

    def __str__(self) -> str:
        return self.label


def uniform(low: float, high: float) -> VarianceDistribution:
    """Variances uniform on ``[low, high]`` (``0 < low <= high``)."""
    if not 0 < low <= high:
        raise MetaattError(f"uniform: need 0 < low <= high, got low={low!r}, high={high!r}")
    return VarianceDistribution(
        f"uniform({low:g}, {high:g})", lambda rng, s: rng.uniform(low, high, s)
    )


def scaled_chi2(mean: float, df: float) -> VarianceDistribution:
    """Variances ``mean * chi2(df) / df``: estimated variances with ``df`` degrees of freedom."""
    if not (mean > 0 and df > 0):
        raise MetaattError(f"scaled_chi2: need mean > 0 and df > 0, got {mean!r}, {df!r}")
    return VarianceDistribution(
        f"scaled_chi2({mean:g}, {df:g})", lambda rng, s: mean * rng.chisquare(df, s) / df
    )


def fixed(values: Sequence[float]) -> VarianceDistribution:
    """The same ``k`` variances in every dataset (their number must equal ``k``)."""
    array = as_float_vector(values, "vi")
    if (array <= 0).any():
        raise MetaattError("fixed: sampling variances must be > 0")
    label = (
        "fixed(" + ", ".join(f"{x:g}" for x in array[:4]) + (", ...)" if len(array) > 4 else ")")
    )

    def sampler(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        if shape[1] != len(array):
            raise MetaattError(f"vi: fixed() has {len(array)} variances but k = {shape[1]}")
        return np.broadcast_to(array, shape)

    return VarianceDistribution(label, sampler)


def _variances(spec: Any) -> VarianceDistribution:
    if isinstance(spec, VarianceDistribution):
        return spec
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        if spec <= 0:
            raise MetaattError(f"vi: a sampling variance must be > 0, got {spec!r}")
        return VarianceDistribution(f"{spec:g}", lambda rng, s: np.full(s, float(spec)))
    if hasattr(spec, "rvs"):  # scipy frozen distribution
        name = getattr(getattr(spec, "dist", None), "name", type(spec).__name__)
        return VarianceDistribution(name, lambda rng, s: spec.rvs(size=s, random_state=rng))
    if callable(spec):
        return VarianceDistribution(getattr(spec, "__name__", repr(spec)), spec)
    if isinstance(spec, Sequence | np.ndarray) and not isinstance(spec, str):
        return fixed(spec)
    raise MetaattError(
        "vi: expected a variance, a VarianceDistribution (uniform, scaled_chi2, fixed), "
        f"a scipy distribution or a function (rng, shape) -> array; got {spec!r}"
    )


def _draw(
    rng: np.random.Generator, n: int, k: int, mu: float, tau2: float, vi: VarianceDistribution
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` datasets of ``k`` studies: (yi, vi, theta), each ``(n, k)``."""
    variances = vi.sample(rng, (n, k))
    theta = mu + np.sqrt(tau2) * rng.standard_normal((n, k))
    yi = theta + np.sqrt(variances) * rng.standard_normal((n, k))
    return yi, variances, theta


def _check_condition(k: Any, tau2: Any, mu: Any) -> tuple[int, float, float]:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise MetaattError(f"k: the number of studies must be an integer >= 1, got {k!r}")
    tau2 = float(tau2)
    if not (np.isfinite(tau2) and tau2 >= 0):
        raise MetaattError(f"tau2: must be a finite number >= 0, got {tau2!r}")
    mu = float(mu)
    if not np.isfinite(mu):
        raise MetaattError(f"mu: must be a finite number, got {mu!r}")
    return int(k), tau2, mu


def generate(
    k: int,
    *,
    tau2: float = 0.0,
    mu: float = 0.0,
    vi: Any = None,
    n_datasets: int = 1,
    random_seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """SYNTHETIC meta-analytic datasets from the random-effects model.

    Parameters
    ----------
    k
        Studies per dataset.
    tau2, mu
        Between-study variance and mean effect.
    vi
        Within-study variances: a number, :func:`uniform` (default ``uniform(0.01, 0.1)``),
        :func:`scaled_chi2`, :func:`fixed`, a scipy frozen distribution, or a function
        ``(rng, shape) -> array``.
    n_datasets
        Number of independent datasets.
    random_seed
        Seed (an int, a :class:`numpy.random.SeedSequence` such as :func:`condition_seed`,
        or a generator) for reproducible draws.

    Returns
    -------
    pandas.DataFrame
        Long table with ``dataset``, ``study``, ``yi``, ``vi``, ``theta`` (the true study
        effect) and ``synthetic = True``; ``attrs["synthetic"]`` is True. Ready for
        ``metaatt.pool_batch(frame, by="dataset")``.

    Notes
    -----
    ``theta_i = mu + sqrt(tau2) z_i`` and ``y_i = theta_i + sqrt(v_i) e_i`` with independent
    standard normal ``z_i``, ``e_i``; the ``v_i`` are treated as known.
    """
    k, tau2, mu = _check_condition(k, tau2, mu)
    if isinstance(n_datasets, bool) or not isinstance(n_datasets, int) or n_datasets < 1:
        raise MetaattError(f"n_datasets: must be an integer >= 1, got {n_datasets!r}")
    rng = np.random.default_rng(random_seed)
    yi, variances, theta = _draw(
        rng, n_datasets, k, mu, tau2, _variances(uniform(0.01, 0.1) if vi is None else vi)
    )
    frame = pd.DataFrame(
        {
            "dataset": np.repeat(np.arange(1, n_datasets + 1), k),
            "study": np.tile(np.arange(1, k + 1), n_datasets),
            "yi": yi.ravel(),
            "vi": variances.ravel(),
            "theta": theta.ravel(),
            "synthetic": True,
        }
    )
    frame.attrs.update({"synthetic": True, "model": {"k": k, "tau2": tau2, "mu": mu}})
    return frame


def grid(**axes: Any) -> pd.DataFrame:
    """All combinations of the given condition values (``k``, ``tau2``, ``mu``, ``vi``).

    >>> from metaatt import simulate
    >>> len(simulate.grid(k=[5, 10], tau2=[0.0, 0.1, 0.5]))
    6
    """
    unknown = set(axes) - {"k", "tau2", "mu", "vi"}
    if unknown:
        raise MetaattError(f"grid: unknown condition(s) {sorted(unknown)}; use k, tau2, mu, vi")
    if "k" not in axes:
        raise MetaattError("grid: k (studies per meta-analysis) is required")
    names = list(axes)
    values = [v if isinstance(v, list | tuple | np.ndarray | range) else [v] for v in axes.values()]
    return pd.DataFrame(list(itertools.product(*values)), columns=names)


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
