"""Type and value checks of single spec keys (used by ``_parse``); each problem is a sentence
naming the section, the key and what is wrong."""

from __future__ import annotations

import difflib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import MetaattError
from ._schema import PRIOR_DISTRIBUTIONS, Key

__all__ = ["check_value", "describe", "unknown"]


def unknown(key: str, known: list[str], what: str, where: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"
    place = f" in {where}" if where else ""
    return f"unknown {what} {key!r}{place}{hint}"


def describe(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"


def check_value(spec: Key, value: Any, where: str, root: Path, problems: list[str]) -> Any:
    kind = spec.kind
    start = len(problems)

    def bad(message: str) -> None:
        problems.append(f"{where}: {message}")

    def number(v: Any) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            bad(f"expected a number, got {describe(v)}")
            return None
        return float(v)

    if kind == "str":
        if not isinstance(value, str):
            bad(f"expected a string, got {describe(value)}")
    elif kind == "bool":
        if not isinstance(value, bool):
            bad(f"expected true or false, got {describe(value)}")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            bad(f"expected an integer, got {describe(value)}")
        elif value < 0:  # seeds, counts, dpi and digits are never negative
            bad(f"must be >= 0, got {value!r}")
    elif kind in ("number", "level", "correlation", "nonneg"):
        x = number(value)
        if x is not None:
            if kind == "level" and not 0 < x < 1:
                bad(f"must lie strictly between 0 and 1 (e.g. 0.95), got {value!r}")
            if kind == "correlation" and not -1 < x < 1:
                bad(f"a correlation must lie strictly between -1 and 1, got {value!r}")
            if kind == "nonneg" and x < 0:
                bad(f"must be >= 0, got {value!r}")
            value = x
    elif kind == "str_list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            bad(f"expected a string or a list of strings, got {describe(value)}")
        else:
            value = tuple(items)
    elif kind == "correlation_list":
        if not isinstance(value, list):
            bad(f"expected a list of correlations, got {describe(value)}")
        else:
            checked = [number(v) for v in value]
            for v in checked:
                if v is not None and not -1 < v < 1:
                    bad(f"a correlation must lie strictly between -1 and 1, got {v!r}")
            value = tuple(checked)
    elif kind == "path":
        if not isinstance(value, str):
            bad(f"expected a file name (string), got {describe(value)}")
        else:
            path = (root / value).resolve()
            if not path.exists():
                bad(f"the file {value!r} does not exist (looked for {path})")
            elif path.is_dir():
                bad(f"{value!r} is a directory; expected a file")
            value = path
    elif kind == "str_map":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            bad(f"expected a table of strings (argument = 'column'), got {describe(value)}")
        else:
            value = MappingProxyType(dict(value))
    elif kind == "prior":
        value = _check_prior(value, where, problems)
    elif kind == "tolerances":
        value = _check_tolerances(value, where, problems)
    if spec.choices is not None and len(problems) == start:
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if item not in spec.choices:
                close = difflib.get_close_matches(str(item), spec.choices, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                bad(f"unknown value {item!r}; choose from {list(spec.choices)}{hint}")
    return value


def _check_prior(value: Any, where: str, problems: list[str]) -> Any:
    """A prior table, checked by building it with :func:`metaatt.bayes.prior_from_spec` (so a
    spec accepts every prior the bayes module does); returns the normalized table."""
    from ..bayes.priors import parameter_is_text, prior_from_spec, prior_parameters

    if not isinstance(value, dict):
        problems.append(
            f"{where}: expected a table like {{distribution = 'half-normal', scale = 0.5}}, "
            f"got {describe(value)}"
        )
        return None
    raw = value.get("distribution")
    dist = raw.lower().replace("_", "-") if isinstance(raw, str) else raw
    if dist not in PRIOR_DISTRIBUTIONS:
        close = difflib.get_close_matches(str(raw), PRIOR_DISTRIBUTIONS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(
            f"{where}: distribution must be one of {list(PRIOR_DISTRIBUTIONS)}, got {raw!r}{hint}"
        )
        return None
    required, optional = prior_parameters(dist)
    out: dict[str, Any] = {"distribution": dist}
    start = len(problems)
    for key, v in value.items():
        if key == "distribution":
            continue
        if key not in required + optional:  # reported; the prior is still checked without it
            problems.append(unknown(key, list(required + optional), f"{dist} parameter", where))
            start += 1
        elif parameter_is_text(key):
            if isinstance(v, str):
                out[key] = v
            else:
                problems.append(f"{where}: {key} must be a string, got {describe(v)}")
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            problems.append(f"{where}: {key} must be a number, got {describe(v)}")
        else:
            out[key] = float(v)
    for key in required:
        if key not in value:
            problems.append(f"{where}: the {dist} prior needs {key!r}")
    for key in ("scale", "sd", "sigma", "nu"):
        if key in out and out[key] <= 0:
            problems.append(f"{where}: {key} must be > 0, got {out[key]:g}")
    if "low" in out and "high" in out and not out["low"] < out["high"]:
        problems.append(f"{where}: low must be below high, got {out['low']:g} >= {out['high']:g}")
    if len(problems) == start:  # anything else the prior itself checks (e.g. outcome names)
        try:
            prior_from_spec(out, where)
        except MetaattError as exc:
            problems.append(str(exc))
    return MappingProxyType(out)


def _check_tolerances(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a table 'pattern' = rtol, got {describe(value)}")
        return MappingProxyType({})
    out = {}
    for pattern, tol in value.items():
        if isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol >= 0:
            out[pattern] = MappingProxyType({"rtol": float(tol)})
        elif isinstance(tol, dict) and set(tol) <= {"rtol", "atol"} and tol:
            if all(
                isinstance(t, (int, float)) and not isinstance(t, bool) and t >= 0
                for t in tol.values()
            ):
                out[pattern] = MappingProxyType({k: float(t) for k, t in tol.items()})
                continue
            problems.append(f"{where} {pattern!r}: rtol/atol must be numbers >= 0")
        else:
            problems.append(
                f"{where} {pattern!r}: expected a number >= 0 (rtol) or {{rtol = .., atol = ..}}"
            )
    return MappingProxyType(out)
