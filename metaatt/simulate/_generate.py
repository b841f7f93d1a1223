"""Draw SYNTHETIC meta-analyses from the random-effects model (see :mod:`metaatt.simulate`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_float_vector, check_number, check_seed
from ..errors import MetaattError

__all__ = ["VarianceDistribution", "fixed", "generate", "grid", "scaled_chi2", "uniform"]


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
    low = check_number(low, "low")
    high = check_number(high, "high")
    if not 0 < low <= high:
        raise MetaattError(f"uniform: need 0 < low <= high, got low={low!r}, high={high!r}")
    return VarianceDistribution(
        f"uniform({low:g}, {high:g})", lambda rng, s: rng.uniform(low, high, s)
    )


def scaled_chi2(mean: float, df: float) -> VarianceDistribution:
    """Variances ``mean * chi2(df) / df``: estimated variances with ``df`` degrees of freedom."""
    mean = check_number(mean, "mean")
    df = check_number(df, "df")
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
    rng = np.random.default_rng(check_seed(random_seed))
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
