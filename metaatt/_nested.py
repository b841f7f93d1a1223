"""Linear algebra of the three-level model without k x k matrices.

The marginal covariance of the outcomes is

    V = diag(v) + sigma2_w Z_w Z_w' + sigma2_b Z_b Z_b',

with ``Z_b`` the study indicators (between-study level) and ``Z_w`` the indicators of the
effect-size clusters nested in studies (within-study level; one per row unless ``es_id``
groups rows). ``V`` is block diagonal by study, each block a compound-symmetric matrix
inside a compound-symmetric matrix, so two nested Sherman-Morrison-Woodbury steps give
``V^{-1} M``, ``log|V|`` and every trace the likelihood needs with group sums only:
``O(k p^2)`` work and memory, whatever the study sizes.

Level 2 (clusters ``c``): ``D = diag(v) + s_w Z_w Z_w'``,
``D^{-1} M = M / v - (1/v) g_c sum_c(M / v)``, ``g_c = s_w / (1 + s_w a_c)``,
``a_c = sum_{i in c} 1/v_i``, ``log|D| = sum log v + sum_c log(1 + s_w a_c)``.

Level 3 (studies ``s``): with ``c_i = (D^{-1} 1)_i = (1/v_i) / (1 + s_w a_c(i))`` and
``b_s = sum_{i in s} c_i``: ``V^{-1} M = D^{-1} M - c h_s sum_s(c M)``,
``h_s = s_b / (1 + s_b b_s)``, ``log|V| = log|D| + sum_s log(1 + s_b b_s)``.

References
----------
Harville, D. A. (1977). Maximum likelihood approaches to variance component estimation
and to related problems. JASA, 72, 320-338 (the (restricted) likelihood and its score).
Konstantopoulos, S. (2011). Fixed effects and variance components estimation in
three-level meta-analysis. Research Synthesis Methods, 2, 61-76.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LikelihoodParts", "NestedStructure"]

LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class LikelihoodParts:
    """(Restricted) log-likelihood, its gradient and the GLS fit at given sigma2."""

    loglik: float
    gradient: np.ndarray  # d loglik / d (sigma2_between, sigma2_within)
    coef: np.ndarray
    vcov: np.ndarray


class NestedStructure:
    """Outcomes, sampling variances, design and the study / cluster nesting."""

    def __init__(
        self,
        y: np.ndarray,
        v: np.ndarray,
        X: np.ndarray,
        study: np.ndarray,
        cluster: np.ndarray,
    ) -> None:
        study = np.asarray(study, dtype=int)
        cluster = np.asarray(cluster, dtype=int)
        # rows sorted by study, then cluster: group sums become np.add.reduceat over segments
        self.order = np.lexsort((cluster, study))
        self.y = np.asarray(y, dtype=float)[self.order]
        self.v = np.asarray(v, dtype=float)[self.order]
        self.X = np.asarray(X, dtype=float)[self.order]
        self.k, self.p = self.X.shape
        self.study = study[self.order]
        self.cluster = cluster[self.order]
        self._study_start = np.flatnonzero(np.r_[True, self.study[1:] != self.study[:-1]])
        self._cluster_start = np.flatnonzero(
            np.r_[
                True, (self.cluster[1:] != self.cluster[:-1]) | (self.study[1:] != self.study[:-1])
            ]
        )
        self._study_size = np.diff(np.r_[self._study_start, self.k])
        self._cluster_size = np.diff(np.r_[self._cluster_start, self.k])
        self.n_studies = len(self._study_start)
        self.n_clusters = len(self._cluster_start)
        # study (0..S-1) of every cluster (0..C-1), clusters numbered in sorted order
        self.cluster_study = self._cluster_study()
        self.inv_v = 1.0 / self.v
        self.a = self.cluster_sum(self.inv_v)  # (C,) sum of 1/v per cluster
        xtx = self.X.T @ self.X
        self.logdet_xtx = float(np.linalg.slogdet(xtx)[1])

    def _cluster_study(self) -> np.ndarray:
        study_index = np.repeat(np.arange(self.n_studies), self._study_size)
        return study_index[self._cluster_start]

    def cluster_sum(self, M: np.ndarray) -> np.ndarray:
        """Sums of the rows of ``M`` within every cluster."""
        return np.add.reduceat(M, self._cluster_start, axis=0)

    def study_sum(self, M: np.ndarray) -> np.ndarray:
        """Sums of the rows of ``M`` within every study."""
        return np.add.reduceat(M, self._study_start, axis=0)

    def to_clusters(self, values: np.ndarray) -> np.ndarray:
        """Broadcast per-cluster values to the rows."""
        return np.repeat(values, self._cluster_size, axis=0)

    def to_studies(self, values: np.ndarray) -> np.ndarray:
        """Broadcast per-study values to the rows."""
        return np.repeat(values, self._study_size, axis=0)

    # ------------------------------------------------------------------ V^{-1}
    def _level_terms(self, s_b: float, s_w: float) -> tuple[np.ndarray, ...]:
        g = s_w / (1.0 + s_w * self.a)  # (C,)
        e = self.a / (1.0 + s_w * self.a)  # (C,) = sum_{i in c} c_i = 1_c' D^{-1} 1_c
        c = self.inv_v / self.to_clusters(1.0 + s_w * self.a)  # (k,) = D^{-1} 1
        b = self.study_sum(c)  # (S,)
        h = s_b / (1.0 + s_b * b)  # (S,)
        return g, e, c, b, h

    def vinv(self, M: np.ndarray, s_b: float, s_w: float) -> np.ndarray:
        """``V^{-1} M`` for ``M`` of shape ``(k,)`` or ``(k, m)``."""
        g, _, c, _, h = self._level_terms(s_b, s_w)
        return self._vinv(M, g, c, h)

    def _vinv(self, M: np.ndarray, g: np.ndarray, c: np.ndarray, h: np.ndarray) -> np.ndarray:
        vec = M.ndim == 1
        M2 = M[:, None] if vec else M
        R0 = M2 * self.inv_v[:, None]
        DinvM = R0 - self.inv_v[:, None] * self.to_clusters(g[:, None] * self.cluster_sum(R0))
        out = DinvM - c[:, None] * self.to_studies(h[:, None] * self.study_sum(c[:, None] * M2))
        return out[:, 0] if vec else out

    def logdet(self, s_b: float, s_w: float) -> float:
        _, _, _, b, _ = self._level_terms(s_b, s_w)
        return float(np.log(self.v).sum() + np.log1p(s_w * self.a).sum() + np.log1p(s_b * b).sum())

    def dense_block(self, rows: np.ndarray, s_b: float, s_w: float) -> np.ndarray:
        """The dense covariance block ``V[rows, rows]``; ``rows`` index the sorted rows."""
        same_study = self.study[rows][:, None] == self.study[rows][None, :]
        same_cluster = self.cluster[rows][:, None] == self.cluster[rows][None, :]
        return np.diag(self.v[rows]) + s_w * same_cluster + s_b * same_study

    # ------------------------------------------------------------------ likelihood
    def parts(self, sigma2: np.ndarray, method: str) -> LikelihoodParts:
        """Log-likelihood (``"ML"`` or ``"REML"``, metafor's constants) and its gradient."""
        s_b, s_w = float(sigma2[0]), float(sigma2[1])
        g, e, c, b, h = self._level_terms(s_b, s_w)
        VinvX = self._vinv(self.X, g, c, h)
        Vinvy = self._vinv(self.y, g, c, h)
        xtvx = self.X.T @ VinvX
        vcov = np.linalg.inv(xtvx)
        coef = vcov @ (self.X.T @ Vinvy)
        r = self.y - self.X @ coef
        Vinvr = Vinvy - VinvX @ coef  # = P y
        rss = float(r @ Vinvr)
        logdet_v = float(
            np.log(self.v).sum() + np.log1p(s_w * self.a).sum() + np.log1p(s_b * b).sum()
        )
        # 1_g' V^{-1} 1_g for every study and every cluster
        q_study = b / (1.0 + s_b * b)
        q_cluster = e - h[self.cluster_study] * e**2
        # Z' V^{-1} X and Z' P y
        ZbVX = self.study_sum(VinvX)
        ZwVX = self.cluster_sum(VinvX)
        zb_py = self.study_sum(Vinvr)
        zw_py = self.cluster_sum(Vinvr)
        if method == "ML":
            tr_b, tr_w = q_study.sum(), q_cluster.sum()
            loglik = -0.5 * (self.k * LOG_2PI + logdet_v + rss)
        else:
            tr_b = q_study.sum() - np.einsum("gi,ij,gj->", ZbVX, vcov, ZbVX)
            tr_w = q_cluster.sum() - np.einsum("gi,ij,gj->", ZwVX, vcov, ZwVX)
            logdet_xvx = float(np.linalg.slogdet(xtvx)[1])
            loglik = -0.5 * (
                (self.k - self.p) * LOG_2PI - self.logdet_xtx + logdet_v + logdet_xvx + rss
            )
        gradient = 0.5 * np.array([zb_py @ zb_py - tr_b, zw_py @ zw_py - tr_w])
        return LikelihoodParts(float(loglik), gradient, coef, vcov)

    def fixed_effects_trace(self) -> float:
        """``tr(P)`` of the fixed-effects model (``W = diag(1/v)``), for the typical ``v``."""
        W = self.inv_v
        xtwx = self.X.T @ (W[:, None] * self.X)
        m = np.linalg.inv(xtwx)
        return float(W.sum() - np.einsum("ki,ij,kj,k->", self.X, m, self.X, W**2))

    def qe(self) -> float:
        """Cochran's Q of the fixed-effects fit, ``sum (y - X b_FE)^2 / v``."""
        W = self.inv_v
        b = np.linalg.solve(self.X.T @ (W[:, None] * self.X), self.X.T @ (W * self.y))
        return float(np.sum(W * (self.y - self.X @ b) ** 2))
