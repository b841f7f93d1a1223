"""Number formatting shared by every printed summary (text and HTML)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TextSummary",
    "fmt",
    "fmt_p",
    "footer_html",
    "footer_lines",
    "html_table",
    "text_table",
]


def fmt(value: float, digits: int = 4) -> str:
    """Fixed-point number, ``NA`` for NaN, ``inf`` kept."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def fmt_p(p: float, digits: int = 4) -> str:
    """p-value as metafor prints it: ``<.0001`` below the printed precision."""
    if p is None or math.isnan(p):
        return "NA"
    floor = 10.0**-digits
    if p < floor:
        return "<." + "0" * (digits - 1) + "1"
    return f"{p:.{digits}f}"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned plain-text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def html_table(frame: pd.DataFrame, caption: str | None = None, digits: int = 4) -> str:
    """A small HTML table (no index) with numbers rounded for display."""
    import pandas as pd

    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda x: fmt(x, digits))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return shown.to_html(index=False, escape=True, border=0).replace(
        '<table class="dataframe">', f'<table class="dataframe metaatt">{cap}', 1
    )


def footer_lines(
    excluded: pd.DataFrame | None, notes: Sequence[str], what: str = "studies"
) -> list[str]:
    """The end of every text summary: the excluded rows with their reasons, then the notes
    (each block after a blank line; nothing when there is neither)."""
    lines: list[str] = []
    if excluded is not None and len(excluded):
        lines += ["", f"Excluded {what} ({len(excluded)}):"]
        lines += [f"  {s}: {r}" for s, r in zip(excluded.study, excluded.reason, strict=True)]
    if notes:
        lines += ["", *(f"Note: {n}" for n in notes)]
    return lines


def footer_html(
    excluded: pd.DataFrame | None, notes: Sequence[str], what: str = "studies"
) -> list[str]:
    """The HTML counterpart of :func:`footer_lines`."""
    parts = []
    if excluded is not None and len(excluded):
        parts.append(html_table(excluded, caption=f"Excluded {what}"))
    parts += [f"<p><em>Note: {html.escape(n)}</em></p>" for n in notes]
    return parts


class TextSummary:
    """Mixin of result objects: ``str(result)`` is ``result.summary()``."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.summary()  # type: ignore[attr-defined]
