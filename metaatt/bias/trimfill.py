"""Duval and Tweedie's trim-and-fill method."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._fit import fit_model
from .._format import TextSummary, fmt
from .._validate import check_choice
from .._wls import Design
from ..errors import ConvergenceWarning, InfeasibleAssumptionWarning, MetaattError
from ..results import PoolResult
from ._common import ModelSpec, model_spec, require_intercept_only, require_studies
from ._report import SYNTHETIC_BANNER, dataclass_dict, html_block
from .egger import fit_line

__all__ = ["ESTIMATORS", "TrimFillResult", "trim_and_fill"]

ESTIMATORS = ("L0", "R0", "Q0")
SIDES = ("left", "right")


@dataclass(frozen=True, repr=False)
class TrimFillResult(TextSummary):
    """Trim-and-fill: the estimated number of missing studies and the augmented analysis.

    ``k0`` missing studies (standard error ``se_k0``; ``p_k0`` tests ``k0 = 0`` for the
    R0 estimator) were imputed on ``side`` of the funnel plot; ``filled`` lists them (study,
    yi, vi) and ``result`` is the model refitted to the observed plus filled studies (its
    ``data`` has a boolean ``filled`` column). ``estimate``, ``se``, ``ci_low``... are
    those of ``result``.
    """

    k0: int
    se_k0: float
    p_k0: float
    side: str
    estimator: str
    iterations: int
    filled: pd.DataFrame
    result: PoolResult

    # the augmented model's main numbers, for convenience
    @property
    def estimate(self) -> float:
        return self.result.estimate

    @property
    def se(self) -> float:
        return self.result.se

    @property
    def statistic(self) -> float:
        return self.result.statistic

    @property
    def pval(self) -> float:
        return self.result.pval

    @property
    def ci_low(self) -> float:
        return self.result.ci_low

    @property
    def ci_high(self) -> float:
        return self.result.ci_high

    @property
    def tau2(self) -> float:
        return self.result.tau2

    @property
    def k(self) -> int:
        """Number of studies after filling (observed plus imputed)."""
        return self.result.k

    def to_dict(self) -> dict[str, Any]:
        out = dataclass_dict(self, skip=("result",))
        out["result"] = self.result.to_dict()
        return out

    def to_frame(self) -> pd.DataFrame:
        """Per-study table of the augmented data, with a ``filled`` column."""
        frame = self.result.to_frame()
        frame["filled"] = self.result.data["filled"].to_numpy(dtype=bool)
        return frame

    def forest_frame(self) -> pd.DataFrame:
        """The augmented model's forest frame; a ``filled`` column marks imputed studies."""
        frame = self.result.forest_frame()
        flags = np.zeros(len(frame), dtype=bool)
        flags[: self.result.k] = self.result.data["filled"].to_numpy(dtype=bool)
        frame["filled"] = flags
        frame.attrs["title"] = f"Trim-and-fill ({self.k0} studies filled on the {self.side})"
        return frame

    def summary(self) -> str:
        lines = [SYNTHETIC_BANNER, ""] if self.result.synthetic else []
        se = "" if np.isnan(self.se_k0) else f" (SE = {fmt(self.se_k0)})"
        lines.append(
            f"Estimated number of missing studies on the {self.side} side: {self.k0}{se}"
            f" [estimator {self.estimator}]"
        )
        if np.isfinite(self.p_k0):
            lines.append(
                f"Test of H0: no missing studies on the {self.side} side: p = {fmt(self.p_k0)}"
            )
        body = self.result.summary()
        if body.startswith(SYNTHETIC_BANNER):
            body = body[len(SYNTHETIC_BANNER) :].lstrip("\n")
        return "\n".join([*lines, "", body])

    def __repr__(self) -> str:
        return (
            f"TrimFillResult(k0={self.k0}, side={self.side!r}, estimate={self.estimate:.4g}, "
            f"ci=[{self.ci_low:.4g}, {self.ci_high:.4g}])"
        )

    def _repr_html_(self) -> str:
        return html_block("Trim-and-fill", self.summary(), self.filled)


