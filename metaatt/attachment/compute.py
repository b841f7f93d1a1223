"""``effect_sizes``: every sheet row's effect size, direction-harmonized, with provenance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice, check_level
from ..errors import MetaattError
from .categorical import CATEGORICAL_SCALES, ZERO_CELL_POLICIES
from .formats import HANDLERS, Settings
from .instruments import as_registry
from .schema import FORMATS
from .sheet import as_sheet
from .validate import validate_sheet

__all__ = ["OUTPUT_COLUMNS", "effect_sizes"]

#: columns of the effect-size table, in order (extra sheet columns follow)
OUTPUT_COLUMNS = (
    "row", "study", "study_id", "arm", "comparator", "outcome", "instrument", "construct",
    "timepoint", "format", "metric", "yi", "vi", "sei", "ci_low", "ci_high", "direction",
    "formula", "inputs", "assumptions", "r_used", "r_source", "phi_used", "source",
    "synthetic", "reason",
)  # fmt: skip


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and np.isnan(value))


def _inputs(raw: dict[str, list], values: dict[str, list], formats: list[str]) -> list[str]:
    """``name=value; ...`` of the printed numbers each row's format uses (cells as written)."""
    out = []
    for i, fmt in enumerate(formats):
        spec = FORMATS.get(fmt)
        if spec is None:
            out.append("")
            continue
        columns = [*spec.columns]
        columns += [c for c in ("design", "sign", "eta2_type", "standardizer",
                                "hedges_corrected") if c not in columns]  # fmt: skip
        parts = []
        for column in columns:
            if column in raw and not _missing(values[column][i]):
                cell = raw[column][i]
                shown = f"{cell:g}" if isinstance(cell, (float, np.floating)) else str(cell).strip()
                parts.append(f"{column}={shown}")
        out.append("; ".join(parts))
    return out


def _run(
    handler: Any, values: pd.DataFrame, rows: np.ndarray, settings: Settings
) -> list[tuple[np.ndarray, pd.DataFrame]]:
    """Run a handler on all its rows; if an extractor refuses, isolate the refused rows.

    A row the validator let through but an extractor rejects keeps NaN and the extractor's
    message as its reason: it is never dropped, and the other rows are still computed.
    """
    try:
        return [(rows, handler(values.iloc[rows], settings))]
    except MetaattError:
        pass
    out = []
    for row in rows:
        single = np.array([row])
        try:
            out.append((single, handler(values.iloc[single], settings)))
        except MetaattError as err:
            failed = pd.DataFrame({"reason": [f"cannot compute: {err}"]})
            out.append((single, failed))
    return out


