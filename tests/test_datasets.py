"""Bundled datasets: every file loads, carries its citation, and reproduces published numbers."""

from importlib import resources

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import datasets

# rows per dataset (metadat documentation; yusuf1985 and curtis1998 count rows, not studies)
EXPECTED_ROWS = {
    "bcg": 13,
    "raudenbush1985": 19,
    "normand1999": 9,
    "hine1989": 6,
    "lee2004": 16,
    "egger2001": 16,
    "li2007": 22,
    "konstantopoulos2011": 56,
    "molloy2014": 16,
    "bangertdrowns2004": 48,
    "linde2005": 26,
    "hackshaw1998": 37,
    "pritz1997": 14,
    "berkey1998": 10,
    "collins1985b": 9,
    "curtis1998": 102,
    "gibson2002": 15,
    "ishak2007": 46,
    "laopaiboon2015": 15,
    "nielweise2007": 18,
    "yusuf1985": 130,
}


def test_every_bundled_file_has_a_catalog_entry_and_vice_versa():
    files = {
        p.name.removesuffix(".csv")
        for p in resources.files("metaatt.datasets").joinpath("data").iterdir()
        if p.name.endswith(".csv")
    }
    assert files == set(datasets.CATALOG)
    assert set(EXPECTED_ROWS) == set(datasets.CATALOG)


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_each_dataset_loads_with_its_citation(name):
    frame = getattr(datasets, f"load_{name}")()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == EXPECTED_ROWS[name]
    assert frame.attrs["dataset"] == name
    assert frame.attrs["metadat"] == f"dat.{name}"
    source = frame.attrs["source"]
    assert source == datasets.CITATIONS[name]
    assert any(str(year) in source for year in range(1960, 2030))  # a dated citation
    doc = getattr(datasets, f"load_{name}").__doc__
    assert datasets.CATALOG[name].title in doc and "Source:" in doc


def test_loads_are_fresh_copies():
    first = datasets.load_bcg()
    first.loc[0, "tpos"] = -1
    assert datasets.load_bcg().loc[0, "tpos"] == 4


def test_bcg_first_trial_as_published():
    bcg = datasets.load_bcg()
    row = bcg.iloc[0]
    assert (row.author, row.year, row.tpos, row.tneg, row.cpos, row.cneg) == (
        "Aronson",
        1948,
        4,
        119,
        11,
        128,
    )
    assert "Colditz" in bcg.attrs["source"] and "JAMA" in bcg.attrs["source"]


def test_raudenbush1985_reproduces_raudenbush_2009_table_16_3():
    # Raudenbush (2009), Table 16.3: REML tau2 0.0188, mu 0.0837, se 0.0516; DL mu 0.0893
    dat = datasets.load_raudenbush1985()
    reml = metaatt.pool(dat.yi, dat.vi, method="REML")
    assert reml.tau2 == pytest.approx(0.0188, abs=5e-5)
    assert reml.estimate == pytest.approx(0.0837, abs=5e-5)
    assert reml.se == pytest.approx(0.0516, abs=5e-5)
    assert reml.q == pytest.approx(35.8295, abs=5e-5)
    dl = metaatt.pool(dat.yi, dat.vi, method="DL")
    assert dl.estimate == pytest.approx(0.0893, abs=5e-5)


def test_konstantopoulos2011_two_level_reml():
    # reference-cases 16: two-level REML 0.1279, se 0.0439, tau^2 0.0884
    dat = datasets.load_konstantopoulos2011()
    res = metaatt.pool(dat.yi, dat.vi, method="REML")
    assert (res.estimate, res.se, res.tau2) == pytest.approx((0.1279, 0.0439, 0.0884), abs=5e-5)


def test_unknown_dataset_names_the_closest_match():
    with pytest.raises(metaatt.MetaattError, match="did you mean 'bcg'"):
        datasets.load("bgc")


def test_list_datasets_table():
    table = datasets.list_datasets()
    assert list(table.columns) == ["name", "title", "columns", "metadat", "source"]
    assert len(table) == len(datasets.CATALOG)
    assert table.source.str.len().min() > 40
    assert np.all(table.metadat == "dat." + table.name)
