"""Check an extraction sheet and report every bad cell: row, column, what is wrong."""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..extract.medians import MIN_N_MEDIANS
from ..extract.reported import STANDARDIZERS
from .instruments import InstrumentRegistry, as_registry
from .problems import SheetProblem, SheetReport
from .schema import (
    DESIGN_VALUES,
    ESTIMATE_TYPES,
    ETA2_TYPES,
    FORMATS,
    NUMBER_RULES,
    REQUIRED_TEXT,
    SLOTS,
    Format,
)
from .sheet import Sheet, as_sheet

__all__ = ["row_problems", "validate_sheet"]

# rule -> (bad-value test, message)
_RULES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "sign": (
        lambda x: ~np.isin(x, (1.0, -1.0)),
        "must be 1 or -1 (direction of the raw difference)",
    ),
    "size": (lambda x: (x < 1) | (x != np.round(x)), "must be a whole number >= 1 (patients)"),
    "count": (lambda x: (x < 0) | (x != np.round(x)), "must be a whole number >= 0 (a count)"),
    "percent": (lambda x: (x < 0) | (x > 100), "must lie between 0 and 100 (a percentage)"),
    "correlation": (lambda x: (x < -1) | (x > 1), "must lie between -1 and 1 (a correlation)"),
    "real": (lambda x: np.zeros(x.shape, dtype=bool), ""),
    "positive": (lambda x: x <= 0, "must be > 0"),
    "nonnegative": (lambda x: x < 0, "must be >= 0"),
    "one": (lambda x: x != 1, "must be 1: only 1-df effects (two-group contrasts) convert to d"),
    "p": (lambda x: (x <= 0) | (x > 1), "must satisfy 0 < p <= 1 (two-sided p-value)"),
    "eta2": (lambda x: (x < 0) | (x >= 1), "must satisfy 0 <= eta2 < 1"),
    "level": (lambda x: (x <= 0) | (x >= 1), "must lie strictly between 0 and 1 (0.95, not 95)"),
}


