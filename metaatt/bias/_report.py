"""Shared pieces of the bias results' printed and dictionary forms."""

from __future__ import annotations

import dataclasses
import html
from typing import Any

import numpy as np
import pandas as pd

from .._format import fmt, fmt_p, html_table

__all__ = ["SYNTHETIC_BANNER", "as_plain", "html_block", "p_clause", "stat_line"]

SYNTHETIC_BANNER = "*** SYNTHETIC DATA: demonstration only, not results of real studies ***"


def as_plain(value: Any) -> Any:
    """A JSON-friendly version of ``value`` (arrays to lists, numpy scalars to Python)."""
    if isinstance(value, pd.DataFrame):
        return value.to_dict(orient="list")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [as_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    return value


def dataclass_dict(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Public fields of a dataclass as plain Python values."""
    return {
        f.name: as_plain(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if not f.name.startswith("_") and f.name not in skip
    }


def p_clause(p: float) -> str:
    text = fmt_p(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"


def stat_line(name: str, statistic: float, df: float, pval: float) -> str:
    """``z = -0.8033, p = 0.4218`` or ``t = -1.4013, df = 11, p = 0.1887``."""
    if np.isfinite(df):
        return f"t = {fmt(statistic)}, df = {df:g}, p {p_clause(pval)}"
    return f"{name} = {fmt(statistic)}, p {p_clause(pval)}"


def html_block(title: str, text: str, frame: pd.DataFrame | None = None) -> str:
    """A small HTML card: a title, preformatted summary text and an optional table."""
    parts = [f"<div class='metaatt-result'><h4>{html.escape(title)}</h4>"]
    if frame is not None:
        parts.append(html_table(frame))
    parts.append(f"<pre>{html.escape(text)}</pre></div>")
    return "\n".join(parts)
