"""Funnel plot: points, pseudo confidence region, contours, trim-and-fill and Egger line."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
from scipy import stats

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import metaatt  # noqa: E402
from metaatt.plot import funnel, savefig  # noqa: E402
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


def trim_fill_stub():
    """Shaped like metaatt.trim_and_fill's result: imputed studies and the adjusted estimate."""
    return types.SimpleNamespace(
        filled=pd.DataFrame({"yi": [0.2, 0.4], "vi": [0.1, 0.3]}), estimate=-0.55, k0=2
    )


def test_one_point_per_study_at_estimate_and_standard_error(bcg):
    fig = funnel(bcg)
    points = one(fig, "studies").get_offsets()
    np.testing.assert_allclose(points[:, 0], bcg.yi)
    np.testing.assert_allclose(points[:, 1], np.sqrt(bcg.vi))
    ax = one(fig, "studies").axes
    low, high = ax.get_ylim()
    assert low > high == 0.0  # standard error axis inverted: precise studies on top
    assert ax.get_ylabel() == "Standard error"
    assert ax.get_xlabel() == "Log risk ratio"


def test_pseudo_confidence_region_is_estimate_plus_minus_z_se(bcg):
    fig = funnel(bcg, contours=False)
    lines = by_gid(fig, "pseudo-ci")
    assert len(lines) == 2
    z = stats.norm.ppf(0.975)
    for line in lines:
        x, y = line.get_xdata(), line.get_ydata()
        offset = np.abs(x - bcg.estimate)
        np.testing.assert_allclose(offset, z * y, atol=1e-12)
    center = one(fig, "pooled-line")
    np.testing.assert_allclose(center.get_xdata(), bcg.estimate)
    assert by_gid(fig, "contour") == []


def test_level_changes_the_pseudo_region(bcg):
    fig = funnel(bcg, contours=False, level=0.9)
    line = by_gid(fig, "pseudo-ci")[0]
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(np.abs(line.get_xdata() - bcg.estimate), z * line.get_ydata())


def test_contours_shade_the_significance_regions_around_zero(bcg):
    fig = funnel(bcg)
    for p in (0.1, 0.05, 0.01):
        (region,) = by_gid(fig, f"contour-{p:g}")
        vertices = region.get_paths()[0].vertices
        se = vertices[:, 1]
        half = np.abs(vertices[:, 0])
        np.testing.assert_allclose(half, stats.norm.ppf(1 - p / 2) * se, atol=1e-9)
    shown = texts(fig)
    for label in ("p > 0.1", "0.05 < p \u2264 0.1", "0.01 < p \u2264 0.05", "p \u2264 0.01"):
        assert label in shown


def test_custom_contours(bcg):
    fig = funnel(bcg, contours=[0.05])
    assert len(by_gid(fig, "contour-")) == 1
    assert "p > 0.05" in texts(fig) and "p \u2264 0.05" in texts(fig)


def test_exp_transform_uses_a_log_axis(bcg):
    fig = funnel(bcg, transform="exp")
    ax = one(fig, "studies").axes
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(one(fig, "studies").get_offsets()[:, 0], np.exp(bcg.yi))
    assert ax.get_xlabel() == "Risk ratio (log scale)"


@pytest.mark.parametrize(
    ("yaxis", "values", "inverted"),
    [
        ("vi", lambda vi: vi, True),
        ("seinv", lambda vi: 1 / np.sqrt(vi), False),
        ("vinv", lambda vi: 1 / vi, False),
    ],
)
def test_other_y_axes(bcg, yaxis, values, inverted):
    fig = funnel(bcg, yaxis=yaxis)
    np.testing.assert_allclose(one(fig, "studies").get_offsets()[:, 1], values(bcg.vi))
    low, high = one(fig, "studies").axes.get_ylim()
    assert (low > high) == inverted