def _signed_ranks(centred: np.ndarray) -> np.ndarray:
    """Ranks of ``|centred|`` (ties by position, as R's ``ties.method = "first"``), signed."""
    order = np.argsort(np.abs(centred), kind="stable")
    ranks = np.empty(len(centred))
    ranks[order] = np.arange(1, len(centred) + 1)
    return np.sign(centred) * ranks


def _k0_estimate(signed: np.ndarray, estimator: str) -> tuple[float, float]:
    """Raw (unrounded) k0 and its standard error (Duval & Tweedie 2000a, b)."""
    n = len(signed)
    sr = signed[signed > 0].sum()
    if estimator == "R0":
        negative = -signed[signed < 0]
        k0 = n - (negative.max() if negative.size else 0.0) - 1.0
        return k0, np.sqrt(2.0 * max(0.0, k0) + 2.0)
    if estimator == "L0":
        k0 = (4.0 * sr - n * (n + 1.0)) / (2.0 * n - 1.0)
    else:  # Q0
        k0 = n - 0.5 - np.sqrt(max(0.0, 2.0 * n**2 - 4.0 * sr + 0.25))
    var_sr = (
        n * (n + 1.0) * (2.0 * n + 1.0)
        + 10.0 * k0**3
        + 27.0 * k0**2
        + 17.0 * k0
        - 18.0 * n * k0**2
        - 18.0 * n * k0
        + 6.0 * n**2 * k0
    ) / 24.0
    if estimator == "L0":
        se = 4.0 * np.sqrt(max(0.0, var_sr)) / (2.0 * n - 1.0)
    else:
        se = 2.0 * np.sqrt(max(0.0, var_sr)) / np.sqrt(max(0.0, 2.0 * n**2 - 4.0 * sr + 0.25))
    return k0, se


def _fit(spec: ModelSpec, yi: np.ndarray, vi: np.ndarray, weights: np.ndarray | None):
    # the z test, as metafor's trimfill (which does not pass the model's test on)
    return fit_model(
        Design.single(yi, vi),
        spec.method,
        "z",
        spec.level,
        None if weights is None else weights[None, :],
    )


def choose_side(spec: ModelSpec) -> str:
    """metafor's rule: the sign of the slope of Egger's regression on ``sqrt(vi)`` (with the
    model's own method) puts the missing studies on the opposite side."""
    if np.ptp(spec.vi) == 0:
        raise MetaattError(
            "side: every study has the same sampling variance, so the side of the missing "
            "studies cannot be estimated (Egger's slope is undefined); pass side='left' or "
            "side='right'"
        )
    coef, _, _, _ = fit_line(spec, np.sqrt(spec.vi), "rma", spec.level)
    return "right" if coef[1] < 0 else "left"


