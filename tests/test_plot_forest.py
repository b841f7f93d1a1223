"""Forest plot of a pooled result: what is drawn, where, and how it is labelled."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import metaatt  # noqa: E402
from metaatt.plot import Style, forest  # noqa: E402
from tests.test_plot_helpers import (  # noqa: E402
    anchor,
    bcg_result,
    bcg_table,
    by_gid,
    cells,
    close_figures,  # noqa: F401 - autouse fixture
    extent,
    one,
    simple_frame,
    texts,
)


@pytest.fixture(scope="module")
def bcg():
    return bcg_result()


def diamond_vertices(fig) -> np.ndarray:
    (diamond,) = by_gid(fig, "diamond-pooled")
    return np.asarray(diamond.get_xy())[:4]


# ---------------------------------------------------------------------- the standard plot
def test_result_plot_and_forest_return_a_figure(bcg):
    assert isinstance(bcg.plot(), Figure)
    assert isinstance(forest(bcg.forest_frame()), Figure)


def test_every_study_label_header_and_summary_text_is_drawn(bcg):
    fig = forest(bcg, transform="exp")
    shown = texts(fig)
    for label in bcg.labels:
        assert label in shown
    for text in ("Study", "RR [95% CI]", "Weight", "Random-effects model", "Prediction interval"):
        assert text in shown
    (note,) = [t for t in shown if t.startswith("Heterogeneity")]
    assert (
        "\u03c4\u00b2 = 0.3132" in note and "I\u00b2 = 92.2%" in note and "Q(12) = 152.23" in note
    )
    assert "p < .0001" in note


def test_one_square_and_one_whisker_per_study_at_the_study_values(bcg):
    fig = forest(bcg, transform="exp")
    markers = one(fig, "study-markers")
    whiskers = one(fig, "study-ci")
    offsets = markers.get_offsets()
    assert len(offsets) == bcg.k
    assert markers.get_paths()[0] is not None
    np.testing.assert_allclose(offsets[:, 0], np.exp(bcg.yi))
    frame = bcg.forest_frame()
    segments = whiskers.get_segments()
    assert len(segments) == bcg.k
    lows = np.array([s[0][0] for s in segments])
    highs = np.array([s[1][0] for s in segments])
    np.testing.assert_allclose(lows, np.exp(frame.ci_low[: bcg.k]))
    np.testing.assert_allclose(highs, np.exp(frame.ci_high[: bcg.k]))


def test_marker_area_is_proportional_to_weight(bcg):
    st = Style()
    fig = forest(bcg, style=st)
    sizes = one(fig, "study-markers").get_sizes()
    np.testing.assert_allclose(sizes.max(), st.marker_max**2)
    np.testing.assert_allclose(sizes / sizes.max(), bcg.weights / bcg.weights.max(), rtol=1e-12)


def test_diamond_spans_the_ci_with_its_tips_at_the_estimate(bcg):
    fig = forest(bcg, transform="exp")
    vertices = diamond_vertices(fig)
    left, top, right, bottom = vertices
    assert left[0] == pytest.approx(np.exp(bcg.ci_low))
    assert right[0] == pytest.approx(np.exp(bcg.ci_high))
    assert top[0] == pytest.approx(np.exp(bcg.estimate))
    assert bottom[0] == pytest.approx(np.exp(bcg.estimate))
    assert left[1] == right[1]


def test_prediction_interval_bar_spans_the_prediction_interval(bcg):
    fig = forest(bcg)
    (bar,) = by_gid(fig, "prediction")
    xs = bar.get_xdata()
    assert min(xs) == pytest.approx(bcg.pi_low)
    assert max(xs) == pytest.approx(bcg.pi_high)


def test_exp_transform_draws_a_log_axis_with_back_transformed_labels(bcg):
    fig = forest(bcg, transform="exp")
    ax = one(fig, "study-markers").axes
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "Risk ratio (log scale)"
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in ticks and "0.5" in ticks
    refline = one(fig, "refline")
    assert list(refline.get_xdata()) == [1.0, 1.0]


def test_a_ratio_measure_is_never_transformed_silently(bcg):
    fig = forest(bcg)
    ax = one(fig, "study-markers").axes
    assert ax.get_xscale() == "linear"
    assert ax.get_xlabel() == "Log risk ratio"
    assert "log RR [95% CI]" in texts(fig)
    np.testing.assert_allclose(one(fig, "study-markers").get_offsets()[:, 0], bcg.yi)
    assert list(one(fig, "refline").get_xdata()) == [0.0, 0.0]


def test_auto_transform_back_transforms_ratio_measures_only(bcg):
    assert one(forest(bcg, transform="auto"), "study-markers").axes.get_xscale() == "log"
    frame = bcg.forest_frame()
    frame.attrs["measure"] = "SMD"
    fig = forest(frame, transform="auto")
    assert one(fig, "study-markers").axes.get_xscale() == "linear"
    assert "SMD [95% CI]" in texts(fig)


def test_callable_transform_uses_a_function_scale():
    frame = simple_frame(4, measure="ZCOR")
    fig = forest(frame, transform=np.tanh)
    ax = one(fig, "study-markers").axes
    assert ax.get_xscale() == "function"
    np.testing.assert_allclose(diamond_vertices(fig)[1][0], np.tanh(0.0))
    np.testing.assert_allclose(
        one(fig, "study-markers").get_offsets()[:, 0], np.tanh(frame.estimate[:4])
    )
    assert "Correlation [95% CI]" in texts(fig)


def test_estimate_column_prints_the_frame_numbers(bcg):
    fig = forest(bcg, transform="exp")
    est, low, high = (cells(fig, "right", 0, part) for part in range(3))
    expected = np.exp(bcg.yi)
    assert [t.get_text() for t in est[: bcg.k]] == [f"{v:.2f}" for v in expected]
    frame = bcg.forest_frame()
    assert low[0].get_text() == f"[{np.exp(frame.ci_low[0]):.2f},"
    assert high[0].get_text() == f"{np.exp(frame.ci_high[0]):.2f}]"
    assert est[bcg.k].get_text() == f"{np.exp(bcg.estimate):.2f}"
    weights = [t.get_text() for t in cells(fig, "right", 1)]
    assert weights[: bcg.k] == [f"{w:.1f}%" for w in bcg.weights]
    assert weights[bcg.k] == "100.0%"


def test_digits_controls_the_printed_decimals(bcg):
    fig = forest(bcg, digits=3)
    assert cells(fig, "right", 0)[0].get_text() == f"{bcg.yi[0]:.3f}".replace("-", "\u2212")


def test_columns_are_aligned_and_never_overlap(bcg):
    fig = forest(bcg, transform="exp", columns={"n": "N", "year": "Year"})
    fig.canvas.draw()
    ax = one(fig, "study-markers").axes
    plot_box = extent(fig, ax)
    blocks = []
    for side, count in (("left", 3), ("right", 2)):
        for c in range(count):
            parts = 3 if (side, c) == ("right", 0) else 1
            column_boxes = []
            for p in range(parts):
                part = cells(fig, side, c, p)
                assert part, (side, c, p)
                xs = {round(anchor(t)[0], 6) for t in part}
                assert len(xs) == 1, f"{side}{c} part {p} anchors differ"
                boxes = [extent(fig, t) for t in part]
                if part[0].get_horizontalalignment() == "right":
                    rights = [b.x1 for b in boxes]
                    assert max(rights) - min(rights) < 1.0  # right edges within a pixel
                else:
                    lefts = [b.x0 for b in boxes]
                    assert max(lefts) - min(lefts) < 1.0
                column_boxes += boxes
            blocks.append((side, min(b.x0 for b in column_boxes), max(b.x1 for b in column_boxes)))
    left = [b for b in blocks if b[0] == "left"]
    right = [b for b in blocks if b[0] == "right"]
    for (_, _, end), (_, start, _) in itertools.pairwise(left):
        assert end < start
    for (_, _, end), (_, start, _) in itertools.pairwise(right):
        assert end < start
    assert left[-1][2] < plot_box.x0
    assert right[0][1] > plot_box.x1


def test_text_rows_line_up_with_their_markers(bcg):
    fig = forest(bcg)
    labels = cells(fig, "left", 0)[: bcg.k]
    markers = one(fig, "study-markers")
    points = markers.get_offset_transform().transform(markers.get_offsets())
    np.testing.assert_allclose([anchor(t)[1] for t in labels], points[:, 1])
    estimates = cells(fig, "right", 0)[: bcg.k]
    np.testing.assert_allclose([anchor(t)[1] for t in estimates], points[:, 1])


def test_headers_and_pooled_label_are_bold(bcg):
    fig = forest(bcg)
    (pooled,) = [t for t in fig.findobj(Text) if t.get_text() == "Random-effects model"]
    assert pooled.get_fontweight() == "bold"
    assert one(fig, "header-left0").get_fontweight() == "bold"


def test_user_columns_come_from_the_result_data(bcg):
    fig = forest(bcg, columns=["year", ("n", "Patients")])
    shown = texts(fig)
    assert "Year" in shown and "Patients" in shown
    years = [t.get_text() for t in cells(fig, "left", 1)]
    assert years == [str(y) for y in bcg_table().year]
    assert [t.get_text() for t in cells(fig, "left", 2)] == [str(n) for n in bcg_table().n]


def test_right_columns_can_add_data_columns(bcg):
    fig = forest(bcg, right_columns=["estimate", ("ablat", "Latitude")])
    assert "Latitude" in texts(fig) and "Weight" not in texts(fig)
    assert [t.get_text() for t in cells(fig, "right", 1)] == [str(v) for v in bcg_table().ablat]


def test_sort_by_orders_studies_within_the_block(bcg):
    fig = forest(bcg, sort_by="estimate")
    shown = [t.get_text() for t in cells(fig, "left", 0)][: bcg.k]
    assert shown == [bcg.labels[i] for i in np.argsort(bcg.yi, kind="stable")]
    fig = forest(bcg, sort_by="year", ascending=False)
    shown = [t.get_text() for t in cells(fig, "left", 0)][: bcg.k]
    years = bcg_table().year.to_numpy()
    assert shown == [bcg.labels[i] for i in np.argsort(-years, kind="stable")]
    # sorting moves squares with their labels
    markers = one(fig, "study-markers")
    top = np.argmax(markers.get_offset_transform().transform(markers.get_offsets())[:, 1])
    assert bcg.yi[np.argmax(years)] == pytest.approx(markers.get_offsets()[top, 0])


def test_labels_replace_the_study_labels(bcg):
    new = [f"Trial {i}" for i in range(bcg.k)]
    fig = forest(bcg, labels=new)
    assert [t.get_text() for t in cells(fig, "left", 0)][: bcg.k] == new


def test_intervals_beyond_xlim_end_in_arrowheads(bcg):
    fig = forest(bcg, transform="exp", xlim=(0.2, 2.0))
    frame = bcg.forest_frame()
    drawn = frame.kind != "heading"
    lows = np.exp(frame.ci_low[drawn].to_numpy())
    highs = np.exp(frame.ci_high[drawn].to_numpy())
    left = by_gid(fig, "clip-arrows-left")
    right = by_gid(fig, "clip-arrows-right")
    assert len(left[0].get_offsets()) == int((lows < 0.2).sum()) > 0
    assert len(right[0].get_offsets()) == int((highs > 2.0).sum()) > 0
    np.testing.assert_allclose(left[0].get_offsets()[:, 0], 0.2)
    np.testing.assert_allclose(right[0].get_offsets()[:, 0], 2.0)
    assert one(fig, "study-markers").axes.get_xlim() == pytest.approx((0.2, 2.0))


def test_no_arrows_when_everything_fits(bcg):
    fig = forest(bcg, transform="exp")
    assert by_gid(fig, "clip-arrows") == []


def test_common_effect_result_has_no_prediction_row():
    res = metaatt.pool("yi", "vi", data=bcg_table(), method="EE")
    fig = forest(res)
    assert "Common-effect model" in texts(fig)
    assert by_gid(fig, "prediction") == []
    assert not any("\u03c4\u00b2" in t for t in texts(fig))


def test_single_study_result_draws_without_heterogeneity():
    with pytest.warns(metaatt.HeterogeneityUndefinedWarning):
        res = metaatt.pool([0.3], [0.04], labels=["Only"])
    fig = forest(res)
    assert "Only" in texts(fig)
    assert "Heterogeneity: not estimable (k = 1)" in texts(fig)
    assert len(one(fig, "study-markers").get_offsets()) == 1


def test_refline_choices(bcg):
    assert by_gid(forest(bcg, refline=None), "refline") == []
    assert list(one(forest(bcg, refline=-0.5), "refline").get_xdata()) == [-0.5, -0.5]
    frame = simple_frame(3, measure="PLO")
    assert by_gid(forest(frame), "refline") == []
    with pytest.raises(metaatt.MetaattError, match="refline"):
        forest(bcg, refline="zero")


def test_favours_captions_sit_either_side_of_the_reference_line(bcg):
    fig = forest(bcg, transform="exp", favours=("Favours vaccine", "Favours control"))
    left, right = one(fig, "favours-left"), one(fig, "favours-right")
    assert left.get_text() == "Favours vaccine" and right.get_text() == "Favours control"
    fig.canvas.draw()
    ref_x = one(fig, "refline").get_transform().transform((1.0, 0.0))[0]
    assert extent(fig, left).x1 <= ref_x + 0.5 <= extent(fig, right).x0 + 1.0


def test_synthetic_data_are_named_in_the_title():
    frame = simple_frame(3, synthetic=True, title="Demo")
    fig = forest(frame)
    title = one(fig, "title").get_text()
    assert title.startswith("Demo") and "SYNTHETIC" in title
    assert "SYNTHETIC" in one(forest(simple_frame(3, synthetic=True)), "title").get_text()
    assert by_gid(forest(simple_frame(3)), "title") == []


def test_a_synthetic_result_says_so():
    table = bcg_table()
    table.attrs["synthetic"] = True
    res = metaatt.pool("yi", "vi", data=table)
    assert "SYNTHETIC" in one(forest(res), "title").get_text()


def test_figure_grows_with_k_and_rows_never_overlap():
    k = 300
    est = np.sin(np.arange(k))
    frame = pd.DataFrame(
        {
            "label": [f"Study {i:03d} with a long author list" for i in range(k)],
            "estimate": est,
            "ci_low": est - 0.4,
            "ci_high": est + 0.4,
            "weight": np.linspace(0.1, 0.6, k),
            "kind": "study",
        }
    )
    frame.attrs = {"measure": "SMD", "level": 0.95, "heterogeneity": ""}
    small = forest(frame.iloc[:10].copy())
    big = forest(frame)
    st = Style()
    row = st.fontsize * st.row_spacing / 72
    assert big.get_size_inches()[1] >= k * row
    assert big.get_size_inches()[1] > 20 * small.get_size_inches()[1]
    labels = cells(big, "left", 0)
    assert len(labels) == k
    boxes = [extent(big, t) for t in labels]  # top to bottom
    for upper, lower in itertools.pairwise(boxes):
        assert lower.y1 <= upper.y0 + 0.5
    markers = one(big, "study-markers")
    assert len(markers.get_offsets()) == k
    side = np.sqrt(markers.get_sizes().max())  # points
    assert side <= row * 72


def test_draws_into_a_given_axes_within_its_box(bcg):
    import matplotlib.pyplot as plt

    fig, (_left, right) = plt.subplots(1, 2, figsize=(14, 5))
    box = right.get_position()
    out = forest(bcg, ax=right, transform="exp")
    assert out is fig
    assert len(fig.axes) == 2
    assert right.get_position().x0 > box.x0 and right.get_position().x1 < box.x1
    assert one(fig, "study-markers").axes is right
    fig.canvas.draw()
    fig_box = box.transformed(fig.transFigure)
    for text in cells(fig, "left", 0) + cells(fig, "right", 1):
        assert fig_box.x0 - 2 <= extent(fig, text).x0 and extent(fig, text).x1 <= fig_box.x1 + 2


# ---------------------------------------------------------------------- bad input
def test_labels_of_the_wrong_length_are_rejected(bcg):
    with pytest.raises(metaatt.MetaattError, match=r"labels: 3 labels given for 13 studies"):
        forest(bcg, labels=["a", "b", "c"])
    with pytest.raises(metaatt.MetaattError, match="labels"):
        forest(bcg, labels="abc")


def test_unknown_columns_are_named(bcg):
    with pytest.raises(metaatt.MetaattError, match=r"columns: unknown column 'yaer'.*'year'"):
        forest(bcg, columns=["yaer"])
    with pytest.raises(metaatt.MetaattError, match="right_columns: unknown column"):
        forest(bcg, right_columns=["nope"])
    with pytest.raises(metaatt.MetaattError, match="sort_by: unknown column"):
        forest(bcg, sort_by="nope")
    with pytest.raises(metaatt.MetaattError, match="columns: each entry"):
        forest(bcg, columns=[3])


def test_empty_and_malformed_frames_are_rejected():
    frame = simple_frame(3)
    with pytest.raises(metaatt.MetaattError, match="empty"):
        forest(frame.iloc[:0])
    with pytest.raises(metaatt.MetaattError, match=r"lacks column\(s\) \['ci_high'\]"):
        forest(frame.drop(columns="ci_high"))
    with pytest.raises(metaatt.MetaattError, match="unknown row kind"):
        forest(frame.assign(kind="studdy"))
    bad = frame.copy()
    bad.loc[1, "estimate"] = np.nan
    with pytest.raises(metaatt.MetaattError, match=r"estimate of forest row 2 \(study 'S2'\)"):
        forest(bad)
    bad = frame.copy()
    bad.loc[0, "ci_low"] = 5.0
    with pytest.raises(metaatt.MetaattError, match="ci_low > ci_high"):
        forest(bad)
    headings = frame.assign(kind="heading")
    with pytest.raises(metaatt.MetaattError, match="no study or pooled row"):
        forest(headings)
    with pytest.raises(metaatt.MetaattError, match="forest-frame column 'weight' must be numeric"):
        forest(frame.assign(weight="heavy"))


def test_wrong_argument_types_are_rejected(bcg):
    with pytest.raises(metaatt.MetaattError, match="result: expected a result with a forest_frame"):
        forest([1, 2, 3])
    with pytest.raises(metaatt.MetaattError, match="digits"):
        forest(bcg, digits=-1)
    with pytest.raises(metaatt.MetaattError, match="xlim"):
        forest(bcg, xlim=(1.0, 0.5))
    with pytest.raises(metaatt.MetaattError, match="xlim: a log axis needs positive"):
        forest(bcg, transform="exp", xlim=(0.0, 2.0))
    with pytest.raises(metaatt.MetaattError, match="ax: expected a matplotlib Axes"):
        forest(bcg, ax="left")
    with pytest.raises(metaatt.MetaattError, match="favours"):
        forest(bcg, favours=("only one",))
    with pytest.raises(metaatt.MetaattError, match="variant"):
        forest(simple_frame(2, variant="funnel"))


def test_huge_intervals_are_clipped_without_numerical_warnings():
    frame = simple_frame(3, measure="OR")
    frame.loc[0, "ci_high"] = 800.0  # exp(800) overflows
    frame.loc[1, "ci_low"] = -750.0
    fig = forest(frame, transform="exp")
    assert len(one(fig, "clip-arrows-right").get_offsets()) == 1
    assert len(one(fig, "clip-arrows-left").get_offsets()) == 1
    lo, hi = one(fig, "study-markers").axes.get_xlim()
    assert 0 < lo < hi < 100