def _choice_problem(value: str, column: str, choices: Any) -> str | None:
    if value == "" or value in choices:
        return None
    close = difflib.get_close_matches(value, list(choices), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown value; choose one of {list(choices)}{hint}"


def _has(values: Any, column: str) -> bool:
    value = values.get(column)
    if isinstance(value, str):
        return value != ""
    if value is None:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _slot_mean(v: Any, slot: str) -> bool:
    return _has(v, f"m_{slot}") or (_has(v, f"median_{slot}") and _slot_spread(v, slot))


def _slot_spread(v: Any, slot: str) -> bool:
    return (_has(v, f"q1_{slot}") and _has(v, f"q3_{slot}")) or (
        _has(v, f"min_{slot}") and _has(v, f"max_{slot}")
    )


def _slot_sd(v: Any, slot: str) -> bool:
    return _has(v, f"sd_{slot}") or _slot_spread(v, slot)


def missing_inputs(fmt: Format, v: Any) -> list[tuple[str, str]]:
    """(column, message) for every requirement of ``fmt`` that row ``v`` does not meet."""
    out: list[tuple[str, str]] = []
    for group in fmt.required:
        if not any(all(_has(v, c) for c in alt) for alt in group):
            text = " or ".join(" + ".join(alt) for alt in group)
            out.append((group[0][0], f"format {fmt.name!r} needs {text}"))
    for slot in fmt.mean_slots:
        if not _slot_mean(v, slot):
            out.append(
                (f"m_{slot}", f"format {fmt.name!r} needs m_{slot} (or median_{slot} with "
                 f"q1_{slot} + q3_{slot} and/or min_{slot} + max_{slot})")
            )  # fmt: skip
    for slot in fmt.sd_slots:
        if not _slot_sd(v, slot):
            out.append(
                (f"sd_{slot}", f"format {fmt.name!r} needs sd_{slot} (or q1_{slot} + q3_{slot} "
                 f"and/or min_{slot} + max_{slot})")
            )  # fmt: skip
    between = fmt.between or (
        fmt.name in ("f_test", "p_value", "eta2") and v.get("design") == "between"
    )
    if fmt.name == "reported_d" and v.get("standardizer") in STANDARDIZERS:
        between = STANDARDIZERS[str(v.get("standardizer"))][1] == "between"
    if between and not _has(v, "n_c") and all(c != "n_c" for c, _ in out):
        out.append(("n_c", f"format {fmt.name!r} with a comparator needs n_c"))
    return out


def _value_problems(sheet: Sheet) -> list[SheetProblem]:
    out: list[SheetProblem] = []
    values = sheet.values
    for column, rule in NUMBER_RULES.items():
        test, message = _RULES[rule]
        x = values[column].to_numpy(dtype=float)
        present = ~np.isnan(x)
        bad = np.zeros(len(x), dtype=bool)
        bad[present] = test(x[present])
        for i in np.flatnonzero(bad):
            out.append(sheet.problem(int(i) + 1, column, "error", message))
    return out


def row_problems(
    sheet: Sheet, i: int, registry: InstrumentRegistry, v: dict[str, Any] | None = None
) -> list[SheetProblem]:
    """Semantic problems of the 0-based row ``i`` (value ranges are checked separately)."""
    if v is None:
        v = sheet.values.iloc[i].to_dict()
    row = i + 1
    out: list[SheetProblem] = []

    def add(column: str, severity: str, message: str, value: Any = None) -> None:
        out.append(sheet.problem(row, column, severity, message, value))

    for column in REQUIRED_TEXT:
        if not _has(v, column):
            add(column, "error", f"{column} is required on every row")
    for column, choices in (
        ("design", DESIGN_VALUES),
        ("eta2_type", ETA2_TYPES),
        ("standardizer", tuple(STANDARDIZERS)),
        ("estimate_type", tuple(ESTIMATE_TYPES)),
    ):
        message = _choice_problem(str(v[column]), column, choices)
        if message:
            add(column, "error", message)
    fmt = FORMATS.get(str(v["format"]))
    if _has(v, "format") and fmt is None:
        message = _choice_problem(str(v["format"]), "format", tuple(FORMATS))
        add("format", "error", message or "unknown format")
    instrument = None
    if _has(v, "instrument"):
        try:
            instrument = registry.get(str(v["instrument"]))
        except ValueError as err:
            add("instrument", "error", str(err).removeprefix("instrument: "))
    if fmt is None:
        return out
    if instrument is not None and fmt.kind != "any" and instrument.kind != fmt.kind:
        add(
            "instrument",
            "error",
            f"{instrument.name} is {instrument.kind}, but format {fmt.name!r} needs a "
            f"{fmt.kind} instrument",
        )
    for column, message in missing_inputs(fmt, v):
        add(column, "incomplete", message, value="")
    if fmt.between and not _has(v, "comparator"):
        add("comparator", "note", "name the comparison arm (provenance)", value="")
    _consistency(v, fmt, instrument, add)
    return out


def _consistency(v: Any, fmt: Format, instrument: Any, add: Callable[..., None]) -> None:
    n, n_c = v["n"], v["n_c"]
    if fmt.name == "paired_table" and _has(v, "n"):
        total = sum(v[c] for c in ("n_ss", "n_si", "n_is", "n_ii"))
        if not math.isnan(total) and total != n:
            add("n", "error", f"the four cells add up to {total:g}, not n = {n:g}")
    for column, size in (("n_secure_pre", n), ("n_secure_post", n), ("n_secure_post_c", n_c)):
        if v[column] > size:
            add(column, "error", f"more secure patients ({v[column]:g}) than patients ({size:g})")
    design = str(v.get("design"))
    if fmt.name == "reported_d":
        design = STANDARDIZERS.get(str(v.get("standardizer")), ("", "within", ""))[1]
    within = fmt.name in ("paired_t", "change_sd", "pre_post_means") or (
        fmt.name in ("f_test", "p_value", "eta2", "reported_d") and design == "within"
    )
    if within and n < 3:
        add("n", "error", "within-person effect sizes need n >= 3 (Hedges' J(n - 1))")
    between = fmt.name in ("independent_t", "chi2", "ppc", "between_means") or (
        fmt.name in ("f_test", "p_value", "eta2", "reported_d") and design == "between"
    )
    if between and n + n_c < 4:
        add("n_c", "error", "between-group effect sizes need n + n_c >= 4")
    if fmt.name == "ppc" and min(n, n_c) < 2:
        add("n", "error", "each arm needs at least 2 patients (pooled pre-test SD)")
    if _has(v, "sd_change") and _has(v, "sd_pre") and _has(v, "sd_post"):
        if v["sd_pre"] <= 0 or v["sd_post"] <= 0:
            pass  # no implied r; a negative SD is reported by the range check of its cell
        else:
            # the implied r, scaled by the largest SD so that the squares cannot overflow
            scale = max(v["sd_pre"], v["sd_post"], abs(v["sd_change"]))
            pre, post, change = v["sd_pre"] / scale, v["sd_post"] / scale, v["sd_change"] / scale
            r = (pre**2 + post**2 - change**2) / (2 * pre * post)
            if abs(r) > 1:
                add(
                    "sd_change",
                    "error",
                    f"inconsistent with sd_pre and sd_post (implied r = {r:.3g})",
                )
    if fmt.name == "chi2" and _has(v, "chi2") and v["chi2"] >= n + n_c:
        add("chi2", "error", "chi-square must be smaller than the total sample size")
    if fmt.name == "wald_ci":
        est, low, high = v["estimate"], v["ci_low"], v["ci_high"]
        if not (low <= est <= high) and not any(math.isnan(x) for x in (est, low, high)):
            add("estimate", "error", f"not inside its interval [{low:g}, {high:g}]")
        if ESTIMATE_TYPES.get(str(v["estimate_type"]), ("", False))[1]:
            for column in ("estimate", "ci_low", "ci_high"):
                if v[column] <= 0:
                    add(column, "error", "a ratio must be > 0")
    for slot, size_column in SLOTS.items():
        quantiles = [v[f"{q}_{slot}"] for q in ("min", "q1", "median", "q3", "max")]
        present = [q for q in quantiles if not math.isnan(q)]
        if any(b < a for a, b in itertools.pairwise(present)):
            add(f"median_{slot}", "error", f"min <= q1 <= median <= q3 <= max fails: {present}")
        uses_medians = _has(v, f"median_{slot}") and not (
            _has(v, f"m_{slot}") and _has(v, f"sd_{slot}")
        )
        size = v[size_column]
        if uses_medians and slot in (*fmt.mean_slots, *fmt.sd_slots) and size < MIN_N_MEDIANS:
            add(size_column, "incomplete", f"means/SDs from medians need n >= {MIN_N_MEDIANS}")
    if instrument is not None and instrument.has_range and instrument.kind == "dimensional":
        lo, hi = instrument.scale_min, instrument.scale_max
        for slot in SLOTS:
            for q in ("m", "median", "q1", "q3", "min", "max"):
                column = f"{q}_{slot}"
                if not math.isnan(v[column]) and not lo <= v[column] <= hi:
                    add(
                        column,
                        "error",
                        f"outside the {instrument.name} scale [{lo:g}, {hi:g}]; if the study "
                        "uses another scoring (e.g. sum scores), register an instrument with "
                        "that range",
                    )
    if fmt.name in ("f_test", "p_value", "eta2") and v["design"] == "within" and _has(v, "n_c"):
        add("n_c", "note", "design 'within' uses n only; n_c is ignored")
    if fmt.name == "pre_post_means" and not _has(v, "r") and not _has(v, "sd_change"):
        t = v["t"]
        if _has(v, "t") and t != 0 and _has(v, "sd_post") and v["m_post"] != v["m_pre"]:
            sd_change = abs(v["m_post"] - v["m_pre"]) * math.sqrt(v["n"]) / abs(t)
            r = (v["sd_pre"] ** 2 + v["sd_post"] ** 2 - sd_change**2) / (
                2 * v["sd_pre"] * v["sd_post"]
            )
            if abs(r) > 1:
                add("t", "error", f"inconsistent with the means and SDs (implied r = {r:.3g})")


def validate_sheet(sheet: Any, *, instruments: Any = None) -> SheetReport:
    """Check every cell of an extraction sheet and report ALL problems.

    Parameters
    ----------
    sheet
        A :class:`~metaatt.attachment.Sheet`, a CSV path or a DataFrame.
    instruments
        Instrument registry (default: :func:`~metaatt.attachment.default_registry`), a table
        or a CSV of extra instruments.

    Returns
    -------
    SheetReport
        Every problem with row, line, study, column, value, severity and message. ``errors``
        are invalid cells; ``incomplete`` rows lack numbers their format needs (they stay in
        the effect-size table with a reason); ``notes`` are advice.

    Notes
    -----
    Checks: required identification columns; known format and instrument (and that a
    categorical format has a categorical instrument); each number's range (n and counts whole
    and non-negative, SD > 0, |r| <= 1, proportions in [0, 100] %, 0 < p <= 1, ...); the
    format's required inputs; cross-column consistency (counts <= n, the paired table adds up
    to n, min <= q1 <= median <= q3 <= max, the estimate inside its CI, SDs consistent with
    the SD of change, values inside the instrument's scale).
    """
    sheet = as_sheet(sheet)
    registry = as_registry(instruments)
    problems = list(sheet.parse_problems) + _value_problems(sheet)
    for i, record in enumerate(sheet.values.to_dict("records")):
        problems.extend(row_problems(sheet, i, registry, record))
    if len(sheet) == 0:
        problems.append(SheetProblem(0, None, "", "", "", "error", "the sheet has no rows"))
    keys = sheet.values.reindex(
        columns=["study", "arm", "outcome", "instrument", "timepoint", "format"]
    ).astype(str)
    dup = keys.duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(dup):
        problems.append(
            sheet.problem(int(i) + 1, "", "note", "same study, arm, outcome, instrument, "
                          "time point and format as another row (duplicate?)", value="")
        )  # fmt: skip
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in problems:
        key = (p.row, p.column, p.severity, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    order = {"error": 0, "incomplete": 1, "note": 2}
    unique.sort(key=lambda p: (p.row, order[p.severity], p.column))
    return SheetReport(tuple(unique), len(sheet), sheet.path)
