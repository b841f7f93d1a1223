"""Publication bias: funnel-plot asymmetry tests, trim-and-fill, PET-PEESE, a step-function
selection model and fail-safe N, each reproducing the corresponding metafor function.

=======================================  =====================================
function                                 metafor
=======================================  =====================================
:func:`egger_test`                       ``regtest``
:func:`rank_correlation_test`            ``ranktest``
:func:`trim_and_fill`                    ``trimfill``
:func:`pet_peese`                        ``regtest(model = "lm")`` (sei, vi)
:func:`selection_model`                  ``selmodel(type = "stepfun")``
:func:`fail_safe_n`                      ``fsn``
=======================================  =====================================
"""

from .egger import EggerTestResult, egger_test
from .failsafe import FailSafeNResult, fail_safe_n
from .petpeese import PetPeeseResult, pet_peese
from .rank import RankCorrelationResult, rank_correlation_test
from .selection import SelectionModelResult, selection_model
from .trimfill import TrimFillResult, trim_and_fill

__all__ = [
    "EggerTestResult",
    "FailSafeNResult",
    "PetPeeseResult",
    "RankCorrelationResult",
    "SelectionModelResult",
    "TrimFillResult",
    "egger_test",
    "fail_safe_n",
    "pet_peese",
    "rank_correlation_test",
    "selection_model",
    "trim_and_fill",
]
