"""Sensitivity diagnostics: leave-one-out, influence, cumulative meta-analysis, Baujat."""

from .baujat_coords import baujat
from .cumul import cumulative
from .influence_measures import influence
from .loo import leave_one_out

__all__ = ["baujat", "cumulative", "influence", "leave_one_out"]
