"""Common-effect pooling of 2x2 tables: Mantel-Haenszel (OR, RR, RD) and Peto's odds ratio,
as metafor's ``rma.mh`` and ``rma.peto``."""

from .mh import mantel_haenszel
from .peto_or import peto
from .result import TwoByTwoResult

__all__ = ["TwoByTwoResult", "mantel_haenszel", "peto"]
