"""Plots of the real results of the other modules (skipped where a module is not merged)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import metaatt  # noqa: E402
from metaatt.plot import forest, funnel, posterior  # noqa: E402
from metaatt.plot.columns import pretty_statistics  # noqa: E402
from tests.test_plot_helpers import (  # noqa: E402
    bcg_result,
    bcg_table,
    by_gid,
    cells,
    close_figures,  # noqa: F401 - autouse fixture
    one,
    texts,
)


def need(name: str):
    """The public function ``name``, or skip when its module is not on this branch."""
    try:
        return getattr(metaatt, name)
    except (ImportError, AttributeError):
        pytest.skip(f"metaatt.{name} is not available on this branch")


@pytest.fixture(scope="module")
def bcg():
    return bcg_result()


def test_forest_of_a_bayesian_result():
    try:
        from metaatt import bayes
    except ImportError:
        pytest.skip("metaatt.bayes is not available on this branch")
    res = bayes.pool("yi", "vi", data=bcg_table(), tau_prior=bayes.HalfNormal(0.5))
    frame = res.forest_frame()
    fig = forest(res, transform="exp")
    shrunken = frame[frame.kind == "shrunken"]
    np.testing.assert_allclose(
        one(fig, "shrunken-markers").get_offsets()[:, 0], np.exp(shrunken.estimate)
    )
    assert len(one(fig, "study-markers").get_offsets()) == res.k
    (diamond,) = by_gid(fig, "diamond-pooled")
    assert np.asarray(diamond.get_xy())[1][0] == pytest.approx(np.exp(res.mu.mean))
    assert "Posterior [95% CrI]" in texts(fig)

    fig = posterior(res, ("mu", "tau"))
    density = res.density_frame("mu")
    np.testing.assert_allclose(one(fig, "density-mu").get_ydata(), density.density)
    np.testing.assert_allclose(one(fig, "mean-mu").get_xdata(), res.mu.mean)


def test_forest_and_funnel_of_trim_and_fill(bcg):
    trim_and_fill = need("trim_and_fill")
    tf = trim_and_fill(bcg)
    fig = forest(tf, transform="exp")
    frame = tf.forest_frame()
    filled = frame[frame.get("filled", False) == True]  # noqa: E712 - a boolean column
    assert len(filled) == tf.k0
    if tf.k0:
        np.testing.assert_allclose(
            one(fig, "filled-markers").get_offsets()[:, 0], np.exp(filled.estimate)
        )
    fig = funnel(bcg, trim_and_fill=tf)
    if tf.k0:
        np.testing.assert_allclose(one(fig, "filled").get_offsets()[:, 0], tf.filled.yi)
    np.testing.assert_allclose(one(fig, "adjusted-line").get_xdata(), tf.estimate)


def test_forest_of_a_subgroup_analysis():
    subgroup_analysis = need("subgroup_analysis")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        res = subgroup_analysis("yi", "vi", "alloc", data=bcg_table())
    frame = res.forest_frame()
    fig = forest(res, transform="exp", columns=["year"])
    sub = frame[frame.kind == "subgroup"]
    tops = sorted(np.asarray(d.get_xy())[1][0] for d in by_gid(fig, "diamond-subgroup"))
    np.testing.assert_allclose(tops, sorted(np.exp(sub.estimate)))
    assert pretty_statistics(frame.attrs["subgroup_test"]) in texts(fig)
    years = [t.get_text() for t in cells(fig, "left", 1)]
    assert len(years) == int((frame.kind == "study").sum())


@pytest.mark.parametrize("name", ["leave_one_out", "cumulative"])
def test_forest_of_refit_tables(bcg, name):
    function = need(name)
    table = function(bcg)
    fig = forest(table, transform="exp")
    np.testing.assert_allclose(
        one(fig, "study-markers").get_offsets()[:, 0], np.exp(table.estimate)
    )


def test_forest_of_an_escalc_table_reads_the_measure():
    escalc = need("escalc")
    bcg = metaatt.datasets.load_bcg()
    es = escalc("RR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg, data=bcg)
    res = metaatt.pool(es, labels=bcg.author + ", " + bcg.year.astype(str))
    fig = forest(res, transform="auto", columns=["year"])
    assert one(fig, "study-markers").axes.get_xscale() == "log"
    assert "RR [95% CI]" in texts(fig)
    assert [t.get_text() for t in cells(fig, "left", 1)] == [str(y) for y in bcg.year]
    plain = forest(res)
    assert "log RR [95% CI]" in texts(plain)
