"""Shared checks of the fuzz tests (tests/test_fuzz_*.py): the public-API contract.

Every call with bad input must end in one of two ways:

* a result whose numbers are finite (or NaN only where documented, with a metaatt warning
  or a ``reason``), emitting no warning other than metaatt's own classes; or
* a :class:`metaatt.MetaattError` (a ``ValueError``) whose message names the argument.

Anything else (TypeError, IndexError, KeyError, ZeroDivisionError, numpy's LinAlgError,
a RuntimeWarning from numpy, an undocumented NaN) fails the test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metaatt import MetaattError, MetaattWarning

#: bad values for a per-study numeric vector of length 5 (name -> value)
BAD_VECTORS: dict[str, Any] = {
    "None": None,
    "string": "abc",
    "dict": {"a": 1.0},
    "set": {0.1, 0.2},
    "nested": [[0.1, 0.2], [0.3, 0.4]],
    "ragged": [[0.1], [0.2, 0.3]],
    "frame": pd.DataFrame({"a": [0.1, 0.2, 0.3, 0.4, 0.5]}),
    "empty": [],
    "short": [0.1, 0.2],
    "nan": [0.1, np.nan, 0.2, 0.3, 0.1],
    "inf": [0.1, np.inf, 0.2, 0.3, 0.1],
    "-inf": [0.1, -np.inf, 0.2, 0.3, 0.1],
    "negative": [0.1, -0.02, 0.2, 0.3, 0.1],
    "zero": [0.1, 0.0, 0.2, 0.3, 0.1],
    "huge": [1e300, 1e299, 1e300, 1e298, 1e300],
    "text row": ["0.1", "x", "0.2", "0.3", "0.4"],
    "complex": np.array([1j, 1, 1, 1, 1]),
    "dates": pd.date_range("2020-01-01", periods=5),
    "Int64 NA": pd.array([1, None, 2, 3, 4], dtype="Int64"),
    "pd.NA objects": [0.1, pd.NA, 0.2, 0.3, 0.4],
}

#: vectors that are valid numbers but unusual (the call must succeed or raise cleanly)
ODD_VECTORS: dict[str, Any] = {
    "integers": [1, 2, 3, 4, 5],
    "booleans": [True, False, True, True, False],
    "Float64": pd.array([0.1, 0.2, 0.3, 0.4, 0.5], dtype="Float64"),
    "numeric text": ["0.1", "0.2", "0.3", "0.4", "0.5"],
    "odd index": pd.Series([0.1, 0.2, 0.3, 0.4, 0.5], index=[10, 30, 20, 50, 40]),
    "tiny": [1e-300, 2e-300, 1e-300, 3e-300, 1e-300],
    "identical": [0.2] * 5,
}


@dataclass
class Outcome:
    """What a call did: its value or its MetaattError, and the warnings it emitted."""

    value: Any = None
    error: MetaattError | None = None
    warnings: list[warnings.WarningMessage] = field(default_factory=list)

    @property
    def metaatt_warnings(self) -> set[type]:
        return {w.category for w in self.warnings if issubclass(w.category, MetaattWarning)}


def call(fn: Callable[[], Any]) -> Outcome:
    """Run ``fn``; fail on any exception but MetaattError and on any foreign warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except MetaattError as err:
            outcome = Outcome(error=err)
        else:
            outcome = Outcome(value=value)
    outcome.warnings = list(caught)
    foreign = [
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
        for w in caught
        if not issubclass(w.category, MetaattWarning)
    ]
    assert not foreign, f"non-metaatt warnings: {foreign}"
    return outcome


def assert_named_error(outcome: Outcome, *names: str) -> None:
    """The call raised a MetaattError whose message names one of ``names``."""
    assert outcome.error is not None, f"expected a MetaattError, got {outcome.value!r}"
    assert isinstance(outcome.error, ValueError)
    message = str(outcome.error)
    assert any(name in message for name in names), f"{names} not named in: {message}"


def finite_fields(result: Any, names: Iterable[str]) -> dict[str, float]:
    """The named scalar fields of a result that are not finite."""
    bad = {}
    for name in names:
        value = getattr(result, name)
        array = np.atleast_1d(np.asarray(value, dtype=float))
        if not np.isfinite(array).all():
            bad[name] = value
    return bad


def assert_clean_result(
    outcome: Outcome, fields: Iterable[str] = ("estimate", "se", "ci_low", "ci_high")
) -> None:
    """A result (no error) whose named fields are finite."""
    assert outcome.error is None, f"unexpected error: {outcome.error}"
    bad = finite_fields(outcome.value, fields)
    assert not bad, f"non-finite fields {bad}"


def assert_ok_or_named(outcome: Outcome, *names: str, fields: Iterable[str] = ()) -> None:
    """Either a clean result (finite ``fields``) or a MetaattError naming one of ``names``."""
    if outcome.error is not None:
        assert_named_error(outcome, *names)
    else:
        assert_clean_result(outcome, fields)


def assert_effect_table(frame: pd.DataFrame) -> None:
    """An effect-size table: every row has finite yi and vi >= 0, or a ``reason``."""
    assert isinstance(frame, pd.DataFrame)
    yi = pd.to_numeric(frame["yi"], errors="coerce").to_numpy(dtype=float)
    vi = pd.to_numeric(frame["vi"], errors="coerce").to_numpy(dtype=float)
    if "reason" in frame.columns:
        reason = frame["reason"].map(lambda r: isinstance(r, str) and bool(r.strip()))
        explained = reason.to_numpy(dtype=bool)
    else:
        explained = np.zeros(len(frame), dtype=bool)
    missing = np.isnan(yi) | np.isnan(vi)
    assert not (missing & ~explained).any(), f"unexplained NaN rows:\n{frame[missing]}"
    assert np.isfinite(yi[~missing]).all() and np.isfinite(vi[~missing]).all()
    assert (vi[~missing] >= 0).all()


def is_finite_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
