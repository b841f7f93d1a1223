"""Bundled real datasets for examples and tests, each with its source.

The CSV files are exports of the R package metadat (Viechtbauer et al.); the loaders
return a fresh :class:`pandas.DataFrame` whose ``attrs["source"]`` carries the citation.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from ..errors import MetaattError

__all__ = ["CITATIONS", "load", "load_bcg"]

#: dataset name -> citation of the original source
CITATIONS: dict[str, str] = {
    "bcg": (
        "Colditz, G. A., Brewer, T. F., Berkey, C. S., Wilson, M. E., Burdick, E., "
        "Fineberg, H. V., & Mosteller, F. (1994). Efficacy of BCG vaccine in the prevention "
        "of tuberculosis: Meta-analysis of the published literature. JAMA, 271(9), 698-702. "
        "Via metadat::dat.bcg."
    ),
}


def load(name: str) -> pd.DataFrame:
    """Load a bundled dataset by name (see :data:`CITATIONS` for what is available)."""
    if name not in CITATIONS:
        raise MetaattError(f"name: unknown dataset {name!r}; available: {sorted(CITATIONS)}")
    path = resources.files(__package__).joinpath("data", f"{name}.csv")
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle)
    frame.attrs["source"] = CITATIONS[name]
    frame.attrs["dataset"] = name
    return frame


def load_bcg() -> pd.DataFrame:
    """BCG vaccine trials (13 studies): tpos/tneg/cpos/cneg counts, ablat, year, alloc.

    Source: Colditz et al. (1994), JAMA 271:698-702 (metadat ``dat.bcg``).
    """
    return load("bcg")
