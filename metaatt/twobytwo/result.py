"""The frozen result of :func:`metaatt.mantel_haenszel` and :func:`metaatt.peto`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._format import TextSummary, fmt, fmt_p, footer_lines, html_table, text_table
from .._studies import forest_study_rows, study_table
from ..bias._report import SYNTHETIC_BANNER, as_plain, p_clause

__all__ = ["TwoByTwoResult"]

MEASURE_NAMES = {
    "OR": "Log Odds Ratio",
    "RR": "Log Risk Ratio",
    "RD": "Risk Difference",
    "PETO": "Log Odds Ratio (Peto)",
}


@dataclass(frozen=True, repr=False)
class TwoByTwoResult(TextSummary):
    """A common-effect analysis of 2x2 tables (Mantel-Haenszel or Peto), frozen.

    ``estimate`` is on the analysis scale (log OR, log RR, or RD) with ``se``,
    ``statistic`` (z), ``pval`` and ``ci_low``/``ci_high``; ``q`` (with ``q_df``,
    ``q_pval``), ``i2`` (%) and ``h2`` describe heterogeneity of the studies' own outcomes
    ``yi`` (NaN for tables left out, see ``k_yi``). For Mantel-Haenszel odds ratios
    ``cmh`` (Cochran-Mantel-Haenszel test, hypergeometric variance), ``cochran`` (binomial
    variance), ``breslow_day`` and ``tarone`` (heterogeneity of the odds ratios, ``tarone_df``
    df) are filled, otherwise NaN. ``weights`` are the pooling weights in percent.
    """

    method: str  # "MH" or "Peto"
    measure: str  # OR, RR, RD (MH) or PETO
    level: float
    k: int
    k_yi: int
    estimate: float
    se: float
    statistic: float
    pval: float
    ci_low: float
    ci_high: float
    q: float
    q_df: int
    q_pval: float
    i2: float
    h2: float
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame
    excluded: pd.DataFrame
    correct: bool = True
    cmh: float = float("nan")
    cmh_pval: float = float("nan")
    cochran: float = float("nan")
    cochran_pval: float = float("nan")
    breslow_day: float = float("nan")
    breslow_day_pval: float = float("nan")
    tarone: float = float("nan")
    tarone_pval: float = float("nan")
    tarone_df: int = 0
    synthetic: bool = False
    notes: tuple[str, ...] = ()

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("OR", "RR", "PETO")

    def exp(self) -> dict[str, float]:
        """Estimate and CI back-transformed to the ratio scale (ratio measures only)."""
        if not self.is_ratio:
            raise ValueError(f"exp: the measure {self.measure!r} is not a log ratio")
        return {
            "estimate": float(np.exp(self.estimate)),
            "ci_low": float(np.exp(self.ci_low)),
            "ci_high": float(np.exp(self.ci_high)),
        }

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """Per-study table: study, yi, vi, se, ci_low, ci_high (at ``level``), weight (%)."""
        return study_table(self.labels, self.yi, self.vi, self.level, self.weights)

    def forest_frame(self) -> pd.DataFrame:
        """Studies (their own outcomes; NaN for tables left out) and the pooled estimate."""
        studies = self.to_frame()
        rows = forest_study_rows(studies, group=None)
        name = "Mantel-Haenszel" if self.method == "MH" else "Peto"
        pooled = pd.DataFrame(
            [
                {
                    "label": f"{name} common-effect model",
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "weight": 100.0,
                    "kind": "pooled",
                    "group": None,
                }
            ]
        )
        frame = pd.concat([rows, pooled], ignore_index=True)
        frame.attrs.update(
            {
                "measure": "OR" if self.measure == "PETO" else self.measure,
                "level": self.level,
                "synthetic": self.synthetic,
                "heterogeneity": self.heterogeneity_text(),
                "variant": "standard",
                "title": f"{name} method",
            }
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        out = {
            f.name: as_plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_") and f.name not in ("data", "excluded")
        }
        return out

    # ------------------------------------------------------------------ printing
    def heterogeneity_text(self) -> str:
        if self.q_df < 1:
            return "Heterogeneity: not estimable (fewer than 2 studies with an outcome)"
        return (
            f"Heterogeneity: I^2 = {self.i2:.1f}%, Q({self.q_df}) = {self.q:.2f}, "
            f"p = {fmt_p(self.q_pval)}"
        )

    def summary(self) -> str:
        """Laid out like metafor's ``print.rma.mh`` / ``print.rma.peto``."""
        name = "Mantel-Haenszel" if self.method == "MH" else "Peto's"
        lines = [SYNTHETIC_BANNER, ""] if self.synthetic else []
        lines += [f"Equal-Effects Model ({name} method; k = {self.k})", ""]
        if self.q_df >= 1:
            lines += [
                f"I^2 (total heterogeneity / total variability):  {self.i2:.2f}%",
                f"H^2 (total variability / sampling variability): {self.h2:.2f}",
                "",
                "Test for Heterogeneity:",
                f"Q(df = {self.q_df}) = {fmt(self.q)}, p-val {p_clause(self.q_pval)}",
                "",
            ]
        lines += [
            f"Model Results ({MEASURE_NAMES[self.measure]} scale):",
            "",
            text_table(
                ["estimate", "se", "zval", "pval", "ci.lb", "ci.ub"],
                [
                    [
                        fmt(self.estimate),
                        fmt(self.se),
                        fmt(self.statistic),
                        fmt_p(self.pval),
                        fmt(self.ci_low),
                        fmt(self.ci_high),
                    ]
                ],
            ),
        ]
        if self.is_ratio:
            e = self.exp()
            kind = "OR" if self.measure in ("OR", "PETO") else "RR"
            lines += [
                "",
                f"{kind} = {fmt(e['estimate'])} ({100 * self.level:g}% CI "
                f"{fmt(e['ci_low'])} to {fmt(e['ci_high'])})",
            ]
        if np.isfinite(self.cmh):
            cc = "with" if self.correct else "without"
            lines += [
                "",
                f"Cochran-Mantel-Haenszel Test ({cc} continuity correction): "
                f"CMH = {fmt(self.cmh)}, df = 1, p-val {p_clause(self.cmh_pval)}",
            ]
        if np.isfinite(self.tarone):
            lines.append(
                f"Tarone's Test for Heterogeneity: X^2 = {fmt(self.tarone)}, "
                f"df = {self.tarone_df}, p-val {p_clause(self.tarone_pval)}"
            )
        if self.k_yi < self.k:
            lines += [
                "",
                f"Note: {self.k - self.k_yi} table(s) without an outcome of their own (double "
                "zero or undefined) enter the pooled estimate but not Q.",
            ]
        lines += footer_lines(self.excluded, self.notes, "tables")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"TwoByTwoResult(method={self.method!r}, measure={self.measure!r}, k={self.k}, "
            f"estimate={self.estimate:.4g}, ci=[{self.ci_low:.4g}, {self.ci_high:.4g}])"
        )

    def _repr_html_(self) -> str:
        title = ("SYNTHETIC DATA - " if self.synthetic else "") + (
            "Mantel-Haenszel method" if self.method == "MH" else "Peto's method"
        )
        return "\n".join(
            [
                f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {self.k}</h4>",
                f"<pre>{html.escape(self.summary())}</pre>",
                "<details><summary>Studies</summary>",
                html_table(self.to_frame()),
                "</details></div>",
            ]
        )
