"""Intercept-only models from weighted power sums: the hot path of every iterative fit.

For an intercept-only model (``X = 1``) every quantity that the tau^2 estimating equations
and the Q-profile need is a function of the sums ``S_jm = sum_i w_i^j y_i^m``
(``j = 1, 2, 3``; ``m = 0, 1, 2``) with ``w_i = 1 / (v_i + tau2)``. With
``mu = S_11 / S_10`` and ``e = y - mu``:

* ``Q_gen = sum w e^2 = S_12 - mu S_11`` and ``y'PPy = sum w^2 e^2 = S_22 - 2 mu S_21 + mu^2 S_20``;
* ``tr(P) = S_10 - S_20 / S_10`` and ``tr(PP) = S_20 - 2 S_30 / S_10 + (S_20 / S_10)^2``;
* ``y'PPPy = sum w^3 e^2 - (sum w^2 e)^2 / S_10``,

where ``P = W - w w' / sum(w)`` (Viechtbauer 2005, Appendix, with ``X = 1``). The outcomes
are first centred at their inverse-variance weighted mean (every statistic of an
intercept-only model is shift invariant), so the expanded sums do not cancel.

The sums for all ``B`` analyses are row-wise dot products with the ``(3, B, k)`` table
``[1, y, y^2]`` (zero on padding, so the weights need no mask). A single analysis is held as
1-D arrays and its per-analysis quantities as Python floats rather than length-1 arrays,
which at ``k ~ 10`` removes most of the cost of a fit.

References
----------
Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics, 30(3), 261-293.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ._wls import Design

__all__ = ["InterceptEquation", "InterceptSums"]

_POWERS = {n: np.arange(1.0, n + 1.0) for n in (1, 2, 3)}
_GRID_CELLS = 1_000_000  # largest (points x studies) weight matrix built at once


class InterceptSums:
    """Weighted power sums of ``B`` intercept-only analyses as functions of tau^2.

    The equations return ``(B,)`` arrays, or Python floats for a single analysis (numpy
    broadcasting treats both alike; :func:`metaatt._roots.bracketed_newton` accepts both).
    """

    __slots__ = ("_scratch", "_table", "_v", "rss", "single")

    def __init__(self, design: Design) -> None:
        mask, v = design.mask, design.v
        w0 = mask / v
        centre = np.vecdot(w0, design.y) / np.add.reduce(w0, axis=-1)
        table = np.empty((3, *mask.shape))  # [1, y, y^2], zero on padding
        table[0] = mask
        yc = np.multiply(design.y - centre[:, None], mask, out=table[1])
        np.multiply(yc, yc, out=table[2])
        self.single = design.y.shape[0] == 1 and not design.has_padding
        self._table = table[:, 0, :] if self.single else table
        self._v = v[0] if self.single else v
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None
        # unweighted residual sum of squares sum (y - ybar)^2 (from the same centred table)
        n, total, squares = np.add.reduce(table, axis=-1)
        self.rss = squares - total * total / n

    def subset(self, rows: np.ndarray) -> InterceptSums:
        """The same sums for the analyses ``rows`` only (several analyses)."""
        new = object.__new__(InterceptSums)
        new._table = self._table[:, rows]
        new._v = self._v[rows]
        new.rss = self.rss[rows]
        new.single = False
        new._scratch = None
        return new

    def sums(self, tau2: np.ndarray, powers: int) -> list[Any]:
        """``[S_1, ..., S_powers]``: ``S_j[m] = sum w^j y^m`` (``m = 0, 1, 2``) at ``tau2``.

        Each ``S_j`` is a list of three floats (one analysis) or a ``(3, B)`` array.
        """
        table = self._table
        if self.single:  # [[S_1[0..2]], [S_2[0..2]], ...] as floats
            w = 1.0 / (self._v + (tau2 if isinstance(tau2, float) else tau2[0]))
            if w.shape[0] <= 256:  # short: one (3, k) x (k, powers) product
                return (table @ (w[:, None] ** _POWERS[powers])).T.tolist()
            out = [(table @ w).tolist()]
            wj = w
            for _ in range(1, powers):
                wj = wj * w
                out.append((table @ wj).tolist())
            return out
        w, wj = self._buffers()  # reused: large temporaries cost page faults each time
        np.add(self._v, tau2[:, None], out=w)
        np.reciprocal(w, out=w)
        out = [np.vecdot(w, table)]
        if powers > 1:
            np.multiply(w, w, out=wj)
            out.append(np.vecdot(wj, table))
        for _ in range(2, powers):
            np.multiply(wj, w, out=wj)
            out.append(np.vecdot(wj, table))
        return out

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        if self._scratch is None:
            self._scratch = (np.empty(self._v.shape), np.empty(self._v.shape))
        return self._scratch

    def grid_sums(self, points: np.ndarray, powers: int) -> list[np.ndarray]:
        """:meth:`sums` at ``G`` values of tau^2 per analysis (``points``: ``(B, G)``).

        ``S_j[m]`` is an array of shape ``(G,)`` (one analysis) or ``(B, G)``.
        """
        table = self._table
        if self.single:
            w = 1.0 / (self._v[None, :] + points[0][:, None])  # (G, k)
            out = [table @ w.T]
            wj = w
            for _ in range(1, powers):
                wj = wj * w
                out.append(table @ wj.T)
            return out  # each (3, G)
        w = 1.0 / (self._v[:, None, :] + points[:, :, None])  # (B, G, k)
        out = [np.einsum("bgk,mbk->mbg", w, table)]
        wj = w
        for _ in range(1, powers):
            wj = wj * w
            out.append(np.einsum("bgk,mbk->mbg", wj, table))
        return out  # each (3, B, G)

    def log_likelihood(self, tau2: np.ndarray, restricted: bool) -> np.ndarray:
        """``-1/2 [sum log(v + tau2) + Q_gen(tau2)]``, minus ``1/2 log(sum w)`` for REML."""
        (s1,) = self.sums(tau2, 1)
        if self.single:
            logv = float(np.add.reduce(np.log(self._v + tau2[0])))
        else:
            buffer = self._buffers()[0]
            np.add(self._v, tau2[:, None], out=buffer)
            logv = np.vecdot(self._table[0], np.log(buffer, out=buffer))
        mu = s1[1] / s1[0]
        value = -0.5 * (logv + (s1[2] - mu * s1[1]))
        if restricted:
            value = value - 0.5 * np.log(s1[0])
        return np.reshape(value, (-1,))

    def q_gen(self, tau2: np.ndarray) -> tuple[Any, Any]:
        """Generalized Q statistic ``Q_gen(tau2)`` and ``y'PPy = -dQ_gen/dtau2``."""
        s1, s2 = self.sums(tau2, 2)
        mu = s1[1] / s1[0]
        q = s1[2] - mu * s1[1]
        ypy2 = s2[2] - 2.0 * mu * s2[1] + mu * mu * s2[0]
        return q, ypy2

    def _score_terms(self, tau2: np.ndarray) -> tuple[Any, ...]:
        return self._terms(*self.sums(tau2, 3))

    @staticmethod
    def _terms(s1: Any, s2: Any, s3: Any) -> tuple[Any, ...]:
        sw = s1[0]
        mu = s1[1] / sw
        ypy2 = s2[2] - 2.0 * mu * s2[1] + mu * mu * s2[0]
        w3e2 = s3[2] - 2.0 * mu * s3[1] + mu * mu * s3[0]
        w2e = s2[1] - mu * s2[0]
        ypy3 = w3e2 - w2e * w2e / sw
        return sw, s2[0], s3[0], ypy2, ypy3

    def reml_score(self, tau2: np.ndarray) -> tuple[Any, Any]:
        """REML score ``(y'PPy - tr P) / 2`` and its derivative ``tr(PP) / 2 - y'PPPy``."""
        return self._reml(*self._score_terms(tau2))

    @staticmethod
    def _reml(sw: Any, sw2: Any, sw3: Any, ypy2: Any, ypy3: Any) -> tuple[Any, Any]:
        ratio = sw2 / sw
        trace_p = sw - ratio
        trace_pp = sw2 - 2.0 * sw3 / sw + ratio * ratio
        return 0.5 * (ypy2 - trace_p), 0.5 * trace_pp - ypy3

    def ml_score(self, tau2: np.ndarray) -> tuple[Any, Any]:
        """ML score ``(y'PPy - sum w) / 2`` and its derivative ``sum w^2 / 2 - y'PPPy``."""
        return self._ml(*self._score_terms(tau2))

    @staticmethod
    def _ml(sw: Any, sw2: Any, sw3: Any, ypy2: Any, ypy3: Any) -> tuple[Any, Any]:
        return 0.5 * (ypy2 - sw), 0.5 * sw2 - ypy3

    def trace_pp(self, tau2: np.ndarray) -> np.ndarray:
        """``tr(PP)`` as a ``(B,)`` array (the REML expected information is half of it)."""
        s1, s2, s3 = self.sums(tau2, 3)
        sw, sw2 = s1[0], s2[0]
        ratio = sw2 / sw
        return np.reshape(sw2 - 2.0 * s3[0] / sw + ratio * ratio, (-1,))


class InterceptEquation:
    """An estimating equation ``tau2 -> (f, df/dtau2)`` computed from power sums.

    ``kind`` is ``"reml"`` or ``"ml"`` (score equations), ``"q"`` (``Q_gen - target``) or
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
        if sums.single and points.size * sums._v.shape[-1] <= _GRID_CELLS:
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
