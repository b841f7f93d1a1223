"""One handler per sheet format: parsed rows in, yi / vi / metric / provenance out.

Every handler takes the parsed rows of one format (all checked by the validator) and the
settings, and returns a table aligned with its input rows with the columns ``yi``, ``vi`` (on
the instrument's own scale: post minus pre, arm minus comparator), ``metric``, ``formula``,
``assumptions``, ``r_used``, ``r_source``, ``phi_used`` and ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import extract
from ..extract.medians import luo_mean, wan_sd
from .categorical import between_categorical, paired_categorical
from .marginal import marginal_categorical
from .schema import ESTIMATE_TYPES, SLOTS

__all__ = ["HANDLERS", "Settings", "fill_slots"]

OUTPUT = ("yi", "vi", "metric", "formula", "assumptions", "r_used", "r_source", "phi_used",
          "reason")  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Analysis choices applied to every row (recorded in the output's ``attrs``)."""

    assumed_r: float = 0.5
    assumed_phi: float = 0.5
    categorical: str = "logit"
    zero_cells: str = "add"
    cc: float = 0.5


class _Out:
    """Per-row results of one handler, as numpy arrays (rows addressed by sheet index)."""

    def __init__(self, index: pd.Index) -> None:
        n = len(index)
        self.index = index
        self.cols: dict[str, np.ndarray] = {
            "yi": np.full(n, np.nan), "vi": np.full(n, np.nan), "metric": np.full(n, "", object),
            "formula": np.full(n, "", object), "r_used": np.full(n, np.nan),
            "r_source": np.full(n, "", object), "phi_used": np.full(n, np.nan),
            "reason": np.full(n, None, object),
        }  # fmt: skip
        self.notes: list[list[str]] = [[] for _ in range(n)]

    def set(self, rows: pd.Index, column: str, values: object) -> None:
        self.cols[column][self.index.get_indexer(rows)] = values

    def note(self, rows: pd.Index, notes: object) -> None:
        notes = np.broadcast_to(np.asarray(notes, dtype=object), (len(rows),))
        for i, note in zip(self.index.get_indexer(rows), notes, strict=True):
            if note:
                self.notes[i].append(str(note))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.cols, index=self.index)
        out["assumptions"] = ["; ".join(n) for n in self.notes]
        return out[list(OUTPUT)]


def _empty(index: pd.Index) -> _Out:
    return _Out(index)


def _put(out: _Out, rows: pd.Index, es: pd.DataFrame, **extra: object) -> None:
    for column in ("yi", "vi", "metric", "formula", "r_used", "r_source", "phi_used", "reason"):
        if column in es.columns:
            out.set(rows, column, es[column].to_numpy())
    if "assumptions" in es.columns:
        out.note(rows, es["assumptions"].to_numpy())
    for column, value in extra.items():
        out.set(rows, column, value)


def _note(out: _Out, rows: pd.Index, notes: object) -> None:
    out.note(rows, notes)


