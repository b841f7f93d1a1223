"""Baujat, L'Abbé, bubble and posterior-density plots: what is drawn."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
from scipy import stats

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import metaatt  # noqa: E402
from metaatt.plot import baujat, bubble, labbe, posterior, savefig  # noqa: E402
from tests.test_plot_helpers import (  # noqa: E402
    bcg_result,
    bcg_table,
    by_gid,
    close_figures,  # noqa: F401 - autouse fixture
    one,
    texts,
)


@pytest.fixture(scope="module")
def bcg():
    return bcg_result()


# ---------------------------------------------------------------------- Baujat
def baujat_table(k: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study": [f"S{i}" for i in range(k)],
            "x": np.linspace(0.5, 12.0, k),
            "y": np.linspace(2.0, 0.1, k) ** 2,
        }
    )


def test_baujat_draws_the_given_coordinates():
    table = baujat_table()
    fig = baujat(table)
    np.testing.assert_allclose(one(fig, "studies").get_offsets(), table[["x", "y"]].to_numpy())
    for name in table.study:
        assert name in texts(fig)
    ax = one(fig, "studies").axes
    assert ax.get_xlabel() == "Contribution to overall heterogeneity"
    assert ax.get_ylabel() == "Influence on overall result"


def test_baujat_labels_the_largest_when_asked():
    table = baujat_table(8)
    fig = baujat(table, label=2)
    labels = by_gid(fig, "label-")
    assert len(labels) == 2
    top = table.assign(s=table.x + table.y).nlargest(2, "s").study.tolist()
    assert sorted(t.get_text() for t in labels) == sorted(top)
    assert by_gid(baujat(table, label=False), "label-") == []


def test_baujat_reads_a_result_attribute_or_method():
    table = baujat_table()
    holder = types.SimpleNamespace(baujat=table)
    assert len(one(baujat(holder), "studies").get_offsets()) == len(table)

    class WithMethod:
        def baujat(self):
            return table

    assert len(one(baujat(WithMethod()), "studies").get_offsets()) == len(table)


def test_baujat_rejects_tables_without_coordinates():
    with pytest.raises(metaatt.MetaattError, match="Baujat table with columns x, y"):
        baujat(pd.DataFrame({"study": ["a"], "x": [1.0]}))
    with pytest.raises(metaatt.MetaattError, match="label"):
        baujat(baujat_table(), label="top")


# ---------------------------------------------------------------------- L'Abbé
def test_labbe_plots_arm_event_proportions(bcg):
    t = bcg_table()
    fig = labbe(bcg, ai="tpos", bi="tneg", ci="cpos", di="cneg")
    points = one(fig, "studies").get_offsets()
    np.testing.assert_allclose(points[:, 0], t.cpos / (t.cpos + t.cneg))
    np.testing.assert_allclose(points[:, 1], t.tpos / (t.tpos + t.tneg))
    sizes = one(fig, "studies").get_sizes()
    np.testing.assert_allclose(sizes / sizes.max(), bcg.weights / bcg.weights.max())
    np.testing.assert_allclose(one(fig, "no-effect-line").get_xydata(), [[0, 0], [1, 1]])
    curve = one(fig, "pooled-curve")
    np.testing.assert_allclose(curve.get_ydata(), np.exp(bcg.estimate) * curve.get_xdata())
    assert "Pooled RR" in texts(fig)


def test_labbe_with_group_sizes_and_odds_ratio_curve():
    t = bcg_table().assign(
        ai=lambda d: d.tpos,
        n1i=lambda d: d.tpos + d.tneg,
        ci=lambda d: d.cpos,
        n2i=lambda d: d.cpos + d.cneg,
    )
    t.attrs["measure"] = "OR"
    res = metaatt.pool("yi", "vi", data=t)
    curve = one(labbe(res), "pooled-curve")
    p, odds = curve.get_xdata(), np.exp(res.estimate)
    np.testing.assert_allclose(curve.get_ydata(), odds * p / (1 - p + odds * p))


def test_labbe_names_missing_count_columns(bcg):
    with pytest.raises(metaatt.MetaattError, match=r"no column 'ai'.*ai='tpos'"):
        labbe(bcg)
    with pytest.raises(metaatt.MetaattError, match="neither 'n1i' nor 'bi'"):
        labbe(bcg, ai="tpos", ci="cpos", di="cneg")
    with pytest.raises(metaatt.MetaattError, match="data table of 2x2 counts"):
        labbe(object())


# ---------------------------------------------------------------------- bubble
class RegressionStub:
    """Shaped like metaatt.meta_regression's result (X, coef_names, predict())."""

    def __init__(self, yi, vi, mods, names=("intrcpt", "ablat")):
        self.yi, self.vi = np.asarray(yi), np.asarray(vi)
        self.X = np.column_stack([np.ones(len(self.yi)), mods])
        self.coef_names = names
        self.weights = 1 / (self.vi + 0.05)
        self.labels = tuple(f"S{i}" for i in range(len(self.yi)))
        self.measure, self.synthetic = "RR", False
        self.coef = np.array([0.3] + [-0.03] * (self.X.shape[1] - 1))
        self.calls = []

    def predict(self, newmods):
        self.calls.append(np.asarray(newmods, dtype=float))
        x = np.asarray(newmods, dtype=float).reshape(len(newmods), -1)
        pred = self.coef[0] + x @ self.coef[1:]
        return pd.DataFrame(
            {
                "pred": pred,
                "ci_low": pred - 0.2,
                "ci_high": pred + 0.2,
                "pi_low": pred - 0.5,
                "pi_high": pred + 0.5,
            }
        )


