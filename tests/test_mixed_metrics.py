"""Every model that reads effect sizes refuses a table mixing metrics (change-score d_z with
raw-score d) unless ``allow_mixed_metrics=True``; the override gives the same numbers as the
same table without a ``metric`` column.

The effect sizes are random draws with a fixed seed (not study results).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import MetaattError, bayes

RNG = np.random.default_rng(8)
K = 12
VI = RNG.uniform(0.02, 0.08, K)
TABLE = pd.DataFrame(
    {
        "study": [f"S{i // 2 + 1}" for i in range(K)],
        "es_id": [f"e{i}" for i in range(K)],
        "yi": RNG.normal(0.4, np.sqrt(VI + 0.05)),
        "vi": VI,
        "x": RNG.uniform(0, 10, K),
        "group": ["a", "b"] * (K // 2),
        "metric": ["d_z"] * 3 + ["d_raw_change"] * (K - 3),
    }
)
PLAIN = TABLE.drop(columns="metric")
REFUSED = r"mix 2 metrics.*Morris & DeShon 2002.*allow_mixed_metrics=True"


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        return function(*args, **kwargs)


FREQUENTIST = {
    "pool": lambda table, **kw: metaatt.pool(table, **kw),
    "meta_regression": lambda table, **kw: metaatt.meta_regression(table, mods="x", **kw),
    "subgroup_analysis": lambda table, **kw: metaatt.subgroup_analysis(table, groups="group", **kw),
    "multilevel": lambda table, **kw: metaatt.multilevel(table, study="study", **kw),
    "aggregate": lambda table, **kw: metaatt.aggregate(table, cluster="study", rho=0.5, **kw),
    "aggregate_sensitivity": lambda table, **kw: metaatt.aggregate_sensitivity(
        table, cluster="study", rho=[0.2, 0.6], **kw
    ),
    "bayes.pool": lambda table, **kw: bayes.pool(table, tau_prior=bayes.HalfNormal(0.5), **kw),
}


def _numbers(result):
    if isinstance(result, pd.DataFrame):
        return result.select_dtypes("number").to_numpy()
    if hasattr(result, "coef"):
        coef = result.coef
        return np.asarray(coef["mean"] if isinstance(coef, pd.DataFrame) else coef, dtype=float)
    if isinstance(result, metaatt.bayes.BayesPoolResult):
        return np.array([result.mu.mean, result.tau.mean])
    if hasattr(result, "groups"):
        return result.groups[["estimate", "se", "tau2"]].to_numpy()
    return np.array([result.estimate, result.se])


@pytest.mark.parametrize("name", list(FREQUENTIST))
def test_refused_unless_allowed(name):
    call = FREQUENTIST[name]
    with pytest.raises(MetaattError, match=REFUSED):
        call(TABLE)
    mixed = _quiet(call, TABLE, allow_mixed_metrics=True)
    plain = _quiet(call, PLAIN)
    np.testing.assert_allclose(_numbers(mixed), _numbers(plain), rtol=1e-12)
    # one metric is fine without the override
    single = TABLE.assign(metric="d_raw_change")
    np.testing.assert_allclose(_numbers(_quiet(call, single)), _numbers(plain), rtol=1e-12)


def test_pool_batch_refuses_within_an_analysis():
    frame = pd.concat([TABLE.assign(analysis=1), TABLE.assign(analysis=2, metric="d_z")])
    with pytest.raises(MetaattError, match="allow_mixed_metrics=True"):
        metaatt.pool_batch(frame, by="analysis")
    out = metaatt.pool_batch(frame, by="analysis", allow_mixed_metrics=True)
    plain = metaatt.pool_batch(frame.drop(columns="metric"), by="analysis")
    pd.testing.assert_frame_equal(out, plain)


class _Reached(Exception):
    """Raised instead of building a PyMC model: the input checks were passed."""


def _stop(*args, **kwargs):
    raise _Reached


NUTS = {
    "bayes.meta_regression": ("metaatt.bayes._regression", lambda t, **kw: bayes.meta_regression(t, mods="x", **kw)),
    "bayes.multilevel": ("metaatt.bayes._multilevel", lambda t, **kw: bayes.multilevel(t, study="study", **kw)),
    "bayes.robust_pool": ("metaatt.bayes.nuts", lambda t, **kw: bayes.robust_pool(t, **kw)),
    "bayes.pool(nuts)": ("metaatt.bayes.nuts", lambda t, **kw: bayes.pool(t, method="nuts", **kw)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(NUTS))
def test_nuts_models_refuse_unless_allowed(name, monkeypatch):
    """The metric check runs before any sampling; with the override the model is built (the
    PyMC import is replaced by a stop so that no sampler runs here; sampling itself is
    covered by tests/test_bayes_nuts.py)."""
    module, call = NUTS[name]
    monkeypatch.setattr(f"{module}.import_pymc", _stop)
    with pytest.raises(MetaattError, match=REFUSED):
        call(TABLE)
    with pytest.raises(_Reached):
        call(TABLE, allow_mixed_metrics=True)
    with pytest.raises(_Reached):
        call(PLAIN)
