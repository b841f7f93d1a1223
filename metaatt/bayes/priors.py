"""Prior distributions for the heterogeneity tau and the overall effect mu.

Every prior is a small frozen dataclass that knows its log-density and distribution
function on the tau scale (used by the exact integration), its support and tail, and how to
declare itself in PyMC (used by ``method="nuts"``). Priors on tau^2 published as log-normal
or log-Student-t distributions (Turner et al. 2015; Rhodes et al. 2015) are transformed to
the tau scale with the Jacobian ``2 tau``; see :mod:`metaatt.bayes.empirical`.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from ..errors import MetaattError

__all__ = [
    "PRIOR_SPEC_NAMES",
    "HalfCauchy",
    "HalfNormal",
    "HalfStudentT",
    "LogNormalTau2",
    "LogStudentTTau2",
    "Normal",
    "TauPrior",
    "Uniform",
    "parameter_is_text",
    "prior_from_spec",
    "prior_parameters",
]

_LOG2 = math.log(2.0)


def _positive(value: Any, name: str, owner: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise MetaattError(f"{owner}: {name} must be a number, got {value!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise MetaattError(f"{owner}: {name} must be a positive finite number, got {value!r}")
    return x


def _finite(value: Any, name: str, owner: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise MetaattError(f"{owner}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise MetaattError(f"{owner}: {name} must be finite, got {value!r}")
    return x


class TauPrior:
    """Interface of a prior on the between-study standard deviation tau (>= 0).

    Subclasses implement ``logpdf`` and ``cdf`` on the tau scale, ``support``,
    ``tail_exponent`` (the density falls like tau^-a for large tau; ``inf`` for lighter
    tails), ``scale_hint`` (a typical tau value) and ``pymc(name)``.
    """

    proper: bool = True
    tail_exponent: float = math.inf

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    @property
    def scale_hint(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def logpdf(self, tau: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def cdf(self, tau: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def ppf(self, q: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"distribution": type(self).__name__, **asdict(self)}  # type: ignore[call-overload]

    def pymc(self, name: str) -> Any:  # pragma: no cover - abstract
        """Declare tau in the current PyMC model (call inside ``with pm.Model()``)."""
        raise NotImplementedError


def _outside(tau: np.ndarray, low: float, high: float) -> np.ndarray:
    return (tau < low) | (tau > high)


@dataclass(frozen=True)
class HalfNormal(TauPrior):
    """Half-normal prior on tau: density ``2 phi(tau / scale) / scale`` for tau >= 0."""

    scale: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", _positive(self.scale, "scale", "HalfNormal"))

    @property
    def scale_hint(self) -> float:
        return self.scale

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        z = tau / self.scale
        out = _LOG2 - 0.5 * z**2 - math.log(self.scale) - 0.5 * math.log(2 * math.pi)
        return np.where(tau < 0, -np.inf, out)

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        return special.erf(np.maximum(tau, 0.0) / (self.scale * math.sqrt(2.0)))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self.scale * math.sqrt(2.0) * special.erfinv(q)

    def describe(self) -> str:
        return f"half-normal(scale = {self.scale:g})"

    def pymc(self, name: str) -> Any:
        import pymc as pm

        return pm.HalfNormal(name, sigma=self.scale)


@dataclass(frozen=True)
class HalfStudentT(TauPrior):
    """Half-Student-t prior on tau with ``nu`` degrees of freedom and ``scale``."""

    nu: float
    scale: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "nu", _positive(self.nu, "nu", type(self).__name__))
        object.__setattr__(self, "scale", _positive(self.scale, "scale", type(self).__name__))

    @property
    def tail_exponent(self) -> float:  # type: ignore[override]
        return self.nu + 1.0

    @property
    def scale_hint(self) -> float:
        return self.scale

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        out = _LOG2 + stats.t.logpdf(tau / self.scale, self.nu) - math.log(self.scale)
        return np.where(tau < 0, -np.inf, out)

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        # 2 F_t(x) - 1 = 1 - 2 sf(x), written to keep relative precision for small tau
        x = np.maximum(np.asarray(tau, dtype=float), 0.0) / self.scale
        return special.betainc(0.5, self.nu / 2.0, x**2 / (self.nu + x**2))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self.scale * stats.t.ppf(0.5 + np.asarray(q) / 2.0, self.nu)

    def describe(self) -> str:
        return f"half-Student-t(nu = {self.nu:g}, scale = {self.scale:g})"

    def to_dict(self) -> dict[str, Any]:
        return {"distribution": "HalfStudentT", "nu": self.nu, "scale": self.scale}

    def pymc(self, name: str) -> Any:
        import pymc as pm

        return pm.HalfStudentT(name, nu=self.nu, sigma=self.scale)


@dataclass(frozen=True)
class HalfCauchy(TauPrior):
    """Half-Cauchy prior on tau: density ``2 / (pi scale (1 + (tau / scale)^2))``."""

    scale: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", _positive(self.scale, "scale", "HalfCauchy"))

    tail_exponent = 2.0

    @property
    def scale_hint(self) -> float:
        return self.scale

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        z = tau / self.scale
        out = _LOG2 - math.log(math.pi * self.scale) - np.log1p(z**2)
        return np.where(tau < 0, -np.inf, out)

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        return (2.0 / math.pi) * np.arctan(np.maximum(tau, 0.0) / self.scale)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self.scale * np.tan(np.asarray(q) * math.pi / 2.0)

    def describe(self) -> str:
        return f"half-Cauchy(scale = {self.scale:g})"

    def pymc(self, name: str) -> Any:
        import pymc as pm

        return pm.HalfCauchy(name, beta=self.scale)


@dataclass(frozen=True)
class Uniform(TauPrior):
    """Uniform prior on tau over ``[low, high]``; ``high=inf`` is the improper flat prior.

    The improper prior (bayesmeta's ``tau.prior = "uniform"``) needs k >= 3 studies with a
    flat mu prior, k >= 2 with a normal one, for a proper posterior.
    """

    low: float = 0.0
    high: float = math.inf

    def __post_init__(self) -> None:
        try:
            low, high = float(self.low), float(self.high)
        except (TypeError, ValueError):
            raise MetaattError(
                f"Uniform: low and high must be numbers, got {self.low!r}, {self.high!r}"
            ) from None
        if not (math.isfinite(low) and low >= 0):
            raise MetaattError(f"Uniform: low must be a finite number >= 0, got {self.low!r}")
        if math.isnan(high) or not high > low:
            raise MetaattError(f"Uniform: high must exceed low = {low:g}, got {self.high!r}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def proper(self) -> bool:  # type: ignore[override]
        return math.isfinite(self.high)

    @property
    def tail_exponent(self) -> float:  # type: ignore[override]
        return math.inf if self.proper else 0.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def scale_hint(self) -> float:
        return self.high if self.proper else max(self.low, 1.0)

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        height = -math.log(self.high - self.low) if self.proper else 0.0
        return np.where(_outside(tau, self.low, self.high), -np.inf, height)

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        """Distribution function; for the improper prior, the prior 'mass' tau - low."""
        tau = np.clip(np.asarray(tau, dtype=float), self.low, self.high)
        return (tau - self.low) / (self.high - self.low) if self.proper else tau - self.low

    def ppf(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        return self.low + q * (self.high - self.low) if self.proper else self.low + q

    def describe(self) -> str:
        if self.proper:
            return f"uniform(low = {self.low:g}, high = {self.high:g})"
        return f"improper uniform(tau >= {self.low:g})"

    def pymc(self, name: str) -> Any:
        import pymc as pm

        if self.proper:
            return pm.Uniform(name, lower=self.low, upper=self.high)
        if self.low == 0:
            return pm.HalfFlat(name)
        offset = pm.HalfFlat(f"{name}_minus_low")
        return pm.Deterministic(name, offset + self.low)


@dataclass(frozen=True)
class Normal:
    """Normal prior ``N(mean, sd^2)`` for the overall effect mu (or a coefficient)."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _finite(self.mean, "mean", "Normal"))
        object.__setattr__(self, "sd", _positive(self.sd, "sd", "Normal"))

    def describe(self) -> str:
        return f"normal(mean = {self.mean:g}, sd = {self.sd:g})"

    def to_dict(self) -> dict[str, Any]:
        return {"distribution": "Normal", "mean": self.mean, "sd": self.sd}

    def pymc(self, name: str, shape: int | None = None) -> Any:
        import pymc as pm

        return pm.Normal(name, mu=self.mean, sigma=self.sd, shape=shape)


from .priors_tau2 import LogNormalTau2, LogStudentTTau2  # noqa: E402 - they subclass TauPrior

#: spec name -> prior class or empirical-prior function (see :func:`prior_from_spec`)
_SPEC_BUILDERS: dict[str, Any] = {
    "half-normal": HalfNormal,
    "half-cauchy": HalfCauchy,
    "half-student-t": HalfStudentT,
    "uniform": Uniform,
    "normal": Normal,
    "log-normal-tau2": LogNormalTau2,
    "log-student-t-tau2": LogStudentTTau2,
    "turner": "turner_prior",
    "rhodes": "rhodes_prior",
}
#: spec names of the distributions :func:`prior_from_spec` accepts
PRIOR_SPEC_NAMES = tuple(_SPEC_BUILDERS)
#: parameters given as text (the rest are numbers)
_TEXT_PARAMETERS = frozenset({"outcome", "comparator1", "comparator2", "area"})


def _builder(dist: str) -> Any:
    builder = _SPEC_BUILDERS[dist]
    if isinstance(builder, str):  # the empirical tables import this module
        from . import empirical

        builder = getattr(empirical, builder)
    return builder


def prior_parameters(distribution: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Required and optional parameters of a spec ``distribution`` (a name of
    :data:`PRIOR_SPEC_NAMES`), e.g. ``(("nu", "scale"), ())`` for ``"half-student-t"``."""
    parameters = inspect.signature(_builder(distribution)).parameters.values()
    names = [p for p in parameters if p.name != "source"]
    required = tuple(p.name for p in names if p.default is inspect.Parameter.empty)
    return required, tuple(p.name for p in names if p.default is not inspect.Parameter.empty)


def parameter_is_text(name: str) -> bool:
    """Whether a spec parameter is text (outcome, comparators, area) rather than a number."""
    return name in _TEXT_PARAMETERS


def prior_from_spec(spec: Any, name: str = "prior") -> TauPrior | Normal | None:
    """Build a prior from a mapping such as ``{"distribution": "half-normal", "scale": 0.5}``.

    Parameters
    ----------
    spec
        A mapping with ``distribution`` and its parameters, a prior object (returned as is)
        or None. Distributions: ``half-normal`` (scale), ``half-cauchy`` (scale),
        ``half-student-t`` (nu, scale), ``uniform`` (low = 0, high = inf: omit high for the
        improper prior), ``normal`` (mean, sd), ``log-normal-tau2`` (mu, sigma),
        ``log-student-t-tau2`` (location, scale, nu = 5), and the published empirical priors
        on tau^2 by name: ``turner`` (outcome, comparator1, comparator2; see
        :func:`~metaatt.bayes.turner_prior`) and ``rhodes`` (outcome, comparator1,
        comparator2, area; see :func:`~metaatt.bayes.rhodes_prior`); without ``outcome``
        they give the general-setting priors. Underscores may stand for hyphens.
    name
        Argument name used in error messages.

    Returns
    -------
    TauPrior, Normal or None

    Raises
    ------
    MetaattError
        Unknown distribution or parameter, a missing parameter, or an invalid value; the
        message names ``name``, the distribution and the parameter.
    """
    if spec is None or isinstance(spec, TauPrior | Normal):
        return spec
    if not isinstance(spec, dict) and not hasattr(spec, "items"):
        raise MetaattError(
            f"{name}: expected a prior (e.g. metaatt.bayes.HalfNormal(0.5)) or a mapping "
            f"{{'distribution': 'half-normal', 'scale': 0.5}}, got {type(spec).__name__}"
        )
    values = dict(spec.items())
    dist = str(values.pop("distribution", "")).lower().replace("_", "-")
    if dist not in _SPEC_BUILDERS:
        raise MetaattError(
            f"{name}: distribution must be one of {list(_SPEC_BUILDERS)}, got {dist!r}"
        )
    required, optional = prior_parameters(dist)
    unknown = set(values) - set(required) - set(optional)
    if unknown:
        raise MetaattError(
            f"{name}: unknown parameter(s) {sorted(unknown)} for {dist}; it takes "
            f"{', '.join(required + optional)}"
        )
    lacking = [p for p in required if p not in values]
    if lacking:
        raise MetaattError(f"{name}: the {dist} prior needs {', '.join(map(repr, lacking))}")
    for key, value in values.items():
        if not parameter_is_text(key) and (
            isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating)
        ):
            raise MetaattError(f"{name}: {dist} parameter {key} must be a number, got {value!r}")
    try:
        return _builder(dist)(**values)
    except MetaattError as exc:
        raise MetaattError(f"{name}: {exc}") from None