def trim_and_fill(
    result: Any,
    estimator: str = "L0",
    side: str | None = None,
    *,
    maxiter: int = 100,
    ilim: tuple[float, float] | None = None,
) -> TrimFillResult:
    """Trim-and-fill method for funnel-plot asymmetry, as metafor's ``trimfill``.

    Parameters
    ----------
    result
        A fitted model without moderators (:func:`metaatt.pool`); its method and level are
        used throughout (a common-effect model gives the "fixed-fixed", a random-effects
        model the "random-random" variant). The augmented model is tested with z, as in
        metafor's ``trimfill``; refit ``tf.result.data`` with :func:`metaatt.pool` for
        another test.
    estimator
        ``"L0"`` (default), ``"R0"`` or ``"Q0"`` (Duval & Tweedie 2000a).
    side
        ``"left"`` or ``"right"``: where the missing studies are imputed. By default the
        side opposite the sign of the slope in Egger's regression of the outcomes on the
        standard errors (fitted with the model's method) is used, as in metafor.
    maxiter
        Maximum number of trim-and-fill iterations.
    ilim
        ``(low, high)`` bounds that imputed outcomes may not exceed (for bounded measures
        such as correlations). As in metafor, when studies are filled every outcome of the
        augmented data is held within the bounds, observed ones included; observed outcomes
        outside them are named in an :class:`~metaatt.InfeasibleAssumptionWarning`.

    Returns
    -------
    TrimFillResult
        ``k0`` (with SE, and for R0 the p-value of ``k0 = 0``), ``side``, the imputed
        studies and the model refitted to the augmented data.

    Notes
    -----
    With the outcomes sorted (and mirrored when ``side = "right"``), iterate: fit the model
    to the ``k - k0`` smallest outcomes; centre all outcomes at that estimate ``b``; rank
    ``|y_i - b|`` and let ``S_r`` be the sum of the ranks of the positive deviations and
    ``gamma`` the number of positive deviations above the largest negative one. Then
    ``L0 = (4 S_r - k(k+1)) / (2k - 1)``, ``R0 = gamma - 1``,
    ``Q0 = k - 1/2 - sqrt(2k^2 - 4 S_r + 1/4)``, rounded and truncated at 0, until ``k0``
    is stable. ``Var(S_r) = [k(k+1)(2k+1) + 10k0^3 + 27k0^2 + 17k0 - 18k k0^2 - 18k k0
    + 6k^2 k0] / 24`` gives ``SE(L0) = 4 sqrt(Var(S_r)) / (2k - 1)`` and, by the delta
    method, ``SE(Q0) = 2 sqrt(Var(S_r)) / sqrt(2k^2 - 4 S_r + 1/4)``;
    ``SE(R0) = sqrt(2 max(0, R0) + 2)`` and ``P(R0 >= r) = 2^{-(r+1)}`` under ``k0 = 0``.
    The ``k0`` most extreme outcomes are mirrored about ``b``: ``2b - y_i`` with the same
    ``v_i``.

    References
    ----------
    Duval, S., & Tweedie, R. (2000a). A nonparametric "trim and fill" method of accounting
    for publication bias in meta-analysis. JASA, 95, 89-98. Duval, S., & Tweedie, R.
    (2000b). Trim and fill: A simple funnel-plot-based method of testing and adjusting for
    publication bias in meta-analysis. Biometrics, 56, 455-463. Duval, S. (2005). The trim
    and fill method. In Rothstein, Sutton & Borenstein (Eds.), Publication bias in
    meta-analysis (pp. 127-144).

    Examples
    --------
    BCG trials, common-effect model (metafor's ``trimfill`` example: 4 studies missing on
    the right, SE 2.3853; estimate -0.2910, se 0.0383):

    >>> import numpy as np, metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> n1, n2 = bcg.tpos + bcg.tneg, bcg.cpos + bcg.cneg
    >>> yi = np.log(bcg.tpos / n1) - np.log(bcg.cpos / n2)
    >>> vi = 1 / bcg.tpos - 1 / n1 + 1 / bcg.cpos - 1 / n2
    >>> tf = metaatt.trim_and_fill(metaatt.pool(yi, vi, method="EE"))
    >>> print(tf.k0, tf.side, f"{tf.se_k0:.4f} {tf.estimate:.4f} {tf.se:.4f}")
    4 right 2.3853 -0.2910 0.0383
    """
    function = "trim_and_fill"
    spec = model_spec(result, function)
    require_intercept_only(spec, function)
    estimator = check_choice(estimator, "estimator", ESTIMATORS)
    if side is not None:
        side = check_choice(side, "side", SIDES)
    if not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise MetaattError(f"maxiter: expected a positive integer, got {maxiter!r}")
    bounds = _check_ilim(ilim)
    require_studies(spec.k, 3, function)
    if side is None:
        side = choose_side(spec)

    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * spec.yi, kind="stable")
    y = sign * spec.yi[order]
    v = spec.vi[order]
    w = None if spec.user_weights is None else spec.user_weights[order]
    k = spec.k

    k0, k0_previous, iterations = 0, -1, 0
    beta, se_k0, raw_k0 = 0.0, np.nan, 0.0
    while k0 != k0_previous and iterations < maxiter:
        k0_previous = k0
        iterations += 1
        keep = k - k0
        fit = _fit(spec, y[:keep], v[:keep], None if w is None else w[:keep])
        beta = float(fit.coef[0, 0])
        raw_k0, se_k0 = _k0_estimate(_signed_ranks(y - beta), estimator)
        k0 = int(max(0.0, np.round(raw_k0)))
        se_k0 = max(0.0, se_k0)
    notes: list[str] = []
    if k0 != k0_previous:
        message = (
            f"trim_and_fill: k0 did not settle within maxiter = {maxiter} iterations "
            f"(last values {k0_previous} and {k0}); the last value is reported"
        )
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
        notes.append(message)
    p_k0 = 2.0 ** -(k0 + 1) if estimator == "R0" else float("nan")

    y_fill = sign * (2.0 * beta - y[k - k0 :])
    if bounds is not None and k0 > 0:  # (with nothing filled metafor returns the model as is)
        y_fill = np.clip(y_fill, bounds[0], bounds[1])
        spec, message = _clip_observed(spec, bounds)
        if message is not None:
            warnings.warn(message, InfeasibleAssumptionWarning, stacklevel=2)
            notes.append(message)
    v_fill = v[k - k0 :]
    w_fill = None if w is None else w[k - k0 :]
    labels = tuple(f"Filled {i + 1}" for i in range(k0))
    filled = pd.DataFrame({"study": list(labels), "yi": y_fill, "vi": v_fill})
    augmented = _augmented_result(spec, filled, w_fill, tuple(notes))
    return TrimFillResult(
        k0=k0,
        se_k0=float(se_k0),
        p_k0=float(p_k0),
        side=side,
        estimator=estimator,
        iterations=iterations,
        filled=filled,
        result=augmented,
    )


