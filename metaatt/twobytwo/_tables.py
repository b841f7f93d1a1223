"""2x2 tables: validation, continuity corrections and the studies' own outcomes.

Every table is ``[[ai, bi], [ci, di]]`` (group 1 / group 2 by event / no event). The
continuity-correction arguments follow metafor's ``escalc``: ``to = "only0"`` adds ``add``
to every cell of tables with a zero cell, ``"all"`` to all tables, ``"if0all"`` to all
tables when any table has a zero cell, ``"none"`` never; ``drop00`` leaves out tables with
no events (``ai = ci = 0``) or only events (``bi = di = 0``) in both groups.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._inputs import resolve_column
from .._validate import as_float_vector, check_choice, describe_row, first_bad
from ..errors import MetaattError, StudyExcludedWarning

__all__ = ["Correction", "Tables", "corrections", "read_tables", "study_outcomes"]

TO_CHOICES = ("only0", "all", "if0all", "none")


@dataclass(frozen=True)
class Tables:
    """Validated cell counts of ``k`` 2x2 tables."""

    ai: np.ndarray
    bi: np.ndarray
    ci: np.ndarray
    di: np.ndarray
    labels: tuple[str, ...]
    data: pd.DataFrame
    synthetic: bool
    excluded: pd.DataFrame  # study, row, reason

    @property
    def k(self) -> int:
        return len(self.ai)

    @property
    def n1(self) -> np.ndarray:
        return self.ai + self.bi

    @property
    def n2(self) -> np.ndarray:
        return self.ci + self.di

    def double_zero(self) -> np.ndarray:
        """Tables with no events or only events in both groups."""
        return ((self.ai == 0) & (self.ci == 0)) | ((self.bi == 0) & (self.di == 0))


@dataclass(frozen=True)
class Correction:
    """One continuity-correction setting (``add``, ``to``, ``drop00``)."""

    add: float
    to: str
    drop00: bool

    def apply(self, t: Tables) -> tuple[np.ndarray, ...]:
        """Corrected counts ``(a, b, c, d)`` and the mask of dropped tables."""
        zero = (t.ai == 0) | (t.bi == 0) | (t.ci == 0) | (t.di == 0)
        if self.to == "all":
            target = np.ones(t.k, dtype=bool)
        elif self.to == "only0":
            target = zero
        elif self.to == "if0all":
            target = np.full(t.k, bool(zero.any()))
        else:
            target = np.zeros(t.k, dtype=bool)
        plus = np.where(target, self.add, 0.0)
        dropped = t.double_zero() if self.drop00 else np.zeros(t.k, dtype=bool)
        return t.ai + plus, t.bi + plus, t.ci + plus, t.di + plus, dropped


def _pair(value: Any, name: str, default_second: Any) -> tuple[Any, Any]:
    if isinstance(value, (list, tuple, np.ndarray)) and not isinstance(value, str):
        if len(value) != 2:
            raise MetaattError(
                f"{name}: give one value, or two (for the studies' outcomes, for the pooling)"
            )
        return value[0], value[1]
    return value, default_second


def corrections(add: Any, to: Any, drop00: Any) -> tuple[Correction, Correction]:
    """The settings for the studies' own outcomes and for the pooled estimate.

    A single value applies to the studies' outcomes only (the pooling uses the raw counts,
    as metafor); two values give the two settings separately.
    """
    add1, add2 = _pair(add, "add", 0.0)
    to1, to2 = _pair(to, "to", "none")
    drop1, drop2 = _pair(drop00, "drop00", False)
    out = []
    for a, t, dr in ((add1, to1, drop1), (add2, to2, drop2)):
        try:
            a = float(a)
        except (TypeError, ValueError):
            raise MetaattError(f"add: expected a number, got {a!r}") from None
        if not np.isfinite(a) or a < 0:
            raise MetaattError(f"add: must be a finite number >= 0, got {a!r}")
        out.append(Correction(a, check_choice(t, "to", TO_CHOICES), bool(dr)))
    return out[0], out[1]


#: larger counts overflow the four-fold products (n1 n2 m1 m2) of the variance formulas
MAX_COUNT = 1e15


def read_tables(
    ai: Any,
    bi: Any,
    ci: Any,
    di: Any,
    n1i: Any,
    n2i: Any,
    data: pd.DataFrame | None,
    labels: Any,
    missing: str = "raise",
) -> Tables:
    """Validate counts given as ``ai, bi, ci, di`` or ``ai, ci, n1i, n2i``.

    Tables with a missing count raise, or with ``missing="exclude"`` are left out with a
    :class:`~metaatt.errors.StudyExcludedWarning` and listed in ``excluded``.
    """
    check_choice(missing, "missing", ("raise", "exclude"))
    if data is not None and not isinstance(data, pd.DataFrame):
        raise MetaattError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if ai is None or ci is None:
        raise MetaattError("ai, ci: the event counts of both groups are required")
    raw = {"ai": ai, "ci": ci}
    if bi is not None and di is not None:
        raw.update(bi=bi, di=di)
    elif n1i is not None and n2i is not None:
        raw.update(n1i=n1i, n2i=n2i)
    else:
        raise MetaattError("give bi and di (non-events), or n1i and n2i (group sizes)")
    values = {name: resolve_column(value, name, data) for name, value in raw.items()}
    n = len(np.atleast_1d(np.asarray(values["ai"], dtype=object)))
    if labels is not None:
        label_list = [str(x) for x in resolve_column(labels, "labels", data)]
    elif data is not None and "study" in data.columns:
        label_list = [str(x) for x in data["study"]]
    else:
        label_list = [f"Study {i + 1}" for i in range(n)]
    counts = {
        name: as_float_vector(value, name, labels=label_list, allow_nan=True)
        for name, value in values.items()
    }
    lengths = {name: len(v) for name, v in counts.items()}
    if len(set(lengths.values())) > 1 or len(label_list) != n:
        detail = ", ".join(f"{name} has {m}" for name, m in lengths.items())
        raise MetaattError(f"lengths differ: {detail}, labels {len(label_list)}; one per table")
    if data is not None and len(data) != n:
        raise MetaattError(f"data: {len(data)} rows but {n} tables")
    absent = np.logical_or.reduce([np.isnan(v) for v in counts.values()])
    reasons = [
        " and ".join(name for name, v in counts.items() if np.isnan(v[i])) + " missing"
        for i in np.flatnonzero(absent)
    ]
    if absent.any() and missing == "raise":
        i = first_bad(absent)
        raise MetaattError(
            f"{reasons[0].split()[0]}: {describe_row(i, label_list)} is missing (NaN); fix the "
            "count, or pass missing='exclude' to leave the table out with a reason"
        )
    excluded = pd.DataFrame(
        {
            "study": [label_list[i] for i in np.flatnonzero(absent)],
            "row": np.flatnonzero(absent) + 1,
            "reason": reasons,
        }
    )
    if absent.any():
        listing = "; ".join(f"{s} ({r})" for s, r in zip(excluded.study, reasons, strict=True))
        warnings.warn(
            f"{int(absent.sum())} of {n} tables excluded: {listing}",
            StudyExcludedWarning,
            stacklevel=3,
        )
        if absent.all():
            raise MetaattError("ai: no table can be analysed (every table has a missing count)")
        counts = {name: v[~absent] for name, v in counts.items()}
        label_list = [lab for lab, gone in zip(label_list, absent, strict=True) if not gone]
        if data is not None:
            data = data.loc[~absent]
        n = len(label_list)
    for name, v in counts.items():
        if (v < 0).any():
            i = first_bad(v < 0)
            raise MetaattError(
                f"{name}: {describe_row(i, label_list)} is {v[i]:g}; counts cannot be negative"
            )
        if (v > MAX_COUNT).any():
            i = first_bad(v > MAX_COUNT)
            raise MetaattError(
                f"{name}: {describe_row(i, label_list)} is {v[i]:g}; counts above {MAX_COUNT:g} "
                "overflow the products of the Mantel-Haenszel and Peto formulas"
            )
    if "bi" in counts:
        a, b, c, d = counts["ai"], counts["bi"], counts["ci"], counts["di"]
    else:
        a, c = counts["ai"], counts["ci"]
        for events, total, group in ((a, counts["n1i"], "n1i"), (c, counts["n2i"], "n2i")):
            if (events > total).any():
                i = first_bad(events > total)
                raise MetaattError(
                    f"{group}: {describe_row(i, label_list)} has {events[i]:g} events but "
                    f"only {total[i]:g} participants"
                )
        b, d = counts["n1i"] - a, counts["n2i"] - c
    for total, group in ((a + b, "group 1 (ai + bi)"), (c + d, "group 2 (ci + di)")):
        if (total <= 0).any():
            i = first_bad(total <= 0)
            raise MetaattError(f"{describe_row(i, label_list)}: {group} has no participants")
    table = data.copy() if data is not None else pd.DataFrame(index=range(n))
    if "study" not in table.columns:
        table.insert(0, "study", label_list)
    synthetic = data is not None and (
        bool(data.attrs.get("synthetic", False))
        or (
            "synthetic" in data.columns and bool(data["synthetic"].fillna(False).astype(bool).any())
        )
    )
    return Tables(a, b, c, d, tuple(label_list), table.reset_index(drop=True), synthetic, excluded)


def study_outcomes(t: Tables, measure: str, corr: Correction) -> tuple[np.ndarray, np.ndarray]:
    """Each table's own outcome and sampling variance (NaN where dropped or undefined).

    ``OR``: ``log(ad/bc)``, ``1/a + 1/b + 1/c + 1/d``; ``RR``: ``log(a/n1) - log(c/n2)``,
    ``1/a - 1/n1 + 1/c - 1/n2``; ``RD``: ``a/n1 - c/n2``, ``ab/n1^3 + cd/n2^3``; ``PETO``:
    ``(a - E)/V``, ``1/V`` with ``E = n1 m1 / n`` and ``V = n1 n2 m1 m2 / (n^2 (n - 1))``.
    """
    a, b, c, d, dropped = corr.apply(t)
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(a * d / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RR":
            yi = np.log(a / n1) - np.log(c / n2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "RD":
            yi = a / n1 - c / n2
            vi = a * b / n1**3 + c * d / n2**3
        else:  # PETO
            n, m1, m2 = n1 + n2, a + c, b + d
            var = n1 * n2 * m1 * m2 / (n**2 * (n - 1))
            yi = (a - n1 * m1 / n) / var
            vi = 1 / var
    bad = dropped | ~np.isfinite(yi) | ~np.isfinite(vi) | (vi <= 0)
    return np.where(bad, np.nan, yi), np.where(bad, np.nan, vi)
