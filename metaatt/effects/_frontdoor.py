"""``escalc``: metafor-compatible effect sizes with reasons for every undefined row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._inputs import REASON_COLUMN, _default_labels, resolve_column
from .._validate import as_float_vector, check_choice, describe_row, first_bad
from ..errors import MetaattError
from ._common import Estimate, SampleSizes
from ._correction import TO_CHOICES, continuity_correct, double_zero
from ._registry import ARGUMENTS, MEASURES, Measure, vtype_array

__all__ = ["escalc"]


class _DefaultAdd(float):
    """``add``'s default (1/2): a distinct object so that an explicit ``add=0.5`` is seen."""

    def __repr__(self) -> str:
        return "0.5"


_DEFAULT_ADD = _DefaultAdd(0.5)


def escalc(
    measure: str,
    *,
    data: pd.DataFrame | None = None,
    add: float = _DEFAULT_ADD,
    to: str = "only0",
    drop00: bool = False,
    vtype: str | Any = "LS",
    **inputs: Any,
) -> pd.DataFrame:
    """Compute effect sizes ``yi`` and sampling variances ``vi``, as metafor's ``escalc``.

    Parameters
    ----------
    measure
        metafor's measure code, e.g. ``"SMD"``, ``"SMCR"``, ``"OR"``, ``"MPORM"``, ``"ZCOR"``,
        ``"PFT"`` (``metaatt.effects.MEASURES`` lists all, with descriptions; each measure's
        formula and reference is in the docstring of its function in
        ``metaatt.effects.continuous``, ``prepost``, ``tables``, ``paired``,
        ``correlations``, ``proportions`` or ``means``).
    data
        Optional table; inputs given as strings are its column names. The result keeps its
        columns (a copy: the caller's frame is never modified).
    add, to
        Continuity correction for counts (2x2 and paired tables, proportions): ``add`` is
        added to every cell of the tables selected by ``to``: ``"only0"`` (tables with a zero
        cell, default), ``"all"``, ``"if0all"`` (all tables if any has a zero cell) or
        ``"none"``. As in metafor, ``add`` defaults to 1/2 except for AS, PHI, PAS and PFT,
        where it defaults to 0 unless given explicitly.
    drop00
        Leave 2x2 / paired tables with no events (``ai = ci = 0``) or only events
        (``bi = di = 0``) in both groups undefined (with a reason) instead of correcting
        them. As in metafor, it does not apply to single-group proportions.
    vtype
        Sampling-variance type, one string or one per study: ``"LS"`` (default) everywhere;
        also ``"UB"``, ``"HO"`` (MD); ``"UB"``, ``"LS2"``, ``"AV"`` (SMD, SMD1); ``"HO"``,
        ``"AV"``, ``"AVHO"`` (ROM); ``"LS2"`` (SMCC, SMCR); ``"ST"``, ``"CS"`` (RPB, PHI);
        ``"UB"``, ``"AV"`` (RD, PR, UCOR); ``"AV"`` (COR, PLN, PLO).
    **inputs
        metafor's arguments: ``ai, bi, ci, di, n1i, n2i, m1i, m2i, sd1i, sd2i, ri, xi, mi,
        sdi, ni`` as arrays, Series, scalars (repeated for every study) or column names of
        ``data``. Arguments the measure does not use are ignored, as in metafor.

    Returns
    -------
    pandas.DataFrame
        The data's columns (if any) plus ``yi``, ``vi`` and ``reason`` (always present:
        None for computed rows); a row that cannot be computed (missing input, a table dropped by
        ``drop00``, a measure undefined for its inputs such as a log ratio of means with
        opposite signs or MPORM with an infeasible ``ri``) keeps its place with ``yi``
        and/or ``vi`` NaN and a human-readable reason (``metaatt.pool`` excludes it and
        reports why). Where metafor keeps an estimate without a variance (e.g. ZCOR with
        ``ni <= 3``) or the reverse (UCOR with ``ni = 4`` and ``vtype="AV"``), so does this
        function. ``frame.attrs`` holds ``measure``, ``vtype``, ``escalc`` (all settings)
        and ``ni``: the total sample size of every row (a tuple aligned with the rows, as
        metafor's ``attr(yi, "ni")``; see :func:`total_sample_sizes`), which models keep
        for the analysed rows so that ``egger_test(pool(es), predictor="ni")`` works.
        pandas copies ``attrs`` unchanged when rows are selected or reordered: select rows
        before ``escalc`` (or give ``egger_test`` its ``ni=``) when that matters.

    Raises
    ------
    metaatt.MetaattError
        For an unknown measure or argument, a missing required argument, inputs of
        different lengths, non-numeric values, negative counts, SDs or sample sizes,
        events exceeding group sizes, correlations outside [-1, 1], negative means for MNLN,
        or an unavailable ``vtype``; the message names the argument and the row (study).

    Notes
    -----
    Values agree with metafor 3.8 (``escalc``) for every measure, variance type and
    continuity-correction setting; the committed R script ``tests/reference/escalc.R``
    produces the reference values. One deliberate difference: MPORM with an infeasible
    ``ri`` gets ``vi = NaN`` with a reason (metafor reports a variance no table can have).

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
    Statistical Software, 36(3), 1-48.

    Examples
    --------
    Morris (2008), treatment groups, standardized mean change (SMCR):

    >>> import metaatt
    >>> es = metaatt.escalc("SMCR", m1i=[38.5, 26.8], m2i=[30.6, 23.5], sd1i=[15.0, 3.1],
    ...                     ni=[20, 50], ri=[0.47, 0.64])
    >>> es[["yi", "vi"]].round(4).to_numpy().tolist()
    [[0.5056, 0.0594], [1.0481, 0.0254]]
    """
    spec = _lookup(measure)
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    add_value = spec.add_default if add is _DEFAULT_ADD else _check_add(add)
    check_choice(to, "to", TO_CHOICES)
    if not isinstance(drop00, bool | np.bool_):
        raise MetaattError(f"drop00: expected True or False, got {drop00!r}")
    given = _check_arguments(spec, inputs)
    k, labels, arrays = _read_inputs(given, data)
    _validate(spec, arrays, labels)
    incomplete, missing = _missing_names(arrays, k)
    x, dropped = _prepare(spec, arrays, k, add_value, to, bool(drop00), labels)
    vtypes = vtype_array(vtype, k, spec)
    with np.errstate(all="ignore"):
        est = spec.compute(x, vtypes)
        yi, vi, reasons = _finish(spec, est, incomplete, missing, dropped, vtypes)

    frame = data.copy() if data is not None else pd.DataFrame(index=pd.RangeIndex(k))
    frame["yi"] = yi
    frame["vi"] = vi
    frame[REASON_COLUMN] = pd.Series(reasons, index=frame.index, dtype=object)
    uniform = bool((vtypes == vtypes[0]).all())
    vtype_attr = str(vtypes[0]) if uniform else [str(v) for v in vtypes]
    frame.attrs["measure"] = spec.code
    frame.attrs["vtype"] = vtype_attr
    frame.attrs["ni"] = SampleSizes(total_sample_sizes(spec, arrays).tolist())
    frame.attrs["escalc"] = {
        "measure": spec.code,
        "vtype": vtype_attr,
        "add": float(add_value),
        "to": to,
        "drop00": bool(drop00),
    }
    return frame


