"""Read an extraction sheet (CSV file or DataFrame) without ever writing to it."""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MetaattError
from .problems import SheetProblem
from .schema import BOOL_COLUMNS, COLUMNS, MISSING_TOKENS, NUMBER_RULES, TEXT_COLUMNS

__all__ = ["Sheet", "as_sheet", "read_sheet"]

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_LOWER = frozenset({"format", "design", "eta2_type", "standardizer"})  # matched in lower case
_FALSE = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True, repr=False)
class Sheet:
    """An extraction sheet as read: the cells as written, and the parsed values.

    Attributes
    ----------
    raw
        The cells exactly as written (strings), one row per sheet row; never modified.
    values
        Parsed values: every schema column (numbers as float with NaN for missing, text as
        str with '' for missing, booleans as True/False/None), plus extra columns as written.
    path
        The file it was read from, or ``None``.
    parse_problems
        Cells that could not be parsed (e.g. text in a number column).
    extra_columns
        Columns not in the schema; they are kept and travel with the rows.
    """

    raw: pd.DataFrame
    values: pd.DataFrame
    path: str | None
    parse_problems: tuple[SheetProblem, ...]
    extra_columns: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        where = f" from {self.path}" if self.path else ""
        return f"<Sheet{where}: {len(self)} rows, {len(self.extra_columns)} extra columns>"

    @property
    def synthetic(self) -> bool:
        """Whether any row is marked synthetic."""
        return bool(self.values["synthetic"].map(lambda x: x is True).any())

    def line(self, row: int) -> int | None:
        """CSV line of a 1-based data row (header is line 1), or None for a DataFrame."""
        return row + 1 if self.path is not None else None

    def study(self, row: int) -> str:
        return str(self.values["study"].iloc[row - 1]) if 1 <= row <= len(self) else ""

    def problem(
        self, row: int, column: str, severity: str, message: str, value: Any = None
    ) -> SheetProblem:
        """A problem located in this sheet (``value`` defaults to the raw cell)."""
        if value is None:
            value = (
                self.raw[column].iloc[row - 1]
                if column in self.raw.columns and 1 <= row <= len(self)
                else ""
            )
        return SheetProblem(
            row, self.line(row), self.study(row), column, str(value), severity, message
        )


def _is_missing(cell: Any) -> bool:
    if cell is None or cell is pd.NA:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and cell.strip().lower() in MISSING_TOKENS


def _parse_number(cell: Any, column: str) -> tuple[float, bool, str | None]:
    """(value, is_bound, error message or None)."""
    if _is_missing(cell):
        return math.nan, False, None
    if isinstance(cell, bool):
        return math.nan, False, "expected a number, got a true/false value"
    if isinstance(cell, numbers.Real):
        value = float(cell)
        if math.isinf(value):
            return math.nan, False, "is infinite"
        return value, False, None
    text = str(cell).strip()
    bound = False
    if column == "p" and text[:1] in ("<", "≤"):
        bound, text = True, text[1:].lstrip("=").strip()
    if column.startswith("pct_") and text.endswith("%"):
        text = text[:-1].strip()
    try:
        value = float(text)
    except ValueError:
        if "," in text and text.replace(",", "", 1).replace(".", "", 1).lstrip("-").isdigit():
            return math.nan, False, f"{text!r} is not a number; use a decimal point, not a comma"
        hint = (
            " (an inequality like '<0.001' is accepted only in column 'p')" if "<" in text else ""
        )
        return math.nan, False, f"{text!r} is not a number{hint}"
    if math.isinf(value) or math.isnan(value):
        return math.nan, False, f"{text!r} is not a finite number"
    return value, bound, None


def _parse_bool(cell: Any) -> tuple[bool | None, str | None]:
    if _is_missing(cell):
        return None, None
    if isinstance(cell, (bool, np.bool_)):
        return bool(cell), None
    text = str(cell).strip().lower()
    if isinstance(cell, numbers.Real):
        text = str(int(cell)) if float(cell) in (0.0, 1.0) else text
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return None, f"{cell!r} is not true/false (use true, false, yes, no, 1 or 0)"