def test_trim_and_fill_points_and_adjusted_estimate(bcg):
    fig = funnel(bcg, trim_and_fill=trim_fill_stub())
    filled = one(fig, "filled").get_offsets()
    np.testing.assert_allclose(filled[:, 0], [0.2, 0.4])
    np.testing.assert_allclose(filled[:, 1], np.sqrt([0.1, 0.3]))
    np.testing.assert_allclose(one(fig, "adjusted-line").get_xdata(), -0.55)
    assert "Filled studies (k0 = 2)" in texts(fig)
    # the axis makes room for the imputed studies
    assert one(fig, "studies").axes.get_ylim()[0] >= np.sqrt(0.3)


def test_egger_line_follows_the_fitted_coefficients(bcg):
    egger = types.SimpleNamespace(coef=np.array([-0.3, -1.5]), predictor="sei")
    fig = funnel(bcg, egger=egger)
    line = one(fig, "egger-line")
    np.testing.assert_allclose(line.get_xdata(), -0.3 - 1.5 * line.get_ydata())
    peese = types.SimpleNamespace(intercept=-0.3, slope=-1.5, predictor="vi")
    line = one(funnel(bcg, egger=peese), "egger-line")
    np.testing.assert_allclose(line.get_xdata(), -0.3 - 1.5 * line.get_ydata() ** 2)


def test_egger_result_from_the_bias_module(bcg):
    if "egger_test" not in dir(metaatt):
        pytest.skip("metaatt.egger_test is not on this branch")
    try:
        egger = metaatt.egger_test(bcg)
    except (ImportError, AttributeError):
        pytest.skip("metaatt.egger_test is not available on this branch")
    line = one(funnel(bcg, egger=egger), "egger-line")
    np.testing.assert_allclose(
        line.get_xdata(), egger.coef[0] + egger.coef[-1] * line.get_ydata(), rtol=1e-12
    )


def test_labels_and_synthetic_title(bcg):
    fig = funnel(bcg, labels=True)
    for label in bcg.labels:
        assert label in texts(fig)
    table = bcg_table()
    table.attrs["synthetic"] = True
    res = metaatt.pool("yi", "vi", data=table)
    assert any("SYNTHETIC" in t for t in texts(funnel(res)))


def test_draws_into_a_given_axes(bcg):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert funnel(bcg, ax=ax) is fig
    assert one(fig, "studies").axes is ax


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_funnel_saves(tmp_path, bcg, suffix, magic):
    path = savefig(funnel(bcg, trim_and_fill=trim_fill_stub()), tmp_path / f"f{suffix}", dpi=72)
    assert path.read_bytes().startswith(magic)


def test_bad_input_is_named(bcg):
    with pytest.raises(metaatt.MetaattError, match="result: expected a result with yi and vi"):
        funnel([0.1, 0.2])
    with pytest.raises(metaatt.MetaattError, match="yaxis: unknown value 'se'"):
        funnel(bcg, yaxis="se")
    with pytest.raises(metaatt.MetaattError, match="contours: p thresholds"):
        funnel(bcg, contours=[0.5, 1.5])
    with pytest.raises(metaatt.MetaattError, match="trim_and_fill: expected"):
        funnel(bcg, trim_and_fill=object())
    with pytest.raises(metaatt.MetaattError, match="egger: expected"):
        funnel(bcg, egger=object())
    with pytest.raises(metaatt.MetaattError, match="egger: the regression has 3 coefficients"):
        funnel(bcg, egger=types.SimpleNamespace(coef=[1.0, 2.0, 3.0]))
    with pytest.raises(metaatt.MetaattError, match="predictor 'ni'"):
        funnel(bcg, egger=types.SimpleNamespace(coef=[1.0, 2.0], predictor="ni"))
    with pytest.raises(metaatt.MetaattError, match="xlim"):
        funnel(bcg, xlim=(1, 0))
    with pytest.raises(metaatt.MetaattError, match="level"):
        funnel(bcg, level=95)
