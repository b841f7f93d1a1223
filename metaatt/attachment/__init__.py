"""The attachment layer: instruments, direction, categorical shifts and the extraction sheet.

>>> import metaatt
>>> sheet = metaatt.attachment.read_sheet("sheet.csv")          # doctest: +SKIP
>>> print(metaatt.attachment.validate_sheet(sheet))              # doctest: +SKIP
>>> es = metaatt.attachment.effect_sizes(sheet, assumed_r=0.5)   # doctest: +SKIP

The sheet format is documented in ``data/attachment/SHEET_FORMAT.md``.
"""

from __future__ import annotations

from .categorical import CATEGORICAL_SCALES, between_categorical, paired_categorical
from .compute import OUTPUT_COLUMNS, effect_sizes
from .direction import harmonize
from .instruments import Instrument, InstrumentRegistry, default_registry
from .marginal import (
    feasible_p11,
    marginal_categorical,
    marginal_sensitivity,
    p11_from_phi,
    phi_from_p11,
)
from .problems import SheetProblem, SheetReport
from .schema import COLUMNS, FORMATS
from .sheet import Sheet, read_sheet
from .validate import validate_sheet

__all__ = [
    "CATEGORICAL_SCALES",
    "COLUMNS",
    "FORMATS",
    "OUTPUT_COLUMNS",
    "Instrument",
    "InstrumentRegistry",
    "Sheet",
    "SheetProblem",
    "SheetReport",
    "between_categorical",
    "default_registry",
    "effect_sizes",
    "feasible_p11",
    "harmonize",
    "marginal_categorical",
    "marginal_sensitivity",
    "p11_from_phi",
    "paired_categorical",
    "phi_from_p11",
    "read_sheet",
    "validate_sheet",
]
