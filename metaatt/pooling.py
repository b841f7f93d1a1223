"""``pool``: the common-effect and random-effects models for one set of effect sizes."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from ._fit import TESTS, fit_model
from ._inputs import read_effects
from ._validate import as_float_vector, check_choice, check_level, describe_row, first_bad
from ._wls import Design
from .errors import (
    BoundaryWarning,
    DegenerateStatisticWarning,
    HeterogeneityUndefinedWarning,
    MetaattError,
    MultimodalLikelihoodWarning,
)
from .results import PoolResult
from .tau2 import TAU2_ESTIMATORS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METHODS", "TEST_ALIASES", "normalize_method", "normalize_test", "pool"]

#: accepted method names (``FE`` is an alias of ``EE``)
METHODS = (*TAU2_ESTIMATORS, "FE")
#: metafor's test names mapped to metaatt's
TEST_ALIASES = {"knha": "hksj", "adhoc": "hksj-adhoc"}
_TEST_NAMES = tuple(TESTS)


def normalize_method(method: Any) -> str:
    """Validate a method name; ``FE`` becomes ``EE``."""
    method = check_choice(method, "method", METHODS)
    return "EE" if method == "FE" else method


def normalize_test(test: Any) -> str:
    """Validate a test name; metafor's ``knha``/``adhoc`` map to ``hksj``/``hksj-adhoc``."""
    if isinstance(test, str) and test in TEST_ALIASES:
        return TEST_ALIASES[test]
    return check_choice(test, "test", _TEST_NAMES)


