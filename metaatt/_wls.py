"""Batched weighted least squares: the linear algebra every estimator shares.

A :class:`Design` holds ``B`` meta-analyses at once, padded to a common length ``k_max``:
``y`` and ``v`` have shape ``(B, k_max)`` and the 0/1 ``mask`` marks real studies. Padded
entries get weight 0, so every weighted sum below ignores them; estimators, tests and
confidence intervals are therefore computed for all ``B`` analyses with array operations
and no Python loop over analyses or studies. ``X`` is ``None`` for intercept-only models
(a fast path with scalar sums) or an array of shape ``(B, k_max, p)``.

For weights ``a`` the WLS fit is ``b = (X'AX)^{-1} X'Ay`` with ``A = diag(a)``; the
residual-maker ``P_a = A - A X (X'AX)^{-1} X'A`` is never formed: the quadratic forms and
traces the estimators need are computed in ``O(k p^2)`` (Viechtbauer 2005, Appendix).

References
----------
Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics, 30(3), 261-293.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._frozen import build
from ._intercept import InterceptSums

__all__ = ["Design", "WLSFit", "cached_property", "wls"]


class cached_property(functools.cached_property):
    """:func:`functools.cached_property` without the lock Python 3.11 takes on every miss.

    The values are pure functions of immutable inputs, so two threads computing one at
    the same time would store equal values; the lock costs more than many of them.
    """

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.attrname] = value  # later lookups never reach __get__
        return value


@dataclass(frozen=True)
class Design:
    """``B`` padded meta-analyses: outcomes, sampling variances, mask and moderators."""

    y: np.ndarray  # (B, k_max), padded entries 0
    v: np.ndarray  # (B, k_max), padded entries 1
    mask: np.ndarray  # (B, k_max) float, 1 for a study, 0 for padding
    X: np.ndarray | None  # (B, k_max, p) or None for an intercept-only model
    k: np.ndarray  # (B,) number of studies
    p: int  # number of coefficients

    @classmethod
    def single(cls, yi: np.ndarray, vi: np.ndarray, X: np.ndarray | None = None) -> Design:
        """One analysis (``B = 1``) from 1-D ``yi``, ``vi`` and an optional ``(k, p)`` ``X``."""
        y = np.asarray(yi, dtype=float)[None, :]
        v = np.asarray(vi, dtype=float)[None, :]
        Xb = None if X is None else np.asarray(X, dtype=float)[None, :, :]
        p = 1 if Xb is None else Xb.shape[2]
        k = np.array([y.shape[1]])
        mask = np.empty(y.shape)
        mask.fill(1.0)
        design = build(cls, y=y, v=v, mask=mask, X=Xb, k=k, p=p)
        design.__dict__["has_padding"] = False  # one analysis: nothing to pad
        design.__dict__["any_saturated"] = y.shape[1] <= p
        return design

    @classmethod
    def padded(cls, groups_y: list[np.ndarray], groups_v: list[np.ndarray]) -> Design:
        """Many intercept-only analyses of ragged lengths, padded into one design."""
        lengths = np.array([len(g) for g in groups_y])
        k_max = int(lengths.max())
        mask = np.arange(k_max)[None, :] < lengths[:, None]
        y = np.zeros(mask.shape)
        v = np.ones(mask.shape)
        y[mask] = np.concatenate(groups_y)
        v[mask] = np.concatenate(groups_v)
        return cls(y, v, mask.astype(float), None, lengths, 1)

    @cached_property
    def df(self) -> np.ndarray:
        """Residual degrees of freedom ``k - p`` per analysis."""
        return self.k - self.p

    def weights(self, tau2: np.ndarray | float) -> np.ndarray:
        """Inverse-variance weights ``1 / (v + tau2)``, zero on padding."""
        if not (isinstance(tau2, np.ndarray) and tau2.dtype == float):
            tau2 = np.asarray(tau2, dtype=float)
        if tau2.ndim == 1:
            tau2 = tau2[:, None]
        return self.mask / (self.v + tau2)

    @cached_property
    def any_saturated(self) -> bool:
        """Whether some analysis has no residual degrees of freedom (``k <= p``)."""
        return bool((self.k <= self.p).any())

    @cached_property
    def has_padding(self) -> bool:
        """Whether any analysis is shorter than ``k_max`` (has masked entries)."""
        return not bool(self.mask.all())

    @cached_property
    def v_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest sampling variance of each analysis."""
        if not self.has_padding:
            return self.v.min(axis=-1), self.v.max(axis=-1)
        real = self.mask > 0
        return np.where(real, self.v, np.inf).min(axis=-1), np.where(real, self.v, 0.0).max(axis=-1)

    @cached_property
    def fe_fit(self) -> WLSFit:
        """The inverse-variance (common-effect) fit, ``a = 1 / v``; computed once."""
        return wls(self, self.mask / self.v)

    @cached_property
    def fe_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Cochran's ``Q = Q_gen(0)`` and ``tr(P)`` of the common-effect fit (``a = 1 / v``).

        From the power sums when an iterative estimator has built them (then they cost a
        lookup), else from the WLS fit (cheaper than building the sums).
        """
        if self.has_power_sums:
            return self.intercept.fe_statistics()
        return self.fe_fit.q, self.fe_fit.trace_p()

    @property
    def has_power_sums(self) -> bool:
        """Whether the power sums of an intercept-only design are already built."""
        return "intercept" in self.__dict__

    @cached_property
    def ols_fit(self) -> WLSFit:
        """The unweighted (ordinary least squares) fit, ``a = 1``; computed once."""
        return wls(self, self.mask.copy())

    @cached_property
    def ols_rss(self) -> np.ndarray:
        """Residual sum of squares of the unweighted fit, ``sum (y - X b_OLS)^2``."""
        if self.X is None:
            return self.intercept.rss
        return self.ols_fit.q

    @cached_property
    def ols_trace_v(self) -> np.ndarray:
        """``tr(P_1 V)`` of the unweighted fit (``sum v (1 - 1/k)`` without moderators)."""
        if self.X is None:
            return np.add.reduce(self.v * self.mask, axis=-1) * (1.0 - 1.0 / self.k)
        return self.ols_fit.trace_ps(self.v)

    @cached_property
    def intercept(self) -> InterceptSums:
        """Power sums for the intercept-only fast path (only when ``X is None``)."""
        return InterceptSums(self)

    def xtax(self, a: np.ndarray) -> np.ndarray:
        """``X' diag(a) X`` with shape ``(B, p, p)``."""
        if self.X is None:
            return a.sum(axis=-1)[:, None, None]
        return np.einsum("bki,bk,bkj->bij", self.X, a, self.X)