def total_sample_sizes(spec: Measure, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Per-study total sample size as metafor's ``attr(yi, "ni")`` (NaN where an input is
    missing): ``n1i + n2i`` (two groups; ``ai + bi + ci + di`` of a 2x2 or paired table),
    ``ni`` (one group; ``xi + mi`` for proportions), and for MPORM's marginal table of two
    occasions of the same people ``(ai + bi + ci + di) / 2``, rounded (half to even, as R's
    ``round``). Counts before any continuity correction."""
    if spec.layout in ("table", "paired", "marginal"):
        n1 = arrays["n1i"] if "n1i" in arrays else arrays["ai"] + arrays["bi"]
        n2 = arrays["n2i"] if "n2i" in arrays else arrays["ci"] + arrays["di"]
        total = n1 + n2
        return np.round(total / 2.0) if spec.layout == "marginal" else total
    if spec.layout == "proportion":
        return arrays["ni"] if "ni" in arrays else arrays["xi"] + arrays["mi"]
    if "n1i" in arrays:
        return arrays["n1i"] + arrays["n2i"]
    return arrays["ni"]


def _lookup(measure: Any) -> Measure:
    if not isinstance(measure, str):
        raise MetaattError(f"measure: expected a metafor measure code (a string), got {measure!r}")
    if measure not in MEASURES:
        check_choice(measure, "measure", MEASURES)  # raises, listing the valid codes
    return MEASURES[measure]


def _check_add(add: Any) -> float:
    if isinstance(add, bool) or not isinstance(add, int | float | np.integer | np.floating):
        raise MetaattError(f"add: expected a number >= 0, got {add!r}")
    if not np.isfinite(add) or add < 0:
        raise MetaattError(f"add: must be a finite number >= 0, got {add!r}")
    return float(add)


def _used_arguments(spec: Measure) -> tuple[str, ...]:
    if spec.layout in ("table", "paired", "marginal"):
        return (
            "ai",
            "bi",
            "ci",
            "di",
            "n1i",
            "n2i",
            *(("ri",) if spec.layout == "marginal" else ()),
        )
    return spec.inputs


def _check_arguments(spec: Measure, inputs: dict[str, Any]) -> dict[str, Any]:
    """The given inputs the measure uses; unknown names and missing ones raise."""
    unknown = sorted(set(inputs) - set(ARGUMENTS))
    if unknown:
        raise MetaattError(
            f"{unknown[0]}: not an argument of escalc; the inputs are {', '.join(ARGUMENTS)}"
        )
    given = {name: value for name, value in inputs.items() if value is not None}
    present = set(given)
    if spec.layout in ("table", "paired", "marginal"):
        ok = (
            {"ai", "ci"} <= present
            and ("bi" in present or "n1i" in present)
            and ("di" in present or "n2i" in present)
            and (spec.layout != "marginal" or "ri" in present)
        )
    elif spec.layout == "proportion":
        ok = "xi" in present and ("ni" in present or "mi" in present)
    else:
        ok = set(spec.inputs) <= present
    if not ok:
        lacking = [n for n in _used_arguments(spec) if n not in present]
        raise MetaattError(
            f"measure {spec.code!r} needs {spec.required_text()}; missing: "
            f"{', '.join(lacking)} (given: {', '.join(sorted(present)) or 'nothing'})"
        )
    return {name: given[name] for name in _used_arguments(spec) if name in given}


def _read_inputs(
    given: dict[str, Any], data: pd.DataFrame | None
) -> tuple[int, list[str] | None, dict[str, np.ndarray]]:
    """Resolve column names, check lengths, convert to float arrays (scalars repeat)."""
    resolved = {name: resolve_column(value, name, data) for name, value in given.items()}
    scalar = {name for name, value in resolved.items() if np.ndim(value) == 0}
    lengths = {name: len(value) for name, value in resolved.items() if name not in scalar}
    if data is not None:
        lengths = {"data": len(data), **lengths}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(
            f"{name} has {n}" if name != "data" else f"data has {n} rows"
            for name, n in lengths.items()
        )
        raise MetaattError(f"lengths differ: {detail}; one value per study is needed")
    k = next(iter(lengths.values())) if lengths else 1
    if k == 0:
        raise MetaattError(
            f"{', '.join(resolved) or 'inputs'}: no studies (the inputs have length 0)"
        )
    labels = _default_labels(data, k) if data is not None else None
    arrays = {}
    for name, value in resolved.items():
        if name in scalar:
            value = np.full(k, as_float_vector(value, name, allow_nan=True)[0])
        arrays[name] = as_float_vector(value, name, labels=labels, allow_nan=True)
    return k, labels, arrays


def _fail(name: str, values: np.ndarray, mask: np.ndarray, labels: Any, problem: str) -> None:
    if mask.any():
        i = first_bad(mask)
        raise MetaattError(f"{name}: {describe_row(i, labels)} is {values[i]:g}; {problem}")


def _validate(spec: Measure, arrays: dict[str, np.ndarray], labels: Any) -> None:
    """Domain checks, each naming the argument and the first offending row."""
    for name, values in arrays.items():
        kind = spec.kind(name)
        if kind == "count":
            _fail(name, values, values < 0, labels, "counts must be >= 0")
        elif kind == "size":
            _fail(name, values, values <= 0, labels, "sample sizes must be > 0")
        elif kind == "sd":
            _fail(name, values, values < 0, labels, "standard deviations must be >= 0")
        elif kind == "nonnegative mean":
            _fail(name, values, values < 0, labels, f"{spec.code} needs means >= 0 (a log mean)")
        elif kind == "correlation":
            _fail(name, values, np.abs(values) > 1, labels, "correlations must lie in [-1, 1]")
    pairs = [("ai", "bi", "n1i"), ("ci", "di", "n2i"), ("xi", "mi", "ni")]
    for events, rest, total in pairs:
        if events not in arrays or total not in arrays:
            continue
        if events == "xi" and spec.layout != "proportion":
            continue
        e, n = arrays[events], arrays[total]
        _fail(events, e, e > n, labels, f"more events than the group size {total}")
        if rest in arrays:
            diff = np.abs(e + arrays[rest] - n) > 1e-9 * np.maximum(1.0, np.abs(n))
            if diff.any():
                i = first_bad(diff)
                raise MetaattError(
                    f"{rest}: {describe_row(i, labels)}: {events} + {rest} = "
                    f"{e[i] + arrays[rest][i]:g} but {total} = {n[i]:g}; give one of {rest}, "
                    f"{total} or make them agree"
                )


def _missing_names(arrays: dict[str, np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows with a missing input, and for those the comma-separated names (else None)."""
    names = list(arrays)
    holes = np.column_stack([np.isnan(arrays[n]) for n in names])
    incomplete = holes.any(axis=1)
    out = np.full(k, None, dtype=object)
    rows = np.flatnonzero(incomplete)
    out[rows] = [
        ", ".join(n for n, hole in zip(names, holes[i], strict=True) if hole) for i in rows
    ]
    return incomplete, out


