"""The measure registry: metafor code -> (function, inputs, layout, vtypes, default add).

``layout`` tells the front door how the inputs are read:

- ``"plain"``: exactly the listed arguments;
- ``"table"``: a 2x2 table from ``ai, bi, ci, di`` or ``ai, ci, n1i, n2i`` (continuity
  correction and ``drop00`` apply); ``"paired"`` is the same for a paired table;
- ``"marginal"``: a marginal table as ``"table"`` plus ``ri`` (MPORM);
- ``"proportion"``: ``xi`` with ``ni`` or ``mi`` (continuity correction applies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import continuous, correlations, means, paired, prepost, proportions, tables
from ._common import Estimate

__all__ = ["ARGUMENT_KINDS", "MEASURES", "Measure"]

TWO_GROUPS = ("m1i", "m2i", "sd1i", "sd2i", "n1i", "n2i")
PREPOST = ("m1i", "m2i", "sd1i", "sd2i", "ni", "ri")
TABLE = ("ai", "bi", "ci", "di", "n1i", "n2i")

#: what every accepted argument holds (for validation); ``mi`` is a mean except for
#: proportions, where it counts non-events
ARGUMENT_KINDS: dict[str, str] = {
    "ai": "count", "bi": "count", "ci": "count", "di": "count", "xi": "count",
    "n1i": "size", "n2i": "size", "ni": "size",
    "m1i": "mean", "m2i": "mean", "mi": "mean",
    "sd1i": "sd", "sd2i": "sd", "sdi": "sd",
    "ri": "correlation",
}  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """One effect-size measure of :func:`metaatt.escalc`."""

    code: str
    compute: Callable[..., Estimate]
    inputs: tuple[str, ...]
    layout: str
    description: str
    vtypes: tuple[str, ...] = ("LS",)
    add_default: float = 0.5
    #: validation kinds that differ from :data:`ARGUMENT_KINDS` for this measure
    kinds: tuple[tuple[str, str], ...] = ()

    @property
    def counts_corrected(self) -> bool:
        """Whether ``add``/``to`` (continuity correction) apply to this measure."""
        return self.layout in ("table", "paired", "marginal", "proportion")

    def required_text(self) -> str:
        """The required arguments, in words."""
        if self.layout in ("table", "paired", "marginal"):
            extra = " and ri" if self.layout == "marginal" else ""
            return f"ai, ci and either bi, di or n1i, n2i{extra}"
        if self.layout == "proportion":
            return "xi and either ni or mi"
        return ", ".join(self.inputs)

    def kind(self, name: str) -> str:
        """Validation kind of argument ``name`` for this measure."""
        if name == "mi" and self.layout == "proportion":
            return "count"
        return dict(self.kinds).get(name, ARGUMENT_KINDS[name])


def _m(code: str, fn: Callable[..., Estimate], inputs: tuple[str, ...], layout: str,
       description: str, vtypes: tuple[str, ...] = ("LS",), add: float = 0.5) -> Measure:  # fmt: skip
    return Measure(code, fn, inputs, layout, description, vtypes, add)


_ALL = [
    # two independent groups, quantitative outcome
    _m("MD", continuous.md, TWO_GROUPS, "plain", "raw mean difference", ("LS", "UB", "HO")),
    _m("SMD", continuous.smd, TWO_GROUPS, "plain", "standardized mean difference (Hedges' g)",
       ("LS", "UB", "LS2", "AV")),
    _m("SMDH", continuous.smdh, TWO_GROUPS, "plain",
       "standardized mean difference, heteroscedastic variances"),
    _m("SMD1", continuous.smd1, ("m1i", "m2i", "sd2i", "n1i", "n2i"), "plain",
       "mean difference standardized by group 2's SD", ("LS", "UB", "LS2", "AV")),
    _m("SMD1H", continuous.smd1h, TWO_GROUPS, "plain",
       "mean difference standardized by group 2's SD, heteroscedastic variances"),
    _m("ROM", continuous.rom, TWO_GROUPS, "plain", "log ratio of means",
       ("LS", "HO", "AV", "AVHO")),
    _m("CVR", continuous.cvr, TWO_GROUPS, "plain", "log coefficient-of-variation ratio"),
    _m("VR", continuous.vr, ("sd1i", "sd2i", "n1i", "n2i"), "plain", "log variability ratio"),
    _m("RPB", continuous.rpb, TWO_GROUPS, "plain", "point-biserial correlation",
       ("LS", "ST", "CS")),
    _m("D2ORN", continuous.d2orn, TWO_GROUPS, "plain",
       "log odds ratio from a standardized mean difference (normal)"),
    _m("D2ORL", continuous.d2orl, TWO_GROUPS, "plain",
       "log odds ratio from a standardized mean difference (logistic)"),
    # one group, pre/post
    _m("MC", prepost.mc, PREPOST, "plain", "raw mean change"),
    _m("SMCC", prepost.smcc, PREPOST, "plain",
       "standardized mean change, change-score standardization", ("LS", "LS2")),
    _m("SMCR", prepost.smcr, ("m1i", "m2i", "sd1i", "ni", "ri"), "plain",
       "standardized mean change, raw-score standardization", ("LS", "LS2")),
    _m("SMCRH", prepost.smcrh, PREPOST, "plain",
       "standardized mean change, raw-score standardization, heteroscedastic variances"),
    _m("ROMC", prepost.romc, PREPOST, "plain", "log ratio of means, paired"),
    # 2x2 tables
    _m("RR", tables.rr, TABLE, "table", "log risk ratio"),
    _m("OR", tables.or_, TABLE, "table", "log odds ratio"),
    _m("RD", tables.rd, TABLE, "table", "risk difference", ("LS", "UB", "AV")),
    _m("AS", tables.as_, TABLE, "table", "arcsine square-root risk difference", add=0.0),
    _m("PETO", tables.peto, TABLE, "table", "log odds ratio, Peto's method"),
    _m("PHI", tables.phi, TABLE, "table", "phi coefficient", ("LS", "ST", "CS"), add=0.0),
    _m("YUQ", tables.yuq, TABLE, "table", "Yule's Q"),
    _m("YUY", tables.yuy, TABLE, "table", "Yule's Y"),
    _m("OR2DN", tables.or2dn, TABLE, "table",
       "standardized mean difference from a log odds ratio (normal)"),
    _m("OR2DL", tables.or2dl, TABLE, "table",
       "standardized mean difference from a log odds ratio (logistic)"),
    # paired binary
    _m("MPRD", paired.mprd, TABLE, "paired", "matched-pairs marginal risk difference"),
    _m("MPRR", paired.mprr, TABLE, "paired", "matched-pairs marginal log risk ratio"),
    _m("MPOR", paired.mpor, TABLE, "paired", "matched-pairs marginal log odds ratio"),
    _m("MPORC", paired.mporc, TABLE, "paired", "matched-pairs conditional log odds ratio"),
    _m("MPPETO", paired.mppeto, TABLE, "paired",
       "matched-pairs conditional log odds ratio, Peto's method"),
    _m("MPORM", paired.mporm, (*TABLE, "ri"), "marginal",
       "marginal log odds ratio from marginal counts and an assumed correlation"),
    # correlations
    _m("COR", correlations.cor, ("ri", "ni"), "plain", "raw correlation", ("LS", "AV")),
    _m("UCOR", correlations.ucor, ("ri", "ni"), "plain", "bias-corrected correlation",
       ("LS", "UB", "AV")),
    _m("ZCOR", correlations.zcor, ("ri", "ni"), "plain", "Fisher's z transformed correlation"),
    # single-group proportions
    _m("PR", proportions.pr, ("xi", "mi", "ni"), "proportion", "raw proportion",
       ("LS", "UB", "AV")),
    _m("PLN", proportions.pln, ("xi", "mi", "ni"), "proportion", "log proportion",
       ("LS", "AV")),
    _m("PLO", proportions.plo, ("xi", "mi", "ni"), "proportion", "logit proportion",
       ("LS", "AV")),
    _m("PAS", proportions.pas, ("xi", "mi", "ni"), "proportion",
       "arcsine square-root proportion", add=0.0),
    _m("PFT", proportions.pft, ("xi", "mi", "ni"), "proportion",
       "Freeman-Tukey double arcsine proportion", add=0.0),
    # single-group means
    _m("MN", means.mn, ("mi", "sdi", "ni"), "plain", "raw mean"),
    Measure("MNLN", means.mnln, ("mi", "sdi", "ni"), "plain", "log mean",
            kinds=(("mi", "nonnegative mean"),)),
    _m("SMN", means.smn, ("mi", "sdi", "ni"), "plain", "standardized mean"),
]  # fmt: skip

#: every supported measure by metafor code
MEASURES: dict[str, Measure] = {m.code: m for m in _ALL}

#: every argument name escalc accepts (metafor's names)
ARGUMENTS: tuple[str, ...] = tuple(ARGUMENT_KINDS)


def vtype_array(vtype: object, k: int, measure: Measure) -> np.ndarray:
    """``vtype`` as one string per row, validated against the measure's options."""
    from ..errors import MetaattError

    options = ", ".join(repr(v) for v in measure.vtypes)
    if isinstance(vtype, str):
        if vtype not in measure.vtypes:
            raise MetaattError(
                f"vtype: {vtype!r} is not available for measure {measure.code!r}; "
                f"choose from {options}"
            )
        return np.full(k, vtype, dtype="<U4")
    values = None
    if vtype is not None and not isinstance(vtype, dict):
        values = np.asarray(list(vtype), dtype=object)
    if values is None or values.ndim != 1 or len(values) != k:
        raise MetaattError(f"vtype: give one string or one per study ({k}); got {vtype!r}")
    ok = np.isin(values, measure.vtypes)
    if not ok.all():
        bad = values[~ok][0]
        raise MetaattError(
            f"vtype: {bad!r} (study {int(np.flatnonzero(~ok)[0]) + 1}) is not available for "
            f"measure {measure.code!r}; choose from {options}"
        )
    return values.astype("<U4")
