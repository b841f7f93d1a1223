"""``pool_batch``: many meta-analyses in one vectorized call.

A long table (one row per study, one or more ``by`` columns naming the analysis) becomes
one row per analysis with every number :func:`metaatt.pool` reports. The analyses are
padded into ``(B, k_max)`` arrays (:class:`~metaatt._wls.Design`) and fitted together by
the same engine that ``pool`` uses (:func:`~metaatt._fit.fit_model` and
:func:`~metaatt._pooled.pooled_statistics`), so the two agree by construction; there is no
Python loop over analyses. Analyses of very different sizes are fitted in a few buckets
(sizes within a factor of two) so that padding never more than doubles the memory.

A Dask DataFrame partitioned by analysis is pooled partition by partition on the Dask
scheduler in use (see :mod:`metaatt._batch_dask`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._batch_input import BatchInput, read_batch
from ._fit import fit_model
from ._pooled import POOLED_COLUMNS, pooled_statistics
from ._validate import check_choice, check_level
from ._wls import Design
from .errors import MetaattError
from .pooling import normalize_method, normalize_test

__all__ = ["BATCH_COLUMNS", "pool_batch"]

#: columns of the result after the ``by`` columns, in order
BATCH_COLUMNS = (
    "k",
    "excluded",
    *(c for c in POOLED_COLUMNS if c != "k"),
    "heterogeneity_undefined",
)


def pool_batch(
    frame: Any,
    *,
    by: str | list[str] | tuple[str, ...],
    yi: str = "yi",
    vi: str = "vi",
    sei: str | None = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    weights: str | None = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
    intervals: bool = True,
) -> pd.DataFrame:
    """Pool every analysis of a long table at once; one row per analysis.

    Parameters
    ----------
    frame
        A pandas DataFrame with one row per study, or a Dask DataFrame partitioned by
        analysis (every row of an analysis in one partition, e.g. after
        ``ddf.shuffle(on=by)``), which is pooled on the active Dask scheduler.
    by
        Column name(s) (or index level names) identifying the analysis of each row.
    yi, vi, sei
        Column names of the effect sizes and of their sampling variances, or of their
        standard errors (``sei=``; then ``vi`` is not used).
    method, test, level
        As in :func:`metaatt.pool`: a tau^2 estimator (``"EE"``/``"FE"``, ``"DL"``,
        ``"HE"``, ``"HS"``, ``"HSk"``, ``"SJ"``, ``"ML"``, ``"REML"``, ``"EB"``, ``"PM"``,
        ``"PMM"``, ``"GENQ"`` with ``weights``), a test (``"z"``, ``"t"``, ``"hksj"``,
        ``"hksj-adhoc"``) and a confidence level.
    weights
        Column of user weights, for ``method="GENQ"`` only.
    missing
        ``"raise"`` (default): a missing ``yi``/``vi`` without a reason is an error naming
        the analysis and row; ``"exclude"``: such rows are left out with a reason. Rows
        whose ``reason`` column (from :func:`metaatt.escalc`) explains a missing value are
        always excluded with that reason.
    allow_mixed_metrics
        As in :func:`metaatt.pool`: an analysis whose rows carry different values in a
        ``metric`` column (e.g. change-score ``d_z`` and raw-score ``d_raw_change``) is an
        error unless this is ``True``.
    intervals
        ``False`` leaves out the Q-profile intervals of tau^2, tau, I^2 and H^2 (and
        ``tau2_ci_null``), about a sixth of the work, e.g. in simulations that do not
        need them.

    Returns
    -------
    pandas.DataFrame
        One row per analysis (sorted by ``by``): the ``by`` columns, ``k`` (studies
        analysed), ``excluded`` (rows left out), and every statistic of
        :class:`~metaatt.results.PoolResult`: estimate, se, statistic, df, pval, ci_low,
        ci_high, pi_low, pi_high, tau2, se_tau2, tau2_ci_low, tau2_ci_high, tau (with CI),
        i2 (with CI), h2 (with CI), q, q_df, q_pval, s2, hksj_scale, tau2_at_boundary,
        tau2_ci_null, iterations; ``heterogeneity_undefined`` flags analyses with
        ``k = 1`` (heterogeneity NaN, z test, as in ``pool``). ``attrs`` holds method,
        test, level, by, measure, synthetic and ``excluded``: a table of every excluded
        row (the ``by`` values, the row's ``index`` label in ``frame`` and the reason).

    Notes
    -----
    Analysis ``b`` is fitted exactly as ``metaatt.pool(yi_b, vi_b, method=..., test=...)``
    would (same estimating equations, tests and intervals; see :func:`metaatt.pool`),
    with all analyses held in padded ``(B, k_max)`` arrays with a 0/1 mask, so the cost
    is a fixed number of array operations however many analyses there are. Warnings that
    ``pool`` would emit per analysis (k = 1, tau^2 on the boundary, excluded rows) are
    columns and ``attrs`` here instead.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.

    Examples
    --------
    BCG vaccine trials as log risk ratios and log odds ratios, two analyses in one call
    (DerSimonian-Laird; as Stata's ``metan``: RR -0.7141 [-1.0644, -0.3638], tau^2 0.3088;
    OR -0.7474 [-1.1242, -0.3706], tau^2 0.3663):

    >>> import numpy as np, pandas as pd, metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> a, b, c, d = bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg
    >>> rr = pd.DataFrame({"measure": "RR", "yi": np.log(a / (a + b) / (c / (c + d))),
    ...                    "vi": 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)})
    >>> lor = pd.DataFrame({"measure": "OR", "yi": np.log(a * d / (b * c)),
    ...                     "vi": 1 / a + 1 / b + 1 / c + 1 / d})
    >>> out = metaatt.pool_batch(pd.concat([rr, lor]), by="measure", method="DL")
    >>> out[["measure", "k", "estimate", "ci_low", "ci_high", "tau2"]].round(4)
      measure   k  estimate  ci_low  ci_high    tau2
    0      OR  13   -0.7474 -1.1242  -0.3706  0.3663
    1      RR  13   -0.7141 -1.0644  -0.3638  0.3088
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    check_choice(missing, "missing", ("raise", "exclude"))
    by_list = _by_list(by)
    if _is_dask(frame):
        from ._batch_dask import pool_dask

        return pool_dask(
            frame,
            by=by_list,
            options={
                "yi": yi,
                "vi": vi,
                "sei": sei,
                "method": method,
                "test": test,
                "level": level,
                "weights": weights,
                "missing": missing,
                "allow_mixed_metrics": allow_mixed_metrics,
                "intervals": intervals,
            },
        )
    data = read_batch(
        frame,
        by_list,
        yi=yi,
        vi=vi,
        sei=sei,
        method=method,
        weights=weights,
        missing=missing,
        allow_mixed_metrics=allow_mixed_metrics,
    )
    return pool_read(data, method=method, test=test, level=level, intervals=intervals)


