"""Bundled real datasets for examples and tests, each with its original source.

The CSV files are exports of the R package metadat (Viechtbauer et al.); they ship inside the
package, so they load after ``pip install`` without network access. Every loader returns a
fresh :class:`pandas.DataFrame` whose ``attrs`` carry the dataset's name, title and the
citation of the original paper (``attrs["source"]``).

Examples
--------
>>> import metaatt
>>> bcg = metaatt.datasets.load_bcg()
>>> len(bcg), bcg.attrs["metadat"]
(13, 'dat.bcg')
>>> sorted(metaatt.datasets.list_datasets().name)[:3]
['bangertdrowns2004', 'bcg', 'berkey1998']
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import pandas as pd

from .._validate import check_choice
from ._catalog import CATALOG, DatasetInfo

__all__ = [
    "CATALOG",
    "CITATIONS",
    "DatasetInfo",
    "list_datasets",
    "load",
    "load_bangertdrowns2004",
    "load_bcg",
    "load_berkey1998",
    "load_collins1985b",
    "load_curtis1998",
    "load_egger2001",
    "load_gibson2002",
    "load_hackshaw1998",
    "load_hine1989",
    "load_ishak2007",
    "load_konstantopoulos2011",
    "load_laopaiboon2015",
    "load_lee2004",
    "load_li2007",
    "load_linde2005",
    "load_molloy2014",
    "load_nielweise2007",
    "load_normand1999",
    "load_pritz1997",
    "load_raudenbush1985",
    "load_yusuf1985",
]

#: dataset name -> citation of the original source
CITATIONS: dict[str, str] = {name: info.source for name, info in CATALOG.items()}


def load(name: str) -> pd.DataFrame:
    """Load a bundled dataset by name.

    Parameters
    ----------
    name
        One of the names in :func:`list_datasets` (metadat's name without ``dat.``).

    Returns
    -------
    pandas.DataFrame
        A fresh copy; ``attrs`` holds ``dataset``, ``title``, ``metadat`` and ``source``
        (the citation of the original paper).
    """
    check_choice(name, "name", sorted(CATALOG))
    info = CATALOG[name]
    path = resources.files(__package__).joinpath("data", f"{name}.csv")
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle)
    frame.attrs.update(
        {"dataset": name, "title": info.title, "metadat": info.metadat, "source": info.source}
    )
    return frame


def list_datasets() -> pd.DataFrame:
    """One row per bundled dataset: name, title, columns, metadat name and source."""
    return pd.DataFrame(
        {
            "name": [i.name for i in CATALOG.values()],
            "title": [i.title for i in CATALOG.values()],
            "columns": [i.columns for i in CATALOG.values()],
            "metadat": [i.metadat for i in CATALOG.values()],
            "source": [i.source for i in CATALOG.values()],
        }
    )


def _loader(name: str) -> Callable[[], pd.DataFrame]:
    info: DatasetInfo = CATALOG[name]

    def loader() -> pd.DataFrame:
        return load(name)

    loader.__name__ = loader.__qualname__ = f"load_{name}"
    loader.__doc__ = (
        f"{info.title}.\n\nColumns: {info.columns}.\n\n"
        f"Source: {info.source} (R package metadat, ``{info.metadat}``).\n"
    )
    return loader


load_bangertdrowns2004 = _loader("bangertdrowns2004")
load_bcg = _loader("bcg")
load_berkey1998 = _loader("berkey1998")
load_collins1985b = _loader("collins1985b")
load_curtis1998 = _loader("curtis1998")
load_egger2001 = _loader("egger2001")
load_gibson2002 = _loader("gibson2002")
load_hackshaw1998 = _loader("hackshaw1998")
load_hine1989 = _loader("hine1989")
load_ishak2007 = _loader("ishak2007")
load_konstantopoulos2011 = _loader("konstantopoulos2011")
load_laopaiboon2015 = _loader("laopaiboon2015")
load_lee2004 = _loader("lee2004")
load_li2007 = _loader("li2007")
load_linde2005 = _loader("linde2005")
load_molloy2014 = _loader("molloy2014")
load_nielweise2007 = _loader("nielweise2007")
load_normand1999 = _loader("normand1999")
load_pritz1997 = _loader("pritz1997")
load_raudenbush1985 = _loader("raudenbush1985")
load_yusuf1985 = _loader("yusuf1985")
