"""Build instances of frozen dataclasses without their generated ``__init__``.

The ``__init__`` that ``@dataclass(frozen=True)`` generates sets every field with
``object.__setattr__``, a few microseconds for the 15 fields of a model fit. On the hot
path of one small meta-analysis (a whole fit takes about 150 microseconds) the result
objects are built several times, so they are built here by filling the instance
``__dict__`` directly: the instance is the same (same class, same fields, still frozen).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["build"]

T = TypeVar("T")

#: per class: (field names, default values)
_LAYOUT: dict[type, tuple[frozenset[str], dict[str, Any]]] = {}


def build(cls: type[T], /, **values: Any) -> T:
    """``cls(**values)`` for a frozen dataclass ``cls`` without ``__post_init__``.

    Fields left out take their defaults; an unknown or missing field raises ``TypeError``
    as the generated ``__init__`` would.
    """
    layout = _LAYOUT.get(cls)
    if layout is None:
        layout = _LAYOUT[cls] = _layout(cls)
    names, defaults = layout
    if not names.issuperset(values):
        raise TypeError(f"{cls.__name__}: unexpected fields {sorted(set(values) - names)}")
    instance = object.__new__(cls)
    state = instance.__dict__
    state.update(defaults)
    state.update(values)
    if len(state) != len(names):
        raise TypeError(f"{cls.__name__}: missing fields {sorted(names - set(state))}")
    return instance


def _layout(cls: type) -> tuple[frozenset[str], dict[str, Any]]:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a frozen dataclass without __post_init__")
    fields = dataclasses.fields(cls)
    if any(f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"{cls.__name__} has default factories")
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    return frozenset(f.name for f in fields), defaults