def pool(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    weights: Any = None,
    missing: str = "raise",
    allow_mixed_metrics: bool = False,
) -> PoolResult:
    """Pool effect sizes with the common-effect or a random-effects model.

    Parameters
    ----------
    yi
        Effect sizes: an array, a column name of ``data``, or an effect-size table with
        ``yi`` and ``vi`` columns (the output of :func:`metaatt.escalc`).
    vi, sei
        Sampling variances, or standard errors (give one).
    method
        ``"EE"`` (alias ``"FE"``) for the common-effect model, or a tau^2 estimator:
        ``"DL"``, ``"HE"``, ``"HS"``, ``"HSk"``, ``"SJ"``, ``"ML"``, ``"REML"``, ``"EB"``,
        ``"PM"``, ``"PMM"``, ``"GENQ"`` (needs ``weights``); see :mod:`metaatt.tau2`.
    test
        ``"z"``; ``"t"`` (t with k - 1 df); ``"hksj"`` (Hartung-Knapp-Sidik-Jonkman: SE
        scaled by the generalized Q, t with k - 1 df; metafor's ``knha``);
        ``"hksj-adhoc"`` (the scale factor is never below 1; metafor's ``adhoc``).
    level
        Confidence level in (0, 1) for every interval.
    data
        Table the column names refer to; its rows (with provenance) are kept in the result.
    labels
        Study labels (array or column); default: the ``study`` column when present.
    weights
        User weights, for ``method="GENQ"`` only.
    missing
        ``"raise"`` (default) or ``"exclude"`` rows with missing values; rows of an
        ``escalc`` table that carry a ``reason`` are always excluded with that reason.
    allow_mixed_metrics
        Effect-size tables with a ``metric`` column (``metaatt.attachment.effect_sizes``,
        ``metaatt.extract``) must not mix metrics, e.g. change-score ``d_z`` with raw-score
        ``d_raw_change``: a ``MetaattError`` says so unless this is ``True``.

    Returns
    -------
    PoolResult
        Estimate, SE, test, CI, prediction interval, tau^2 (SE, Q-profile CI), I^2 and H^2
        (with CIs), Cochran's Q, weights, and the analysed and excluded rows.

    Notes
    -----
    Random-effects model ``y_i = mu + u_i + e_i``, ``u_i ~ N(0, tau^2)``,
    ``e_i ~ N(0, v_i)``; ``mu_hat = sum w_i y_i / sum w_i`` with ``w_i = 1/(v_i + tau^2)``
    and ``Var(mu_hat) = 1 / sum w_i``. The prediction interval is
    ``mu_hat +/- crit sqrt(Var(mu_hat) + tau^2)``. ``I^2 = 100 tau^2 / (tau^2 + s^2)`` with
    ``s^2 = (k - 1) sum w / ((sum w)^2 - sum w^2)``, ``w = 1 / v`` (Higgins & Thompson
    2002); estimators, tests and intervals are documented in :mod:`metaatt.tau2`,
    :mod:`metaatt._fit` and :mod:`metaatt.qprofile`. Numerically identical to metafor's
    ``rma.uni`` (Viechtbauer 2010).

    Heterogeneity is undefined for ``k = 1``: the result is the study itself, heterogeneity
    statistics are NaN and a :class:`~metaatt.errors.HeterogeneityUndefinedWarning` says so.
    A tau^2 estimate of 0 on the boundary raises a :class:`~metaatt.errors.BoundaryWarning`.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48. Borenstein, M., Hedges, L. V., Higgins,
    J. P. T., & Rothstein, H. R. (2009). Introduction to meta-analysis, ch. 11-12.

    Examples
    --------
    BCG vaccine trials, log risk ratios (metafor's ``rma.uni`` example: estimate -0.7145,
    se 0.1798, tau^2 0.3132, I^2 92.22%):

    >>> import metaatt
    >>> bcg = metaatt.datasets.load_bcg()
    >>> es = metaatt.escalc("RR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg)
    >>> res = metaatt.pool(es.yi, es.vi, method="REML")
    >>> print(f"{res.estimate:.4f} {res.se:.4f} {res.tau2:.4f} {res.i2:.2f}")
    -0.7145 0.1798 0.3132 92.22
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    inputs, extras = read_effects(
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        missing=missing,
        extra=None if weights is None else {"weights": weights},
        allow_mixed_metrics=allow_mixed_metrics,
    )
    user_weights = extras.get("weights")
    if method == "GENQ":
        if user_weights is None:
            raise MetaattError("weights: method 'GENQ' needs a weight for every study")
        if (user_weights <= 0).any():
            i = first_bad(user_weights <= 0)
            raise MetaattError(
                f"weights: {describe_row(i, inputs.labels)} is {user_weights[i]:g}; weights must be > 0"
            )
        user_weights = as_float_vector(user_weights, "weights")[None, :]
    elif user_weights is not None:
        raise MetaattError(f"weights: user weights are only used by method 'GENQ', not {method!r}")

    notes: list[str] = []
    if inputs.k == 1:
        message = (
            "k = 1: the pooled result is the single study itself; tau^2, I^2, H^2, the "
            "Q test and the prediction interval are undefined (NaN)"
        )
        if test != "z":
            message += f"; test {test!r} needs k >= 2, so a z test is used"
        warnings.warn(message, HeterogeneityUndefinedWarning, stacklevel=2)
        notes.append(message)
    fit = fit_model(Design.single(inputs.yi, inputs.vi), method, test, level, user_weights)
    if method != "EE" and inputs.k > 1 and bool(fit.tau2_estimate.at_boundary[0]):
        message = (
            f"the {method} estimate of tau^2 is 0, on the boundary of the parameter space: "
            "the random-effects model reduces to the common-effect model"
        )
        warnings.warn(message, BoundaryWarning, stacklevel=2)
        notes.append(message)
    higher = fit.tau2_estimate.higher_maximum
    if higher is not None and math.isfinite(higher[0]):
        message = (
            f"the {method} likelihood has more than one maximum: tau^2 = "
            f"{fit.tau2[0]:.6g} is the maximum Fisher scoring reaches from the Hedges start "
            f"(metafor's algorithm, reported), but the likelihood is higher near tau^2 = "
            f"{higher[0]:.4g}; compare estimators or inspect the likelihood profile"
        )
        warnings.warn(message, MultimodalLikelihoodWarning, stacklevel=2)
        notes.append(message)
    if test.startswith("hksj") and inputs.k > 1 and fit.knha_scale[0] == 0.0:
        message = (
            "the generalized Q statistic is 0 (all estimates equal the pooled one), so the "
            "Hartung-Knapp standard error is 0 and the interval has width 0; "
            "test='hksj-adhoc' keeps the scale factor at 1 or more"
        )
        warnings.warn(message, DegenerateStatisticWarning, stacklevel=2)
        notes.append(message)
    return PoolResult.from_fit(fit, inputs=inputs, notes=tuple(notes))
