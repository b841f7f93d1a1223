"""Shared builders for the plot tests, and tests of the plot package's small utilities.

Plots are checked on what was drawn: artists carry a ``gid`` naming what they are
(``study-markers``, ``diamond-pooled-<row>``, ``cell-right0-1-3`` ...), texts are read
back, positions are compared with the numbers in the result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import metaatt  # noqa: E402
from metaatt.plot.scales import nice_log_ticks, resolve_scale  # noqa: E402
from metaatt.plot.style import Style, fmt_number, measure_width, resolve_style  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------- builders
def bcg_table() -> pd.DataFrame:
    """BCG trials with log risk ratios (Colditz et al. 1994; metafor's dat.bcg)."""
    t = metaatt.datasets.load_bcg()
    n1, n2 = t.tpos + t.tneg, t.cpos + t.cneg
    table = t.assign(
        yi=np.log(t.tpos / n1) - np.log(t.cpos / n2),
        vi=1 / t.tpos - 1 / n1 + 1 / t.cpos - 1 / n2,
        study=t.author + ", " + t.year.astype(str),
        n=n1 + n2,
    )
    table.attrs["measure"] = "RR"
    return table


def bcg_result(**kwargs) -> metaatt.PoolResult:
    return metaatt.pool("yi", "vi", data=bcg_table(), **kwargs)


def subgroup_frame() -> pd.DataFrame:
    """A subgroup forest frame (BCG by allocation) built by the contract's rules."""
    table = bcg_table()
    full = metaatt.pool("yi", "vi", data=table)
    parts = []
    for group, rows in table.groupby("alloc", sort=False):
        res = metaatt.pool("yi", "vi", data=rows.reset_index(drop=True))
        frame = res.forest_frame()
        studies = frame[frame.kind == "study"].copy()
        studies["weight"] = full.weights[rows.index]
        heading = pd.DataFrame(
            [
                {
                    "label": group.title(),
                    "estimate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "weight": np.nan,
                    "kind": "heading",
                }
            ]
        )
        sub = frame[frame.kind == "pooled"].assign(
            kind="subgroup",
            label=f"Subtotal ({group})",
            weight=studies.weight.sum(),
            heterogeneity=res.heterogeneity_text(),
        )
        parts.append(pd.concat([heading, studies, sub]).assign(group=group))
    overall = full.forest_frame()
    parts.append(overall[overall.kind != "study"].assign(group=None))
    frame = pd.concat(parts, ignore_index=True)
    frame.attrs = dict(
        overall.attrs,
        variant="subgroups",
        subgroup_test="Test for subgroup differences: placeholder text for the drawing test",
    )
    return frame


def bayes_frame(synthetic: bool = False) -> pd.DataFrame:
    """A Bayesian forest frame: observed, shrunken (posterior) study rows, pooled, predictive.

    The posterior numbers are a normal-normal approximation at fixed mu and tau^2, enough
    to exercise the drawing (the plot never checks them).
    """
    table = bcg_table()
    yi, vi = table.yi.to_numpy(), table.vi.to_numpy()
    mu, tau2 = -0.71, 0.31
    b = vi / (vi + tau2)
    theta, sd = b * mu + (1 - b) * yi, np.sqrt((1 - b) * vi)
    se = np.sqrt(vi)
    rows = [
        pd.DataFrame(
            {
                "label": table.study,
                "estimate": yi,
                "ci_low": yi - 1.96 * se,
                "ci_high": yi + 1.96 * se,
                "weight": np.nan,
                "kind": "study",
            }
        ),
        pd.DataFrame(
            {
                "label": table.study,
                "estimate": theta,
                "ci_low": theta - 1.96 * sd,
                "ci_high": theta + 1.96 * sd,
                "weight": np.nan,
                "kind": "shrunken",
            }
        ),
        pd.DataFrame(
            [
                {
                    "label": "Posterior mean",
                    "estimate": mu,
                    "ci_low": -1.1,
                    "ci_high": -0.33,
                    "weight": np.nan,
                    "kind": "pooled",
                },
                {
                    "label": "Posterior predictive",
                    "estimate": mu,
                    "ci_low": -1.9,
                    "ci_high": 0.5,
                    "weight": np.nan,
                    "kind": "prediction",
                },
            ]
        ),
    ]
    frame = pd.concat(rows, ignore_index=True).assign(group=None)
    frame.attrs = {
        "measure": "RR",
        "level": 0.95,
        "synthetic": synthetic,
        "variant": "bayes",
        "heterogeneity": "tau: placeholder text for the drawing test",
    }
    return frame


def influence_table(variant: str, k: int = 6) -> pd.DataFrame:
    """A leave-one-out / cumulative table shaped like metaatt.leave_one_out's output."""
    est = np.linspace(-0.8, -0.5, k)
    table = pd.DataFrame(
        {
            "study": [f"Study {i + 1}" for i in range(k)],
            "estimate": est,
            "se": np.full(k, 0.2),
            "ci_low": est - 0.392,
            "ci_high": est + 0.392,
            "tau2": np.linspace(0.2, 0.3, k),
            "i2": np.linspace(80.0, 90.0, k),
        }
    )
    table.attrs = {"variant": variant, "measure": "RR", "level": 0.95}
    return table


def simple_frame(k: int = 5, **attrs) -> pd.DataFrame:
    est = np.linspace(-0.5, 0.5, k)
    frame = pd.DataFrame(
        {
            "label": [f"S{i + 1}" for i in range(k)],
            "estimate": est,
            "ci_low": est - 0.3,
            "ci_high": est + 0.3,
            "weight": np.full(k, 100.0 / k),
            "kind": "study",
        }
    )
    pooled = pd.DataFrame(
        [
            {
                "label": "Pooled",
                "estimate": 0.0,
                "ci_low": -0.1,
                "ci_high": 0.1,
                "weight": 100.0,
                "kind": "pooled",
            }
        ]
    )
    frame = pd.concat([frame, pooled], ignore_index=True)
    frame.attrs = {"measure": None, "level": 0.95, "synthetic": False, "heterogeneity": "", **attrs}
    return frame


# ---------------------------------------------------------------------- readers
def by_gid(fig, prefix: str) -> list:
    """Artists whose gid starts with ``prefix``."""
    return [a for a in fig.findobj() if str(a.get_gid() or "").startswith(prefix)]


def one(fig, gid: str):
    found = [a for a in fig.findobj() if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def cells(fig, side: str, column: int, part: int = 0) -> list[Text]:
    """Text cells of one column part, top to bottom."""
    prefix = f"cell-{side}{column}-{part}-"
    found = [t for t in fig.findobj(Text) if str(t.get_gid() or "").startswith(prefix)]
    return sorted(found, key=lambda t: -anchor(t)[1])


def anchor(text: Text) -> np.ndarray:
    """Display coordinates of a text's anchor point."""
    return text.get_transform().transform(text.get_position())


def extent(fig, artist):
    return artist.get_window_extent(renderer=fig.canvas.get_renderer())


# ---------------------------------------------------------------------- utilities
def test_fmt_number_uses_a_typographic_minus_and_drops_negative_zero():
    assert fmt_number(-0.714, 2) == "\u22120.71"
    assert fmt_number(-0.0001, 2) == "0.00"
    assert fmt_number(float("nan"), 2) == ""


def test_measure_width_grows_with_text_and_bold():
    short = measure_width(["0.41"], 9)
    assert measure_width(["0.41 [0.13, 1.26]"], 9) > 3 * short
    assert measure_width(["Random-effects"], 9, weight="bold") > measure_width(
        ["Random-effects"], 9
    )
    assert measure_width([], 9) == 0.0


def test_digits_have_equal_widths_so_right_aligned_decimals_line_up():
    widths = {measure_width([d * 4], 9) for d in "0123456789"}
    assert max(widths) - min(widths) < 1e-6


def test_resolve_style_accepts_overrides_and_rejects_unknown_fields():
    assert resolve_style({"fontsize": 11}).fontsize == 11
    assert resolve_style(None) == Style()
    with pytest.raises(metaatt.MetaattError, match="style: unknown field"):
        resolve_style({"fontsiz": 11})
    with pytest.raises(metaatt.MetaattError, match="style: expected"):
        resolve_style(3)


def test_nice_log_ticks_are_readable_and_inside_the_range():
    ticks = nice_log_ticks(0.07, 6.0)
    assert ticks == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    assert all(0.3 <= t <= 1.05 for t in nice_log_ticks(0.3, 1.05))
    assert len(nice_log_ticks(0.3, 1.05)) >= 3
    assert len(nice_log_ticks(1e-4, 1e4)) <= 7


def test_scale_never_transforms_silently():
    plain = resolve_scale(None, "RR")
    assert not plain.transformed
    assert plain.title == "Log risk ratio"
    assert plain.abbrev == "log RR"
    auto = resolve_scale("auto", "OR")
    assert auto.axis == "log" and auto.abbrev == "OR"
    assert resolve_scale("auto", "SMD").axis == "linear"
    assert resolve_scale("auto", "ZCOR").axis == "function"
    with pytest.raises(metaatt.MetaattError, match="transform: unknown value 'log'"):
        resolve_scale("log", "RR")
    with pytest.raises(metaatt.MetaattError, match="transform: expected"):
        resolve_scale(3, "RR")


def test_plot_is_a_lazily_imported_submodule():
    import subprocess
    import sys

    code = (
        "import sys, metaatt\n"
        "assert 'matplotlib' not in sys.modules\n"
        "forest = metaatt.plot.forest\n"
        "assert 'matplotlib' in sys.modules and callable(forest)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
