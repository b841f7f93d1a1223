"""Effect sizes: :func:`escalc`, metafor's front door, by measure family.

Modules by family (each measure's docstring gives its formula and reference):
``continuous`` (two groups: MD, SMD, SMDH, SMD1, SMD1H, ROM, CVR, VR, RPB, D2ORN, D2ORL),
``prepost`` (MC, SMCC, SMCR, SMCRH, ROMC), ``tables`` (RR, OR, RD, AS, PETO, PHI, YUQ, YUY,
OR2DN, OR2DL), ``paired`` (MPRD, MPRR, MPOR, MPORC, MPPETO, MPORM), ``correlations`` (COR,
UCOR, ZCOR), ``proportions`` (PR, PLN, PLO, PAS, PFT) and ``means`` (MN, MNLN, SMN).
``MEASURES`` maps each code to its function, inputs and variance types.
"""

from __future__ import annotations

from ._frontdoor import escalc
from ._hedges import hedges_j
from ._registry import MEASURES, Measure

__all__ = ["MEASURES", "Measure", "escalc", "hedges_j"]
