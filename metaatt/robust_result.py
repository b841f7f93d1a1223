"""The frozen result of :func:`metaatt.robust`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._coefficients import coefficient_frame, coefficient_lines, plain
from ._format import TextSummary, fmt, fmt_p, footer_lines, html_table

__all__ = ["RobustResult"]

DESCRIPTION = {
    "CR2": "CR2 (bias-reduced linearization), Satterthwaite df, HTZ omnibus test",
    "CR1": "CR1 (CR0 x J/(J - p)), t and F tests with J - p df",
    "CR0": "CR0 (no small-sample adjustment), t and F tests with J - p df",
}


@dataclass(frozen=True, repr=False)
class RobustResult(TextSummary):
    """Cluster-robust inference for a fitted model.

    ``se``, ``df``, ``statistic``, ``pval``, ``ci_low``, ``ci_high`` are floats when the
    model is intercept-only and arrays over ``coef_names`` otherwise; ``coef`` is always an
    array and ``estimate`` its first element. ``qm`` is the omnibus F statistic with
    ``(qm_df, qm_df2)`` df (``wald`` the unscaled Wald statistic).
    """

    adjust: str
    model: str
    method: str
    level: float
    k: int
    n_clusters: int
    coef_names: tuple[str, ...]
    coef: np.ndarray
    estimate: float
    se: Any
    statistic: Any
    df: Any
    pval: Any
    ci_low: Any
    ci_high: Any
    vcov: np.ndarray
    qm: float
    qm_df: float
    qm_df2: float
    qm_pval: float
    wald: float
    btt: tuple[int, ...]
    cluster_sizes: tuple[int, ...]
    notes: tuple[str, ...] = ()
    #: the model's excluded studies (study, row, reason): nothing is dropped silently
    excluded: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=["study", "row", "reason"]), compare=False
    )

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table indexed by name: estimate, se, statistic, df, pval, CI."""
        arrays = {
            n: np.atleast_1d(np.asarray(getattr(self, n), dtype=float))
            for n in ("se", "statistic", "df", "pval", "ci_low", "ci_high")
        }
        return coefficient_frame(
            self.coef_names,
            self.coef,
            arrays["se"],
            arrays["statistic"],
            arrays["df"],
            arrays["pval"],
            arrays["ci_low"],
            arrays["ci_high"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def _qm_line(self) -> str:
        return (
            f"F(df1 = {self.qm_df:g}, df2 = {self.qm_df2:.4g}) = {fmt(self.qm)}, "
            f"p-val = {fmt_p(self.qm_pval)}"
        )

    def summary(self) -> str:
        """Robust coefficient table and omnibus test, as metafor's ``robust()`` print."""
        sizes = np.array(self.cluster_sizes)
        covered = ", ".join(self.coef_names[i] for i in self.btt)
        lines = [
            f"Cluster-robust inference for a {self.model} ({self.method}), k = {self.k}",
            f"Number of clusters: {self.n_clusters}; outcomes per cluster: "
            f"{sizes.min()}-{sizes.max()} (mean {sizes.mean():.2f}, median {np.median(sizes):g})",
            f"Variance estimator: {DESCRIPTION[self.adjust]}",
            "",
            f"Test of Moderators (coefficients {covered}):",
            self._qm_line(),
            "",
            "Model Results:",
            "",
            coefficient_lines(self.to_frame()),
        ]
        lines += footer_lines(None, self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"RobustResult(adjust={self.adjust!r}, clusters={self.n_clusters}, "
            f"coef={np.round(self.coef, 4).tolist()}, se={np.round(np.atleast_1d(self.se), 4).tolist()})"
        )

    def _repr_html_(self) -> str:
        return "\n".join(
            [
                f"<div class='metaatt-result'><h4>Cluster-robust inference ({self.adjust}), "
                f"{self.n_clusters} clusters</h4>",
                html_table(self.to_frame().reset_index()),
                f"<p>Omnibus test: {html.escape(self._qm_line())}</p>",
                "</div>",
            ]
        )
