"""Cluster-robust (sandwich) variances CR0, CR1 and CR2 with small-sample degrees of freedom.

Notation (Pustejovsky & Tipton 2018): a GLS/WLS fit ``b = M X'Wy`` with bread
``M = (X'WX)^{-1}``, weights ``W`` and working covariance ``Phi`` (the model's marginal
covariance), both block diagonal by cluster ``j``; residuals ``e_j = y_j - X_j b``.

* ``V_CR = M [sum_j X_j' W_j A_j e_j e_j' A_j' W_j X_j] M`` with ``A_j = I`` for CR0 and
  CR1 (CR1 multiplies by ``J / (J - p)``, metafor's ``robust(adjust = TRUE)``) and the
  bias-reduced linearisation for CR2 (Bell & McCaffrey 2002):
  ``A_j = D_j' (D_j S_j D_j')^{-1/2} D_j`` with ``Phi_j = D_j' D_j`` (upper Cholesky
  factor) and ``S_j = (I - H)_j Phi (I - H)_j'``, ``H = X M X' W``. Expanding the rows of
  ``I - H`` gives ``S_j = Phi_j - X_j M X_j' W_j Phi_j - Phi_j W_j X_j M X_j'
  + X_j M Omega M X_j'`` with ``Omega = X' W Phi W X``, so nothing larger than a cluster
  is formed. The pseudo-inverse square root is used when ``S_j`` is singular.
* Satterthwaite df of ``c'b``: ``c' V_CR c = sum_j (u_j' eps)^2`` with
  ``u_j = (I - H)_j' A_j' W_j X_j M c`` and ``eps ~ N(0, Phi)``; with
  ``G_ij = u_i' Phi u_j`` the df are ``(tr G)^2 / sum_ij G_ij^2`` (Bell & McCaffrey 2002;
  Tipton 2015).
* Omnibus test of ``C b = 0`` (``q`` rows): ``Q = (Cb)' (C V_CR C')^{-1} (Cb)`` and the
  Hotelling-T^2 approximation with Zhang's (2012) degrees of freedom, "HTZ" (Tipton &
  Pustejovsky 2015): after standardising the contrasts so that ``E[C V_CR C'] = I``,
  ``eta = q (q + 1) / sum_st Var(d_st)`` and ``F = (eta - q + 1) / (eta q) Q`` with
  ``(q, eta - q + 1)`` df; ``Var(d_st) = sum_ij [G^ss_ij G^tt_ij + G^st_ij G^st_ji]``.

References
----------
Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
regression with multi-stage samples. Survey Methodology, 28, 169-181. Tipton, E. (2015).
Small sample adjustments for robust variance estimation with meta-regression.
Psychological Methods, 20, 375-393. Tipton, E., & Pustejovsky, J. E. (2015). Small-sample
adjustments for tests of moderators and model fit using robust variance estimation in
meta-regression. JEBS, 40, 604-634. Pustejovsky, J. E., & Tipton, E. (2018). Small-sample
methods for cluster-robust variance estimation and hypothesis testing in fixed effects
models. Journal of Business & Economic Statistics, 36, 672-683.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["ClusterBlocks", "SandwichFit", "sandwich"]


@dataclass(frozen=True)
class ClusterBlocks:
    """Rows of the clusters, grouped by cluster size so that every size is one batch."""

    batches: list[np.ndarray]  # each (J_n, n): row indices of the clusters of size n
    n_clusters: int

    @classmethod
    def from_codes(cls, codes: np.ndarray) -> ClusterBlocks:
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        sizes = np.diff(np.r_[starts, len(codes)])
        batches = []
        for n in np.unique(sizes):
            first = starts[sizes == n]
            batches.append(order[first[:, None] + np.arange(n)[None, :]])
        return cls(batches, len(starts))


@dataclass(frozen=True)
class SandwichFit:
    """Robust covariance of the coefficients, with the per-cluster pieces for the df."""

    vcov: np.ndarray
    bread: np.ndarray
    omega: np.ndarray  # X' W Phi W X
    # per batch: (J_n, n, n) Phi, W, A; (J_n, n, p) X
    phi: list[np.ndarray]
    w: list[np.ndarray]
    a: list[np.ndarray]
    x: list[np.ndarray]
    n_clusters: int


def _inverse_sqrt_psd(B: np.ndarray) -> np.ndarray:
    """Batched symmetric ``B^{-1/2}`` (pseudo-inverse square root for singular ``B``)."""
    values, vectors = np.linalg.eigh(B)
    top = values.max(axis=-1, keepdims=True)
    tol = B.shape[-1] * np.finfo(float).eps * 1e2 * np.maximum(top, np.finfo(float).tiny)
    inv_sqrt = np.where(values > tol, 1.0 / np.sqrt(np.where(values > tol, values, 1.0)), 0.0)
    return np.einsum("...ij,...j,...kj->...ik", vectors, inv_sqrt, vectors)


def sandwich(
    X: np.ndarray,
    resid: np.ndarray,
    blocks: ClusterBlocks,
    phi_block: Callable[[np.ndarray], np.ndarray],
    w_block: Callable[[np.ndarray, np.ndarray], np.ndarray],
    adjust: str,
) -> SandwichFit:
    """CR0/CR1/CR2 covariance. ``phi_block(rows)`` gives the ``(J_n, n, n)`` working
    covariance blocks, ``w_block(rows, phi)`` the weight blocks."""
    p = X.shape[1]
    phis, ws, xs, es = [], [], [], []
    xtwx = np.zeros((p, p))
    omega = np.zeros((p, p))
    for rows in blocks.batches:
        phi = phi_block(rows)
        w = w_block(rows, phi)
        x = X[rows]
        xw = np.einsum("jki,jkl->jil", x, w)  # X_j' W_j  (J, p, n)
        xtwx += np.einsum("jil,jlm->im", xw, x)
        omega += np.einsum("jil,jlm,jnm->in", xw, phi, xw)
        phis.append(phi)
        ws.append(w)
        xs.append(x)
        es.append(resid[rows])
    bread = np.linalg.inv(xtwx)
    meat = np.zeros((p, p))
    adjustments = []
    for phi, w, x, e in zip(phis, ws, xs, es, strict=True):
        n = x.shape[1]
        if adjust == "CR2":
            xm = x @ bread  # (J, n, p)
            phi_w_x = np.einsum("jab,jbc,jcp->jap", phi, w, x)  # Phi_j W_j X_j
            S = (
                phi
                - np.einsum("jap,jbp->jab", xm, phi_w_x)
                - np.einsum("jap,jbp->jab", phi_w_x, xm)
                + np.einsum("jap,pq,jbq->jab", xm, omega, xm)
            )
            S = 0.5 * (S + np.swapaxes(S, 1, 2))
            D = np.swapaxes(np.linalg.cholesky(phi), 1, 2)  # upper: Phi = D' D
            B = D @ S @ np.swapaxes(D, 1, 2)
            A = np.swapaxes(D, 1, 2) @ _inverse_sqrt_psd(0.5 * (B + np.swapaxes(B, 1, 2))) @ D
        else:
            A = np.broadcast_to(np.eye(n), (x.shape[0], n, n))
        adjustments.append(A)
        u = np.einsum("jki,jkl,jlm,jm->ji", x, w, A, e)  # X_j' W_j A_j e_j
        meat += u.T @ u
    vcov = bread @ meat @ bread
    if adjust == "CR1":
        J = blocks.n_clusters
        vcov = vcov * J / (J - p)
    return SandwichFit(vcov, bread, omega, phis, ws, adjustments, xs, blocks.n_clusters)


def _g_terms(fit: SandwichFit, contrasts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For contrasts ``c_s`` (rows): ``d_sij``-ready pieces ``(Gdiag, Aterm, Bterm)``.

    ``g_sj = A_j' W_j X_j M c_s``; returns per cluster (stacked over batches)
    ``phi_g`` products: ``P[s, t, j] = g_sj' Phi_j g_tj``, ``a_sj = X_j' W_j Phi_j g_sj`` and
    ``b_sj = X_j' g_sj`` (``(q, J, p)`` each)."""
    mc = fit.bread @ contrasts.T  # (p, q)
    P, a, b = [], [], []
    for phi, w, A, x in zip(fit.phi, fit.w, fit.a, fit.x, strict=True):
        wx_mc = np.einsum("jab,jbp,pq->jaq", w, x, mc)  # W_j X_j M c  (J, n, q)
        g = np.einsum("jba,jbq->jaq", A, wx_mc)  # A_j' W_j X_j M c
        phi_g = phi @ g  # (J, n, q)
        P.append(np.einsum("jas,jat->stj", g, phi_g))
        a.append(np.einsum("jap,jab,jbq->qjp", x, w, phi_g))
        b.append(np.einsum("jap,jaq->qjp", x, g))
    return np.concatenate(P, axis=2), np.concatenate(a, axis=1), np.concatenate(b, axis=1)


