"""pool_batch on a Dask DataFrame, run on dask.distributed's local (in-process) cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import metaatt

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    parts = []
    for i, k in enumerate([1, 3, 4, 8, 2, 15, 6, 5]):
        vi = rng.uniform(0.02, 0.2, k)
        parts.append(
            pd.DataFrame({"analysis": f"a{i}", "yi": rng.normal(0.3, np.sqrt(vi + 0.1)), "vi": vi})
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["reason"] = None
    frame.loc[5, ["yi", "reason"]] = [np.nan, "no events in either arm"]
    return frame


def test_dask_frame_on_a_local_cluster_equals_pandas(client):
    frame = _frame()
    ddf = dd.from_pandas(frame, npartitions=3).shuffle(on="analysis", npartitions=3)
    out = metaatt.pool_batch(ddf, by="analysis", method="REML", test="hksj")
    expected = metaatt.pool_batch(frame, by="analysis", method="REML", test="hksj")
    pd.testing.assert_frame_equal(out, expected, rtol=1e-12, check_dtype=False)
    assert out.attrs["method"] == "REML" and out.attrs["test"] == "hksj"
    pd.testing.assert_frame_equal(
        out.attrs["excluded"], expected.attrs["excluded"], check_dtype=False
    )
    assert out.attrs["excluded"].reason.tolist() == ["no events in either arm"]


def test_dask_frame_indexed_by_analysis(client):
    frame = _frame()
    ddf = dd.from_pandas(frame.set_index("analysis"), npartitions=2, sort=True)
    out = metaatt.pool_batch(ddf, by="analysis", method="DL", intervals=False)
    expected = metaatt.pool_batch(frame, by="analysis", method="DL", intervals=False)
    assert "tau2_ci_low" not in out.columns
    pd.testing.assert_frame_equal(out, expected, rtol=1e-12, check_dtype=False)


def test_analysis_split_over_partitions_is_an_error(client):
    frame = _frame()
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)  # cuts through analyses
    with pytest.raises(metaatt.MetaattError, match=r"split over several partitions"):
        metaatt.pool_batch(ddf, by="analysis")


def test_dask_bad_input_is_reported(client):
    frame = _frame()
    frame.loc[9, "vi"] = -1.0
    ddf = dd.from_pandas(frame, npartitions=2).shuffle(on="analysis")
    with pytest.raises(metaatt.MetaattError, match=r"vi: analysis analysis='a3'"):
        metaatt.pool_batch(ddf, by="analysis")
    with pytest.raises(metaatt.MetaattError, match=r"by: column 'nope' is not in frame"):
        metaatt.pool_batch(ddf, by="nope")
