"""``aggregate``: combine dependent effect sizes within clusters under an assumed correlation.

metafor's ``aggregate.escalc``: the sampling errors of the ``n`` effects of a cluster have
covariance ``V = S R S`` with ``S = diag(sqrt(v))`` and a correlation structure ``R``:

* ``"ID"``: ``R = I`` (independent, e.g. separate subgroups of participants);
* ``"CS"``: compound symmetry, ``R_ij = rho`` (several measures of the same participants);
* ``"CAR"``: continuous-time autoregressive, ``R_ij = phi^|t_i - t_j|`` (repeated
  follow-ups at times ``t``);
* ``"CS+CAR"``: ``R_ij = rho + (1 - rho) phi^|t_i - t_j|``.

Inverse-variance (GLS) aggregation: ``v_agg = 1 / (1' V^{-1} 1)``,
``y_agg = v_agg 1' V^{-1} y``; unweighted: ``y_agg = mean(y)``, ``v_agg = 1' V 1 / n^2``.
:func:`aggregate_sensitivity` repeats aggregation and pooling over a grid of ``rho``,
fitting all the pooled models in one batched call (the assumed correlation is rarely
reported, so a sensitivity analysis is the honest summary; Cochrane Handbook 6.2.2).

References
----------
Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction
to meta-analysis, ch. 24 (multiple outcomes within a study). Gleser, L. J., & Olkin, I.
(2009). Stochastically dependent effect sizes. In The handbook of research synthesis and
meta-analysis (2nd ed., pp. 357-376).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._fit import fit_model
from ._inputs import read_effects, resolve_column
from ._pooled import pooled_statistics
from ._validate import as_float_vector, check_choice, check_labels, check_level
from ._wls import Design
from .errors import BoundaryWarning, MetaattError
from .pooling import normalize_method, normalize_test

__all__ = ["STRUCTURES", "aggregate", "aggregate_sensitivity"]

STRUCTURES = ("CS", "ID", "CAR", "CS+CAR")
DEFAULT_GRID = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9)


def _correlation(
    struct: str, rho: np.ndarray | None, phi: np.ndarray | None, time: np.ndarray | None
) -> np.ndarray:
    """Correlation blocks (broadcastable to ``(J, n, n)``) for clusters of equal size."""
    if struct == "CS":
        return rho[:, None, None]
    lag = np.abs(time[:, :, None] - time[:, None, :])
    car = phi[:, None, None] ** lag
    if struct == "CAR":
        return car
    return rho[:, None, None] + (1.0 - rho[:, None, None]) * car


def _per_cluster(value: Any, name: str, levels: list, required: bool) -> np.ndarray | None:
    if value is None:
        if required:
            raise MetaattError(f"{name}: struct needs an assumed correlation {name}= (e.g. 0.6)")
        return None
    if isinstance(value, (dict, pd.Series)):
        mapping = dict(value)
        missing = [lv for lv in levels if lv not in mapping]
        if missing:
            raise MetaattError(f"{name}: no value for cluster(s) {missing[:5]}")
        out = as_float_vector([mapping[lv] for lv in levels], name, labels=levels)
    else:
        arr = as_float_vector(value, name)
        if arr.size == 1:
            out = np.full(len(levels), float(arr[0]))
        elif arr.size == len(levels):
            out = arr.astype(float)
        else:
            raise MetaattError(
                f"{name}: give one value, or one per cluster ({len(levels)}), got {arr.size}"
            )
    if not np.isfinite(out).all() or (out < -1).any() or (out > 1).any():
        raise MetaattError(f"{name}: correlations must lie in [-1, 1], got {out.tolist()[:5]}")
    return out


def _aggregate_arrays(
    y: np.ndarray,
    v: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    struct: str,
    rho: np.ndarray | None,
    phi: np.ndarray | None,
    time: np.ndarray | None,
    weighted: bool,
    names: Sequence[Any],
) -> tuple[np.ndarray, np.ndarray]:
    """Aggregated ``(yi, vi)`` per cluster; clusters of equal size are batched."""
    out_y = np.empty(n_clusters)
    out_v = np.empty(n_clusters)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_clusters)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    for n in np.unique(sizes):
        clusters = np.flatnonzero(sizes == n)
        rows = order[starts[clusters][:, None] + np.arange(n)[None, :]]  # (J, n)
        yb, sb = y[rows], np.sqrt(v[rows])
        if n == 1:  # a single effect passes through unchanged
            out_y[clusters], out_v[clusters] = yb[:, 0], v[rows][:, 0]
            continue
        if struct == "ID":
            R = np.broadcast_to(np.eye(n), (len(clusters), n, n))
        else:
            R = _correlation(
                struct,
                rho[clusters] if rho is not None else None,
                phi[clusters] if phi is not None else None,
                time[rows] if time is not None else None,
            )
            R = np.where(np.eye(n, dtype=bool), 1.0, np.broadcast_to(R, (len(clusters), n, n)))
        V = sb[:, :, None] * R * sb[:, None, :]
        eig = np.linalg.eigvalsh(V)
        bad = eig[:, 0] <= 1e-12 * np.maximum(eig[:, -1], 1e-300)
        if bad.any():
            label = names[clusters[int(np.flatnonzero(bad)[0])]]
            raise MetaattError(
                f"rho: the assumed correlation makes the covariance matrix of cluster {label!r} "
                "not positive definite; choose a smaller (or non-negative) correlation"
            )
        if weighted:
            winv = np.linalg.solve(V, np.ones((len(clusters), n))[..., None])[..., 0]
            vv = 1.0 / winv.sum(axis=1)
            out_v[clusters] = vv
            out_y[clusters] = vv * np.einsum("jn,jn->j", winv, yb)
        else:
            out_y[clusters] = yb.mean(axis=1)
            out_v[clusters] = V.sum(axis=(1, 2)) / n**2
    return out_y, out_v


def _summarise_column(values: pd.Series, codes: np.ndarray, n_clusters: int) -> list:
    """Numbers and logicals: cluster mean; anything else: the most frequent value (ties:
    the first in sorted order, as R's ``which.max(table(x))``)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        return (
            pd.Series(numbers.to_numpy()).groupby(codes).mean().reindex(range(n_clusters)).tolist()
        )
    frame = pd.DataFrame({"c": codes, "x": values.to_numpy(dtype=object)}).dropna()
    frame["s"] = frame["x"].astype(str)
    counts = frame.groupby(["c", "s"], sort=True).size().rename("n").reset_index()
    top = counts.sort_values(["c", "n", "s"], ascending=[True, False, True]).drop_duplicates("c")
    first = frame.drop_duplicates(["c", "s"]).set_index(["c", "s"])["x"]
    chosen = first.loc[list(zip(top["c"], top["s"], strict=True))]
    out: list = [None] * n_clusters
    for c, value in zip(top["c"], chosen, strict=True):
        out[int(c)] = value
    return out


