"""Vectorized normal mixtures: the marginal posteriors of mu, theta_i and a new study's effect.

Given tau, every quantity of the normal-normal model is normal; integrating tau out with a
quadrature rule (nodes tau_j, weights w_j) turns each marginal into a finite mixture
``sum_j w_j N(m_j, s_j^2)``. :class:`NormalMixture` holds ``d`` such mixtures sharing the
weights (rows of ``means``/``sds``) and evaluates distribution functions, densities,
quantiles and shortest intervals for all of them at once (no Python loop over studies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["NormalMixture"]

_SQRT2PI = np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class NormalMixture:
    """``d`` mixtures ``sum_j weights[j] N(means[i, j], sds[i, j]^2)``, i = 0..d-1."""

    weights: np.ndarray  # (n,), sums to 1
    means: np.ndarray  # (d, n)
    sds: np.ndarray  # (d, n)

    @property
    def d(self) -> int:
        return self.means.shape[0]

    # ------------------------------------------------------------------ moments
    def mean(self) -> np.ndarray:
        return self.means @ self.weights

    def sd(self) -> np.ndarray:
        mean = self.mean()
        second = (self.sds**2 + self.means**2) @ self.weights
        return np.sqrt(np.maximum(second - mean**2, 0.0))

    # ------------------------------------------------------------------ evaluation
    def _z(self, x: np.ndarray) -> np.ndarray:
        """Standardized values, shape (d, m, n), for x of shape (d, m)."""
        return (x[:, :, None] - self.means[:, None, :]) / self.sds[:, None, :]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Distribution functions at ``x`` (shape (d, m)); returns (d, m)."""
        return special.ndtr(self._z(x)) @ self.weights

    def pdf(self, x: np.ndarray) -> np.ndarray:
        z = self._z(x)
        return (np.exp(-0.5 * z**2) / (_SQRT2PI * self.sds[:, None, :])) @ self.weights

    def _evaluate(self, x: np.ndarray, slope: bool = False) -> tuple[np.ndarray, ...]:
        """Distribution function, density and (optionally) the density's slope at x."""
        z = self._z(x)
        dens = np.exp(-0.5 * z**2) / (_SQRT2PI * self.sds[:, None, :])
        out = (special.ndtr(z) @ self.weights, dens @ self.weights)
        if slope:
            out += ((-z / self.sds[:, None, :] * dens) @ self.weights,)
        return out

    # ------------------------------------------------------------------ quantiles
    def quantile(self, p: np.ndarray) -> np.ndarray:
        """Quantiles: ``p`` of shape (m,) or (d, m); returns (d, m).

        Safeguarded Newton iteration inside a bracket. The bracket is exact: the mixture's
        p-quantile lies between the smallest and the largest component p-quantile (over
        components with non-negligible weight, widened until it brackets).
        """
        p = np.broadcast_to(np.asarray(p, dtype=float), (self.d, np.shape(p)[-1])).copy()
        zp = special.ndtri(p)
        keep = self.weights > 1e-14 * self.weights.max()
        comp = self.means[:, None, keep] + self.sds[:, None, keep] * zp[:, :, None]
        lo, hi = comp.min(axis=2), comp.max(axis=2)
        x = np.clip(self.mean()[:, None] + self.sd()[:, None] * zp, lo, hi)
        x = np.where(np.isfinite(x), x, 0.5 * (lo + hi))
        for _ in range(100):
            F, dens = self._evaluate(x)
            f = F - p
            lo = np.where(f < 0, x, lo)
            hi = np.where(f >= 0, x, hi)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = x - f / dens
            inside = np.isfinite(step) & (step >= lo) & (step <= hi)
            x_new = np.where(inside, step, 0.5 * (lo + hi))
            tol = 1e-13 * (1.0 + np.abs(x))
            done = (inside & (np.abs(step - x) <= tol)) | (hi - lo <= tol) | (f == 0)
            x = x_new
            if done.all():
                break
        miss = np.abs(self.cdf(x) - p) > 1e-10
        if miss.any():  # bracket spoiled by neglected components: widen and bisect
            x[miss] = self._quantile_bisect(p, miss)
        return x

    def _quantile_bisect(self, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Slow but sure: bisection in a bracket widened from mean +- sd until it holds."""
        centre = np.broadcast_to(self.mean()[:, None], p.shape)[rows]
        width = np.broadcast_to(self.sd()[:, None], p.shape)[rows] + 1.0
        index = np.nonzero(rows)
        sub = NormalMixture(self.weights, self.means[index[0]], self.sds[index[0]])
        target = p[rows][:, None]
        lo, hi = (centre - width)[:, None], (centre + width)[:, None]
        for _ in range(200):
            bad = (sub.cdf(lo) > target) | (sub.cdf(hi) < target)
            if not bad.any():
                break
            width = width * 2.0
            lo, hi = (centre - width)[:, None], (centre + width)[:, None]
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            below = sub.cdf(mid) < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)[:, 0]

    # ------------------------------------------------------------------ shortest intervals
    def shortest_interval(self, level: float) -> np.ndarray:
        """Shortest (highest posterior density) intervals, shape (d, 2).

        For a unimodal density the shortest interval [a, b] with mass ``level`` solves
        F(b) - F(a) = level and f(a) = f(b) (Box & Tiao 1973, sec. 2.8); solved by damped
        Newton iteration from the equal-tailed interval, with a bisection over the lower
        tail probability as fallback.
        """
        alpha = (1.0 - level) / 2.0
        ab = self.quantile(np.array([alpha, 1.0 - alpha]))
        a, b = ab[:, 0].copy(), ab[:, 1].copy()

        def residual(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
            F, f, fp = self._evaluate(np.stack([a, b], axis=1), slope=True)
            g1 = F[:, 1] - F[:, 0] - level
            g2 = f[:, 0] - f[:, 1]
            return g1, g2, f, fp

        g1, g2, f, fp = residual(a, b)
        active = np.ones(len(a), dtype=bool)
        for _ in range(60):
            # Newton step for (g1, g2) in (a, b); converged rows stay put
            j11, j12 = -f[:, 0], f[:, 1]
            j21, j22 = fp[:, 0], -fp[:, 1]
            det = j11 * j22 - j12 * j21
            with np.errstate(divide="ignore", invalid="ignore"):
                da = np.where(active, (g1 * j22 - g2 * j12) / det, 0.0)
                db = np.where(active, (j11 * g2 - j21 * g1) / det, 0.0)
            da, db = np.nan_to_num(da), np.nan_to_num(db)
            fmax = np.maximum(f.max(axis=1), 1e-300)
            norm0 = np.abs(g1) + np.abs(g2) / fmax
            step = np.ones_like(a)
            for _ in range(30):  # backtracking: accept a step that does not raise the residual
                a_new, b_new = a - step * da, b - step * db
                n1, n2, f_new, fp_new = residual(a_new, b_new)
                norm1 = np.abs(n1) + np.abs(n2) / np.maximum(f_new.max(axis=1), 1e-300)
                ok = (np.isfinite(norm1) & (norm1 <= norm0 + 1e-15) & (a_new < b_new)) | ~active
                if ok.all():
                    break
                step = np.where(ok, step, step / 2.0)
            a, b = np.where(ok, a_new, a), np.where(ok, b_new, b)
            g1, g2 = np.where(ok, n1, g1), np.where(ok, n2, g2)
            f, fp = np.where(ok[:, None], f_new, f), np.where(ok[:, None], fp_new, fp)
            small = np.abs(da) + np.abs(db) <= 1e-12 * np.maximum(b - a, 1e-300)
            active &= ~(small & (np.abs(g1) < 1e-12))
            if not active.any():
                break
        failed = ~((np.abs(g1) < 1e-9) & (np.abs(g2) <= 1e-7 * f.max(axis=1)) & (a < b))
        if failed.any():
            a[failed], b[failed] = self._shortest_by_bisection(np.flatnonzero(failed), level)
        return np.stack([a, b], axis=1)

    def _shortest_by_bisection(self, rows: np.ndarray, level: float) -> tuple[np.ndarray, ...]:
        """Fallback: bisection over the lower tail probability p of
        f(Q(p)) - f(Q(p + level)) = 0 (increasing in p for a unimodal density)."""
        sub = NormalMixture(self.weights, self.means[rows], self.sds[rows])
        lo = np.full(len(rows), 1e-12)
        hi = np.full(len(rows), 1.0 - level - 1e-12)
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            q = sub.quantile(np.stack([mid, mid + level], axis=1))
            f = sub.pdf(q)
            lo, hi = np.where(f[:, 0] < f[:, 1], mid, lo), np.where(f[:, 0] < f[:, 1], hi, mid)
        q = sub.quantile(np.stack([lo, lo + level], axis=1))
        return q[:, 0], q[:, 1]
