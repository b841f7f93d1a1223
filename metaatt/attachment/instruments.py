"""The instrument registry: construct, kind, scale range and direction of attachment measures.

metaatt's convention is **positive = change toward security**. Each instrument says whether
higher scores mean more security (``direction = +1``) or less (``-1``, e.g. ECR anxiety and
avoidance), so effect sizes computed on the instrument's own scale can be harmonized by
multiplying with ``direction``. Categorical instruments (AAI classification, AAPR prototype)
are entered as counts of *secure* patients and have ``direction = +1``.

The registry is immutable: :meth:`InstrumentRegistry.add` returns a new registry, so no global
state changes behind an analysis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._validate import check_choice
from ..errors import MetaattError

__all__ = ["KINDS", "Instrument", "InstrumentRegistry", "default_registry", "normalize_key"]

KINDS = ("categorical", "dimensional")


def normalize_key(name: str) -> str:
    """Registry lookup key: lower case without spaces, hyphens, underscores or dots."""
    return re.sub(r"[\s\-_.]+", "", str(name)).lower()


@dataclass(frozen=True)
class Instrument:
    """One attachment measure.

    Attributes
    ----------
    name
        Registry key, e.g. ``"ECR-R_anxiety"``.
    construct
        What it measures.
    kind
        ``"categorical"`` (classification; enter counts of secure patients) or
        ``"dimensional"`` (scores).
    direction
        ``+1`` if higher scores mean more security, ``-1`` if less.
    scale_min, scale_max
        Possible score range (NaN when it depends on the scoring version: not checked).
    source
        Citation for the scale and its direction.
    """

    name: str
    construct: str
    kind: str
    direction: int
    scale_min: float = math.nan
    scale_max: float = math.nan
    source: str = ""

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", KINDS)
        if self.direction not in (1, -1):
            raise MetaattError(
                f"direction: instrument {self.name!r} has {self.direction!r}; use 1 (higher = "
                "more secure) or -1 (higher = less secure)"
            )
        lo, hi = float(self.scale_min), float(self.scale_max)
        if math.isnan(lo) != math.isnan(hi) or (not math.isnan(lo) and lo >= hi):
            raise MetaattError(
                f"scale_min, scale_max: instrument {self.name!r} has [{lo:g}, {hi:g}]; give "
                "both with scale_min < scale_max, or neither"
            )
        object.__setattr__(self, "scale_min", lo)
        object.__setattr__(self, "scale_max", hi)

    @property
    def has_range(self) -> bool:
        """Whether the score range is known (and checked)."""
        return not math.isnan(self.scale_min)


@dataclass(frozen=True)
class InstrumentRegistry:
    """An immutable mapping from (normalized) instrument names to :class:`Instrument`."""

    instruments: tuple[Instrument, ...] = ()
    _index: Mapping[str, Instrument] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Instrument] = {}
        for inst in self.instruments:
            key = normalize_key(inst.name)
            if key in index:
                raise MetaattError(f"name: instrument {inst.name!r} is registered twice")
            index[key] = inst
        object.__setattr__(self, "_index", index)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_key(name) in self._index

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self.instruments)

    def __len__(self) -> int:
        return len(self.instruments)

    def get(self, name: str) -> Instrument:
        """The instrument called ``name`` (case, spaces, ``-`` and ``_`` ignored)."""
        key = normalize_key(name)
        if key in self._index:
            return self._index[key]
        import difflib

        close = difflib.get_close_matches(key, list(self._index), n=1, cutoff=0.6)
        hint = f"; did you mean {self._index[close[0]].name!r}?" if close else ""
        raise MetaattError(
            f"instrument: unknown instrument {name!r}{hint}. Known: "
            f"{', '.join(i.name for i in self.instruments)}. Add it with "
            "registry.add(name, construct=..., kind=..., direction=...)"
        )

    def add(
        self,
        name: str,
        *,
        construct: str,
        kind: str,
        direction: int,
        scale_min: float = math.nan,
        scale_max: float = math.nan,
        source: str = "",
        replace_existing: bool = False,
    ) -> InstrumentRegistry:
        """A new registry with one more instrument (or a replaced one).

        Parameters
        ----------
        name, construct, kind, direction, scale_min, scale_max, source
            See :class:`Instrument`.
        replace_existing
            Allow replacing an instrument of the same name.
        """
        new = Instrument(name, construct, kind, int(direction), scale_min, scale_max, source)
        key = normalize_key(name)
        if key in self._index and not replace_existing:
            raise MetaattError(
                f"name: instrument {name!r} is already registered; pass replace_existing=True"
            )
        kept = tuple(i for i in self.instruments if normalize_key(i.name) != key)
        return replace(self, instruments=(*kept, new))

    def to_frame(self) -> pd.DataFrame:
        """The registry as a table (one row per instrument)."""
        return pd.DataFrame(
            [
                {
                    "name": i.name,
                    "construct": i.construct,
                    "kind": i.kind,
                    "direction": i.direction,
                    "scale_min": i.scale_min,
                    "scale_max": i.scale_max,
                    "source": i.source,
                }
                for i in self.instruments
            ]
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, base: InstrumentRegistry | None = None) -> Any:
        """Registry from a table with columns name, construct, kind, direction and optional
        scale_min, scale_max, source; rows extend (and replace entries of) ``base``."""
        required = ("name", "construct", "kind", "direction")
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise MetaattError(f"instruments: table lacks column(s) {missing}")
        registry = base if base is not None else cls()
        for i, row in enumerate(frame.to_dict("records")):
            try:
                registry = registry.add(
                    str(row["name"]),
                    construct=str(row["construct"]),
                    kind=str(row["kind"]).strip().lower(),
                    direction=int(float(row["direction"])),
                    scale_min=_number(row.get("scale_min")),
                    scale_max=_number(row.get("scale_max")),
                    source="" if pd.isna(row.get("source", "")) else str(row.get("source", "")),
                    replace_existing=True,
                )
            except (MetaattError, ValueError, TypeError) as err:
                raise MetaattError(
                    f"instruments: row {i + 1} ({row.get('name')!r}): {err}"
                ) from None
        return registry

    @classmethod
    def from_csv(cls, path: str | Path, *, base: InstrumentRegistry | None = None) -> Any:
        """Registry from a CSV file (see :meth:`from_frame`); the file is only read."""
        try:
            frame = pd.read_csv(path)
        except FileNotFoundError:
            raise MetaattError(f"path: the file {str(path)!r} does not exist") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise MetaattError(f"path: {str(path)!r} is not a readable CSV file: {err}") from None
        return cls.from_frame(frame, base=base)


def _number(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value):
        return math.nan
    return float(value)


_ECR = (
    "Brennan, K. A., Clark, C. L., & Shaver, P. R. (1998). Self-report measurement of adult "
    "attachment: An integrative overview. In J. A. Simpson & W. S. Rholes (Eds.), Attachment "
    "theory and close relationships (pp. 46-76). Guilford. 36 items rated 1-7; subscale means."
)
_ECRR = (
    "Fraley, R. C., Waller, N. G., & Brennan, K. A. (2000). An item response theory analysis of "
    "self-report measures of adult attachment. Journal of Personality and Social Psychology, "
    "78(2), 350-365. 36 items rated 1-7; subscale means."
)
_RSQ = (
    "Griffin, D. W., & Bartholomew, K. (1994). Models of the self and other: Fundamental "
    "dimensions underlying measures of adult attachment. Journal of Personality and Social "
    "Psychology, 67(3), 430-445. 30 items rated 1-5; prototype scores are item means."
)
_AAS = (
    "Collins, N. L., & Read, S. J. (1990). Adult attachment, working models, and relationship "
    "quality in dating couples. Journal of Personality and Social Psychology, 58(4), 644-663. "
    "18 items rated 1-5; subscale means."
)
_IPPA = (
    "Armsden, G. C., & Greenberg, M. T. (1987). The Inventory of Parent and Peer Attachment. "
    "Journal of Youth and Adolescence, 16(5), 427-454. Items rated 1-5; totals depend on the "
    "version (range not checked)."
)
_AAI = (
    "George, C., Kaplan, N., & Main, M. (1985/1996). Adult Attachment Interview protocol; Main, "
    "M., Goldwyn, R., & Hesse, E. (2003). Adult attachment scoring and classification systems. "
    "Coherence of transcript rated 1-9."
)
_RF = (
    "Fonagy, P., Target, M., Steele, H., & Steele, M. (1998). Reflective-functioning manual, "
    "version 5, for application to Adult Attachment Interviews. University College London. "
    "Ratings from -1 (negative RF) to 9 (exceptional RF)."
)
_AAPR = (
    "Strauss, B., Lobo-Drost, A., & Pilkonis, P. A. (1999). Einschaetzung von Bindungsstilen bei "
    "Erwachsenen: Erste Erfahrungen mit der deutschen Version einer Prototypenbeurteilung. "
    "Zeitschrift fuer Klinische Psychologie, Psychiatrie und Psychotherapie, 47, 347-364; after "
    "Pilkonis, P. A. (1988). Rating range not checked."
)


def default_registry() -> InstrumentRegistry:
    """The built-in attachment instruments (see data/attachment/SHEET_FORMAT.md)."""
    rows: list[tuple[str, str, str, int, float, float, str]] = [
        ("AAI", "AAI classification: secure/autonomous vs insecure", "categorical", 1,
         math.nan, math.nan, _AAI),
        ("AAI_coherence", "AAI coherence of transcript", "dimensional", 1, 1, 9, _AAI),
        ("RF", "reflective functioning (AAI-based)", "dimensional", 1, -1, 9, _RF),
        ("ECR_anxiety", "ECR attachment anxiety", "dimensional", -1, 1, 7, _ECR),
        ("ECR_avoidance", "ECR attachment avoidance", "dimensional", -1, 1, 7, _ECR),
        ("ECR-R_anxiety", "ECR-R attachment anxiety", "dimensional", -1, 1, 7, _ECRR),
        ("ECR-R_avoidance", "ECR-R attachment avoidance", "dimensional", -1, 1, 7, _ECRR),
        ("RSQ_secure", "RSQ secure prototype", "dimensional", 1, 1, 5, _RSQ),
        ("RSQ_fearful", "RSQ fearful prototype", "dimensional", -1, 1, 5, _RSQ),
        ("RSQ_preoccupied", "RSQ preoccupied prototype", "dimensional", -1, 1, 5, _RSQ),
        ("RSQ_dismissing", "RSQ dismissing prototype", "dimensional", -1, 1, 5, _RSQ),
        ("AAS_close", "AAS comfort with closeness", "dimensional", 1, 1, 5, _AAS),
        ("AAS_depend", "AAS comfort depending on others", "dimensional", 1, 1, 5, _AAS),
        ("AAS_anxiety", "AAS fear of abandonment (anxiety)", "dimensional", -1, 1, 5, _AAS),
        ("IPPA", "IPPA attachment security (total)", "dimensional", 1, math.nan, math.nan,
         _IPPA),
        ("IPPA_mother", "IPPA attachment to mother", "dimensional", 1, math.nan, math.nan,
         _IPPA),
        ("IPPA_father", "IPPA attachment to father", "dimensional", 1, math.nan, math.nan,
         _IPPA),
        ("IPPA_peer", "IPPA attachment to peers", "dimensional", 1, math.nan, math.nan, _IPPA),
        ("AAPR", "AAPR prototype: secure vs insecure", "categorical", 1, math.nan, math.nan,
         _AAPR),
        ("AAPR_secure", "AAPR secure prototype rating", "dimensional", 1, math.nan, math.nan,
         _AAPR),
    ]  # fmt: skip
    return InstrumentRegistry(tuple(Instrument(*row) for row in rows))


def as_registry(instruments: Any) -> InstrumentRegistry:
    """``None`` -> the default registry; a registry, table or CSV path -> a registry."""
    if instruments is None:
        return default_registry()
    if isinstance(instruments, InstrumentRegistry):
        return instruments
    if isinstance(instruments, pd.DataFrame):
        return InstrumentRegistry.from_frame(instruments, base=default_registry())
    if isinstance(instruments, (str, Path)):
        return InstrumentRegistry.from_csv(instruments, base=default_registry())
    if isinstance(instruments, Iterable):
        return InstrumentRegistry(tuple(instruments))
    raise MetaattError(
        f"instruments: expected an InstrumentRegistry, a table or a CSV path, got "
        f"{type(instruments).__name__}"
    )