def aggregate(
    yi: Any,
    vi: Any = None,
    *,
    cluster: Any,
    rho: Any = None,
    struct: str = "CS",
    phi: Any = None,
    time: Any = None,
    weighted: bool = True,
    data: pd.DataFrame | None = None,
    sei: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
) -> pd.DataFrame:
    """Aggregate dependent effect sizes to one per cluster (metafor's ``aggregate.escalc``).

    Parameters
    ----------
    yi, vi, sei
        Effect sizes and sampling variances (or standard errors): arrays, column names of
        ``data``, or an effect-size table (e.g. from :func:`metaatt.escalc`) as ``yi``.
    cluster
        Cluster (usually the study) of every effect size: array or column name.
    rho
        Assumed correlation of the sampling errors within clusters (``"CS"``,
        ``"CS+CAR"``): a number, one value per cluster (in order of first appearance), or a
        mapping cluster -> value.
    struct
        ``"CS"`` (default), ``"ID"``, ``"CAR"`` or ``"CS+CAR"``; see the module docstring.
    phi, time
        Autocorrelation for one time unit and the time of every effect (``"CAR"``,
        ``"CS+CAR"``).
    weighted
        Inverse-variance (GLS) weighting within clusters (default) or a plain average.
    data, missing
        Table for column names; ``"raise"`` or ``"exclude"`` rows with missing values.
    allow_mixed_metrics
        As in :func:`metaatt.pool`: a table whose ``metric`` column mixes metrics (e.g.
        change-score ``d_z`` and raw-score ``d_raw_change``) is refused unless ``True``;
        averaging effects on different scales within a cluster would hide the mix.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, in order of first appearance: the cluster column, ``yi``,
        ``vi``, ``ki`` (number of effects aggregated) and every other column of the input
        table (numbers and logicals averaged, other types: the most frequent value).
        ``attrs`` keeps ``measure`` and ``synthetic`` and records the assumption in
        ``attrs["aggregation"]``.

    Notes
    -----
    ``V = S R S``; weighted: ``v = 1 / (1'V^{-1}1)``, ``y = v 1'V^{-1}y``; unweighted:
    ``y = mean(y)``, ``v = 1'V1 / n^2``. A cluster with one effect is passed through
    unchanged. Numerically identical to metafor's ``aggregate(escalc, cluster, rho)``.

    References
    ----------
    See the module docstring.
    """
    struct = check_choice(struct, "struct", STRUCTURES)
    if not isinstance(weighted, bool):
        raise MetaattError(f"weighted: expected True or False, got {weighted!r}")
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    table = data if data is not None else (yi if isinstance(yi, pd.DataFrame) else None)
    n_rows = len(table) if table is not None else len(np.atleast_1d(np.asarray(yi, dtype=object)))
    cluster_values = resolve_column(cluster, "cluster", table)
    cluster_series = check_labels(cluster_values, "cluster")
    if len(cluster_series) != n_rows:
        raise MetaattError(f"cluster: {len(cluster_series)} labels for {n_rows} effect sizes")
    raw_codes, levels = pd.factorize(cluster_series, use_na_sentinel=True)
    extra: dict[str, Any] = {"cluster": np.where(raw_codes < 0, np.nan, raw_codes.astype(float))}
    if struct in ("CAR", "CS+CAR"):
        if time is None or phi is None:
            raise MetaattError(f"struct {struct!r} needs time= (of every effect) and phi=")
        extra["time"] = as_float_vector(resolve_column(time, "time", table), "time", allow_nan=True)
    inputs, extras = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        missing=missing,
        extra=extra,
        allow_mixed_metrics=allow_mixed_metrics,
    )
    codes_all = extras["cluster"].astype(int)
    # clusters numbered in order of first appearance among the analysed rows
    present, first, codes = np.unique(codes_all, return_index=True, return_inverse=True)
    by_appearance = np.argsort(first)
    codes = np.argsort(by_appearance)[codes]
    labels = [levels[present[i]] for i in by_appearance]
    n_clusters = len(labels)
    rho_arr = _per_cluster(rho, "rho", labels, struct in ("CS", "CS+CAR"))
    if struct == "ID" and rho is not None:
        raise MetaattError("rho: struct 'ID' assumes independence; drop rho or use struct='CS'")
    phi_arr = _per_cluster(phi, "phi", labels, struct in ("CAR", "CS+CAR"))
    time_arr = extras.get("time")
    y_agg, v_agg = _aggregate_arrays(
        inputs.yi,
        inputs.vi,
        codes,
        n_clusters,
        struct,
        rho_arr,
        phi_arr,
        time_arr,
        weighted,
        labels,
    )
    name = cluster if isinstance(cluster, str) else "cluster"
    out = pd.DataFrame({name: labels})
    source = inputs.data.drop(columns=[c for c in ("yi", "vi") if c in inputs.data])
    if table is None:  # arrays in: no other columns (only generated study labels)
        source = source.iloc[:, 0:0]
    for column in source.columns:
        if column == name:
            continue
        out[column] = _summarise_column(source[column], codes, n_clusters)
    out["yi"] = y_agg
    out["vi"] = v_agg
    out["ki"] = np.bincount(codes, minlength=n_clusters)
    out.attrs.update(
        {
            "measure": inputs.measure,
            "synthetic": inputs.synthetic,
            "aggregation": {
                "struct": struct,
                "rho": None
                if rho_arr is None
                else (float(rho_arr[0]) if np.ptp(rho_arr) == 0 else rho_arr.tolist()),
                "phi": None if phi_arr is None else phi_arr.tolist(),
                "weighted": weighted,
            },
        }
    )
    if len(inputs.excluded):
        out.attrs["excluded"] = inputs.excluded
    return out


