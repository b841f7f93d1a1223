"""Forest-plot variants: subgroups, Bayesian shrinkage, leave-one-out, cumulative; saving."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import metaatt  # noqa: E402
from metaatt.plot import forest, from_cumulative, from_leave_one_out, savefig  # noqa: E402
from tests.test_plot_helpers import (  # noqa: E402
    anchor,
    bayes_frame,
    bcg_result,
    by_gid,
    cells,
    close_figures,  # noqa: F401 - autouse fixture
    influence_table,
    one,
    simple_frame,
    texts,
)
from tests.test_plot_helpers import subgroup_frame as build_subgroup_frame  # noqa: E402


@pytest.fixture(scope="module")
def subgroups() -> pd.DataFrame:
    with warnings.catch_warnings():  # small subgroups may put tau^2 on the boundary
        warnings.simplefilter("ignore", metaatt.BoundaryWarning)
        return build_subgroup_frame()


def row_y(fig, label: str) -> float:
    (text,) = [t for t in cells(fig, "left", 0) if t.get_text() == label]
    return anchor(text)[1]


# ---------------------------------------------------------------------- subgroups
def test_subgroups_draw_headings_group_diamonds_and_the_overall_diamond(subgroups):
    fig = forest(subgroups, transform="exp")
    shown = texts(fig)
    for heading in ("Random", "Alternate", "Systematic"):
        (text,) = [t for t in fig.findobj(Text) if t.get_text() == heading]
        assert text.get_fontweight() == "bold"
    sub = subgroups[subgroups.kind == "subgroup"]
    diamonds = by_gid(fig, "diamond-subgroup")
    assert len(diamonds) == len(sub) == 3
    tops = sorted(np.asarray(d.get_xy())[1][0] for d in diamonds)
    np.testing.assert_allclose(tops, sorted(np.exp(sub.estimate)))
    assert len(by_gid(fig, "diamond-pooled")) == 1
    assert len(one(fig, "study-markers").get_offsets()) == 13
    assert "Test for subgroup differences: placeholder text for the drawing test" in shown
    assert sum(t.startswith("Heterogeneity") for t in shown) == 4  # three groups + overall


def test_subgroup_rows_are_ordered_heading_studies_subtotal(subgroups):
    fig = forest(subgroups)
    labels = subgroups.label.tolist()
    ys = [row_y(fig, label) for label in labels]
    assert ys == sorted(ys, reverse=True)  # frame order is top to bottom
    # a blank line separates each group from the next heading
    step = row_y(fig, "Aronson, 1948") - row_y(fig, "Ferguson & Simes, 1949")
    gap = row_y(fig, "Subtotal (random)") - row_y(fig, "Alternate")
    assert gap == pytest.approx(3 * step)  # subtotal, its heterogeneity line, blank line


def test_sorting_stays_within_each_subgroup(subgroups):
    fig = forest(subgroups, sort_by="estimate")
    random = subgroups[(subgroups.group == "random") & (subgroups.kind == "study")]
    ordered = random.sort_values("estimate", kind="stable").label.tolist()
    ys = [row_y(fig, label) for label in ordered]
    assert ys == sorted(ys, reverse=True)
    assert max(ys) < row_y(fig, "Random") and min(ys) > row_y(fig, "Subtotal (random)")


# ---------------------------------------------------------------------- Bayesian
def test_bayes_draws_observed_beside_posterior_study_effects():
    frame = bayes_frame()
    fig = forest(frame, transform="exp")
    observed = one(fig, "study-markers")
    posterior = one(fig, "shrunken-markers")
    k = int((frame.kind == "study").sum())
    assert len(observed.get_offsets()) == len(posterior.get_offsets()) == k
    np.testing.assert_allclose(
        posterior.get_offsets()[:, 0], np.exp(frame.estimate[frame.kind == "shrunken"])
    )
    # each posterior mark sits on its study's line, just below the observed one
    gap = observed.get_offsets()[:, 1] - posterior.get_offsets()[:, 1]
    np.testing.assert_allclose(gap, gap[0])
    assert -0.5 < gap[0] < 0
    shown = texts(fig)
    for text in ("Observed", "Posterior", "Observed [95% CI]", "Posterior [95% CrI]"):
        assert text in shown
    assert np.asarray(one(fig, "diamond-pooled-" + str(2 * k)).get_xy())[1][0] == pytest.approx(
        np.exp(-0.71)
    )
    assert len(by_gid(fig, "prediction")) == 1


def test_bayes_columns_show_observed_and_posterior_numbers():
    frame = bayes_frame()
    fig = forest(frame)
    k = int((frame.kind == "study").sum())
    observed = [t.get_text() for t in cells(fig, "right", 0)]
    posterior = [t.get_text() for t in cells(fig, "right", 1)]
    shrunken = frame[frame.kind == "shrunken"].estimate.to_numpy()
    assert observed[:k] == [f"{v:.2f}".replace("-", "\u2212") for v in frame.estimate[:k]]
    assert posterior[:k] == [f"{v:.2f}".replace("-", "\u2212") for v in shrunken]
    assert posterior[k] == "\u22120.71"  # the posterior mean on the pooled line
    assert len(observed) == k  # pooled and predictive rows are posterior quantities


def test_bayes_pairs_by_label_whatever_the_row_order():
    frame = bayes_frame()
    shuffled = pd.concat(
        [frame[frame.kind == "shrunken"].iloc[::-1], frame[frame.kind != "shrunken"]],
        ignore_index=True,
    )
    shuffled.attrs = frame.attrs
    a, b = forest(frame), forest(shuffled)
    # posterior marks follow their studies' lines, not the frame's row order
    np.testing.assert_allclose(
        one(a, "shrunken-markers").get_offsets(), one(b, "shrunken-markers").get_offsets()
    )


def test_bayes_relabelling_keeps_the_pairs():
    frame = bayes_frame()
    k = int((frame.kind == "study").sum())
    fig = forest(frame, labels=[f"T{i}" for i in range(k)])
    assert len(one(fig, "shrunken-markers").get_offsets()) == k
    assert [t.get_text() for t in cells(fig, "left", 0)][:k] == [f"T{i}" for i in range(k)]


def test_unpaired_posterior_rows_get_a_line_of_their_own():
    frame = bayes_frame()
    frame.loc[frame.index[frame.kind == "shrunken"][0], "label"] = "New study"
    fig = forest(frame)
    assert "New study" in texts(fig)
    assert len(one(fig, "shrunken-markers").get_offsets()) == int((frame.kind == "study").sum())


def test_bayes_synthetic_frame_says_so():
    assert "SYNTHETIC" in one(forest(bayes_frame(synthetic=True)), "title").get_text()


# ---------------------------------------------------------------------- leave-one-out, cumulative
@pytest.mark.parametrize(
    ("variant", "convert", "header", "title"),
    [
        ("leave_one_out", from_leave_one_out, "Study omitted", "Leave-one-out analysis"),
        ("cumulative", from_cumulative, "Study added", "Cumulative meta-analysis"),
    ],
)
def test_influence_tables_are_relabelled_not_recomputed(variant, convert, header, title):
    table = influence_table(variant)
    frame = convert(table)
    np.testing.assert_array_equal(frame.estimate, table.estimate)
    np.testing.assert_array_equal(frame.ci_low, table.ci_low)
    np.testing.assert_array_equal(frame.ci_high, table.ci_high)
    np.testing.assert_array_equal(frame.tau2, table.tau2)
    assert frame.label.tolist() == table.study.tolist()
    assert set(frame.kind) == {"study"} and frame.weight.isna().all()
    assert frame.attrs["variant"] == variant and frame.attrs["measure"] == "RR"

    fig = forest(table, transform="exp")  # the table itself is accepted
    assert len(one(fig, "study-markers").get_offsets()) == len(table)
    shown = texts(fig)
    assert header in shown and title in shown
    assert "\u03c4\u00b2" in shown and "I\u00b2" in shown and "Weight" not in shown
    assert [t.get_text() for t in cells(fig, "right", 2)] == [f"{v:.1f}%" for v in table.i2]
    assert [t.get_text() for t in cells(fig, "right", 1)] == [f"{v:.3f}" for v in table.tau2]


def test_influence_table_with_the_full_fit_draws_its_diamond():
    table = influence_table("leave_one_out")
    table.attrs["pooled"] = {"estimate": -0.71, "ci_low": -1.07, "ci_high": -0.36}
    fig = forest(table)
    (diamond,) = by_gid(fig, "diamond-pooled")
    assert np.asarray(diamond.get_xy())[1][0] == pytest.approx(-0.71)
    assert "All studies" in texts(fig)


def test_influence_tables_are_checked():
    table = influence_table("leave_one_out")
    with pytest.raises(metaatt.MetaattError, match=r"lacks column\(s\) \['ci_low'\]"):
        from_leave_one_out(table.drop(columns="ci_low"))
    with pytest.raises(metaatt.MetaattError, match="empty"):
        from_cumulative(table.iloc[:0])
    untagged = table.copy()
    untagged.attrs = {}
    with pytest.raises(metaatt.MetaattError, match="attrs\\['variant'\\]"):
        forest(untagged)
    table.attrs["pooled"] = {"estimate": 1.0}
    with pytest.raises(metaatt.MetaattError, match="attrs\\['pooled'\\]"):
        from_leave_one_out(table)


# ---------------------------------------------------------------------- invariants
@settings(max_examples=12, deadline=None)
@given(
    k=st.integers(1, 12),
    center=st.floats(-3, 3),
    spread=st.floats(0.01, 2.0),
    seed=st.integers(0, 10_000),
)
def test_every_study_is_drawn_at_its_estimate_and_the_diamond_at_the_pooled(
    k, center, spread, seed
):
    rng = np.random.default_rng(seed)
    est = center + spread * rng.standard_normal(k)
    half = rng.uniform(0.01, 1.0, k)
    frame = pd.DataFrame(
        {
            "label": [f"S{i}" for i in range(k)],
            "estimate": est,
            "ci_low": est - half,
            "ci_high": est + half,
            "weight": rng.uniform(1, 10, k),
            "kind": "study",
        }
    )
    pooled = pd.DataFrame(
        [
            {
                "label": "Pooled",
                "estimate": center,
                "ci_low": center - 0.2,
                "ci_high": center + 0.2,
                "weight": 100.0,
                "kind": "pooled",
            }
        ]
    )
    frame = pd.concat([frame, pooled], ignore_index=True)
    frame.attrs = {"measure": None, "level": 0.95, "heterogeneity": ""}
    fig = forest(frame)
    offsets = one(fig, "study-markers").get_offsets()
    np.testing.assert_allclose(offsets[:, 0], est)
    assert np.asarray(one(fig, f"diamond-pooled-{k}").get_xy())[1][0] == pytest.approx(center)
    assert [t.get_text() for t in cells(fig, "left", 0)][:k] == [f"S{i}" for i in range(k)]
    lo, hi = one(fig, "study-markers").axes.get_xlim()
    assert lo <= min(est.min(), center - 0.2) and hi >= max(est.max(), center + 0.2)
    plt.close(fig)


# ---------------------------------------------------------------------- saving
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_forest_saves_as_png_svg_and_pdf(tmp_path, suffix, magic):
    fig = forest(bcg_result(), transform="exp", title="BCG")
    path = savefig(fig, tmp_path / f"forest{suffix}", dpi=72)
    content = path.read_bytes()
    assert content.startswith(magic) and len(content) > 1000
    if suffix == ".svg":
        assert b'id="diamond-pooled-13"' in content


def test_savefig_leaves_the_global_style_alone(tmp_path):
    before = matplotlib.rcParams["pdf.fonttype"]
    savefig(forest(simple_frame(3)), tmp_path / "f.pdf")
    assert matplotlib.rcParams["pdf.fonttype"] == before


def test_full_fit_from_scalar_attrs_and_its_reference_line():
    table = influence_table("cumulative")
    table.attrs.update(estimate=-0.71, ci_low=-1.07, ci_high=-0.36)
    frame = from_cumulative(table)
    assert frame.kind.iloc[-1] == "pooled" and frame.estimate.iloc[-1] == -0.71
    fig = forest(table)
    line = one(fig, "pooled-line")
    np.testing.assert_allclose(line.get_xdata(), -0.71)
    assert by_gid(forest(simple_frame(3)), "pooled-line") == []
    table.attrs["estimate"] = float("nan")  # no usable full fit: no diamond
    assert (from_cumulative(table).kind == "study").all()


# ---------------------------------------------------------------------- trim and fill
def trim_fill_frame() -> pd.DataFrame:
    """Shaped like TrimFillResult.forest_frame(): a boolean ``filled`` column."""
    frame = simple_frame(5)
    frame["filled"] = [False, False, False, True, True, False]
    frame.attrs["title"] = "Trim-and-fill (2 studies filled on the right)"
    return frame


def test_filled_studies_are_drawn_open_and_named_in_the_legend():
    frame = trim_fill_frame()
    fig = forest(frame)
    observed = one(fig, "study-markers")
    filled = one(fig, "filled-markers")
    np.testing.assert_allclose(observed.get_offsets()[:, 0], frame.estimate[:3])
    np.testing.assert_allclose(filled.get_offsets()[:, 0], frame.estimate[3:5])
    assert tuple(filled.get_facecolors()[0][:3]) == (1.0, 1.0, 1.0)
    assert len(one(fig, "filled-ci").get_segments()) == 2
    shown = texts(fig)
    assert "Filled (imputed)" in shown and "Observed" in shown
    assert "Trim-and-fill (2 studies filled on the right)" in shown


def test_savefig_writes_to_a_file_object_and_checks_its_figure():
    import io

    buffer = io.BytesIO()
    assert savefig(forest(simple_frame(2)), buffer, format="svg") is buffer
    assert buffer.getvalue().startswith(b"<?xml")
    with pytest.raises(metaatt.MetaattError, match="fig: expected a matplotlib Figure"):
        savefig("not a figure", buffer)
