"""``permutation_test``: permutation p-values for meta-regression coefficients and QM.

Models with moderators: the rows of the model matrix ``X`` are permuted (the outcomes and
their variances stay with their studies), the model is refitted and the test statistics
recomputed; intercept-only models: the signs of the outcomes are permuted (Follmann &
Proschan 1999). The two-sided p-value of a coefficient is the proportion of permutations
with ``|z_perm| >= |z_obs|``; for the omnibus test ``QM_perm >= QM_obs`` (Higgins &
Thompson 2004; Viechtbauer et al. 2015). Comparisons use metafor's tolerance
``sqrt(machine epsilon)``.

Exact tests enumerate every *distinct* permutation: ``k! / prod(m_j!)`` arrangements of
the rows of ``X`` (``m_j`` = multiplicity of each distinct row) or ``2^k`` sign patterns.
They are used whenever that number does not exceed ``iterations`` (as metafor's
``permutest``); otherwise ``iterations`` random permutations are drawn, the first being the
observed data. All refits of a batch run at once through the batched engine
(:class:`~metaatt._wls.Design` with one analysis per permutation).

References
----------
Follmann, D. A., & Proschan, M. A. (1999). Valid inference in random effects
meta-analysis. Biometrics, 55, 732-737. Higgins, J. P. T., & Thompson, S. G. (2004).
Controlling the risk of spurious findings from meta-regression. Statistics in Medicine, 23,
1663-1682. Viechtbauer, W., Lopez-Lopez, J. A., Sanchez-Meca, J., & Marin-Martinez, F.
(2015). A comparison of procedures to test for moderators in mixed-effects meta-regression
models. Psychological Methods, 20, 360-374.
"""

from __future__ import annotations

import math
import warnings
from itertools import combinations
from typing import Any

import numpy as np

from ._coefficients import wald_test
from ._fit import fit_model
from ._validate import check_seed
from ._wls import Design
from .errors import BoundaryWarning, MetaattError
from .permutation_result import PermutationResult
from .regression_result import MetaRegressionResult
from .results import PoolResult

__all__ = ["COMPARISON_TOLERANCE", "count_permutations", "permutation_test"]

#: metafor's ``comptol``: ``.Machine$double.eps^0.5``
COMPARISON_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
#: largest number of distinct permutations enumerated for an exact test
MAX_EXACT = 2_000_000
#: numbers held in memory per refit batch (B * k * p)
BATCH_CELLS = 4_000_000


def count_permutations(X: np.ndarray | None, k: int) -> float:
    """Number of distinct permutations: ``2^k`` sign patterns without moderators,
    ``k! / prod(m_j!)`` arrangements of the rows of ``X`` otherwise (may be ``inf``)."""
    if X is None:
        return float(2**k) if k < 1000 else math.inf
    _, counts = np.unique(X, axis=0, return_counts=True)
    log_count = math.lgamma(k + 1) - sum(math.lgamma(c + 1) for c in counts)
    return math.exp(log_count) if log_count < 700 else math.inf


def _arrangements(codes: np.ndarray) -> np.ndarray:
    """Every distinct arrangement of the multiset ``codes`` (shape ``(n, k)``)."""
    k = len(codes)
    values, counts = np.unique(codes, return_counts=True)
    partial = [np.full(k, -1)]
    for value, count in zip(values[:-1], counts[:-1], strict=True):
        grown = []
        for arrangement in partial:
            free = np.flatnonzero(arrangement < 0)
            for chosen in combinations(free, int(count)):
                new = arrangement.copy()
                new[list(chosen)] = value
                grown.append(new)
        partial = grown
    out = np.array(partial)
    out[out < 0] = values[-1]
    return out