def _g_matrix(fit: SandwichFit, P, a, b, s: int, t: int) -> np.ndarray:
    """``G^st_ij = u_si' Phi u_tj`` over clusters ``i, j``."""
    M, W = fit.bread, fit.bread @ fit.omega @ fit.bread
    G = -(a[s] @ M @ b[t].T) - (b[s] @ M @ a[t].T) + b[s] @ W @ b[t].T
    G[np.diag_indices_from(G)] += P[s, t]
    return G


def satterthwaite_df(fit: SandwichFit) -> np.ndarray:
    """Satterthwaite degrees of freedom of every coefficient."""
    p = fit.bread.shape[0]
    P, a, b = _g_terms(fit, np.eye(p))
    df = np.empty(p)
    for r in range(p):
        G = _g_matrix(fit, P, a, b, r, r)
        df[r] = np.trace(G) ** 2 / np.sum(G * G)
    return df


def htz_test(
    fit: SandwichFit, coef: np.ndarray, C: np.ndarray
) -> tuple[float, float, float, float]:
    """Hotelling-T^2 (Zhang) test of ``C b = 0``: ``(F, df1, df2, Q)``."""
    q = C.shape[0]
    Cb = C @ coef
    Q = float(Cb @ np.linalg.solve(C @ fit.vcov @ C.T, Cb))
    P, a, b = _g_terms(fit, C)
    expected = np.array(
        [[np.trace(_g_matrix(fit, P, a, b, s, t)) for t in range(q)] for s in range(q)]
    )
    values, vectors = np.linalg.eigh(0.5 * (expected + expected.T))
    root = vectors @ np.diag(1.0 / np.sqrt(values)) @ vectors.T
    P2, a2, b2 = _g_terms(fit, root @ C)
    G = [[_g_matrix(fit, P2, a2, b2, s, t) for t in range(q)] for s in range(q)]
    total = 0.0
    for s in range(q):
        for t in range(q):
            total += np.sum(G[s][s] * G[t][t]) + np.sum(G[s][t] * G[s][t].T)
    eta = q * (q + 1) / total
    F = (eta - q + 1) / (eta * q) * Q
    return float(F), float(q), float(eta - q + 1), Q
