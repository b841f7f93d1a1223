"""metaatt.simulate: SYNTHETIC data under a known model, and estimator performance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import metaatt
from metaatt import simulate


def test_generate_layout_and_synthetic_flags():
    frame = simulate.generate(5, tau2=0.1, mu=0.3, n_datasets=4, random_seed=1)
    assert list(frame.columns) == ["dataset", "study", "yi", "vi", "theta", "synthetic"]
    assert len(frame) == 20 and frame.synthetic.all() and frame.attrs["synthetic"] is True
    assert frame.groupby("dataset").size().tolist() == [5, 5, 5, 5]
    assert frame.attrs["model"] == {"k": 5, "tau2": 0.1, "mu": 0.3}
    out = metaatt.pool_batch(frame, by="dataset")
    assert out.attrs["synthetic"] is True  # SYNTHETIC travels into the pooled table


def test_generate_is_reproducible():
    a = simulate.generate(8, tau2=0.2, n_datasets=3, random_seed=42)
    b = simulate.generate(8, tau2=0.2, n_datasets=3, random_seed=42)
    c = simulate.generate(8, tau2=0.2, n_datasets=3, random_seed=43)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.yi, c.yi)


def test_generate_follows_the_model():
    """Moments of a large sample: E[y] = mu, Var(theta) = tau2, Var(y - theta | v) = v."""
    frame = simulate.generate(
        20, tau2=0.25, mu=-0.4, vi=simulate.uniform(0.05, 0.15), n_datasets=4000, random_seed=3
    )
    n = len(frame)
    assert frame.yi.mean() == pytest.approx(-0.4, abs=4 * np.sqrt((0.25 + 0.1) / n))
    assert frame.theta.var() == pytest.approx(0.25, rel=0.03)
    z = (frame.yi - frame.theta) / np.sqrt(frame.vi)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert frame.vi.between(0.05, 0.15).all()


@pytest.mark.parametrize(
    "vi",
    [
        0.05,
        simulate.scaled_chi2(0.05, 30),
        simulate.fixed([0.01, 0.02, 0.03, 0.04]),
        stats.uniform(0.01, 0.1),
        lambda rng, shape: rng.uniform(0.02, 0.03, shape),
    ],
)
def test_variance_specifications(vi):
    frame = simulate.generate(4, vi=vi, n_datasets=50, random_seed=0)
    assert (frame.vi > 0).all() and np.isfinite(frame.vi).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, r"k: the number of studies must be an integer >= 1"),
        ({"k": 2.5}, r"k: the number of studies must be an integer"),
        ({"k": 3, "tau2": -0.1}, r"tau2: must be a finite number >= 0"),
        ({"k": 3, "mu": np.inf}, r"mu: must be a finite number"),
        ({"k": 3, "vi": -1.0}, r"vi: a sampling variance must be > 0"),
        ({"k": 3, "vi": "wide"}, r"vi: expected a variance"),
        ({"k": 3, "vi": simulate.fixed([0.1, 0.2])}, r"vi: fixed\(\) has 2 variances but k = 3"),
        ({"k": 3, "vi": lambda rng, s: -np.ones(s)}, r"gave a variance that is not > 0"),
        ({"k": 3, "n_datasets": 0}, r"n_datasets: must be an integer >= 1"),
    ],
)
def test_generate_bad_input(kwargs, message):
    k = kwargs.pop("k")
    with pytest.raises(metaatt.MetaattError, match=message):
        simulate.generate(k, **kwargs)


def test_grid_and_bad_conditions():
    table = simulate.grid(k=[5, 10], tau2=[0.0, 0.1], mu=0.2)
    assert len(table) == 4 and set(table.columns) == {"k", "tau2", "mu"}
    with pytest.raises(metaatt.MetaattError, match=r"grid: unknown condition\(s\) \['tau'\]"):
        simulate.grid(k=[5], tau=[0.1])
    with pytest.raises(metaatt.MetaattError, match=r"grid: k .* is required"):
        simulate.grid(tau2=[0.1])
    with pytest.raises(metaatt.MetaattError, match=r"conditions: expected a DataFrame"):
        simulate.evaluate("k=5", progress=False)
    with pytest.raises(metaatt.MetaattError, match=r"methods: 'GENQ' needs user weights"):
        simulate.evaluate({"k": [5]}, methods="GENQ", progress=False)
    with pytest.raises(metaatt.MetaattError, match=r"replicates: must be an integer >= 1"):
        simulate.evaluate({"k": [5]}, replicates=0, progress=False)
    with pytest.raises(metaatt.MetaattError, match=r"method: unknown value 'RMEL'"):
        simulate.evaluate({"k": [5]}, methods=["RMEL"], progress=False)


def test_evaluate_layout_and_reproducibility():
    conditions = simulate.grid(k=[3, 8], tau2=[0.0, 0.2], mu=[0.5])
    kwargs = {
        "methods": ["DL", "REML"],
        "tests": ["z", "hksj"],
        "replicates": 60,
        "random_seed": 11,
        "progress": False,
    }
    res = simulate.evaluate(conditions, **kwargs)
    assert len(res) == 4 * 2 * 2
    assert list(res.columns) == [
        "condition",
        "k",
        "tau2",
        "mu",
        "vi",
        "method",
        "test",
        *simulate.METRICS,
    ]
    assert res.attrs["synthetic"] is True and res.attrs["replicates"] == 60
    pd.testing.assert_frame_equal(res, simulate.evaluate(conditions, **kwargs))
    # a condition's numbers do not depend on the other conditions or their order
    alone = simulate.evaluate(conditions.iloc[[2]], **kwargs)
    both = res[res.condition == 3].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.drop(columns="condition"), both.drop(columns="condition"))


def test_evaluate_equals_pool_batch_on_the_same_datasets():
    """Regenerate one condition's datasets and score them by hand with pool_batch."""
    k, tau2, mu, replicates = 6, 0.15, 0.4, 80
    res = simulate.evaluate(
        {"k": [k], "tau2": [tau2], "mu": [mu]},
        methods=["PM"],
        tests=["hksj"],
        replicates=replicates,
        random_seed=5,
        progress=False,
    )
    seed = simulate.condition_seed(5, k=k, tau2=tau2, mu=mu)
    data = simulate.generate(k, tau2=tau2, mu=mu, n_datasets=replicates, random_seed=seed)
    out = metaatt.pool_batch(data, by="dataset", method="PM", test="hksj")
    row = res.iloc[0]
    error = out.estimate - mu
    assert row.bias == pytest.approx(error.mean(), rel=1e-10)
    assert row.rmse == pytest.approx(np.sqrt((error**2).mean()), rel=1e-10)
    assert row.empirical_se == pytest.approx(out.estimate.std(ddof=1), rel=1e-10)
    assert row.coverage == ((out.ci_low <= mu) & (mu <= out.ci_high)).mean()
    assert row.rejection_rate == (out.pval < 0.05).mean()
    expected_pi = special.ndtr((out.pi_high - mu) / np.sqrt(tau2)) - special.ndtr(
        (out.pi_low - mu) / np.sqrt(tau2)
    )
    assert row.pi_coverage == pytest.approx(expected_pi.mean(), rel=1e-10)
    assert row.mean_tau2 == pytest.approx(out.tau2.mean(), rel=1e-10)
    tau2_covered = (out.tau2_ci_low <= tau2) & (tau2 <= out.tau2_ci_high)
    assert row.tau2_ci_coverage == pytest.approx(tau2_covered.mean())
    assert row.boundary_rate == out.tau2_at_boundary.mean()
    assert row.mcse_coverage == pytest.approx(
        np.sqrt(row.coverage * (1 - row.coverage) / replicates)
    )


