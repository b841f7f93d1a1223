"""Adaptive composite Gauss-Legendre rules for one-dimensional posteriors in log(tau).

:func:`build_rule` integrates an unnormalized log-density ``logf(u)`` over ``u = log tau``:
a scan locates the mass, panels are placed both uniformly and at approximate posterior
quantiles (so that a sharp peak gets as many panels as a flat tail), and every panel gets a
8-point Gauss-Legendre rule. Mass below the scan range (tau -> 0) is supplied by the caller
as an "atom" (its conditional distributions equal those at tau = 0 to O(tau^2 / v)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["LogRule", "build_rule", "partial_integrals"]

_ORDER = 8
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_ORDER)
_SCAN = 513
_UNIFORM = 9
# approximate posterior quantiles used as panel edges (besides 8 uniform panels)
_TAIL_LEVELS = (1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.15, 0.3)
_LEVELS = np.array([*_TAIL_LEVELS, 0.5, *(1.0 - p for p in reversed(_TAIL_LEVELS))])
_DROP = 46.0  # log-density this far below the peak is treated as negligible (e^-46 ~ 1e-20)


@dataclass(frozen=True)
class LogRule:
    """A quadrature rule over u = log(tau) plus an optional atom at the lower end."""

    nodes: np.ndarray  # (n,) values of u
    log_weights: np.ndarray  # (n,) log of (quadrature weight x density), normalized
    edges: np.ndarray  # (P + 1,) panel edges in u
    panel_mass: np.ndarray  # (P,) normalized mass of each panel
    log_norm: float  # log of the total (unnormalized) mass, atom included
    atom_mass: float  # normalized mass below edges[0] (0 if no atom)


def _gl_panels(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    nodes = mid[:, None] + half[:, None] * _GL_X[None, :]
    weights = half[:, None] * _GL_W[None, :]
    return nodes, weights


def _approximate_quantiles(u: np.ndarray, lf: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of the density exp(lf) tabulated on the grid u (trapezoid rule)."""
    finite = np.isfinite(lf)
    if not finite.any():
        return np.array([])
    dens = np.where(finite, np.exp(np.where(finite, lf, 0.0) - lf[finite].max()), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(u))])
    return np.interp(levels * cum[-1], cum, u) if cum[-1] > 0 else np.array([])


def _region(u: np.ndarray, lf: np.ndarray) -> tuple[float, float]:
    finite = np.isfinite(lf)
    peak = lf[finite].max()
    idx = np.flatnonzero(finite & (lf > peak - _DROP))
    i0, i1 = max(idx[0] - 1, 0), min(idx[-1] + 1, len(u) - 1)
    return float(u[i0]), float(u[i1])


def build_rule(
    logf: Callable[[np.ndarray], np.ndarray],
    u_lo: float,
    u_hi: float,
    *,
    log_atom: float = -np.inf,
    tail_weight: Callable[[np.ndarray], np.ndarray] | None = None,
) -> LogRule:
    """Quadrature rule for the density ``exp(logf(u))`` on ``[u_lo, u_hi]``.

    Parameters
    ----------
    logf
        Vectorized unnormalized log-density in u (``-inf`` where it vanishes).
    u_lo, u_hi
        Integration range (finite).
    log_atom
        Log of the (unnormalized) mass below ``u_lo``.
    tail_weight
        Optional extra log-weight (e.g. ``2 u`` for the second moment of tau) used only to
        decide how far the range must extend so that moment integrals converge too.
    """
    u = np.linspace(u_lo, u_hi, _SCAN)
    for _ in range(2):  # scan, then rescan the located region at finer resolution
        lf = logf(u)
        if tail_weight is not None:
            lf = lf + tail_weight(u)
        a, b = _region(u, lf)
        if b <= a:
            b = a + 1e-8 * (1.0 + abs(a))
        u = np.linspace(a, b, _SCAN)
    lf = logf(u)
    edges = [np.linspace(a, b, _UNIFORM), _approximate_quantiles(u, lf, _LEVELS)]
    edges = np.unique(np.concatenate(edges))
    edges = edges[np.concatenate([[True], np.diff(edges) > 1e-9 * (b - a)])]
    edges[-1] = b

    nodes, weights = _gl_panels(edges)
    log_w = np.log(weights) + logf(nodes)
    panel_log = special.logsumexp(log_w, axis=1)
    log_norm = float(np.logaddexp(special.logsumexp(panel_log), log_atom))
    return LogRule(
        nodes=nodes.ravel(),
        log_weights=(log_w - log_norm).ravel(),
        edges=edges,
        panel_mass=np.exp(panel_log - log_norm),
        log_norm=log_norm,
        atom_mass=float(np.exp(log_atom - log_norm)),
    )


def partial_integrals(
    logf: Callable[[np.ndarray], np.ndarray], rule: LogRule, u: np.ndarray
) -> np.ndarray:
    """Normalized mass below each ``u`` (the distribution function in u), vectorized."""
    u = np.asarray(u, dtype=float)
    out = np.empty_like(u)
    below = u <= rule.edges[0]
    above = u >= rule.edges[-1]
    out[below] = rule.atom_mass
    out[above] = 1.0
    mid = ~(below | above)
    if mid.any():
        um = u[mid]
        panel = np.searchsorted(rule.edges, um, side="right") - 1
        start = rule.edges[panel]
        cum = rule.atom_mass + np.concatenate([[0.0], np.cumsum(rule.panel_mass)])[panel]
        nodes, weights = _gl_panels(np.stack([start, um], axis=1).ravel())
        nodes, weights = nodes[::2], weights[::2]  # panels [start_i, u_i] only
        part = (np.exp(logf(nodes.ravel()).reshape(nodes.shape) - rule.log_norm) * weights).sum(1)
        out[mid] = cum + part
    return np.minimum(out, 1.0)