def _prepare(
    spec: Measure, arrays: dict[str, np.ndarray], k: int, add: float, to: str, drop00: bool,
    labels: Any,
) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """Cells after ``drop00`` and the continuity correction; the mask of dropped rows."""
    dropped = np.zeros(k, dtype=bool)
    if spec.layout in ("table", "paired", "marginal"):
        a, c = arrays["ai"], arrays["ci"]
        b = arrays["bi"] if "bi" in arrays else arrays["n1i"] - a
        d = arrays["di"] if "di" in arrays else arrays["n2i"] - c
        if drop00:
            dropped = double_zero(a, b, c, d)
        cells = [np.where(dropped, np.nan, v) for v in (a, b, c, d)]
        (a, b, c, d), _ = continuity_correct(cells, add, to, ~dropped)
        x = {"ai": a, "bi": b, "ci": c, "di": d, "n1i": a + b, "n2i": c + d}
        if spec.layout == "marginal":
            x["ri"] = arrays["ri"]
        return x, dropped
    if spec.layout == "proportion":
        xi = arrays["xi"]
        mi = arrays["mi"] if "mi" in arrays else arrays["ni"] - xi
        (xi, mi), _ = continuity_correct([xi, mi], add, to, np.ones(k, dtype=bool))
        return {"xi": xi, "mi": mi, "ni": xi + mi}, dropped
    return dict(arrays), dropped


