"""Effect sizes from what papers actually print.

Test statistics (:func:`from_t_paired`, :func:`from_t_independent`, :func:`from_f`,
:func:`from_p`, :func:`from_chi2`, :func:`from_eta2`), a printed d with its standardizer
(:func:`from_d`), estimates with Wald intervals (:func:`from_ci`), medians with IQR/range
(:func:`mean_sd_from_median`, :func:`wan_sd`, :func:`luo_mean`), pre/post designs
(:func:`from_pre_post`, :func:`from_change`, :func:`d_ppc2`, :func:`d_ppc1`,
:func:`r_from_sd_change`, :func:`r_from_t`) and conversions between d, log OR, r and Fisher's z
(:func:`convert` and the single steps). Every extractor is vectorized, accepts column names
with ``data=``, validates its input (a :class:`~metaatt.errors.MetaattError` names the argument
and row) and returns a table with ``yi``, ``vi``, ``metric`` and ``formula``.
"""

from __future__ import annotations

from ._common import hedges_j
from .convert import convert, d_to_log_or, d_to_r, log_or_to_d, r_to_d, r_to_z, z_to_r
from .medians import luo_mean, mean_sd_from_median, wan_sd
from .metrics import METRICS, check_metric_mix
from .prepost import d_ppc1, d_ppc2, from_change, from_pre_post, r_from_sd_change, r_from_t
from .reported import STANDARDIZERS, from_ci, from_d
from .teststats import (
    from_chi2,
    from_eta2,
    from_f,
    from_p,
    from_t_independent,
    from_t_paired,
)

__all__ = [
    "METRICS",
    "STANDARDIZERS",
    "check_metric_mix",
    "convert",
    "d_ppc1",
    "d_ppc2",
    "d_to_log_or",
    "d_to_r",
    "from_change",
    "from_chi2",
    "from_ci",
    "from_d",
    "from_eta2",
    "from_f",
    "from_p",
    "from_pre_post",
    "from_t_independent",
    "from_t_paired",
    "hedges_j",
    "log_or_to_d",
    "luo_mean",
    "mean_sd_from_median",
    "r_from_sd_change",
    "r_from_t",
    "r_to_d",
    "r_to_z",
    "wan_sd",
    "z_to_r",
]