def aggregate_sensitivity(
    yi: Any,
    vi: Any = None,
    *,
    cluster: Any,
    rho: Sequence[float] = DEFAULT_GRID,
    struct: str = "CS",
    weighted: bool = True,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    data: pd.DataFrame | None = None,
    sei: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
) -> pd.DataFrame:
    """Aggregate within clusters and pool, for every assumed correlation in ``rho``.

    Parameters
    ----------
    yi, vi, cluster, struct, weighted, data, sei, missing, allow_mixed_metrics
        As in :func:`aggregate`.
    rho
        Grid of assumed within-cluster correlations (default 0, .2, .4, .5, .6, .8, .9).
    method, test, level
        As in :func:`metaatt.pool`.

    Returns
    -------
    pandas.DataFrame
        One row per ``rho``: ``k`` (clusters), ``estimate``, ``se``, ``pval``, ``ci_low``,
        ``ci_high``, ``pi_low``, ``pi_high``, ``tau2``, ``i2``, ``q``. All pooled models are
        fitted in one batched call.
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    grid = as_float_vector(rho, "rho", allow_empty=True)
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all():
        raise MetaattError(f"rho: expected a non-empty sequence of correlations, got {rho!r}")
    frames = [
        aggregate(
            yi,
            vi,
            cluster=cluster,
            rho=r,
            struct=struct,
            weighted=weighted,
            data=data,
            sei=sei,
            missing=missing,
            allow_mixed_metrics=allow_mixed_metrics,
        )
        for r in grid
    ]
    y = np.vstack([f["yi"].to_numpy() for f in frames])
    v = np.vstack([f["vi"].to_numpy() for f in frames])
    B, k = y.shape
    design = Design(y, v, np.ones((B, k)), None, np.full(B, k), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        fit = fit_model(design, method, test, level)
    stats = pooled_statistics(fit, level)
    columns = [
        "k",
        "estimate",
        "se",
        "pval",
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
        "tau2",
        "i2",
        "q",
    ]
    out = pd.DataFrame({c: stats[c] for c in columns})
    out.insert(0, "rho", grid)
    out.attrs.update({"method": method, "test": test, "level": level, "struct": struct})
    out.attrs["synthetic"] = bool(frames[0].attrs.get("synthetic", False))
    return out