def fill_slots(v: pd.DataFrame, slots: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """Fill missing means/SDs of ``slots`` from medians (Luo mean, Wan SD); notes per row."""
    v = v.copy()
    notes: list[list[str]] = [[] for _ in range(len(v))]
    for slot in slots:
        size = _col(v, SLOTS[slot])
        med, q1, q3 = _col(v, f"median_{slot}"), _col(v, f"q1_{slot}"), _col(v, f"q3_{slot}")
        lo, hi = _col(v, f"min_{slot}"), _col(v, f"max_{slot}")
        spread = (~np.isnan(q1) & ~np.isnan(q3)) | (~np.isnan(lo) & ~np.isnan(hi))
        need_m = np.isnan(_col(v, f"m_{slot}")) & ~np.isnan(med) & spread
        need_sd = np.isnan(_col(v, f"sd_{slot}")) & spread
        given = np.where(np.isnan(q1), "range", np.where(np.isnan(lo), "IQR", "IQR and range"))
        if need_m.any():
            mean = luo_mean(size[need_m], med[need_m], q1=q1[need_m], q3=q3[need_m],
                            minimum=lo[need_m], maximum=hi[need_m])  # fmt: skip
            v.loc[v.index[need_m], f"m_{slot}"] = mean
            for i, m, g in zip(np.flatnonzero(need_m), mean, given[need_m], strict=True):
                notes[i].append(f"m_{slot} = {m:.4g} estimated from the median and {g} "
                                "(Luo et al. 2018; assumes roughly normal data)")  # fmt: skip
        if need_sd.any():
            sd = wan_sd(size[need_sd], q1=q1[need_sd], q3=q3[need_sd], minimum=lo[need_sd],
                        maximum=hi[need_sd])  # fmt: skip
            v.loc[v.index[need_sd], f"sd_{slot}"] = sd
            for i, x, g in zip(np.flatnonzero(need_sd), sd, given[need_sd], strict=True):
                notes[i].append(f"sd_{slot} = {x:.4g} estimated from the {g} "
                                "(Wan et al. 2014; assumes roughly normal data)")  # fmt: skip
    return v, ["; ".join(n) for n in notes]


def _col(v: pd.DataFrame, name: str) -> np.ndarray:
    return v[name].to_numpy(dtype=float)


def _paired_table(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    es = paired_categorical(
        _col(v, "n_ss"), _col(v, "n_si"), _col(v, "n_is"), _col(v, "n_ii"),
        categorical=s.categorical, zero_cells=s.zero_cells, cc=s.cc,
    )  # fmt: skip
    _put(out, v.index, es)
    return out.frame()


def _marginal_counts(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    es = marginal_categorical(
        _col(v, "n_secure_pre"), _col(v, "n_secure_post"), _col(v, "n"), phi=_col(v, "phi"),
        assumed_phi=s.assumed_phi, categorical=s.categorical, zero_cells=s.zero_cells, cc=s.cc,
    )  # fmt: skip
    _put(out, v.index, es)
    return out.frame()


def _counts_from_percent(pct: np.ndarray, n: np.ndarray, name: str) -> tuple[np.ndarray, list]:
    counts = np.round(pct * n / 100)
    notes = [f"{name} = {c:g} reconstructed as round({p:g}% x {m:g})" for c, p, m in
             zip(counts, pct, n, strict=True)]  # fmt: skip
    return counts, notes


def _marginal_percent(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    n = _col(v, "n")
    x_pre, pre_notes = _counts_from_percent(_col(v, "pct_secure_pre"), n, "n_secure_pre")
    x_post, post_notes = _counts_from_percent(_col(v, "pct_secure_post"), n, "n_secure_post")
    out = _empty(v.index)
    _note(out, v.index, pre_notes)
    _note(out, v.index, post_notes)
    es = marginal_categorical(
        x_pre, x_post, n, phi=_col(v, "phi"), assumed_phi=s.assumed_phi,
        categorical=s.categorical, zero_cells=s.zero_cells, cc=s.cc,
    )  # fmt: skip
    _put(out, v.index, es)
    return out.frame()


def _between_proportions(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    x1, x2 = _col(v, "n_secure_post"), _col(v, "n_secure_post_c")
    notes = [""] * len(v)
    use_pct = np.isnan(x1) | np.isnan(x2)
    if use_pct.any():
        a, na = _counts_from_percent(_col(v, "pct_secure_post"), _col(v, "n"), "n_secure_post")
        b, nb = _counts_from_percent(
            _col(v, "pct_secure_post_c"), _col(v, "n_c"), "n_secure_post_c"
        )
        x1, x2 = np.where(use_pct, a, x1), np.where(use_pct, b, x2)
        notes = [f"{p}; {q}" if u else "" for p, q, u in zip(na, nb, use_pct, strict=True)]
    categorical = "logit" if s.categorical == "conditional" else s.categorical
    es = between_categorical(
        x1, _col(v, "n"), x2, _col(v, "n_c"), categorical=categorical,
        zero_cells=s.zero_cells, cc=s.cc,
    )  # fmt: skip
    _note(out, v.index, notes)
    _put(out, v.index, es)
    if s.categorical == "conditional":
        out.set(v.index, "reason", "the conditional OR applies to paired tables only")
        out.set(v.index, "yi", np.nan)
        out.set(v.index, "vi", np.nan)
    return out.frame()


def _resolve_r(v: pd.DataFrame, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Pre-post r: reported, else from the SD of change, else from a paired t, else imputed."""
    r = _col(v, "r").copy()
    source = np.where(np.isnan(r), "", "reported").astype(object)
    sd_pre, sd_post = _col(v, "sd_pre"), _col(v, "sd_post")
    t, n = _col(v, "t"), _col(v, "n")
    with np.errstate(divide="ignore", invalid="ignore"):
        sd_from_t = np.abs(_col(v, "m_post") - _col(v, "m_pre")) * np.sqrt(n) / np.abs(t)
    for sd_change, label in ((_col(v, "sd_change"), "sd_change"), (sd_from_t, "t")):
        can = np.isnan(r) & np.isfinite(sd_change) & (sd_change > 0)
        can &= ~np.isnan(sd_pre) & ~np.isnan(sd_post)
        if can.any():
            r[can] = extract.r_from_sd_change(sd_pre[can], sd_post[can], sd_change[can])
            source[can] = f"derived from {label}"
    imputed = np.isnan(r)
    r[imputed] = s.assumed_r
    source[imputed] = "imputed"
    return r, source


def _r_notes(r: np.ndarray, source: np.ndarray) -> list[str]:
    return [
        f"pre-post r imputed as {x:g}" if src == "imputed" else
        (f"pre-post r = {x:.4g} {src}" if src.startswith("derived") else "")
        for x, src in zip(r, source, strict=True)
    ]  # fmt: skip


def _pre_post_means(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    v, notes = fill_slots(v, ("pre", "post"))
    _note(out, v.index, notes)
    r, source = _resolve_r(v, s)
    es = extract.from_pre_post(
        _col(v, "m_pre"), _col(v, "sd_pre"), _col(v, "m_post"), _col(v, "n"), r=r
    )
    _note(out, v.index, _r_notes(r, source))
    _put(out, v.index, es, r_used=r, r_source=source)
    return out.frame()


def _change_sd(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    change = _col(v, "m_change")
    change = np.where(np.isnan(change), _col(v, "m_post") - _col(v, "m_pre"), change)
    _put(out, v.index, extract.from_change(change, _col(v, "sd_change"), _col(v, "n")))
    return out.frame()


def _paired_t(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    _put(out, v.index, extract.from_t_paired(_col(v, "t"), _col(v, "n")))
    return out.frame()


def _independent_t(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    _put(out, v.index, extract.from_t_independent(_col(v, "t"), _col(v, "n"), _col(v, "n_c")))
    return out.frame()


def _by(v: pd.DataFrame, column: str) -> list[tuple[str, pd.DataFrame]]:
    return [(str(key), part) for key, part in v.groupby(column, sort=True)]


def _sizes(part: pd.DataFrame, design: str) -> dict[str, np.ndarray]:
    if design == "within":
        return {"n": _col(part, "n")}
    return {"n1": _col(part, "n"), "n2": _col(part, "n_c")}


def _f_test(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    for design, part in _by(v, "design"):
        es = extract.from_f(
            _col(part, "f"), design=design, sign=_col(part, "sign"), **_sizes(part, design)
        )
        _put(out, part.index, es)
    return out.frame()


def _p_value(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    for design, part in _by(v, "design"):
        es = extract.from_p(
            _col(part, "p"), design=design, sign=_col(part, "sign"), **_sizes(part, design)
        )
        _put(out, part.index, es)
    bound = v["p_is_bound"].to_numpy(dtype=bool)
    _note(out, v.index, [f"p < {p:g} entered as p = {p:g} (conservative)" if b else ""
                         for p, b in zip(_col(v, "p"), bound, strict=True)])  # fmt: skip
    return out.frame()


def _chi2(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    es = extract.from_chi2(_col(v, "chi2"), _col(v, "n") + _col(v, "n_c"), sign=_col(v, "sign"))
    _put(out, v.index, es)
    return out.frame()


def _eta2(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    v = v.assign(_key=v["design"] + "|" + v["eta2_type"])
    for key, part in _by(v, "_key"):
        design, kind = key.split("|")
        df_error = _col(part, "df_error")
        default = (
            _col(part, "n") - 1 if design == "within" else _col(part, "n") + _col(part, "n_c") - 2
        )
        missing = np.isnan(df_error)
        es = extract.from_eta2(
            _col(part, "eta2"), design=design, kind=kind, df_error=np.where(missing, default, df_error),
            sign=_col(part, "sign"), **_sizes(part, design),
        )  # fmt: skip
        _put(out, part.index, es)
        rule = "n - 1" if design == "within" else "n + n_c - 2"
        _note(out, part.index, [f"df_error not reported; assumed {d:g} ({rule}, one-way design)"
                                if m else "" for d, m in zip(default, missing, strict=True)])  # fmt: skip
    return out.frame()


def _reported_d(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    for standardizer, part in _by(v, "standardizer"):
        _metric, design, _ = extract.STANDARDIZERS[standardizer]
        corrected = part["hedges_corrected"].map(lambda x: x is True).to_numpy()
        r = _col(part, "r")
        needs_r = standardizer not in ("d_z", "d_between_post")
        imputed = np.isnan(r) & needs_r
        r = np.where(imputed, s.assumed_r, r)
        es = extract.from_d(
            _col(part, "d"), standardizer=standardizer, hedges_corrected=corrected,
            r=r if needs_r else None, **_sizes(part, design),
        )  # fmt: skip
        source = np.where(imputed, "imputed", np.where(needs_r, "reported", "")).astype(object)
        _put(out, part.index, es, r_used=np.where(needs_r, r, np.nan))
        out.set(part.index, "r_source", source)
        _note(out, part.index, _r_notes(r, source))
    return out.frame()


def _ppc(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    v, notes = fill_slots(v, ("pre", "post", "pre_c", "post_c"))
    _note(out, v.index, notes)
    r = _col(v, "r")
    source = np.where(np.isnan(r), "imputed", "reported").astype(object)
    r = np.where(np.isnan(r), s.assumed_r, r)
    es = extract.d_ppc2(
        _col(v, "m_pre"), _col(v, "sd_pre"), _col(v, "m_post"), _col(v, "n"),
        _col(v, "m_pre_c"), _col(v, "sd_pre_c"), _col(v, "m_post_c"), _col(v, "n_c"), r=r,
    )  # fmt: skip
    _note(out, v.index, _r_notes(r, source))
    _put(out, v.index, es, r_used=r, r_source=source)
    return out.frame()


def _between_means(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    from ..effects import escalc

    out = _empty(v.index)
    v, notes = fill_slots(v, ("post", "post_c"))
    _note(out, v.index, notes)
    es = escalc(
        "SMD", m1i=_col(v, "m_post"), sd1i=_col(v, "sd_post"), n1i=_col(v, "n"),
        m2i=_col(v, "m_post_c"), sd2i=_col(v, "sd_post_c"), n2i=_col(v, "n_c"),
    )  # fmt: skip
    es = es.assign(reason=[None if pd.isna(r) else str(r) for r in es.get("reason", [None] * len(es))],
                   metric="d_between_post",
                   formula="SMD: g = J(n+n_c-2)(M - M_c)/SD_pooled; v = 1/n + 1/n_c + g^2/(2(n+n_c))")  # fmt: skip
    _put(out, v.index, es)
    return out.frame()


def _wald_ci(v: pd.DataFrame, s: Settings) -> pd.DataFrame:
    out = _empty(v.index)
    for estimate_type, part in _by(v, "estimate_type"):
        metric, log_scale = ESTIMATE_TYPES[estimate_type]
        level = _col(part, "ci_level")
        level = np.where(np.isnan(level), 0.95, level)
        for lev in np.unique(level):
            rows = part[level == lev]
            es = extract.from_ci(
                _col(rows, "estimate"), _col(rows, "ci_low"), _col(rows, "ci_high"),
                level=float(lev), log_scale=log_scale, metric=metric,
            )  # fmt: skip
            _put(out, rows.index, es)
    return out.frame()


HANDLERS: dict[str, Callable[[pd.DataFrame, Settings], pd.DataFrame]] = {
    "paired_table": _paired_table,
    "marginal_counts": _marginal_counts,
    "marginal_percent": _marginal_percent,
    "between_proportions": _between_proportions,
    "pre_post_means": _pre_post_means,
    "change_sd": _change_sd,
    "paired_t": _paired_t,
    "independent_t": _independent_t,
    "f_test": _f_test,
    "p_value": _p_value,
    "chi2": _chi2,
    "eta2": _eta2,
    "reported_d": _reported_d,
    "ppc": _ppc,
    "between_means": _between_means,
    "wald_ci": _wald_ci,
}