def permutation_test(
    result: MetaRegressionResult | PoolResult,
    *,
    iterations: int = 1000,
    random_seed: int | np.random.Generator | None = None,
    exact: bool | None = None,
) -> PermutationResult:
    """Permutation test of the coefficients and the omnibus test of a fitted model.

    Parameters
    ----------
    result
        A :class:`~metaatt.regression_result.MetaRegressionResult` (rows of ``X`` are
        permuted) or a :class:`~metaatt.results.PoolResult` (signs of ``yi`` are permuted).
    iterations
        Number of random permutations (the first is the observed data); also the largest
        number of distinct permutations for which the exact test is used automatically.
    random_seed
        Seed or :class:`numpy.random.Generator` for reproducible random permutations.
    exact
        ``None`` (default): exact when feasible (at most ``iterations`` permutations);
        ``True``: always exact (an error when there are more than 2,000,000 permutations);
        ``False``: always random.

    Returns
    -------
    PermutationResult
        Observed coefficients and statistics, permutation p-values ``pval`` and
        ``qm_pval``, the permutation distributions and the number of permutations.

    Notes
    -----
    ``p_j = #{|z_j^(b)| >= |z_j| - tol} / B`` and ``p_QM = #{QM^(b) >= QM - tol} / B`` over
    the ``B`` permutations (including the observed one), with the model's own statistics
    (z or t; chi^2 or F), as metafor's ``permutest``. With few studies the smallest
    attainable p-value is ``1 / B`` (e.g. 1/32 for ``k = 5`` without moderators).

    References
    ----------
    See the module docstring.
    """
    if isinstance(result, MetaRegressionResult):
        X = result.X
        user_weights = result._user_weights
    elif isinstance(result, PoolResult):
        X = None
        user_weights = None if result.method != "GENQ" else result._fit.weights[:1]
    else:
        raise MetaattError(
            "result: expected the result of meta_regression() or pool(), got "
            f"{type(result).__name__}"
        )
    if (
        isinstance(iterations, bool)
        or not isinstance(iterations, (int, np.integer))
        or iterations < 2
    ):
        raise MetaattError(f"iterations: expected an integer >= 2, got {iterations!r}")
    iterations = int(iterations)
    if exact not in (None, True, False):
        raise MetaattError(f"exact: expected None, True or False, got {exact!r}")
    random_seed = check_seed(random_seed)
    k = result.k
    if X is not None and k < 3:
        raise MetaattError(f"result: k = {k} studies; a permutation test needs at least 3")
    if X is None and k < 2:
        raise MetaattError(f"result: k = {k} study; a permutation test needs at least 2")
    n_distinct = count_permutations(X, k)
    use_exact = (n_distinct <= iterations) if exact is None else exact
    if use_exact and n_distinct > MAX_EXACT:
        raise MetaattError(
            f"exact: {n_distinct:.3g} distinct permutations are too many for an exact test "
            f"(limit {MAX_EXACT:,}); use random permutations (exact=False)"
        )
    rng = np.random.default_rng(random_seed)
    yi, vi = result.yi, result.vi
    if X is None:
        if use_exact:
            signs = 1.0 - 2.0 * ((np.arange(int(n_distinct))[:, None] >> np.arange(k)) & 1)
        else:
            signs = rng.choice([-1.0, 1.0], size=(iterations, k))
            signs[0] = 1.0
        batches = _sign_batches(signs, yi, vi)
    else:
        if use_exact:
            rows, codes = np.unique(X, axis=0, return_inverse=True)
            arrangement = _arrangements(codes.ravel())
            make = lambda idx: rows[arrangement[idx]]  # noqa: E731
            n = len(arrangement)
        else:
            order = np.argsort(rng.random((iterations, k)), axis=1)
            order[0] = np.arange(k)
            make = lambda idx: X[order[idx]]  # noqa: E731
            n = iterations
        batches = _row_batches(make, n, yi, vi, X.shape[1])
    names = getattr(result, "coef_names", ("intrcpt",))
    btt = getattr(result, "btt", (0,))
    stats, qms = [], []
    for design in batches:
        w = None if user_weights is None else np.broadcast_to(user_weights, design.y.shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)
            fit = fit_model(design, result.method, result.test, result.level, w)
        stats.append(fit.statistic)
        qm, _ = wald_test(fit.coef, fit.vcov, btt, fit.df)
        qms.append(qm)
    statistic_perm = np.concatenate(stats)
    qm_perm = np.concatenate(qms)
    observed = np.atleast_1d(np.asarray(result.statistic, dtype=float))
    # without moderators the omnibus test is z^2 (chi^2 with 1 df) or t^2 (F with 1 df)
    qm_observed = float(result.qm) if X is not None else float(observed[0] ** 2)
    tol = COMPARISON_TOLERANCE
    pval = np.mean(np.abs(statistic_perm) >= np.abs(observed)[None, :] - tol, axis=0)
    qm_pval = float(np.mean(qm_perm >= qm_observed - tol))
    coef = np.atleast_1d(np.asarray(result.coef if X is not None else result.estimate, dtype=float))
    se = np.atleast_1d(np.asarray(result.se, dtype=float))
    return PermutationResult(
        method=result.method,
        test=result.test,
        k=k,
        coef_names=tuple(names),
        coef=coef,
        se=se,
        statistic=observed,
        pval=pval,
        pval_model=np.atleast_1d(np.asarray(result.pval, dtype=float)),
        qm=qm_observed,
        qm_pval=qm_pval,
        btt=tuple(btt),
        exact=bool(use_exact),
        permutations=len(qm_perm),
        distinct_permutations=n_distinct,
        kind="sign flips" if X is None else "rows of X",
        statistic_perm=statistic_perm,
        qm_perm=qm_perm,
        random_seed=random_seed if isinstance(random_seed, (int, np.integer)) else None,
    )


def _chunks(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(start, min(start + size, n)) for start in range(0, n, size)]


def _row_batches(make: Any, n: int, yi: np.ndarray, vi: np.ndarray, p: int):
    k = len(yi)
    size = max(1, BATCH_CELLS // (k * p))
    for idx in _chunks(n, size):
        B = len(idx)
        y = np.broadcast_to(yi, (B, k)).copy()
        v = np.broadcast_to(vi, (B, k)).copy()
        yield Design(y, v, np.ones((B, k)), make(idx), np.full(B, k), p)


def _sign_batches(signs: np.ndarray, yi: np.ndarray, vi: np.ndarray):
    k = len(yi)
    size = max(1, BATCH_CELLS // k)
    for idx in _chunks(len(signs), size):
        B = len(idx)
        y = signs[idx] * yi[None, :]
        v = np.broadcast_to(vi, (B, k)).copy()
        yield Design(y, v, np.ones((B, k)), None, np.full(B, k), 1)