def _finish(
    spec: Measure,
    est: Estimate,
    incomplete: np.ndarray,
    missing: np.ndarray,
    dropped: np.ndarray,
    vtypes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """metafor's rules for undefined values, and a reason for every undefined row."""
    yi = np.array(est.yi, dtype=float)
    vi = np.array(est.vi, dtype=float)
    averaged = np.isin(vtypes, ("AV", "AVHO")) & np.isfinite(yi) & ~np.isfinite(vi)
    complete = ~incomplete & ~dropped
    # values declared missing (R's NA in metafor) rather than computed as NaN or infinite
    na_yi = ~complete.copy()
    na_vi = ~complete.copy()
    for flag in est.flags:
        if flag.force:
            if flag.scope in ("yi", "both"):
                yi[flag.mask] = np.nan
                na_yi |= flag.mask
            if flag.scope in ("vi", "both"):
                vi[flag.mask] = np.nan
                na_vi |= flag.mask
    # metafor: a computed NaN or infinity in yi or vi leaves both undefined; a negative
    # variance is undefined on its own
    broken = (~np.isfinite(yi) & ~na_yi) | (~np.isfinite(vi) & ~na_vi)
    negative = vi < 0
    yi[broken | ~np.isfinite(yi)] = np.nan
    vi[broken | ~np.isfinite(vi) | negative] = np.nan
    yi[dropped] = vi[dropped] = np.nan

    reasons = np.full(len(yi), None, dtype=object)
    todo = np.isnan(yi) | np.isnan(vi)
    has_missing = todo & ~complete & ~dropped
    reasons[has_missing] = [f"missing value in {names}" for names in missing[has_missing]]
    reasons[todo & dropped] = (
        "no events (or only events) in both groups; dropped because drop00=True"
    )
    todo &= ~has_missing & ~dropped
    for flag in est.flags:
        rows = todo & flag.mask
        reasons[rows] = flag.reason if isinstance(flag.reason, str) else flag.reason[rows]
        todo &= ~rows
    av = todo & averaged
    reasons[av] = (
        "vtype='AV' uses the average over all studies, which is undefined because another "
        "study's estimate is infinite (e.g. an SD of 0)"
    )
    todo &= ~av
    neg = todo & negative
    reasons[neg] = f"the sampling variance of {spec.code} is negative for these inputs"
    todo &= ~neg
    only_vi = todo & ~np.isnan(yi)
    reasons[only_vi] = f"the sampling variance of {spec.code} is undefined for these inputs"
    reasons[todo & ~only_vi] = f"{spec.code} is undefined for these inputs (e.g. division by zero)"
    return yi, vi, reasons
