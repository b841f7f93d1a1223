"""The analysis-spec schema: every section, every key, its kind, default and meaning.

The schema is data (a dict of :class:`Key`), so validation, defaults and the documentation
printed by ``metaatt spec-help`` come from one place. ``_parse`` checks a TOML document
against it and collects every problem (unknown keys with suggestions, wrong types, values
out of range, missing files) before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..bayes.priors import PRIOR_SPEC_NAMES

__all__ = ["ARRAY_SECTIONS", "SCHEMA", "Key"]


@dataclass(frozen=True)
class Key:
    """One key of a spec section.

    ``kind`` is one of: ``str``, ``bool``, ``int``, ``number``, ``level`` (0 < x < 1),
    ``correlation`` (-1 < x < 1), ``nonneg`` (x >= 0), ``str_list`` (a string or a list of
    strings), ``correlation_list``, ``path`` (a file, relative to the spec), ``str_map``
    (a table of strings), ``prior`` (a table: distribution and its parameters),
    ``tolerances`` (a table: pattern -> number or {rtol, atol}).
    """

    kind: str
    default: Any = None
    doc: str = ""
    choices: tuple[str, ...] | None = None


FIGURE_FORMATS = ("png", "svg", "pdf")
TABLE_FORMATS = ("csv", "md", "tex")
APPENDIX_FORMATS = ("html", "md")
#: prior distributions a spec accepts: those of :func:`metaatt.bayes.prior_from_spec`
PRIOR_DISTRIBUTIONS = PRIOR_SPEC_NAMES

#: section name ("" = top level) -> key -> Key
SCHEMA: dict[str, dict[str, Key]] = {
    "": {
        "title": Key("str", None, "title of the analysis (default: the spec's file name)"),
        "description": Key("str", "", "free text shown at the top of the appendix"),
        "seed": Key("int", 20240101, "seed for everything stochastic (NUTS sampling)"),
    },
    "data": {
        "sheet": Key("path", None, "extraction sheet (data/attachment/SHEET_FORMAT.md)"),
        "table": Key("path", None, "CSV table: yi/vi columns, or raw columns for escalc"),
        "dataset": Key("str", None, "a bundled dataset (metaatt.datasets.list_datasets())"),
        "label": Key("str", None, "column with study labels (default: study/author column)"),
        "synthetic": Key("bool", False, "mark the data as SYNTHETIC (demonstration only)"),
        "missing": Key(
            "str",
            "raise",
            "rows without an effect size: raise an error, or exclude them (with the reason)",
            ("raise", "exclude"),
        ),
    },
    "effect_size": {
        "measure": Key("str", None, "escalc measure code (e.g. RR, SMD, SMCR) for raw data"),
        "columns": Key("str_map", {}, "escalc argument -> column name (ai = 'tpos', ...)"),
        "yi": Key("str", "yi", "column with effect sizes when the table already has them"),
        "vi": Key("str", "vi", "column with sampling variances"),
        "metric": Key(
            "str",
            None,
            "sheet: the metric to pool (d_raw_change, d_z, d_ppc, ...); rows with another "
            "metric are listed but not pooled (never mix metrics in one pool)",
        ),
        "outcomes": Key("str_list", [], "sheet: pool only rows with these outcome labels"),
        "correlation": Key(
            "correlation", 0.5, "assumed pre-post correlation r where a study reports none"
        ),
        "phi": Key("correlation", 0.5, "assumed phi between occasions for marginal-only counts"),
        "categorical": Key(
            "str",
            "logit",
            "sheet: how categorical formats become d",
            ("logit", "normal", "probit", "log_or", "conditional"),
        ),
        "zero_cells": Key(
            "str", "add", "sheet: add 0.5 to tables with a zero cell, or none", ("add", "none")
        ),
    },
    "dependence": {
        "cluster": Key(
            "str",
            None,
            "column identifying dependent effect sizes (e.g. study_id): they are aggregated to "
            "one per cluster before pooling (metafor's aggregate, compound symmetry)",
        ),
        "rho": Key("correlation", 0.6, "assumed correlation of sampling errors within a cluster"),
    },
    "models": {
        "methods": Key(
            "str_list", ["REML"], "frequentist tau^2 estimators; the first is the primary"
        ),
        "test": Key("str", "z", "z, t, hksj (Knapp-Hartung; metafor knha) or hksj-adhoc"),
        "level": Key("level", 0.95, "confidence level of every interval"),
    },
    "bayes": {  # an array of tables: [[bayes]]
        "name": Key("str", None, "label of this prior set (default: bayes1, bayes2, ...)"),
        "tau_prior": Key(
            "prior",
            None,
            "prior on tau: {distribution = 'half-normal', scale = 0.5}; also half-cauchy, "
            "half-student-t (nu, scale), uniform (low, high), log-normal-tau2 (mu, sigma), "
            "log-student-t-tau2 (location, scale, nu), turner or rhodes (outcome, "
            "comparator1, comparator2; rhodes: area) as in metaatt.bayes.prior_from_spec",
        ),
        "mu_prior": Key("prior", None, "prior on mu (default: the bayes module's default)"),
        "method": Key("str", "exact", "exact (numerical integration) or nuts", ("exact", "nuts")),
        "level": Key("level", 0.95, "credible level"),
        "draws": Key("int", 1000, "nuts: posterior draws per chain (seeded by the top-level seed)"),
        "tune": Key("int", 1000, "nuts: tuning steps per chain"),
        "chains": Key("int", 4, "nuts: number of chains"),
    },
    "subgroups": {
        "by": Key("str_list", [], "column(s) of the effect-size table defining subgroups"),
        "tau2": Key(
            "str", "separate", "separate tau^2 per subgroup or common", ("separate", "common")
        ),
    },
    "meta_regression": {
        "moderators": Key("str_list", [], "moderator columns (one model with all of them)"),
    },
    "bias": {
        "egger": Key("bool", False, "Egger's regression test (mixed-effects version)"),
        "rank_correlation": Key("bool", False, "Begg & Mazumdar rank correlation test"),
        "trim_and_fill": Key("bool", False, "Duval & Tweedie trim-and-fill"),
    },
    "sensitivity": {
        "leave_one_out": Key("bool", False, "re-pool leaving out each study in turn"),
        "influence": Key("bool", False, "influence diagnostics (Viechtbauer & Cheung 2010)"),
        "correlation": Key(
            "correlation_list", [], "re-compute effect sizes at each assumed pre-post r"
        ),
        "phi": Key("correlation_list", [], "re-compute effect sizes at each assumed phi"),
        "rho": Key("correlation_list", [], "re-aggregate at each assumed within-cluster rho"),
        "methods": Key("bool", False, "compare every tau^2 estimator in [models] methods"),
    },
    "plots": {
        "forest": Key("bool", True, "forest plot of the primary model"),
        "funnel": Key("bool", True, "funnel plot of the primary model"),
        "subgroup_forest": Key("bool", True, "forest plot by subgroup (when subgroups.by)"),
        "bayes_forest": Key("bool", True, "forest plot with shrunken estimates (when bayes)"),
        "formats": Key("str_list", list(FIGURE_FORMATS), "figure formats", FIGURE_FORMATS),
        "dpi": Key("int", 150, "resolution of PNG figures"),
    },
    "output": {
        "tables": Key("str_list", list(TABLE_FORMATS), "table formats", TABLE_FORMATS),
        "appendix": Key("str_list", list(APPENDIX_FORMATS), "appendix formats", APPENDIX_FORMATS),
        "digits": Key("int", 4, "decimals shown in tables and the appendix (not results.json)"),
    },
    "lock": {
        "rtol": Key("nonneg", 1e-6, "relative tolerance of metaatt check"),
        "atol": Key("nonneg", 1e-9, "absolute tolerance of metaatt check"),
        "tolerances": Key(
            "tolerances", {}, "per-number tolerances: 'pattern*' = rtol or {rtol, atol}"
        ),
    },
}

#: sections written as arrays of tables ([[bayes]]); a single [bayes] table is also accepted
ARRAY_SECTIONS = frozenset({"bayes"})
