"""pool_batch: layout of the result, exclusions, bad input, and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt.batch import BATCH_COLUMNS


def _frame(sizes: dict[str, int], seed: int = 1, tau2: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for name, k in sizes.items():
        vi = rng.uniform(0.01, 0.3, k)
        parts.append(pd.DataFrame({"g": name, "yi": rng.normal(0.2, np.sqrt(vi + tau2)), "vi": vi}))
    return pd.concat(parts, ignore_index=True)


def _pool(frame: pd.DataFrame, **kwargs) -> metaatt.PoolResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        return metaatt.pool(frame.yi.to_numpy(), frame.vi.to_numpy(), **kwargs)


def test_one_row_per_analysis_with_every_statistic():
    frame = _frame({"b": 4, "a": 7, "c": 1})
    out = metaatt.pool_batch(frame, by="g")
    assert list(out.columns) == ["g", *BATCH_COLUMNS]
    assert list(out.g) == ["a", "b", "c"]  # sorted by the analysis
    assert list(out.k) == [7, 4, 1]
    assert list(out.excluded) == [0, 0, 0]
    assert list(out.heterogeneity_undefined) == [False, False, True]
    assert out.attrs["method"] == "REML" and out.attrs["test"] == "z"
    assert out.attrs["level"] == 0.95 and out.attrs["by"] == ["g"]
    assert out.attrs["excluded"].empty and out.attrs["synthetic"] is False
    assert out.k.dtype.kind == "i" and out.tau2_at_boundary.dtype == bool


def test_ragged_sizes_in_buckets_equal_pool():
    """Sizes 1 .. 300 are fitted in several padded buckets; each row is pool's result."""
    sizes = {f"s{k:03d}": k for k in (1, 2, 3, 4, 5, 9, 17, 33, 70, 300)}
    frame = _frame(sizes, seed=7, tau2=0.3)
    out = metaatt.pool_batch(frame, by="g", method="PM", test="hksj")
    for _, row in out.iterrows():
        single = _pool(frame[frame.g == row.g], method="PM", test="hksj")
        for column in ("estimate", "se", "ci_low", "pi_high", "tau2", "tau2_ci_high", "i2"):
            np.testing.assert_allclose(row[column], getattr(single, column), rtol=1e-9)


def test_several_by_columns():
    frame = _frame({"x": 5, "y": 6, "z": 3})
    frame["outcome"] = np.where(frame.index % 2 == 0, "anxiety", "avoidance")
    out = metaatt.pool_batch(frame, by=["g", "outcome"], method="DL")
    assert len(out) == 6
    assert list(out.columns[:2]) == ["g", "outcome"]
    row = out[(out.g == "y") & (out.outcome == "avoidance")].iloc[0]
    sub = frame[(frame.g == "y") & (frame.outcome == "avoidance")]
    assert row.k == len(sub)
    assert row.estimate == pytest.approx(_pool(sub, method="DL").estimate, rel=1e-12)


def test_index_level_as_by_and_sei_and_level():
    frame = _frame({"a": 5, "b": 8}).set_index("g")
    frame["sei"] = np.sqrt(frame.pop("vi"))
    out = metaatt.pool_batch(frame, by="g", sei="sei", level=0.9, test="t")
    single = metaatt.pool(frame.loc["b", "yi"], sei=frame.loc["b", "sei"], level=0.9, test="t")
    row = out.set_index("g").loc["b"]
    assert row.ci_low == pytest.approx(single.ci_low, rel=1e-10)
    assert row.df == 7 and out.attrs["level"] == 0.9