def test_bubble_draws_studies_and_the_predicted_line():
    t = bcg_table()
    reg = RegressionStub(t.yi, t.vi, t.ablat)
    fig = bubble(reg, pi=True)
    points = one(fig, "studies").get_offsets()
    np.testing.assert_allclose(points[:, 0], t.ablat)
    np.testing.assert_allclose(points[:, 1], t.yi)
    sizes = one(fig, "studies").get_sizes()
    np.testing.assert_allclose(sizes / sizes.max(), reg.weights / reg.weights.max())
    line = one(fig, "regression-line")
    grid = line.get_xdata()
    assert grid.min() == t.ablat.min() and grid.max() == t.ablat.max()
    np.testing.assert_allclose(line.get_ydata(), 0.3 - 0.03 * grid)
    assert len(by_gid(fig, "ci-band")) == 1 and len(by_gid(fig, "pi-band")) == 1
    assert one(fig, "studies").axes.get_xlabel() == "ablat"


def test_bubble_on_the_ratio_scale():
    t = bcg_table()
    fig = bubble(RegressionStub(t.yi, t.vi, t.ablat), transform="exp", ci=False)
    ax = one(fig, "studies").axes
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(one(fig, "studies").get_offsets()[:, 1], np.exp(t.yi))
    assert by_gid(fig, "ci-band") == []
    np.testing.assert_allclose(one(fig, "refline").get_ydata(), 1.0)


def test_bubble_holds_other_moderators_at_their_mean():
    t = bcg_table()
    reg = RegressionStub(
        t.yi, t.vi, np.column_stack([t.ablat, t.year]), names=("intrcpt", "ablat", "year")
    )
    bubble(reg, mod="year")
    (newmods,) = reg.calls
    np.testing.assert_allclose(newmods[:, 0], t.ablat.mean())
    assert newmods[0, 1] == t.year.min() and newmods[-1, 1] == t.year.max()


def test_bubble_with_a_real_meta_regression():
    t = bcg_table()
    try:
        res = metaatt.meta_regression("yi", "vi", mods=["ablat"], data=t)
    except (ImportError, AttributeError, TypeError):
        pytest.skip("metaatt.meta_regression is not available on this branch")
    fig = bubble(res)
    line = one(fig, "regression-line")
    expected = res.predict(line.get_xdata())
    np.testing.assert_allclose(line.get_ydata(), expected["pred"])


