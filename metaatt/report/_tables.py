"""Tables as CSV, Markdown and LaTeX (booktabs), SYNTHETIC-labelled when the data are.

CSV keeps full precision (it is data); Markdown and LaTeX round to ``digits`` decimals (they
are for reading). Result objects with ``to_frame()`` (e.g. :class:`~metaatt.PoolResult`) are
accepted wherever a DataFrame is.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_path
from ..errors import MetaattError

__all__ = [
    "SYNTHETIC_LABEL",
    "as_table",
    "pooled_table",
    "to_csv",
    "to_latex",
    "to_markdown",
    "write_table",
]

SYNTHETIC_LABEL = "SYNTHETIC DATA (demonstration only; not results of real studies)"
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def as_table(obj: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame or any object with ``to_frame()``."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if hasattr(obj, "to_frame"):
        return obj.to_frame()
    raise MetaattError(f"table: expected a DataFrame or a result with to_frame(), got {type(obj)}")


def pooled_table(*results: Any, labels: list[str] | None = None) -> pd.DataFrame:
    """One row per :class:`~metaatt.PoolResult`: estimate, CI, PI, tau^2, I^2, Q ..."""
    from ..spec._context import pooled_row

    if labels is not None and len(labels) != len(results):
        raise MetaattError(f"labels: {len(labels)} labels for {len(results)} results")
    for i, result in enumerate(results):
        if not hasattr(result, "method") or not hasattr(result, "estimate"):
            raise MetaattError(
                f"results: item {i + 1} is a {type(result).__name__}, not a pooled result "
                "(metaatt.pool)"
            )
    names = labels or [r.method for r in results]
    return pd.DataFrame([pooled_row(r, name) for r, name in zip(results, names, strict=True)])


def _cell(value: Any, digits: int) -> str:
    if value is None or value is pd.NA:
        return "NA"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "NA"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and abs(value) < 10 ** (-digits):
            return f"{value:.{max(digits - 1, 1)}e}"
        return f"{value:.{digits}f}"
    return str(value)


#: count-like columns printed without decimals when every value is a whole number
_COUNT_COLUMNS = frozenset({"k", "k0", "df", "q_df", "qm_df", "qe_df", "n", "row", "iterations"})


def _rows(frame: pd.DataFrame, digits: int) -> list[list[str]]:
    if isinstance(digits, bool) or not isinstance(digits, int | np.integer) or digits < 0:
        raise MetaattError(f"digits: expected a whole number >= 0, got {digits!r}")
    whole = []
    for column in frame.columns:
        values = frame[column]
        finite = pd.to_numeric(values, errors="coerce")
        finite = finite[np.isfinite(finite)] if pd.api.types.is_numeric_dtype(values) else []
        whole.append(
            str(column) in _COUNT_COLUMNS
            and pd.api.types.is_float_dtype(values)
            and len(finite) > 0
            and bool((finite == np.round(finite)).all())
        )
    rows = []
    for row in frame.itertuples(index=False, name=None):
        rows.append(
            [
                _cell(int(v), digits)
                if w and isinstance(v, float) and np.isfinite(v)
                else _cell(v, digits)
                for v, w in zip(row, whole, strict=True)
            ]
        )
    return rows


def to_markdown(
    obj: Any, *, digits: int = 4, title: str | None = None, synthetic: bool = False
) -> str:
    """A GitHub-flavoured Markdown table (numbers rounded to ``digits``)."""
    frame = as_table(obj)
    header = [str(c) for c in frame.columns]
    rows = _rows(frame, digits)

    def esc(text: str) -> str:
        return text.replace("|", r"\|").replace("\n", " ")

    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = []
    if synthetic:
        lines += [f"**{SYNTHETIC_LABEL}**", ""]
    if title:
        lines += [f"**{esc(title)}**", ""]
    lines.append("| " + " | ".join(esc(h) for h in header) + " |")
    lines.append("|" + "|".join("---:" if n else ":---" for n in numeric) + "|")
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(
    obj: Any, *, digits: int = 4, caption: str | None = None, synthetic: bool = False
) -> str:
    """A LaTeX ``table`` with booktabs rules (numbers rounded to ``digits``)."""
    frame = as_table(obj)
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    caption_text = caption or ""
    if synthetic:
        caption_text = f"{SYNTHETIC_LABEL}. {caption_text}".strip()
    lines = [r"\begin{table}[ht]", r"\centering"]
    if caption_text:
        lines.append(r"\caption{" + _latex_escape(caption_text) + "}")
    lines += [
        r"\begin{tabular}{" + align + "}",
        r"\toprule",
        " & ".join(_latex_escape(str(c)) for c in frame.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(_latex_escape(c) for c in row) + r" \\" for row in _rows(frame, digits)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def to_csv(obj: Any, *, synthetic: bool = False) -> str:
    """CSV at full precision; SYNTHETIC data get a first column ``data_status``."""
    frame = as_table(obj)
    if synthetic:
        frame = frame.copy()
        frame.insert(0, "data_status", "SYNTHETIC")
    return frame.to_csv(index=False, float_format="%.17g")


def write_table(
    obj: Any,
    folder: str | Path,
    name: str,
    formats: tuple[str, ...] | list[str] = ("csv", "md", "tex"),
    *,
    digits: int = 4,
    title: str | None = None,
    synthetic: bool = False,
) -> list[Path]:
    """Write one table as ``<folder>/<name>.<format>`` for each format; returns the paths."""
    folder = check_path(folder, "folder")
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise MetaattError(f"name: expected a file name without folders, got {name!r}")
    writers = {
        "csv": lambda: to_csv(obj, synthetic=synthetic),
        "md": lambda: to_markdown(obj, digits=digits, title=title, synthetic=synthetic),
        "tex": lambda: to_latex(obj, digits=digits, caption=title, synthetic=synthetic),
    }
    paths = []
    for fmt in formats:
        if fmt not in writers:
            raise MetaattError(
                f"formats: unknown table format {fmt!r}; choose from {list(writers)}"
            )
        path = folder / f"{name}.{fmt}"
        text = writers[fmt]()
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as err:
            raise MetaattError(
                f"folder: cannot write {str(path)!r}: {err.strerror or err}"
            ) from None
        paths.append(path)
    return paths