def _check_ilim(ilim: Any) -> tuple[float, float] | None:
    if ilim is None:
        return None
    try:
        low, high = (float(x) for x in ilim)
    except (TypeError, ValueError):
        raise MetaattError(f"ilim: expected two numbers (low, high), got {ilim!r}") from None
    if np.isnan(low) or np.isnan(high) or not low < high:
        raise MetaattError(f"ilim: the lower limit {low} must be below the upper limit {high}")
    return low, high


def _clip_observed(spec: ModelSpec, bounds: tuple[float, float]) -> tuple[ModelSpec, str | None]:
    """metafor's ``ilim`` rule: once studies are filled, every outcome of the augmented data,
    observed ones included, is held within the limits. Returns the spec with clipped
    outcomes and a message naming the observed outcomes that moved (None if none did)."""
    low, high = bounds
    outside = np.flatnonzero((spec.yi < low) | (spec.yi > high))
    if outside.size == 0:
        return spec, None
    moved = ", ".join(f"{spec.labels[i]} ({spec.yi[i]:g})" for i in outside)
    message = (
        f"trim_and_fill: ilim = [{low:g}, {high:g}] is narrower than the observed outcomes; "
        f"as in metafor, the augmented data hold them at the limits: {moved}"
    )
    clipped = np.clip(spec.yi, low, high)
    data = None
    if spec.data is not None:
        data = spec.data.copy()
        data["yi"] = clipped
    return dataclasses.replace(spec, yi=clipped, data=data), message


def _augmented_result(
    spec: ModelSpec, filled: pd.DataFrame, w_fill: np.ndarray | None, notes: tuple[str, ...]
) -> PoolResult:
    yi = np.concatenate([spec.yi, filled.yi.to_numpy()])
    vi = np.concatenate([spec.vi, filled.vi.to_numpy()])
    weights = None if spec.user_weights is None else np.concatenate([spec.user_weights, w_fill])
    fit = _fit(spec, yi, vi, weights)
    observed = (
        spec.data.copy()
        if spec.data is not None
        else pd.DataFrame({"study": list(spec.labels), "yi": spec.yi, "vi": spec.vi})
    )
    observed["filled"] = False
    added = filled.assign(filled=True)
    data = pd.concat([observed, added], ignore_index=True)
    return PoolResult.from_fit(
        fit,
        yi=yi,
        vi=vi,
        labels=spec.labels + tuple(filled.study),
        data=data,
        excluded=pd.DataFrame({"study": [], "row": [], "reason": []}),
        measure=spec.measure,
        synthetic=spec.synthetic,
        notes=notes,
    )