@dataclass(frozen=True)
class WLSFit:
    """Weighted least squares fit of ``y`` on ``X`` with weights ``a`` (batched)."""

    design: Design
    a: np.ndarray  # (B, k) weights
    coef: np.ndarray  # (B, p)
    resid: np.ndarray  # (B, k) y - X b (0 on padding)
    inv_xtax: np.ndarray  # (B, p, p) (X'AX)^{-1}

    @cached_property
    def q(self) -> np.ndarray:
        """Weighted residual sum of squares ``y' P_a y = sum a e^2``."""
        return np.einsum("bk,bk->b", self.a, self.resid**2)

    def trace_inv_xtcx(self, c: np.ndarray) -> np.ndarray:
        """``tr((X'AX)^{-1} X' diag(c) X)``."""
        if self.design.X is None:
            return self.inv_xtax[:, 0, 0] * c.sum(axis=-1)
        return np.einsum("bij,bji->b", self.inv_xtax, self.design.xtax(c))

    def trace_p(self) -> np.ndarray:
        """``tr(P_a) = sum a - tr((X'AX)^{-1} X' A^2 X)``."""
        return self.a.sum(axis=-1) - self.trace_inv_xtcx(self.a**2)

    def trace_ps(self, s: np.ndarray) -> np.ndarray:
        """``tr(P_a S)`` for ``S = diag(s)``."""
        return np.einsum("bk,bk->b", self.a, s) - self.trace_inv_xtcx(self.a**2 * s)

    def leverage(self) -> np.ndarray:
        """``m_ii = x_i' (X'AX)^{-1} x_i`` (without the weight), shape ``(B, k)``."""
        if self.design.X is None:
            return np.broadcast_to(self.inv_xtax[:, 0, :], self.a.shape)
        return np.einsum("bki,bij,bkj->bk", self.design.X, self.inv_xtax, self.design.X)

    def trace_psps(self, s: np.ndarray) -> np.ndarray:
        """``tr(P_a S P_a S) = sum_ij P_ij^2 s_i s_j`` for ``S = diag(s)``.

        Expanding ``P_ij = a_i d_ij - a_i a_j m_ij`` gives
        ``sum a^2 s^2 - 2 sum a^3 s^2 m_ii + tr(M C M C)`` with ``C = X' diag(a^2 s) X``.
        """
        a = self.a
        if self.design.X is None:  # m_ii = 1 / sum(a) for every study
            inv = self.inv_xtax[:, 0, 0]
            a_s = a * s
            return (
                np.vecdot(a_s, a_s)
                - 2.0 * inv * np.vecdot(a * a_s, a_s)
                + (inv * np.vecdot(a, a_s)) ** 2
            )
        m = self.leverage()
        c = a**2 * s
        mc = self.inv_xtax @ self.design.xtax(c)
        cross = np.einsum("bij,bji->b", mc, mc)
        return (
            np.einsum("bk,bk->b", a * s, a * s) - 2 * np.einsum("bk,bk->b", a**3 * s**2, m) + cross
        )

    def quad_form(self, u: np.ndarray) -> np.ndarray:
        """``u' P_a u``: the weighted residual sum of squares of ``u`` regressed on ``X``."""
        r = _residual(self.design, self.a, self.inv_xtax, u)
        return np.einsum("bk,bk->b", self.a, r**2)


def _residual(design: Design, a: np.ndarray, inv_xtax: np.ndarray, u: np.ndarray) -> np.ndarray:
    if design.X is None:
        coef = inv_xtax[:, 0, 0] * np.einsum("bk,bk->b", a, u)
        return (u - coef[:, None]) * design.mask
    xtau = np.einsum("bki,bk,bk->bi", design.X, a, u)
    coef = np.einsum("bij,bj->bi", inv_xtax, xtau)
    return (u - np.einsum("bki,bi->bk", design.X, coef)) * design.mask


def wls(design: Design, a: np.ndarray) -> WLSFit:
    """Fit ``y ~ X`` by weighted least squares with weights ``a`` (shape ``(B, k)``)."""
    if design.X is None:
        sa = a.sum(axis=-1)
        coef = (np.einsum("bk,bk->b", a, design.y) / sa)[:, None]
        resid = design.y - coef
        if design.has_padding:
            resid *= design.mask
        inv = (1.0 / sa)[:, None, None]
        return WLSFit(design, a, coef, resid, inv)
    xtax = design.xtax(a)
    inv = np.linalg.inv(xtax)
    xtay = np.einsum("bki,bk,bk->bi", design.X, a, design.y)
    coef = np.einsum("bij,bj->bi", inv, xtay)
    resid = (design.y - np.einsum("bki,bi->bk", design.X, coef)) * design.mask
    return WLSFit(design, a, coef, resid, inv)