def test_genq_with_a_weight_column():
    frame = _frame({"a": 6, "b": 4})
    frame["w"] = 1 / np.sqrt(frame.vi)
    out = metaatt.pool_batch(frame, by="g", method="GENQ", weights="w").set_index("g")
    sub = frame[frame.g == "a"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        single = metaatt.pool(sub.yi.to_numpy(), sub.vi.to_numpy(), method="GENQ", weights=sub.w)
    assert out.loc["a", "tau2"] == pytest.approx(single.tau2, rel=1e-10, abs=1e-14)
    assert out.loc["a", "se"] == pytest.approx(single.se, rel=1e-10)


def test_excluded_rows_are_counted_and_listed():
    frame = _frame({"a": 5, "b": 4})
    frame["reason"] = None
    frame.loc[1, ["yi", "reason"]] = [np.nan, "double-zero study"]
    frame.loc[7, "vi"] = np.nan  # no reason: an error unless missing="exclude"
    with pytest.raises(metaatt.MetaattError, match=r"vi: analysis g='b', row with index 7"):
        metaatt.pool_batch(frame, by="g")
    out = metaatt.pool_batch(frame, by="g", missing="exclude")
    assert list(out.k) == [4, 3] and list(out.excluded) == [1, 1]
    listing = out.attrs["excluded"]
    assert list(listing.columns) == ["g", "index", "reason"]
    assert listing.to_dict("records") == [
        {"g": "a", "index": 1, "reason": "double-zero study"},
        {"g": "b", "index": 7, "reason": "vi missing"},
    ]
    kept = frame.drop(index=[1, 7])
    assert out.estimate[0] == pytest.approx(_pool(kept[kept.g == "a"]).estimate, rel=1e-12)


def test_synthetic_and_measure_are_carried():
    frame = _frame({"a": 3})
    frame.attrs.update({"measure": "SMD", "synthetic": True})
    out = metaatt.pool_batch(frame, by="g")
    assert out.attrs["synthetic"] is True and out.attrs["measure"] == "SMD"


def test_boundary_flag_instead_of_warnings():
    frame = pd.DataFrame({"g": "a", "yi": [0.1, 0.1, 0.1], "vi": [0.1, 0.2, 0.3]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pool would warn; pool_batch flags
        out = metaatt.pool_batch(frame, by="g")
    assert out.tau2_at_boundary[0] and out.tau2[0] == 0.0


# ---------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "nope"}, r"by: column 'nope' is not in frame; available"),
        ({"by": ["g", "g"]}, r"by: column names repeat"),
        ({"by": 3}, r"by: expected a column name"),
        ({"by": "g", "yi": "effect"}, r"yi: column 'effect' is not in frame"),
        ({"by": "g", "vi": "var"}, r"vi: column 'var' is not in frame \(give sei="),
        ({"by": "g", "method": "XX"}, r"method: unknown value 'XX'"),
        ({"by": "g", "test": "knhaa"}, r"test: unknown value"),
        ({"by": "g", "level": 95}, r"level: must lie strictly between 0 and 1"),
        ({"by": "g", "method": "GENQ"}, r"weights: method 'GENQ' needs a column"),
        ({"by": "g", "weights": "vi"}, r"weights: user weights are only used by method 'GENQ'"),
        ({"by": "g", "missing": "drop"}, r"missing: unknown value 'drop'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(metaatt.MetaattError, match=message):
        metaatt.pool_batch(_frame({"a": 3, "b": 2}), **kwargs)


def test_non_numeric_values_name_the_analysis_and_row():
    frame = _frame({"a": 3, "b": 3}).astype({"yi": object})
    frame["study"] = [f"S{i}" for i in range(6)]
    frame.loc[4, "yi"] = "0.3 (SE 0.1)"
    with pytest.raises(
        metaatt.MetaattError,
        match=r"yi: analysis g='b', row with index 4 \(study 'S4'\) is '0.3 \(SE 0.1\)', "
        r"which is not a number",
    ):
        metaatt.pool_batch(frame, by="g")


def test_numeric_strings_are_accepted():
    frame = _frame({"a": 4})
    as_text = frame.astype({"yi": str})
    out = metaatt.pool_batch(as_text, by="g")
    assert out.estimate[0] == pytest.approx(metaatt.pool_batch(frame, by="g").estimate[0])


def test_group_with_no_study_left_is_an_error():
    frame = _frame({"a": 3, "b": 2})
    frame.loc[frame.g == "b", "yi"] = np.nan
    with pytest.raises(
        metaatt.MetaattError, match=r"analysis g='b': no study left to analyse \(k = 0\)"
    ):
        metaatt.pool_batch(frame, by="g", missing="exclude")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("vi", 0.0, r"vi: analysis g='a', row with index 1 is 0; sampling variances must be > 0"),
        ("vi", -1.0, r"sampling variances must be > 0"),
        ("yi", np.inf, r"yi: analysis g='a', row with index 1 is infinite"),
        ("g", None, r"by: column 'g' is missing \(NaN\) in the row with index 1"),
    ],
)
def test_bad_values(column, value, message):
    frame = _frame({"a": 3, "b": 2})
    frame.loc[1, column] = value
    with pytest.raises(metaatt.MetaattError, match=message):
        metaatt.pool_batch(frame, by="g")


def test_not_a_frame_and_empty_frame():
    with pytest.raises(metaatt.MetaattError, match=r"frame: expected a pandas \(or Dask\)"):
        metaatt.pool_batch({"g": [1]}, by="g")
    with pytest.raises(metaatt.MetaattError, match=r"frame: the table has no rows"):
        metaatt.pool_batch(_frame({"a": 3}).iloc[:0], by="g")


# ---------------------------------------------------------------------------------- invariants
@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
    method=st.sampled_from(["DL", "REML", "PM", "SJ", "ML"]),
)
def test_row_order_does_not_matter(sizes, seed, method):
    frame = _frame({f"g{i}": k for i, k in enumerate(sizes)}, seed=seed)
    shuffled = frame.sample(frac=1.0, random_state=seed)
    a = metaatt.pool_batch(frame, by="g", method=method, test="hksj")
    b = metaatt.pool_batch(shuffled, by="g", method=method, test="hksj")
    columns = [c for c in BATCH_COLUMNS if c != "iterations"]
    pd.testing.assert_frame_equal(a[columns], b[columns], rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.01, 100.0))
