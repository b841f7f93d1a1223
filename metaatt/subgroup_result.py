"""The frozen result of :func:`metaatt.subgroup_analysis`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._coefficients import plain
from ._format import TextSummary, fmt, fmt_p, footer_html, footer_lines, html_table, text_table
from ._studies import study_table
from .results import PoolResult

__all__ = ["SubgroupResult"]


@dataclass(frozen=True, repr=False)
class SubgroupResult(TextSummary):
    """Per-subgroup pooled results, the test for subgroup differences and the overall model.

    ``groups`` is a DataFrame indexed by subgroup (k, estimate, se, statistic, pval, ci_low,
    ci_high, pi_low, pi_high, tau2, i2, q, q_df, q_pval). ``q_between`` is the test for
    subgroup differences on ``q_between_df`` df (an F statistic with ``q_between_df2``
    denominator df when ``q_between_df2`` is finite), ``overall`` the model of all studies.
    ``study_weights`` are the weights (percent within each subgroup) of the studies.
    """

    method: str
    test: str
    level: float
    tau2_mode: str
    k: int
    groups: pd.DataFrame
    q_between: float
    q_between_df: int
    q_between_df2: float
    q_between_pval: float
    overall: PoolResult
    group_of: tuple[str, ...]
    study_weights: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame
    excluded: pd.DataFrame
    measure: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = ()

    @property
    def is_random_effects(self) -> bool:
        return self.method != "EE"

    @property
    def q_between_test(self) -> str:
        """``"chisq"`` or ``"F"`` (common tau^2 with a t-based test)."""
        return "chisq" if np.isinf(self.q_between_df2) else "F"

    @property
    def common_tau2(self) -> float:
        """The shared tau^2 (``tau2="common"``), NaN with separate estimates."""
        return float(self.groups["tau2"].iloc[0]) if self.tau2_mode == "common" else np.nan

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """The per-subgroup table (a copy of ``groups``)."""
        return self.groups.copy()

    def study_frame(self) -> pd.DataFrame:
        """Per-study table: study, group, yi, vi, se, ci_low, ci_high, weight (% in subgroup)."""
        frame = study_table(self.labels, self.yi, self.vi, self.level, self.study_weights)
        frame.insert(1, "group", list(self.group_of))
        return frame

    def subgroup_test_text(self) -> str:
        """One line with the test for subgroup differences."""
        mode = "separate tau^2" if self.tau2_mode == "separate" else "common tau^2"
        if self.q_between_test == "F":
            stat = f"F({self.q_between_df}, {self.q_between_df2:g}) = {fmt(self.q_between, 2)}"
        else:
            stat = f"Q({self.q_between_df}) = {fmt(self.q_between, 2)}"
        return f"Test for subgroup differences ({mode}): {stat}, p = {fmt_p(self.q_between_pval)}"

    def forest_frame(self) -> pd.DataFrame:
        """Forest-plot rows (variant ``"subgroups"``): for each subgroup a heading, its
        studies and its pooled estimate; then the overall estimate and prediction interval.
        Study weights are percent within the subgroup (the weights behind its diamond)."""
        studies = self.study_frame()
        rows: list[dict[str, Any]] = []
        for name, info in self.groups.iterrows():
            rows.append(_row(str(name), np.nan, np.nan, np.nan, np.nan, "heading", name))
            part = studies[studies.group == name]
            rows += [
                _row(s.study, s.yi, s.ci_low, s.ci_high, s.weight, "study", name)
                for s in part.itertuples()
            ]
            het = "" if info.k < 2 else f" (I^2 = {info.i2:.1f}%)"
            rows.append(
                _row(
                    f"Subtotal {name}, k = {int(info.k)}{het}",
                    info.estimate,
                    info.ci_low,
                    info.ci_high,
                    100.0,
                    "subgroup",
                    name,
                )
            )
        overall = self.overall
        label = "Random-effects model" if self.is_random_effects else "Common-effect model"
        rows.append(
            _row(label, overall.estimate, overall.ci_low, overall.ci_high, 100.0, "pooled", None)
        )
        if self.is_random_effects and np.isfinite(overall.pi_low):
            rows.append(
                _row(
                    "Prediction interval",
                    overall.estimate,
                    overall.pi_low,
                    overall.pi_high,
                    np.nan,
                    "prediction",
                    None,
                )
            )
        frame = pd.DataFrame(rows)
        frame["group"] = pd.Series([r["group"] for r in rows], dtype=object)  # None stays None
        frame.attrs.update(
            {
                "measure": self.measure,
                "level": self.level,
                "synthetic": self.synthetic,
                "heterogeneity": overall.heterogeneity_text(),
                "subgroup_test": self.subgroup_test_text(),
                "variant": "subgroups",
            }
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Every statistic as plain Python values (groups as a list of records)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("data", "excluded", "groups", "overall"):
                continue
            out[f.name] = plain(getattr(self, f.name))
        out["groups"] = self.groups.reset_index().to_dict(orient="records")
        out["overall"] = self.overall.to_dict()
        out["excluded"] = self.excluded.to_dict(orient="records")
        out["q_between_test"] = self.q_between_test
        return out

    # ------------------------------------------------------------------ printing
    def summary(self) -> str:
        """Subgroup table, test for subgroup differences and the overall model."""
        lines: list[str] = []
        if self.synthetic:
            lines += ["*** SYNTHETIC DATA: demonstration only, not results of real studies ***", ""]
        model = "Common-effect" if self.method == "EE" else f"Random-effects ({self.method})"
        tau = "" if self.method == "EE" else f", {self.tau2_mode} tau^2"
        lines += [
            f"Subgroup analysis: {model} model{tau} (k = {self.k}, {len(self.groups)} subgroups)",
            "",
        ]
        pct = f"{100 * self.level:g}%"
        header = ["group", "k", "estimate", "se", "pval", "ci.lb", "ci.ub", "tau2", "I2", "Q"]
        rows = [
            [
                str(name),
                str(int(r.k)),
                fmt(r.estimate),
                fmt(r.se),
                fmt_p(r.pval),
                fmt(r.ci_low),
                fmt(r.ci_high),
                fmt(r.tau2),
                "NA" if np.isnan(r.i2) else f"{r.i2:.2f}%",
                fmt(r.q),
            ]
            for name, r in self.groups.iterrows()
        ]
        lines += [text_table(header, rows), "", self.subgroup_test_text(), ""]
        o = self.overall
        lines.append(
            f"Overall: {fmt(o.estimate)} [{pct} CI {fmt(o.ci_low)}, {fmt(o.ci_high)}], "
            f"p = {fmt_p(o.pval)}; {o.heterogeneity_text()}"
        )
        lines += footer_lines(self.excluded, self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"SubgroupResult(method={self.method!r}, tau2={self.tau2_mode!r}, "
            f"groups={list(self.groups.index)}, q_between={self.q_between:.4g}, "
            f"q_between_pval={self.q_between_pval:.3g})"
        )

    def _repr_html_(self) -> str:
        title = ("SYNTHETIC DATA - " if self.synthetic else "") + "Subgroup analysis"
        parts = [
            f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {self.k}</h4>",
            html_table(self.groups.reset_index()),
            f"<p>{html.escape(self.subgroup_test_text())}</p>",
            f"<p>Overall: {html.escape(self.overall.heterogeneity_text())}</p>",
        ]
        parts += footer_html(self.excluded, self.notes)
        parts.append("</div>")
        return "\n".join(parts)

    def plot(self, **kwargs: Any) -> Any:
        """Forest plot with subgroups (see :func:`metaatt.plot.forest`)."""
        from .plot import forest

        return forest(self, **kwargs)


def _row(label, estimate, low, high, weight, kind, group) -> dict[str, Any]:
    return {
        "label": str(label),
        "estimate": float(estimate),
        "ci_low": float(low),
        "ci_high": float(high),
        "weight": float(weight),
        "kind": kind,
        "group": None if group is None else str(group),
    }
