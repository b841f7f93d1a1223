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

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ._wls import Design

__all__ = ["GRID_CELLS", "InterceptSums"]

#: largest (points x studies) weight matrix built at once
GRID_CELLS = 1_000_000
_SHORT = 256  # one analysis of at most this many studies: sums of all powers at once
_MEMO_SIZE = 16  # sums of one analysis kept (Newton iterates, the estimate, tau^2 = 0)


class InterceptSums:
    """Weighted power sums of ``B`` intercept-only analyses as functions of tau^2.

    The equations return ``(B,)`` arrays, or Python floats for a single analysis (numpy
    broadcasting treats both alike; :func:`metaatt._roots.bracketed_newton` accepts both).
    A single analysis keeps the sums of its last few tau^2 values (:meth:`sums`): the
    estimate's standard error, the fit and the likelihood all ask for the sums at the
    estimate, and the common-effect statistics for those at 0 (filled in by the scan).
    """

    __slots__ = ("_memo", "_scratch", "_table", "_table_t", "_v", "_v3", "centre", "rss", "single")

    def __init__(self, design: Design) -> None:
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None
        self._memo: dict[float, list[Any]] = {}  # one analysis: sums at recent tau^2 values
        self.single = design.y.shape[0] == 1 and not design.has_padding
        if self.single:
            self._init_one(design.y[0], design.v[0])
            return
        mask, v = design.mask, design.v
        w0 = mask / v
        centre = np.vecdot(w0, design.y) / np.add.reduce(w0, axis=-1)
        table = np.empty((3, *mask.shape))  # [1, y, y^2], zero on padding
        table[0] = mask
        yc = np.multiply(design.y - centre[:, None], mask, out=table[1])
        np.multiply(yc, yc, out=table[2])
        self._table, self._v = table, v
        #: the inverse-variance weighted mean the outcomes are centred at
        self.centre = centre
        # unweighted residual sum of squares sum (y - ybar)^2 (from the same centred table)
        n, total, squares = np.add.reduce(table, axis=-1)
        self.rss = squares - total * total / n

    def _init_one(self, y: np.ndarray, v: np.ndarray) -> None:
        """The same table and sums for one analysis, as 1-D arrays (same arithmetic)."""
        w0 = 1.0 / v
        centre = np.vecdot(w0, y) / np.add.reduce(w0)
        table = np.empty((3, y.shape[0]))
        table[0] = 1.0
        yc = np.subtract(y, centre, out=table[1])
        np.multiply(yc, yc, out=table[2])
        self._table, self._v = table, v
        self._table_t = None
        if v.shape[0] <= _SHORT:  # copies laid out for one small matrix product per tau^2
            self._v3, self._table_t = np.array([v, v, v]), table.T.copy()
        self.centre = np.array([centre])
        n, total, squares = np.add.reduce(table, axis=1).tolist()
        self.rss = np.array([squares - total * total / n])

    @property
    def studies(self) -> int:
        """Studies per analysis (``k_max`` when padded)."""
        return self._v.shape[-1]

    def subset(self, rows: np.ndarray) -> InterceptSums:
        """The same sums for the analyses ``rows`` only (several analyses)."""
        new = object.__new__(InterceptSums)
        new._table = self._table[:, rows]
        new._v = self._v[rows]
        new.rss = self.rss[rows]
        new.centre = self.centre[rows]
        new.single = False
        new._scratch = None
        new._memo = {}
        return new

    def sums(self, tau2: np.ndarray, powers: int) -> list[Any]:
        """``[S_1, ..., S_powers]``: ``S_j[m] = sum w^j y^m`` (``m = 0, 1, 2``) at ``tau2``.

        Each ``S_j`` is a list of three floats (one analysis) or a ``(3, B)`` array.
        """
        table = self._table
        if self.single:  # [[S_1[0..2]], [S_2[0..2]], ...] as floats
            t = tau2 if type(tau2) is float else float(tau2[0])
            memo = self._memo  # the fit asks again for the sums at the estimate and at 0
            known = memo.get(t)
            if known is not None and len(known) >= powers:
                return known if len(known) == powers else known[:powers]
            if self._table_t is not None:  # all three powers in one (3, k) x (k, 3) product
                w3 = np.reciprocal(self._v3 + t)  # three copies of 1 / (v + t), then powers
                np.multiply.accumulate(w3, axis=0, out=w3)
                out = (w3 @ self._table_t).tolist()
            else:
                w = 1.0 / (self._v + t)
                out = [(table @ w).tolist()]
                wj = w
                for _ in range(1, powers):
                    wj = wj * w
                    out.append((table @ wj).tolist())
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[t] = out
            return out if len(out) == powers else out[:powers]
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

    def wls(self, tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The weighted mean, its variance ``1 / sum w`` and ``Q_gen`` at ``tau2``, ``(B,)`` each.

        ``mu = centre + S_11 / S_10`` (the outcomes are centred), ``Q_gen = S_12 - mu S_11``.
        """
        if self.single:
            return tuple(np.array([value]) for value in self.wls_one(float(tau2[0])))
        s1 = self.sums(tau2, 1)[0]
        mu = s1[1] / s1[0]
        return self.centre + mu, 1.0 / s1[0], s1[2] - mu * s1[1]

    def wls_one(self, tau2: float) -> tuple[float, float, float]:
        """:meth:`wls` of the single analysis at one ``tau2``, as Python floats."""
        s1 = self.sums(tau2, 1)[0]
        mu = s1[1] / s1[0]
        return self.centre.item(0) + mu, 1.0 / s1[0], s1[2] - mu * s1[1]

    def fe_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Cochran's ``Q = Q_gen(0)`` and ``tr(P)`` at ``tau2 = 0``, ``(B,)`` each."""
        zero = 0.0 if self.single else np.zeros(self._v.shape[0])
        s1, s2 = self.sums(zero, 2)
        mu = s1[1] / s1[0]
        q = s1[2] - mu * s1[1]
        trace_p = s1[0] - s2[0] / s1[0]
        if self.single:
            return np.array([q]), np.array([trace_p])
        return q, trace_p

    def score_parts(self, tau2: np.ndarray, restricted: bool) -> tuple[np.ndarray, np.ndarray]:
        """The two decreasing parts of the score, ``score = (a - b) / 2`` (several analyses).

        ``a = y'PPy`` and ``b = tr(P)`` (REML) or ``sum w`` (ML); both are non-increasing in
        tau^2 (their derivatives are ``-2 y'PPPy``, ``-tr(PP)``, ``-sum w^2``), which is
        what :mod:`metaatt._score_scan` uses to bound the score between grid points.
        Only the five sums the score needs are formed.
        """
        table = self._table
        w, w2 = self._buffers()
        np.add(self._v, tau2[:, None], out=w)
        np.reciprocal(w, out=w)
        s10, s11 = np.vecdot(w, table[:2])
        np.multiply(w, w, out=w2)
        s20, s21, s22 = np.vecdot(w2, table)
        mu = s11 / s10
        ypy2 = s22 - 2.0 * mu * s21 + mu * mu * s20
        return ypy2, (s10 - s20 / s10 if restricted else s10)

    def log_likelihoods_one(
        self, taus: list[float], restricted: bool, known: list[Any] | None = None
    ) -> list[float]:
        """:meth:`log_likelihood` of the single analysis at several ``taus``, as floats.

        One ``log`` call for all of them. ``known[i]``, where given, is ``S_1`` at
        ``taus[i]`` (e.g. from a grid), else the sums come from :meth:`sums`.
        """
        if self._table_t is not None:  # a short analysis: one (len(taus), k) table
            logs = np.add.outer(taus, self._v)
            logv = np.add.reduce(np.log(logs, out=logs), axis=1).tolist()
        else:  # memory stays linear in k
            logv = [float(np.add.reduce(np.log(self._v + t))) for t in taus]
        out = []
        for i, t in enumerate(taus):
            s1 = known[i] if known is not None and known[i] is not None else self.sums(t, 1)[0]
            mu = s1[1] / s1[0]
            value = -0.5 * (logv[i] + (s1[2] - mu * s1[1]))
            out.append(value - 0.5 * math.log(s1[0]) if restricted else value)
        return out

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

    def score_ratio(self, tau2: np.ndarray, restricted: bool) -> tuple[Any, Any]:
        """``1 - b / a`` and its derivative: the score's root as a nearly linear equation.

        With ``a = y'PPy`` and ``b = tr(P)`` (REML) or ``sum w`` (ML) the score is
        ``(a - b) / 2``; ``1 - b / a`` has the same sign and roots and is exactly linear in
        tau^2 when the ``v_i`` are equal (``b / a`` is then proportional to ``v + tau2``),
        so Newton steps on it converge in about a third fewer evaluations. Derivative:
        ``(b' a - b a') / a^2`` negated, ``a' = -2 y'PPPy``, ``b' = -tr(PP)`` or
        ``-sum w^2``.
        """
        sw, sw2, sw3, ypy2, ypy3 = self._terms(*self.sums(tau2, 3))
        if restricted:
            ratio = sw2 / sw
            b, slope_b = sw - ratio, sw2 - 2.0 * sw3 / sw + ratio * ratio
        else:
            b, slope_b = sw, sw2
        if self.single:
            if ypy2 <= 0.0:  # all outcomes equal: the score is negative everywhere
                return -math.inf, 0.0
            return 1.0 - b / ypy2, (slope_b * ypy2 - 2.0 * b * ypy3) / (ypy2 * ypy2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - b / ypy2, (slope_b * ypy2 - 2.0 * b * ypy3) / (ypy2 * ypy2)

    def grid_parts_one(self, points: list[float], restricted: bool) -> tuple[np.ndarray, ...]:
        """:meth:`score_parts` of the single analysis at ``G`` points, and ``S_1`` there.

        One ``(3, k) x (k, 2G)`` product gives ``S_1`` and ``S_2`` at every point; returns
        ``a``, ``b`` (shape ``(G,)``) and ``S_1`` (``(3, G)``).
        """
        n = len(points)
        w = np.empty((2 * n, self._v.shape[0]))
        w1 = w[:n]
        np.add.outer(points, self._v, out=w1)
        np.reciprocal(w1, out=w1)
        np.multiply(w1, w1, out=w[n:])
        s = self._table @ w.T
        s1 = s[:, :n]
        (sw, s11, _), (s20, s21, s22) = s1, s[:, n:]
        if 0.0 not in self._memo and points[0] == 0.0:  # the common-effect fit asks for these
            self._memo[0.0] = s[:, [0, n]].T.tolist()
        mu = s11 / sw
        ypy2 = s22 - 2.0 * mu * s21 + mu * mu * s20
        return ypy2, (sw - s20 / sw if restricted else sw), s1

    def trace_pp(self, tau2: np.ndarray) -> np.ndarray:
        """``tr(PP)`` as a ``(B,)`` array (the REML expected information is half of it).

        One analysis: a Python float (``tau2`` may be a float too).
        """
        s1, s2, s3 = self.sums(tau2, 3)
        sw, sw2 = s1[0], s2[0]
        ratio = sw2 / sw
        return sw2 - 2.0 * s3[0] / sw + ratio * ratio