def test_scale_equivariance(seed, scale):
    """Multiplying yi by c multiplies estimate and CI by c and tau2 by c^2."""
    frame = _frame({"a": 6, "b": 3, "c": 1}, seed=seed)
    scaled = frame.assign(yi=frame.yi * scale, vi=frame.vi * scale**2)
    a = metaatt.pool_batch(frame, by="g")
    b = metaatt.pool_batch(scaled, by="g")
    np.testing.assert_allclose(b.estimate, a.estimate * scale, rtol=1e-8)
    np.testing.assert_allclose(b.ci_high, a.ci_high * scale, rtol=1e-8)
    np.testing.assert_allclose(b.tau2, a.tau2 * scale**2, rtol=1e-7, atol=1e-12 * scale**2)
    np.testing.assert_allclose(b.i2, a.i2, rtol=1e-7, atol=1e-8)


def test_metrics_must_not_mix_within_an_analysis():
    frame = _frame({"a": 3, "b": 3})
    frame["metric"] = ["d_z", "d_z", "d_z", "d_z", "d_raw_change", "d_z"]
    with pytest.raises(metaatt.MetaattError, match=r"metric: analysis g='b' mixes the metrics"):
        metaatt.pool_batch(frame, by="g")
    out = metaatt.pool_batch(frame, by="g", allow_mixed_metrics=True)
    assert list(out.k) == [3, 3]
    frame["metric"] = ["d_z"] * 3 + ["d_raw_change"] * 3  # one metric per analysis: fine
    assert len(metaatt.pool_batch(frame, by="g")) == 2


def test_batch_and_simulate_load_no_heavy_dependency():
    import subprocess
    import sys

    code = (
        "import sys, metaatt, pandas as pd\n"
        "frame = pd.DataFrame({'g': [1, 1, 2], 'yi': [0.1, 0.3, 0.2], 'vi': [0.1, 0.1, 0.2]})\n"
        "metaatt.pool_batch(frame, by='g')\n"
        "metaatt.simulate.generate(3, random_seed=1)\n"
        "heavy = ('pymc', 'arviz', 'matplotlib', 'statsmodels', 'dask', 'tqdm')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_without_intervals():
    frame = _frame({"a": 6, "b": 4})
    full = metaatt.pool_batch(frame, by="g", test="hksj")
    lean = metaatt.pool_batch(frame, by="g", test="hksj", intervals=False)
    assert "tau2_ci_low" not in lean.columns and "i2_ci_high" not in lean.columns
    pd.testing.assert_frame_equal(lean, full[lean.columns])