def test_nominal_coverage_where_theory_says_so():
    """Common-effect model with tau2 = 0: the z interval is exact (coverage 0.95)."""
    res = simulate.evaluate(
        {"k": [10], "tau2": [0.0], "mu": [0.3]},
        methods=["EE"],
        replicates=4000,
        random_seed=2,
        progress=False,
    )
    row = res.iloc[0]
    assert abs(row.coverage - 0.95) < 4 * row.mcse_coverage
    assert abs(row.bias) < 4 * row.mcse_bias
    assert row.mean_se == pytest.approx(row.empirical_se, rel=0.05)


def test_single_study_conditions_report_nan_heterogeneity():
    res = simulate.evaluate({"k": [1], "tau2": [0.1]}, replicates=30, random_seed=1, progress=False)
    row = res.iloc[0]
    assert np.isnan(row.mean_tau2) and np.isnan(row.tau2_ci_coverage) and np.isnan(row.pi_coverage)
    assert np.isfinite(row.coverage)


def test_progress_bar_falls_back_without_tqdm(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    res = simulate.evaluate({"k": [4]}, replicates=10, random_seed=1, progress=True)
    assert len(res) == 1 and capsys.readouterr().err == ""


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    simulate.evaluate({"k": [4, 5]}, replicates=10, random_seed=1, progress=True)
    assert "conditions" in capsys.readouterr().err
