"""The frozen result of :func:`metaatt.multilevel`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._coefficients import coefficient_frame, coefficient_lines, plain
from ._fit import critical_value
from ._format import TextSummary, fmt, fmt_p, footer_html, footer_lines, html_table, text_table
from ._nested import NestedStructure
from ._validate import check_level
from .formula import ModeratorMatrix, new_design_rows

__all__ = ["MultilevelResult"]

LEVELS = ("between-study", "within-study")


@dataclass(frozen=True, repr=False)
class MultilevelResult(TextSummary):
    """A three-level meta-analysis (effects within studies), frozen.

    ``estimate`` is the first coefficient (the overall effect of an intercept-only model).
    ``se``, ``statistic``, ``pval``, ``ci_low``, ``ci_high`` are floats for intercept-only
    models (as :class:`~metaatt.results.PoolResult`) and arrays over ``coef_names``
    otherwise (as :class:`~metaatt.regression_result.MetaRegressionResult`); ``coef`` is
    always an array. ``sigma2`` holds (between-study, within-study) variances with
    profile-likelihood bounds ``sigma2_ci_low``/``sigma2_ci_high``; ``i2_levels`` the I^2
    of each level and ``i2`` their sum (percent).
    """

    method: str
    test: str
    level: float
    k: int
    p: int
    n_studies: int
    n_clusters: int
    coef_names: tuple[str, ...]
    coef: np.ndarray
    estimate: float
    se: Any
    statistic: Any
    df: float
    pval: Any
    ci_low: Any
    ci_high: Any
    pi_low: float
    pi_high: float
    vcov: np.ndarray
    sigma2: np.ndarray
    sigma2_ci_low: np.ndarray
    sigma2_ci_high: np.ndarray
    sigma2_at_boundary: tuple[bool, bool]
    i2: float
    i2_levels: np.ndarray
    s2: float
    loglik: float
    aic: float
    bic: float
    aicc: float
    qe: float
    qe_df: int
    qe_pval: float
    qm: float
    qm_df: int
    qm_df2: float
    qm_pval: float
    btt: tuple[int, ...]
    iterations: int
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    study: tuple[str, ...]
    es_id: tuple[str, ...] | None
    labels: tuple[str, ...]
    data: pd.DataFrame
    excluded: pd.DataFrame
    intercept: bool = True
    measure: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = ()
    _structure: NestedStructure | None = field(default=None, compare=False)
    _moderators: ModeratorMatrix | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ derived values
    @property
    def sigma(self) -> np.ndarray:
        return np.sqrt(self.sigma2)

    @property
    def intercept_only(self) -> bool:
        return self.p == 1 and self.intercept

    @property
    def deviance(self) -> float:
        """``-2 logLik``."""
        return -2.0 * self.loglik

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            name: np.atleast_1d(np.asarray(getattr(self, name), dtype=float))
            for name in ("se", "statistic", "pval", "ci_low", "ci_high")
        }

    def predict(self, newmods: Any = None, *, level: float | None = None) -> pd.DataFrame:
        """Predicted average effects with CI and prediction interval.

        ``newmods`` as in :meth:`MetaRegressionResult.predict`; ``None`` gives the fitted
        values (for an intercept-only model the pooled estimate). The prediction interval
        adds both variance components: ``pred +/- crit sqrt(se^2 + sigma2_1 + sigma2_2)``.
        """
        level = self.level if level is None else check_level(level)
        if newmods is None:
            X = self.X[:1] if self.intercept_only else self.X
        elif self._moderators is None:
            raise ValueError("predict: an intercept-only model takes no newmods")
        else:
            X = new_design_rows(self._moderators, newmods)
        pred = X @ self.coef
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.vcov, X))
        crit = float(critical_value(level, self.df))
        se_pi = np.sqrt(se**2 + self.sigma2.sum())
        return pd.DataFrame(
            {
                "pred": pred,
                "se": se,
                "ci_low": pred - crit * se,
                "ci_high": pred + crit * se,
                "pi_low": pred - crit * se_pi,
                "pi_high": pred + crit * se_pi,
            }
        )

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """Coefficient table indexed by name: estimate, se, statistic, df, pval, CI."""
        a = self._arrays()
        return coefficient_frame(
            self.coef_names,
            self.coef,
            a["se"],
            a["statistic"],
            self.df,
            a["pval"],
            a["ci_low"],
            a["ci_high"],
        )

    def variance_components(self) -> pd.DataFrame:
        """sigma2, sqrt, profile CI, number of levels and I^2 of both random effects."""
        return pd.DataFrame(
            {
                "sigma2": self.sigma2,
                "sigma": self.sigma,
                "ci_low": self.sigma2_ci_low,
                "ci_high": self.sigma2_ci_high,
                "n_levels": [self.n_studies, self.n_clusters],
                "i2": self.i2_levels,
            },
            index=pd.Index(list(LEVELS), name="level"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_") or f.name in ("data", "excluded"):
                continue
            out[f.name] = plain(getattr(self, f.name))
        out["excluded"] = self.excluded.to_dict(orient="records")
        return out

    # ------------------------------------------------------------------ printing
    def heterogeneity_text(self) -> str:
        return (
            f"sigma^2 = {fmt(self.sigma2[0])} (between), {fmt(self.sigma2[1])} (within); "
            f"I^2 = {self.i2_levels[0]:.1f}% + {self.i2_levels[1]:.1f}%; "
            f"Q({self.qe_df}) = {self.qe:.2f}, p = {fmt_p(self.qe_pval)}"
        )

    def summary(self) -> str:
        """A report laid out like metafor's ``print.rma.mv``."""
        pct = f"{100 * self.level:g}%"
        lines: list[str] = []
        if self.synthetic:
            lines += ["*** SYNTHETIC DATA: demonstration only, not results of real studies ***", ""]
        lines += [
            f"Multilevel Meta-Analysis Model (k = {self.k}; method: {self.method})",
            "",
            "  logLik  deviance       AIC       BIC      AICc",
            f"{self.loglik:8.4f}  {self.deviance:8.4f}  {self.aic:8.4f}  {self.bic:8.4f}  {self.aicc:8.4f}",
            "",
            "Variance Components:",
            "",
        ]
        header = ["", "estim", "sqrt", "nlvls", f"ci.lb ({pct})", "ci.ub", "I^2", "factor"]
        factors = ["study", "study/es_id"]
        rows = [
            [
                f"sigma^2.{j + 1}",
                fmt(self.sigma2[j]),
                fmt(self.sigma[j]),
                str([self.n_studies, self.n_clusters][j]),
                fmt(self.sigma2_ci_low[j]),
                fmt(self.sigma2_ci_high[j]),
                f"{self.i2_levels[j]:.2f}%",
                factors[j],
            ]
            for j in range(2)
        ]
        lines.append(text_table(header, rows))
        lines += [
            "",
            f"Total I^2: {self.i2:.2f}% (typical sampling variance {fmt(self.s2)})",
            "",
            "Test for Heterogeneity:",
            f"Q(df = {self.qe_df}) = {fmt(self.qe)}, p-val {_p_clause(self.qe_pval)}",
        ]
        if not self.intercept_only:
            covered = ", ".join(self.coef_names[i] for i in self.btt)
            stat = (
                f"QM(df = {self.qm_df}) = {fmt(self.qm)}"
                if np.isinf(self.qm_df2)
                else f"F(df1 = {self.qm_df}, df2 = {self.qm_df2:g}) = {fmt(self.qm)}"
            )
            lines += [
                "",
                f"Test of Moderators (coefficients {covered}):",
                f"{stat}, p-val {_p_clause(self.qm_pval)}",
            ]
        lines += ["", "Model Results:", "", coefficient_lines(self.to_frame())]
        if self.intercept_only:
            lines += ["", f"{pct} prediction interval: [{fmt(self.pi_low)}, {fmt(self.pi_high)}]"]
        lines += footer_lines(self.excluded, self.notes, "effect sizes")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"MultilevelResult(method={self.method!r}, k={self.k}, studies={self.n_studies}, "
            f"estimate={self.estimate:.4g}, sigma2=[{self.sigma2[0]:.4g}, {self.sigma2[1]:.4g}])"
        )

    def _repr_html_(self) -> str:
        title = (
            "SYNTHETIC DATA - " if self.synthetic else ""
        ) + f"Multilevel model ({self.method})"
        parts = [
            f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {self.k}, {self.n_studies} studies</h4>",
            html_table(self.to_frame().reset_index()),
            html_table(self.variance_components().reset_index(), caption="Variance components"),
            f"<p>{html.escape(self.heterogeneity_text())}</p>",
        ]
        parts += footer_html(self.excluded, self.notes, "effect sizes")
        parts.append("</div>")
        return "\n".join(parts)


def _p_clause(p: float) -> str:
    text = fmt_p(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"