def test_bubble_bad_input():
    t = bcg_table()
    reg = RegressionStub(t.yi, t.vi, t.ablat)
    with pytest.raises(metaatt.MetaattError, match="mod: unknown moderator 'lat'"):
        bubble(reg, mod="lat")
    with pytest.raises(metaatt.MetaattError, match="mod: 'intrcpt' is the intercept"):
        bubble(reg, mod=0)
    with pytest.raises(metaatt.MetaattError, match="meta_regression result"):
        bubble(bcg_result())


# ---------------------------------------------------------------------- posterior
class BayesStub:
    """Shaped like a metaatt.bayes result: density_frame(param) and per-parameter summaries."""

    synthetic = False

    def __init__(self):
        self.mu = types.SimpleNamespace(mean=-0.7, ci_low=-1.1, ci_high=-0.33)
        self.tau = {"mean": 0.6, "ci_low": 0.35, "ci_high": 1.0}

    def density_frame(self, param):
        if param == "mu":
            x = np.linspace(-2, 0.5, 201)
            return pd.DataFrame(
                {"x": x, "density": stats.norm.pdf(x, -0.7, 0.19), "prior": stats.norm.pdf(x, 0, 1)}
            )
        if param == "tau":
            x = np.linspace(0, 2, 201)
            return pd.DataFrame({"x": x, "density": stats.lognorm.pdf(x, 0.3, scale=0.6)})
        return pd.DataFrame({"x": [0.0], "value": [1.0]})


def test_posterior_draws_each_density_with_its_interval():
    res = BayesStub()
    fig = posterior(res)
    assert len(fig.axes) == 2
    mu = one(fig, "density-mu")
    frame = res.density_frame("mu")
    np.testing.assert_allclose(mu.get_xdata(), frame.x)
    np.testing.assert_allclose(mu.get_ydata(), frame.density)
    np.testing.assert_allclose(one(fig, "prior-mu").get_ydata(), frame.prior)
    shaded = one(fig, "interval-mu").get_paths()[0].vertices[:, 0]
    assert shaded.min() >= -1.1 - 1e-9 and shaded.max() <= -0.33 + 1e-9
    np.testing.assert_allclose(one(fig, "mean-tau").get_xdata(), 0.6)
    assert by_gid(fig, "prior-tau") == []
    assert "Average effect \u03bc" in texts(fig) and "Heterogeneity \u03c4" in texts(fig)


def test_posterior_into_given_axes_and_errors():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert posterior(BayesStub(), "tau", ax=ax) is fig
    with pytest.raises(metaatt.MetaattError, match="ax: expected 2 matplotlib Axes"):
        posterior(BayesStub(), ("mu", "tau"), ax=ax)
    with pytest.raises(metaatt.MetaattError, match="columns x and density"):
        posterior(BayesStub(), "other")
    with pytest.raises(metaatt.MetaattError, match="density_frame"):
        posterior(bcg_result())
    with pytest.raises(metaatt.MetaattError, match="params"):
        posterior(BayesStub(), [])


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_diagnostic_plots_save(tmp_path, bcg, suffix):
    t = bcg_table()
    figures = [
        baujat(baujat_table()),
        labbe(bcg, ai="tpos", bi="tneg", ci="cpos", di="cneg"),
        bubble(RegressionStub(t.yi, t.vi, t.ablat)),
        posterior(BayesStub()),
    ]
    for i, fig in enumerate(figures):
        path = savefig(fig, tmp_path / f"d{i}{suffix}", dpi=72)
        assert path.stat().st_size > 1000


def test_baujat_of_a_fitted_model_uses_the_diagnostics_coordinates(bcg):
    try:
        from metaatt.diagnostics import baujat as coordinates
    except ImportError:
        with pytest.raises(metaatt.MetaattError, match=r"metaatt\.diagnostics\.baujat"):
            baujat(bcg)
        return
    table = coordinates(bcg)
    np.testing.assert_allclose(
        one(baujat(bcg), "studies").get_offsets(), table[["x", "y"]].to_numpy()
    )
