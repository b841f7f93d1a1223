"""Problems found in an extraction sheet, and the report that lists all of them."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from .._format import html_table

__all__ = ["SEVERITIES", "SheetProblem", "SheetReport"]

#: ``error``: invalid input (``effect_sizes`` refuses the sheet unless ``on_error="keep"``);
#: ``incomplete``: the row lacks numbers its format needs (kept with NaN and a reason);
#: ``note``: advice, nothing is blocked
SEVERITIES = ("error", "incomplete", "note")


@dataclass(frozen=True)
class SheetProblem:
    """One bad cell (or row, or sheet-level issue).

    Attributes
    ----------
    row
        1-based data row (0 for the sheet as a whole).
    line
        Line in the CSV file (``row + 1``), or ``None`` when the sheet was a DataFrame.
    study
        The row's study label ('' if unknown).
    column
        The column at fault ('' for row-level problems).
    value
        The cell as written.
    severity
        ``"error"``, ``"incomplete"`` or ``"note"``.
    message
        What is wrong and how to fix it.
    """

    row: int
    line: int | None
    study: str
    column: str
    value: str
    severity: str
    message: str

    def where(self) -> str:
        """``row 3 (line 4, study 'X'), column 'sd_pre'``."""
        if self.row == 0:
            place = "sheet"
        else:
            extra = []
            if self.line is not None:
                extra.append(f"line {self.line}")
            if self.study:
                extra.append(f"study {self.study!r}")
            place = f"row {self.row}" + (f" ({', '.join(extra)})" if extra else "")
        return place + (f", column {self.column!r}" if self.column else "")

    def __str__(self) -> str:
        shown = f" = {self.value!r}" if self.value != "" else ""
        return f"{self.severity}: {self.where()}{shown}: {self.message}"


@dataclass(frozen=True)
class SheetReport:
    """Every problem of a sheet (all of them, not just the first), sorted by row and column."""

    problems: tuple[SheetProblem, ...]
    n_rows: int
    source: str | None = None

    @property
    def ok(self) -> bool:
        """No errors (incomplete rows and notes are allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[SheetProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def incomplete(self) -> tuple[SheetProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "incomplete")

    @property
    def notes(self) -> tuple[SheetProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "note")

    def for_row(self, row: int) -> tuple[SheetProblem, ...]:
        """Problems of one (1-based) row."""
        return tuple(p for p in self.problems if p.row == row)

    def to_frame(self) -> pd.DataFrame:
        """One line per problem: row, line, study, column, value, severity, message."""
        columns = ["row", "line", "study", "column", "value", "severity", "message"]
        return pd.DataFrame(
            [[getattr(p, c) for c in columns] for p in self.problems], columns=columns
        )

    def summary(self) -> str:
        """Counts and every problem, one per line."""
        name = f" {self.source}" if self.source else ""
        head = (
            f"Extraction sheet{name}: {self.n_rows} rows, {len(self.errors)} errors, "
            f"{len(self.incomplete)} incomplete, {len(self.notes)} notes"
        )
        return "\n".join([head, *(f"  {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        if not self.problems:
            return f"<p>{head}</p>"
        return f"<p>{head}</p>" + html_table(self.to_frame())

    def raise_if_errors(self) -> None:
        """Raise a :class:`~metaatt.errors.MetaattError` listing every error."""
        from ..errors import MetaattError

        if self.errors:
            listing = "\n  ".join(str(p) for p in self.errors)
            raise MetaattError(
                f"extraction sheet: {len(self.errors)} invalid cell(s); fix them or pass "
                f"on_error='keep' to keep those rows uncomputed:\n  {listing}"
            )
