"""Estimating equations of intercept-only models for the root finder, from power sums.

:class:`InterceptEquation` wraps the sums of :class:`metaatt._intercept.InterceptSums` as
``tau2 -> (f, df/dtau2)`` for :func:`metaatt._roots.bracketed_newton`: the ML and REML
scores (and their nearly linear ratio forms), and the generalized Q statistic minus a
target (Paule-Mandel, Q-profile), with a scan of the equation's value on a grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._intercept import GRID_CELLS, InterceptSums

__all__ = ["InterceptEquation"]


class InterceptEquation:
    """An estimating equation ``tau2 -> (f, df/dtau2)`` computed from power sums.

    ``kind`` is ``"reml"`` or ``"ml"`` (score equations), ``"reml-ratio"`` or
    ``"ml-ratio"`` (the same roots, nearly linear: :meth:`InterceptSums.score_ratio`), ``"q"``
    (``Q_gen - target``) or
    ``"inverse_q"`` (``1 / target - 1 / Q_gen``, the same root, nearly linear in tau^2).
    :meth:`restrict` gives the equation of a subset of the analyses, so that root finding
    can drop the analyses that have converged.
    """

    __slots__ = ("_sums", "kind", "takes_float", "target")

    def __init__(self, sums: InterceptSums, kind: str, target: Any = None) -> None:
        self._sums, self.kind = sums, kind
        self.takes_float = sums.single  # one analysis: tau2 may be a float, results are
        if sums.single and target is not None and np.ndim(target):
            target = float(np.reshape(target, -1)[0])  # the single-analysis kernel uses floats
        self.target = target

    def __call__(self, tau2: np.ndarray) -> tuple[Any, Any]:
        if self.kind == "reml-ratio":
            return self._sums.score_ratio(tau2, True)
        if self.kind == "ml-ratio":
            return self._sums.score_ratio(tau2, False)
        if self.kind == "reml":
            return self._sums.reml_score(tau2)
        if self.kind == "ml":
            return self._sums.ml_score(tau2)
        q, ypy2 = self._sums.q_gen(tau2)
        if self.kind == "q":
            return q - self.target, -ypy2
        if isinstance(q, float) and abs(q) > 1e-150:  # one analysis, in floats
            return 1.0 / self.target - 1.0 / q, -ypy2 / (q * q)
        q = np.asarray(q, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return 1.0 / self.target - 1.0 / q, -ypy2 / (q * q)

    def scan(self, points: np.ndarray) -> np.ndarray:
        """The equation's value (not its derivative) at ``points`` of shape ``(B, G)``.

        One analysis: the whole grid in one matrix product; several: column by column
        (row-wise dot products stream through memory faster than a 3-D contraction).
        """
        sums = self._sums
        if sums.single and points.size * sums.studies <= GRID_CELLS:
            return np.reshape(self._value(*sums.grid_sums(points, 2), points), points.shape)
        if sums.single:  # a long analysis: point by point, memory stays linear in k
            return np.array(
                [
                    [
                        self._value(*sums.sums(points[:, j], 2), points[:, j])
                        for j in range(points.shape[1])
                    ]
                ]
            )
        return np.column_stack(
            [self._value(*sums.sums(points[:, j], 2), points[:, j]) for j in range(points.shape[1])]
        )

    def _value(self, s1: Any, s2: Any, points: np.ndarray) -> Any:
        sw = s1[0]
        mu = s1[1] / sw
        if self.kind in ("reml", "ml"):
            ypy2 = s2[2] - 2.0 * mu * s2[1] + mu * mu * s2[0]
            return 0.5 * (ypy2 - (sw - s2[0] / sw if self.kind == "reml" else sw))
        q = s1[2] - mu * s1[1]
        target = self.target
        if np.ndim(target) and np.ndim(points) == 2:
            target = target[:, None]
        with np.errstate(divide="ignore"):
            return q - target if self.kind == "q" else 1.0 / target - 1.0 / q

    def restrict(self, rows: np.ndarray) -> InterceptEquation:
        target = self.target
        if target is not None and np.ndim(target):
            target = target[rows]
        return InterceptEquation(self._sums.subset(rows), self.kind, target)
