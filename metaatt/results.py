"""The frozen result of :func:`metaatt.pool`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._fit import ModelFit
from ._format import TextSummary, fmt, fmt_p, footer_html, footer_lines, html_table, text_table
from ._inputs import EffectInputs
from ._pooled import (
    INTERVAL_COLUMNS,
    POOLED_COLUMNS,
    heterogeneity_intervals,
    pooled_scalars,
    pooled_statistics,
)
from ._studies import forest_study_rows, study_table
from ._validate import check_choice, check_level, is_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PoolResult"]

METHOD_NAMES = {
    "EE": "common-effect (equal-effects)",
    "DL": "DerSimonian-Laird",
    "HE": "Hedges",
    "HS": "Hunter-Schmidt",
    "HSk": "Hunter-Schmidt (k-corrected)",
    "SJ": "Sidik-Jonkman",
    "ML": "maximum likelihood",
    "REML": "restricted maximum likelihood",
    "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
    "PMM": "median-unbiased Paule-Mandel",
    "GENQ": "generalized Q",
}


@dataclass(frozen=True, repr=False)
class PoolResult(TextSummary):
    """A pooled estimate with every heterogeneity statistic, frozen.

    Attributes follow metafor's vocabulary: ``estimate``, ``se``, ``statistic`` (z or t),
    ``pval``, ``ci_low``/``ci_high``; the prediction interval ``pi_low``/``pi_high``;
    ``tau2`` with ``se_tau2`` and its Q-profile interval ``tau2_ci_low``/``tau2_ci_high``;
    ``i2`` (percent) and ``h2`` with intervals; Cochran's ``q`` with ``q_df`` and
    ``q_pval``; ``k``; per-study ``weights`` in percent. ``data`` holds the analysed rows
    with every input column (provenance included); ``excluded`` lists left-out studies
    with the reason.
    """

    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    statistic: float
    df: float
    pval: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    se_tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    h2_ci_low: float
    h2_ci_high: float
    q: float
    q_df: int
    q_pval: float
    s2: float
    hksj_scale: float
    tau2_at_boundary: bool
    tau2_ci_null: bool
    iterations: int
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    # labels, data and excluded: a value, or an EffectInputs that builds them on first use
    _labels: Any = field(default=(), compare=False)
    _data: Any = field(default=None, compare=False)
    _excluded: Any = field(default=None, compare=False)
    measure: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = ()
    _fit: ModelFit | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_fit(
        cls,
        fit: ModelFit,
        *,
        level: float | None = None,
        inputs: EffectInputs | None = None,
        **context: Any,
    ) -> PoolResult:
        """Build the result of analysis 0 of ``fit``.

        ``inputs`` (from :func:`~metaatt._inputs.read_effects`) supplies yi, vi, labels, the
        analysed and excluded rows, measure and synthetic; ``context`` gives or overrides
        any of them (yi, vi, labels, data, excluded, measure, synthetic, notes).
        """
        weights = fit.weights[0]
        # every field but the Q-profile ones, which __getattr__ computes on first access;
        # set directly (the generated __init__ would only do the same, field by field)
        result = object.__new__(cls)
        state = result.__dict__
        state.update(pooled_scalars(fit, level))
        for name in _DERIVED_SCALARS:  # properties of the result (e.g. tau), not fields
            del state[name]
        state.update(_DEFAULTS)
        state["method"], state["test"] = fit.method, fit.test
        state["level"] = fit.level if level is None else level
        state["weights"] = 100.0 * weights / np.add.reduce(weights)
        state["_fit"] = fit
        if inputs is not None:
            state.update(yi=inputs.yi, vi=inputs.vi, measure=inputs.measure)
            state.update(synthetic=inputs.synthetic, _labels=inputs, _data=inputs)
            state["_excluded"] = inputs
        for name, value in context.items():
            key = f"_{name}" if name in _LAZY_FIELDS else name
            if key not in _FIELD_NAMES or key in _INTERVAL_FIELDS:
                raise TypeError(f"PoolResult.from_fit: unexpected argument {name!r}")
            state[key] = value
        return result

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set yet: the Q-profile interval fields, which
        # are computed from the fit on first access, stored, and never change afterwards.
        fit = self.__dict__.get("_fit")
        if name not in _INTERVAL_FIELDS or fit is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        values = heterogeneity_intervals(fit, self.__dict__["level"])
        for field_name in _INTERVAL_FIELDS:
            object.__setattr__(self, field_name, values[field_name].item(0))
        return self.__dict__[name]

    def _lazy(self, name: str) -> Any:
        value = getattr(self, f"_{name}")
        if isinstance(value, EffectInputs):
            value = getattr(value, name)
            object.__setattr__(self, f"_{name}", value)  # cache; the value never changes
        return value

    @property
    def labels(self) -> tuple[str, ...]:
        """Study labels of the analysed studies."""
        return self._lazy("labels")

    @property
    def data(self) -> pd.DataFrame:
        """The analysed rows with every input column (provenance included), yi and vi."""
        return self._lazy("data")

    @property
    def excluded(self) -> pd.DataFrame:
        """Studies left out of the model: study, row (1-based), reason."""
        return self._lazy("excluded")

    # ------------------------------------------------------------------ derived values
    @property
    def tau(self) -> float:
        """Square root of tau^2."""
        return float(np.sqrt(self.tau2))

    @property
    def tau_ci_low(self) -> float:
        return float(np.sqrt(self.tau2_ci_low))

    @property
    def tau_ci_high(self) -> float:
        return float(np.sqrt(self.tau2_ci_high))

    @property
    def is_random_effects(self) -> bool:
        return self.method != "EE"

    @property
    def sei(self) -> np.ndarray:
        """Standard errors of the study estimates."""
        return np.sqrt(self.vi)

    def confidence_interval(self, level: float) -> PoolResult:
        """The same fit with every interval (CI, PI, tau^2, I^2, H^2) at another ``level``.

        Nothing is refitted: tau^2 and the standard errors stay, only critical values and
        the Q-profile bounds change.
        """
        level = check_level(level)
        if self._fit is None:  # pragma: no cover - results are always built from a fit
            raise ValueError("confidence_interval: this result carries no fit")
        values = pooled_statistics(self._fit, level)
        changed = {
            name: values[name].item(0)
            for name in (
                "ci_low",
                "ci_high",
                "pi_low",
                "pi_high",
                "tau2_ci_low",
                "tau2_ci_high",
                "i2_ci_low",
                "i2_ci_high",
                "h2_ci_low",
                "h2_ci_high",
                "tau2_ci_null",
            )
        }
        return dataclasses.replace(self, level=level, **changed)

    def i2_interval(self, method: str = "q-profile") -> tuple[float, float]:
        """I^2 interval (percent) at ``level``: ``"q-profile"`` (the result's own bounds,
        Viechtbauer 2007) or ``"test-based"`` (Higgins & Thompson 2002; Borenstein et al.
        2009, ch. 16)."""
        from .i2_interval import higgins_thompson_i2_interval

        method = check_choice(method, "method", ("q-profile", "test-based"))
        if method == "q-profile":
            return self.i2_ci_low, self.i2_ci_high
        return higgins_thompson_i2_interval(self.q, self.k, self.level)

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """Per-study table: study, yi, vi, se, ci_low, ci_high (at ``level``) and weight (%)."""
        return study_table(self.labels, self.yi, self.vi, self.level, self.weights)

    def forest_frame(self) -> pd.DataFrame:
        """The tidy frame a forest plot draws: one row per study, the pooled estimate and the
        prediction interval (kind in {study, pooled, prediction}); plots compute nothing."""
        studies = self.to_frame()
        rows = forest_study_rows(studies)
        pooled_label = "Common-effect model" if self.method == "EE" else "Random-effects model"
        extra = [
            {
                "label": pooled_label,
                "estimate": self.estimate,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "weight": 100.0,
                "kind": "pooled",
            }
        ]
        if self.is_random_effects and np.isfinite(self.pi_low):
            extra.append(
                {
                    "label": "Prediction interval",
                    "estimate": self.estimate,
                    "ci_low": self.pi_low,
                    "ci_high": self.pi_high,
                    "weight": np.nan,
                    "kind": "prediction",
                }
            )
        import pandas as pd

        frame = pd.concat([rows, pd.DataFrame(extra)], ignore_index=True)
        frame.attrs.update(
            {
                "measure": self.measure,
                "level": self.level,
                "synthetic": self.synthetic,
                "heterogeneity": self.heterogeneity_text(),
            }
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Every scalar statistic as plain Python values (for JSON, lock files, reports)."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name == "_labels":
                out["labels"] = list(self.labels)
                continue
            value = getattr(self, f.name)
            if f.name.startswith("_") or is_frame(value):
                continue
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        out["tau"] = self.tau
        return out

    # ------------------------------------------------------------------ printing
    def heterogeneity_text(self) -> str:
        """One line: tau^2, I^2, Q and its p-value (for plots and reports)."""
        if self.q_df < 1:
            return "Heterogeneity: not estimable (k = 1)"
        tau2 = f"tau^2 = {fmt(self.tau2)}, " if self.is_random_effects else ""
        return (
            f"Heterogeneity: {tau2}I^2 = {self.i2:.1f}%, "
            f"Q({self.q_df}) = {self.q:.2f}, p = {fmt_p(self.q_pval)}"
        )

    def summary(self) -> str:
        """A report laid out like metafor's ``print.rma`` output."""
        pct = f"{100 * self.level:g}%"
        lines = []
        if self.synthetic:
            lines += ["*** SYNTHETIC DATA: demonstration only, not results of real studies ***", ""]
        kind = "Common-Effect Model" if self.method == "EE" else "Random-Effects Model"
        estimator = "" if self.method == "EE" else f"; tau^2 estimator: {self.method}"
        lines.append(f"{kind} (k = {self.k}{estimator})")
        lines.append("")
        if self.q_df < 1:
            lines.append("Heterogeneity is not estimable with a single study (k = 1).")
        else:
            ci = f" [{pct} CI {fmt(self.tau2_ci_low)}, {fmt(self.tau2_ci_high)}]"
            if self.is_random_effects:
                se = "" if np.isnan(self.se_tau2) else f" (SE = {fmt(self.se_tau2)})"
                lines.append(
                    f"tau^2 (estimated amount of total heterogeneity): {fmt(self.tau2)}{se}{ci}"
                )
                lines.append(
                    f"tau (square root of estimated tau^2 value):      {fmt(self.tau)}"
                    f" [{fmt(self.tau_ci_low)}, {fmt(self.tau_ci_high)}]"
                )
            else:
                lines.append(f"tau^2 Q-profile interval (the model assumes 0): {ci.strip()}")
            lines.append(
                f"I^2 (total heterogeneity / total variability):   {self.i2:.2f}%"
                f" [{self.i2_ci_low:.2f}, {self.i2_ci_high:.2f}]"
            )
            lines.append(
                f"H^2 (total variability / sampling variability):  {self.h2:.2f}"
                f" [{self.h2_ci_low:.2f}, {self.h2_ci_high:.2f}]"
            )
            if self.tau2_ci_null:
                lines.append(
                    "(Both Q-profile bounds fall below 0: the tau^2 interval is the null set.)"
                )
            lines += [
                "",
                "Test for Heterogeneity:",
                f"Q(df = {self.q_df}) = {fmt(self.q)}, p-val {_p_clause(self.q_pval)}",
            ]
        stat_name = "zval" if np.isinf(self.df) else "tval"
        header = ["estimate", "se", stat_name]
        row = [fmt(self.estimate), fmt(self.se), fmt(self.statistic)]
        if not np.isinf(self.df):
            header.append("df")
            row.append(f"{self.df:g}")
        header += ["pval", "ci.lb", "ci.ub"]
        row += [fmt_p(self.pval), fmt(self.ci_low), fmt(self.ci_high)]
        lines += ["", "Model Results:", "", text_table(header, [row])]
        if self.is_random_effects and np.isfinite(self.pi_low):
            lines += ["", f"{pct} prediction interval: [{fmt(self.pi_low)}, {fmt(self.pi_high)}]"]
        if self.test != "z":
            lines.append(f"Test: {self.test} (t distribution with {self.df:g} df)")
        lines += footer_lines(self.excluded, self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"PoolResult(method={self.method!r}, test={self.test!r}, k={self.k}, "
            f"estimate={self.estimate:.4g}, ci=[{self.ci_low:.4g}, {self.ci_high:.4g}], "
            f"tau2={self.tau2:.4g}, i2={self.i2:.3g})"
        )

    def _repr_html_(self) -> str:
        import pandas as pd

        pct = f"{100 * self.level:g}%"
        title = ("SYNTHETIC DATA - " if self.synthetic else "") + (
            "Common-effect model"
            if self.method == "EE"
            else f"Random-effects model ({self.method})"
        )
        model = pd.DataFrame(
            {
                "estimate": [self.estimate],
                "se": [self.se],
                "statistic": [self.statistic],
                "pval": [self.pval],
                f"ci_low ({pct})": [self.ci_low],
                f"ci_high ({pct})": [self.ci_high],
                "pi_low": [self.pi_low],
                "pi_high": [self.pi_high],
            }
        )
        parts = [
            f"<div class='metaatt-result'><h4>{html.escape(title)}, k = {self.k}</h4>",
            html_table(model),
            f"<p>{html.escape(self.heterogeneity_text())}</p>",
            "<details><summary>Studies</summary>",
            html_table(self.to_frame()),
            "</details>",
        ]
        parts += footer_html(self.excluded, self.notes)
        parts.append("</div>")
        return "\n".join(parts)

    def plot(self, **kwargs: Any) -> Any:
        """Forest plot of this result (see :func:`metaatt.plot.forest`)."""
        from .plot import forest

        return forest(self, **kwargs)


#: the pooled statistics stored as fields (the others, e.g. tau, are properties)
_SCALAR_FIELDS = tuple(
    name for name in POOLED_COLUMNS if name in {f.name for f in dataclasses.fields(PoolResult)}
)
#: the Q-profile interval fields, computed on first access (see PoolResult.__getattr__)
_INTERVAL_FIELDS = tuple(name for name in INTERVAL_COLUMNS if name in _SCALAR_FIELDS)
_SCALAR_FIELDS = tuple(name for name in _SCALAR_FIELDS if name not in _INTERVAL_FIELDS)
#: statistics of pooled_scalars that the result derives itself (properties such as tau)
_DERIVED_SCALARS = tuple(
    name for name in POOLED_COLUMNS if name not in _SCALAR_FIELDS and name not in INTERVAL_COLUMNS
)
#: fields built on first access (see PoolResult._lazy)
_LAZY_FIELDS = ("labels", "data", "excluded")
_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(PoolResult))
#: default values of the optional fields
_DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(PoolResult)
    if f.default is not dataclasses.MISSING
}


def _p_clause(p: float) -> str:
    text = fmt_p(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"