def _parse_text(cell: Any) -> str:
    if _is_missing(cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _from_frame(frame: pd.DataFrame, path: str | None) -> Sheet:
    if not isinstance(frame, pd.DataFrame):
        raise MetaattError(f"sheet: expected a CSV path or a DataFrame, got {type(frame).__name__}")
    columns = [str(c) for c in frame.columns]
    normalized = [c.strip().lower() for c in columns]
    if len(set(normalized)) != len(normalized):
        dup = sorted({c for c in normalized if normalized.count(c) > 1})
        raise MetaattError(f"sheet: column(s) {dup} appear more than once")
    raw = frame.copy(deep=True)
    raw.columns = normalized
    raw = raw.reset_index(drop=True)
    line = (lambda r: r + 1) if path is not None else (lambda r: None)
    problems: list[SheetProblem] = []
    parsed: dict[str, Any] = {}
    studies = [_parse_text(x) for x in raw["study"]] if "study" in raw else [""] * len(raw)
    n = len(raw)

    def bad(i: int, column: str, message: str) -> None:
        problems.append(
            SheetProblem(i + 1, line(i + 1), studies[i], column, str(raw[column].iloc[i]),
                         "error", message)
        )  # fmt: skip

    for column in COLUMNS:
        cells = raw[column].tolist() if column in raw else [None] * n
        if column in NUMBER_RULES:
            values = np.full(n, np.nan)
            bounds = np.zeros(n, dtype=bool)
            for i, cell in enumerate(cells):
                values[i], bounds[i], error = _parse_number(cell, column)
                if error:
                    bad(i, column, error)
            parsed[column] = values
            if column == "p":
                parsed["p_is_bound"] = bounds
        elif column in BOOL_COLUMNS:
            flags: list[bool | None] = []
            for i, cell in enumerate(cells):
                value, error = _parse_bool(cell)
                flags.append(value)
                if error:
                    bad(i, column, error)
            parsed[column] = pd.Series(flags, dtype=object)
        else:
            assert column in TEXT_COLUMNS
            parsed[column] = [_parse_text(c) for c in cells]
            if column in _LOWER:
                parsed[column] = [c.lower() for c in parsed[column]]
    extra = tuple(c for c in raw.columns if c not in COLUMNS)
    values = pd.DataFrame(parsed)
    for column in extra:
        values[column] = raw[column].to_numpy()
    for column in extra:
        close = difflib.get_close_matches(column, COLUMNS, n=1, cutoff=0.8)
        if close:
            problems.append(
                SheetProblem(0, None, "", column, "", "note",
                             f"column {column!r} is not in the schema (kept as an extra column); "
                             f"did you mean {close[0]!r}?")
            )  # fmt: skip
    return Sheet(raw, values, path, tuple(problems), extra)


def read_sheet(source: str | Path | pd.DataFrame) -> Sheet:
    """Read an extraction sheet from a CSV file or a DataFrame (the input is never modified).

    Parameters
    ----------
    source
        Path to a CSV file (UTF-8, a byte-order mark is accepted) or a DataFrame with the
        columns described in ``data/attachment/SHEET_FORMAT.md``.

    Returns
    -------
    Sheet
        Cells as written and parsed values. Cells that cannot be parsed are recorded in
        ``parse_problems`` (see :func:`~metaatt.attachment.validate_sheet` for all checks).

    Notes
    -----
    Empty cells and ``NA``, ``N/A``, ``NaN``, ``NR``, ``n.r.``, ``not reported``, ``-``,
    ``.`` are missing. Column names are matched case-insensitively.
    """
    if isinstance(source, Sheet):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise MetaattError(f"sheet: no such file {str(path)!r}")
        try:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise MetaattError(f"sheet: {str(path)!r} is not a readable CSV file: {err}") from None
        return _from_frame(frame, str(path))
    return _from_frame(source, None)


def as_sheet(source: Any) -> Sheet:
    """A :class:`Sheet` from a Sheet, a path or a DataFrame."""
    return source if isinstance(source, Sheet) else read_sheet(source)
