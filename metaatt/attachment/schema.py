"""The extraction-sheet schema: columns, their types and constraints, and the formats.

The human-readable version is ``data/attachment/SHEET_FORMAT.md``; a test checks that the two
list the same columns and formats.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOOL_COLUMNS",
    "COLUMNS",
    "FORMATS",
    "MISSING_TOKENS",
    "NUMBER_RULES",
    "SLOTS",
    "TEXT_COLUMNS",
    "Format",
]

#: cells read as missing (compared case-insensitively after stripping)
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "nr", "n.r.", "not reported", "-", "."})

TEXT_COLUMNS = (
    "study", "study_id", "arm", "comparator", "outcome", "instrument", "timepoint", "source",
    "format", "design", "notes", "eta2_type", "standardizer", "estimate_type",
)  # fmt: skip
BOOL_COLUMNS = ("synthetic", "hedges_corrected")

#: the four mean/SD slots: suffix -> sample-size column
SLOTS = {"pre": "n", "post": "n", "pre_c": "n_c", "post_c": "n_c"}

#: number column -> rule name (see validate._RULES)
NUMBER_RULES: dict[str, str] = {
    "sign": "sign",
    "n": "size",
    "n_c": "size",
    "r": "correlation",
    "m_change": "real",
    "sd_change": "positive",
    **{name: "count" for name in ("n_ss", "n_si", "n_is", "n_ii")},
    **{name: "count" for name in ("n_secure_pre", "n_secure_post", "n_secure_post_c")},
    **{name: "percent" for name in ("pct_secure_pre", "pct_secure_post", "pct_secure_post_c")},
    "phi": "correlation",
    "t": "real",
    "f": "nonnegative",
    "df_effect": "one",
    "df_error": "positive",
    "p": "p",
    "chi2": "nonnegative",
    "eta2": "eta2",
    "d": "real",
    "estimate": "real",
    "ci_low": "real",
    "ci_high": "real",
    "ci_level": "level",
}
for _slot in SLOTS:
    NUMBER_RULES[f"m_{_slot}"] = "real"
    NUMBER_RULES[f"sd_{_slot}"] = "positive"
    for _q in ("median", "q1", "q3", "min", "max"):
        NUMBER_RULES[f"{_q}_{_slot}"] = "real"

#: every column of the sheet, in template order
COLUMNS: tuple[str, ...] = (
    "study", "study_id", "arm", "comparator", "outcome", "instrument", "timepoint", "source",
    "format", "design", "sign", "synthetic", "notes",
    "n", "n_c",
    "m_pre", "sd_pre", "m_post", "sd_post", "r", "m_change", "sd_change",
    *(f"{q}_{s}" for s in ("pre", "post") for q in ("median", "q1", "q3", "min", "max")),
    "m_pre_c", "sd_pre_c", "m_post_c", "sd_post_c",
    *(f"{q}_{s}" for s in ("pre_c", "post_c") for q in ("median", "q1", "q3", "min", "max")),
    "n_ss", "n_si", "n_is", "n_ii", "n_secure_pre", "n_secure_post", "pct_secure_pre",
    "pct_secure_post", "n_secure_post_c", "pct_secure_post_c", "phi",
    "t", "f", "df_effect", "df_error", "p", "chi2", "eta2", "eta2_type",
    "d", "standardizer", "hedges_corrected",
    "estimate", "ci_low", "ci_high", "ci_level", "estimate_type",
)  # fmt: skip

#: identification columns that must be filled on every row
REQUIRED_TEXT = ("study", "outcome", "instrument", "source", "format")


@dataclass(frozen=True)
class Format:
    """A reported format: what it needs and what it produces.

    ``required`` lists requirement groups: each group is a tuple of alternatives, each
    alternative a tuple of columns that must all be present. Slot requirements (a mean and/or
    SD that may come from medians) are handled by ``mean_slots`` / ``sd_slots``.
    """

    name: str
    kind: str  # "categorical" or "dimensional"
    description: str
    required: tuple[tuple[tuple[str, ...], ...], ...] = ()
    optional: tuple[str, ...] = ()
    mean_slots: tuple[str, ...] = ()
    sd_slots: tuple[str, ...] = ()
    between: bool = False  # needs a comparator arm

    @property
    def columns(self) -> tuple[str, ...]:
        """Every number/text column this format may read (for the provenance ``inputs``)."""
        cols: list[str] = []
        for group in self.required:
            for alt in group:
                cols.extend(alt)
        for slot in (*self.mean_slots, *self.sd_slots):
            cols.extend(
                [f"m_{slot}", f"sd_{slot}"]
                + [f"{q}_{slot}" for q in ("median", "q1", "q3", "min", "max")]
            )
        cols.extend(self.optional)
        seen: dict[str, None] = {}
        for c in cols:
            seen.setdefault(c, None)
        return tuple(seen)


def _req(*columns: str) -> tuple[tuple[str, ...], ...]:
    return ((*columns,),)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("paired_table", "categorical", "full pre x post classification table",
               required=(_req("n_ss"), _req("n_si"), _req("n_is"), _req("n_ii")),
               optional=("n",)),
        Format("marginal_counts", "categorical", "secure counts before and after, same patients",
               required=(_req("n_secure_pre"), _req("n_secure_post"), _req("n")),
               optional=("phi",)),
        Format("marginal_percent", "categorical", "% secure before and after, same patients",
               required=(_req("pct_secure_pre"), _req("pct_secure_post"), _req("n")),
               optional=("phi",)),
        Format("between_proportions", "categorical", "secure at post-test in arm and comparator",
               required=(_req("n"), _req("n_c"),
                         (("n_secure_post", "n_secure_post_c"),
                          ("pct_secure_post", "pct_secure_post_c"))),
               between=True),
        Format("pre_post_means", "dimensional", "means and SDs before and after",
               required=(_req("n"),), optional=("sd_post", "r", "sd_change", "t"),
               mean_slots=("pre", "post"), sd_slots=("pre",)),
        Format("change_sd", "dimensional", "mean change and SD of change",
               required=(_req("n"), _req("sd_change"), (("m_change",), ("m_pre", "m_post")))),
        Format("paired_t", "dimensional", "paired t test", required=(_req("t"), _req("n"))),
        Format("independent_t", "dimensional", "independent-groups t test",
               required=(_req("t"), _req("n"), _req("n_c")), between=True),
        Format("f_test", "dimensional", "F(1, df)",
               required=(_req("f"), _req("design"), _req("sign"), _req("n")),
               optional=("n_c", "df_effect", "df_error")),
        Format("p_value", "dimensional", "two-sided p with n",
               required=(_req("p"), _req("design"), _req("sign"), _req("n")),
               optional=("n_c",)),
        Format("chi2", "any", "1-df chi-square of an arm x outcome table",
               required=(_req("chi2"), _req("sign"), _req("n"), _req("n_c")), between=True),
        Format("eta2", "dimensional", "eta^2 or partial eta^2 of a 1-df effect",
               required=(_req("eta2"), _req("eta2_type"), _req("design"), _req("sign"),
                         _req("n")),
               optional=("n_c", "df_effect", "df_error")),
        Format("reported_d", "dimensional", "a printed d or g with its standardizer",
               required=(_req("d"), _req("standardizer"), _req("n")),
               optional=("n_c", "hedges_corrected", "r")),
        Format("ppc", "dimensional", "pre and post means of arm and comparator (RCT)",
               required=(_req("n"), _req("n_c")), optional=("r", "sd_post", "sd_post_c"),
               mean_slots=("pre", "post", "pre_c", "post_c"), sd_slots=("pre", "pre_c"),
               between=True),
        Format("between_means", "dimensional", "post-test means and SDs of both arms",
               required=(_req("n"), _req("n_c")), mean_slots=("post", "post_c"),
               sd_slots=("post", "post_c"), between=True),
        Format("wald_ci", "any", "an estimate with its confidence interval",
               required=(_req("estimate"), _req("ci_low"), _req("ci_high"),
                         _req("estimate_type")),
               optional=("ci_level",)),
    )
}  # fmt: skip

DESIGN_VALUES = ("within", "between")
ETA2_TYPES = ("eta2", "partial_eta2")
#: estimate_type -> (metric, log scale?)
ESTIMATE_TYPES: dict[str, tuple[str, bool]] = {
    "OR": ("log_or", True),
    "RR": ("log_rr", True),
    "OR_paired": ("log_or_paired", True),
    "OR_conditional": ("log_or_conditional", True),
    **{
        m: (m, False)
        for m in ("d_z", "d_raw_change", "d_between_post", "d_ppc", "r", "z", "log_or",
                  "log_rr", "rd", "md")
    },
}  # fmt: skip
