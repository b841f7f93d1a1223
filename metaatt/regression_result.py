"""The frozen result of :func:`metaatt.meta_regression`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._coefficients import coefficient_frame, coefficient_lines, plain
from ._fit import ModelFit, critical_value
from ._format import TextSummary, fmt, fmt_p, footer_html, footer_lines, html_table
from ._validate import check_level
from .formula import ModeratorMatrix, new_design_rows

__all__ = ["MetaRegressionResult"]


@dataclass(frozen=True, repr=False)
class MetaRegressionResult(TextSummary):
    """A (mixed-effects) meta-regression, frozen.

    Coefficient arrays (intercept first when present) ``coef``, ``se``, ``statistic``,
    ``pval``, ``ci_low``, ``ci_high`` follow ``coef_names``; ``df`` is the test's degrees of
    freedom (``inf`` for z tests). ``tau2`` is the residual heterogeneity with ``se_tau2``
    and its Q-profile interval; ``i2``/``h2`` the residual I^2 (percent) and H^2; ``r2`` the
    pseudo-R^2 (percent) of heterogeneity accounted for; ``qm``/``qm_pval`` the omnibus test
    of the coefficients ``btt`` (an F statistic with ``(qm_df, qm_df2)`` df under t-based
    tests); ``qe``/``qe_pval`` the test for residual heterogeneity.
    """

    method: str
    test: str
    level: float
    k: int
    p: int
    coef_names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    df: float
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    vcov: np.ndarray
    tau2: float
    se_tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    r2: float
    tau2_intercept_only: float
    qm: float
    qm_df: int
    qm_df2: float
    qm_pval: float
    btt: tuple[int, ...]
    qe: float
    qe_df: int
    qe_pval: float
    s2: float
    hksj_scale: float
    tau2_at_boundary: bool
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    weights: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame
    excluded: pd.DataFrame
    formula: str | None = None
    intercept: bool = True
    measure: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = ()
    _fit: ModelFit | None = field(default=None, compare=False)
    _moderators: ModeratorMatrix | None = field(default=None, compare=False)
    _user_weights: np.ndarray | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ derived values
    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    @property
    def is_random_effects(self) -> bool:
        return self.method != "EE"

    @property
    def qm_test(self) -> str:
        """``"chisq"`` (Wald chi^2) or ``"F"`` (with t-based coefficient tests)."""
        return "chisq" if np.isinf(self.qm_df2) else "F"

    @property
    def fitted(self) -> np.ndarray:
        """Fitted values ``X b`` for the analysed studies."""
        return self.X @ self.coef

    @property
    def residuals(self) -> np.ndarray:
        """Observed minus fitted values."""
        return self.yi - self.fitted

    # ------------------------------------------------------------------ predictions
    def predict(self, newmods: Any = None, *, level: float | None = None) -> pd.DataFrame:
        """Predicted average effects for moderator values, with CI and prediction interval.

        Parameters
        ----------
        newmods
            New moderator values: a table (or dict) with the model's moderator columns or
            formula variables, or numbers (one row per prediction, one column per
            non-intercept coefficient; for one moderator a 1-D array of values). ``None``
            gives the fitted values of the analysed studies.
        level
            Confidence level; the model's by default.

        Returns
        -------
        pandas.DataFrame
            ``pred``, ``se``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high``.

        Notes
        -----
        ``pred = x'b``, ``se = sqrt(x' Var(b) x)``; CI ``pred +/- crit se`` and prediction
        interval ``pred +/- crit sqrt(se^2 + tau2)`` with ``crit`` from the model's test
        distribution (normal, or t with ``k - p`` df), as metafor's ``predict.rma``; the
        prediction interval is NaN for fixed-effects models.
        """
        level = self.level if level is None else check_level(level)
        if newmods is None:
            X = self.X
            index = pd.Index(list(self.labels), name="study")
        else:
            if self._moderators is None:  # pragma: no cover - always set by meta_regression
                raise ValueError("predict: this result carries no moderator specification")
            X = new_design_rows(self._moderators, newmods)
            index = pd.RangeIndex(X.shape[0])
        pred = X @ self.coef
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.vcov, X))
        crit = float(critical_value(level, self.df))
        # no prediction interval for a fixed-effects model (metafor reports NA)
        se_pi = np.sqrt(se**2 + self.tau2) if self.is_random_effects else np.full_like(se, np.nan)
        return pd.DataFrame(
            {
                "pred": pred,
                "se": se,
                "ci_low": pred - crit * se,
                "ci_high": pred + crit * se,
                "pi_low": pred - crit * se_pi,
                "pi_high": pred + crit * se_pi,
            },
            index=index,
        )

    def confidence_interval(self, level: float) -> MetaRegressionResult:
        """Coefficient CIs at another ``level`` (nothing is refitted; tau^2 CI recomputed)."""
        from .qprofile import q_profile_interval

        level = check_level(level)
        crit = float(critical_value(level, self.df))
        interval = q_profile_interval(self._fit.design, level) if self._fit is not None else None
        changes: dict[str, Any] = {
            "level": level,
            "ci_low": self.coef - crit * self.se,
            "ci_high": self.coef + crit * self.se,
        }
        if interval is not None:
            low, high = float(interval.low[0]), float(interval.high[0])
            changes.update(
                tau2_ci_low=low,
                tau2_ci_high=high,
                i2_ci_low=100.0 * low / (low + self.s2),
                i2_ci_high=100.0 * high / (high + self.s2),
            )
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """Coefficient table indexed by name: estimate, se, statistic, df, pval, ci_low, ci_high."""
        return coefficient_frame(
            self.coef_names,
            self.coef,
            self.se,
            self.statistic,
            self.df,
            self.pval,
            self.ci_low,
            self.ci_high,
        )

    def to_dict(self) -> dict[str, Any]:
        """Every statistic as plain Python values (for JSON, lock files and reports)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_") or f.name in ("data", "excluded", "X"):
                continue
            out[f.name] = plain(getattr(self, f.name))
        out["X"] = self.X.tolist()
        out["excluded"] = self.excluded.to_dict(orient="records")
        out["tau"] = self.tau
        out["qm_test"] = self.qm_test
        return out

    # ------------------------------------------------------------------ printing
    def heterogeneity_text(self) -> str:
        tau2 = f"tau^2 = {fmt(self.tau2)}, " if self.is_random_effects else ""
        r2 = f", R^2 = {self.r2:.1f}%" if np.isfinite(self.r2) else ""
        return (
            f"Residual heterogeneity: {tau2}I^2 = {self.i2:.1f}%{r2}, "
            f"QE({self.qe_df}) = {self.qe:.2f}, p = {fmt_p(self.qe_pval)}"
        )

    def _qm_line(self) -> str:
        if self.qm_test == "F":
            return (
                f"F(df1 = {self.qm_df}, df2 = {self.qm_df2:g}) = {fmt(self.qm)}, "
                f"p-val {_p_clause(self.qm_pval)}"
            )
        return f"QM(df = {self.qm_df}) = {fmt(self.qm)}, p-val {_p_clause(self.qm_pval)}"

    def summary(self) -> str:
        """A report laid out like metafor's ``print.rma.uni`` for models with moderators."""
        lines: list[str] = []
        if self.synthetic:
            lines += ["*** SYNTHETIC DATA: demonstration only, not results of real studies ***", ""]
        if self.is_random_effects:
            lines.append(f"Mixed-Effects Model (k = {self.k}; tau^2 estimator: {self.method})")
        else:
            lines.append(f"Fixed-Effects with Moderators Model (k = {self.k})")
        lines.append("")
        pct = f"{100 * self.level:g}%"
        if self.is_random_effects:
            se = "" if np.isnan(self.se_tau2) else f" (SE = {fmt(self.se_tau2)})"
            lines += [
                f"tau^2 (estimated amount of residual heterogeneity):     {fmt(self.tau2)}{se}"
                f" [{pct} CI {fmt(self.tau2_ci_low)}, {fmt(self.tau2_ci_high)}]",
                f"tau (square root of estimated tau^2 value):             {fmt(self.tau)}",
            ]
        lines += [
            f"I^2 (residual heterogeneity / unaccounted variability): {self.i2:.2f}%",
            f"H^2 (unaccounted variability / sampling variability):   {self.h2:.2f}",
        ]
        if np.isfinite(self.r2):
            lines.append(f"R^2 (amount of heterogeneity accounted for):            {self.r2:.2f}%")
        covered = ", ".join(self.coef_names[i] for i in self.btt)
        lines += [
            "",
            "Test for Residual Heterogeneity:",
            f"QE(df = {self.qe_df}) = {fmt(self.qe)}, p-val {_p_clause(self.qe_pval)}",
            "",
            f"Test of Moderators (coefficients {covered}):",
            self._qm_line(),
            "",
            "Model Results:",
            "",
            coefficient_lines(self.to_frame()),
        ]
        if self.test != "z":
            lines += ["", f"Test: {self.test} (t distribution with {self.df:g} df)"]
        lines += footer_lines(self.excluded, self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        coefs = ", ".join(f"{n}={c:.4g}" for n, c in zip(self.coef_names, self.coef, strict=True))
        return (
            f"MetaRegressionResult(method={self.method!r}, test={self.test!r}, k={self.k}, "
            f"{coefs}, tau2={self.tau2:.4g}, qm_pval={self.qm_pval:.3g})"
        )

    def _repr_html_(self) -> str:
        title = ("SYNTHETIC DATA - " if self.synthetic else "") + (
            f"Mixed-effects meta-regression ({self.method})"
            if self.is_random_effects
            else "Fixed-effects meta-regression"
        )
        parts = [
            f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {self.k}</h4>",
            html_table(self.to_frame().reset_index()),
            f"<p>{html.escape(self.heterogeneity_text())}</p>",
            f"<p>Test of moderators: {html.escape(self._qm_line())}</p>",
        ]
        parts += footer_html(self.excluded, self.notes)
        parts.append("</div>")
        return "\n".join(parts)


def _p_clause(p: float) -> str:
    text = fmt_p(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"