def effect_sizes(
    sheet: Any,
    *,
    assumed_r: float = 0.5,
    assumed_phi: float = 0.5,
    categorical: str = "logit",
    zero_cells: str = "add",
    cc: float = 0.5,
    instruments: Any = None,
    on_error: str = "raise",
    level: float = 0.95,
) -> pd.DataFrame:
    """Compute every row's effect size with the right extractor, harmonized and documented.

    Parameters
    ----------
    sheet
        A :class:`~metaatt.attachment.Sheet`, a CSV path or a DataFrame (never modified).
    assumed_r
        Pre-post correlation imputed where a row needs one and the sheet gives none (and it
        cannot be derived from ``sd_change`` or ``t``). Recorded per row.
    assumed_phi
        Phi correlation between occasions for marginal categorical counts. Recorded.
    categorical
        Scale for categorical formats: ``"logit"`` (default), ``"normal"``, ``"probit"``,
        ``"log_or"`` or ``"conditional"`` (see :mod:`metaatt.attachment.categorical`).
    zero_cells, cc
        Zero-cell policy for categorical tables: ``"add"`` ``cc`` (0.5) to every cell of a
        table with a zero cell, or ``"none"`` (row left uncomputed, with a reason).
    instruments
        Instrument registry (default :func:`~metaatt.attachment.default_registry`), or a
        table / CSV path of extra instruments.
    on_error
        ``"raise"`` (default): a :class:`~metaatt.errors.MetaattError` lists every invalid
        cell; ``"keep"``: invalid rows stay with NaN and the problems as ``reason``.
    level
        Level of the per-row confidence intervals.

    Returns
    -------
    pandas.DataFrame
        One row per sheet row, in order, with the columns of :data:`OUTPUT_COLUMNS` and any
        extra sheet columns. ``yi`` is positive for change toward security (``direction``
        -1 marks rows whose sign was flipped). Rows that cannot be computed keep NaN ``yi`` /
        ``vi`` and say why in ``reason``. ``attrs``: ``settings``, ``synthetic``,
        ``measure`` (the metric when all rows share one).

    Notes
    -----
    The formulas are listed per format in ``data/attachment/SHEET_FORMAT.md`` and in the
    extractors' docstrings (:mod:`metaatt.extract`, :mod:`metaatt.attachment.categorical`).
    Pool one metric at a time: models refuse mixed metrics unless
    ``allow_mixed_metrics=True``.

    References
    ----------
    Morris, S. B., & DeShon, R. P. (2002). Combining effect size estimates in meta-analysis
    with repeated measures and independent-groups designs. Psychological Methods, 7, 105-125.

    Examples
    --------
    Morris (2008, Table 5), study 1 of Carlson & Schmidt (1999) as a ``ppc`` row (not an
    attachment measure, so the instrument is registered first); d_ppc2 = 0.7684:

    >>> import pandas as pd
    >>> from metaatt.attachment import default_registry, effect_sizes
    >>> reg = default_registry().add("training_outcome", construct="training outcome",
    ...                              kind="dimensional", direction=1)
    >>> sheet = pd.DataFrame([dict(
    ...     study="Carlson & Schmidt 1999, study 1", outcome="training", comparator="control",
    ...     instrument="training_outcome", source="Morris (2008), Table 5, p. 382",
    ...     format="ppc", n=20, m_pre=30.6, sd_pre=15.0, m_post=38.5, n_c=20, m_pre_c=23.1,
    ...     sd_pre_c=13.8, m_post_c=19.7, r=0.47)])
    >>> es = effect_sizes(sheet, instruments=reg)
    >>> round(float(es.yi[0]), 4), es.metric[0], es.r_source[0]
    (0.7684, 'd_ppc', 'reported')
    """
    check_choice(categorical, "categorical", CATEGORICAL_SCALES)
    check_choice(zero_cells, "zero_cells", ZERO_CELL_POLICIES)
    check_choice(on_error, "on_error", ("raise", "keep"))
    level = check_level(level)
    for name, value in (("assumed_r", assumed_r), ("assumed_phi", assumed_phi)):
        if not isinstance(value, (int, float)) or not -1 <= float(value) <= 1:
            raise MetaattError(f"{name}: must be a number in [-1, 1], got {value!r}")
    if not isinstance(cc, (int, float)) or not cc > 0:
        raise MetaattError(f"cc: the continuity correction must be > 0, got {cc!r}")
    settings = Settings(float(assumed_r), float(assumed_phi), categorical, zero_cells, float(cc))
    sheet = as_sheet(sheet)
    registry = as_registry(instruments)
    report = validate_sheet(sheet, instruments=registry)
    if on_error == "raise":
        report.raise_if_errors()
    values, k = sheet.values, len(sheet)

    out = pd.DataFrame({"row": np.arange(1, k + 1)})
    for column in ("study", "study_id", "arm", "comparator", "outcome", "instrument",
                   "timepoint", "format", "source"):  # fmt: skip
        out[column] = values[column].to_numpy()
    out["study_id"] = np.where(out["study_id"] == "", out["study"], out["study_id"])
    computed: dict[str, np.ndarray] = {
        "yi": np.full(k, np.nan), "vi": np.full(k, np.nan), "r_used": np.full(k, np.nan),
        "phi_used": np.full(k, np.nan), "metric": np.full(k, "", object),
        "formula": np.full(k, "", object), "assumptions": np.full(k, "", object),
        "r_source": np.full(k, "", object), "reason": np.full(k, None, object),
    }  # fmt: skip
    blocked: dict[int, list[str]] = {}
    for p in report.problems:
        if p.row >= 1 and p.severity in ("error", "incomplete"):
            blocked.setdefault(p.row - 1, []).append(
                f"{p.column}: {p.message}" if p.column else p.message
            )
    for i, messages in blocked.items():
        computed["reason"][i] = "; ".join(messages)
    ok = np.array([i not in blocked for i in range(k)], dtype=bool)
    formats = values["format"].to_numpy(dtype=object)
    for name, handler in HANDLERS.items():
        rows = np.flatnonzero(ok & (formats == name))
        if len(rows):
            for part, result in _run(handler, values, rows, settings):
                for column in result.columns:
                    computed[column][part] = result[column].to_numpy()

    direction = np.ones(k)
    construct = np.full(k, "", dtype=object)
    for i, name in enumerate(values["instrument"]):
        if name and name in registry:
            inst = registry.get(name)
            construct[i] = inst.construct
            out.at[i, "instrument"] = inst.name
            if inst.kind == "dimensional":
                direction[i] = inst.direction
    yi = computed["yi"].astype(float) * direction
    vi = computed["vi"].astype(float)
    reason = computed["reason"]
    failed = (np.isnan(yi) | np.isnan(vi)) & np.array([_missing(r) for r in reason], dtype=bool)
    reason[failed] = "the effect size is undefined for these inputs"
    sei = np.sqrt(np.where(vi >= 0, vi, np.nan))
    z = stats.norm.isf((1 - level) / 2)

    out.insert(out.columns.get_loc("instrument") + 1, "construct", construct)
    out["metric"] = computed["metric"]
    out["yi"], out["vi"], out["sei"] = yi, vi, sei
    out["ci_low"], out["ci_high"] = yi - z * sei, yi + z * sei
    out["direction"] = direction.astype(int)
    out["formula"] = computed["formula"]
    out["inputs"] = _inputs(
        sheet.raw.to_dict("list"), values.to_dict("list"), list(values["format"])
    )
    out["assumptions"] = computed["assumptions"]
    out["r_used"] = computed["r_used"].astype(float)
    out["r_source"] = computed["r_source"]
    out["phi_used"] = computed["phi_used"].astype(float)
    source = out.pop("source")
    out["source"] = source
    out["synthetic"] = values["synthetic"].map(lambda x: x is True).to_numpy()
    out["reason"] = pd.Series(
        [None if _missing(r) else str(r) for r in reason], index=out.index, dtype=object
    )
    out = out[list(OUTPUT_COLUMNS)]
    for column in sheet.extra_columns:
        out[column] = values[column].to_numpy()
    metrics = {m for m in out["metric"] if m}
    out.attrs.update(
        measure=next(iter(metrics)) if len(metrics) == 1 else None,
        synthetic=bool(out["synthetic"].any()),
        settings={
            "assumed_r": settings.assumed_r,
            "assumed_phi": settings.assumed_phi,
            "categorical": categorical,
            "zero_cells": zero_cells,
            "cc": settings.cc,
            "level": level,
        },
        sheet=sheet.path,
    )
    return out