def _by_list(by: Any) -> list[str]:
    if isinstance(by, str):
        return [by]
    if isinstance(by, list | tuple) and by and all(isinstance(b, str) for b in by):
        if len(set(by)) != len(by):
            raise MetaattError(f"by: column names repeat: {list(by)}")
        return list(by)
    raise MetaattError(f"by: expected a column name or a list of column names, got {by!r}")


def _is_dask(frame: Any) -> bool:
    module = type(frame).__module__ or ""
    return module.startswith(("dask.", "dask_expr")) and hasattr(frame, "map_partitions")


def pool_read(
    data: BatchInput, *, method: str, test: str, level: float, intervals: bool = True
) -> pd.DataFrame:
    """Fit every analysis of validated input and assemble the result table."""
    stats = pool_arrays(
        data.codes,
        data.yi,
        data.vi,
        data.k,
        method,
        test,
        level,
        weights=data.weights,
        intervals=intervals,
    )
    columns = {"k": data.k, "excluded": data.n_excluded}
    columns.update({name: stats[name] for name in BATCH_COLUMNS[2:-1] if name in stats})
    columns["heterogeneity_undefined"] = data.k < 2
    out = pd.concat([data.keys, pd.DataFrame(columns, index=data.keys.index)], axis=1)
    out.attrs.update(
        {
            "method": method,
            "test": test,
            "level": level,
            "by": list(data.keys.columns),
            "measure": data.measure,
            "synthetic": data.synthetic,
            "excluded": data.excluded,
        }
    )
    return out


def _sorted(codes: np.ndarray) -> bool:
    return bool((codes[1:] >= codes[:-1]).all())


def pool_arrays(
    codes: np.ndarray,
    yi: np.ndarray,
    vi: np.ndarray,
    k: np.ndarray,
    method: str,
    test: str,
    level: float,
    *,
    weights: np.ndarray | None = None,
    intervals: bool = True,
) -> dict[str, np.ndarray]:
    """Pooled statistics of ``B = len(k)`` analyses from flat, validated arrays.

    ``codes[i]`` is the analysis (``0 .. B-1``) of study ``i``; every analysis has
    ``k[b] >= 1`` studies. Analyses are fitted in buckets of similar size (``k`` within a
    factor of two), a handful of array programs instead of one per analysis.
    """
    n_analyses = len(k)
    if len(codes) == n_analyses * int(k[0]) and (k == k[0]).all() and _sorted(codes):
        # the common layout (equal sizes, rows grouped by analysis): a reshape, no scatter
        shape = (n_analyses, int(k[0]))
        design = Design(yi.reshape(shape), vi.reshape(shape), np.ones(shape), None, k.copy(), 1)
        user_weights = None if weights is None else weights.reshape(shape)
        fit = fit_model(design, method, test, level, user_weights)
        return pooled_statistics(fit, intervals=intervals)
    order = np.argsort(codes, kind="stable")
    starts = np.cumsum(k) - k
    position = np.arange(len(codes)) - np.repeat(starts, k)
    sorted_codes = codes[order]
    bucket_of = np.ceil(np.log2(k)).astype(int)  # k = 1 -> 0, 2 -> 1, 3..4 -> 2, ...
    out: dict[str, np.ndarray] = {}
    for bucket in np.unique(bucket_of):
        members = np.flatnonzero(bucket_of == bucket)
        local = np.full(n_analyses, -1)
        local[members] = np.arange(len(members))
        rows = local[sorted_codes] >= 0
        row_analysis = local[sorted_codes[rows]]
        row_position = position[rows]
        shape = (len(members), int(k[members].max()))
        y = np.zeros(shape)
        v = np.ones(shape)
        mask = np.zeros(shape)
        source = order[rows]
        y[row_analysis, row_position] = yi[source]
        v[row_analysis, row_position] = vi[source]
        mask[row_analysis, row_position] = 1.0
        user_weights = None
        if weights is not None:
            user_weights = np.zeros(shape)
            user_weights[row_analysis, row_position] = weights[source]
        design = Design(y, v, mask, None, k[members].astype(int), 1)
        fit = fit_model(design, method, test, level, user_weights)
        values = pooled_statistics(fit, intervals=intervals)
        for name, array in values.items():
            if name not in out:
                out[name] = np.empty(n_analyses, dtype=np.asarray(array).dtype)
            out[name][members] = array
    return out
