"""Independent high-precision reference values for metaatt.bayes (exact normal-normal model).

Run from the worktree root (takes a few minutes; needs mpmath and numpy only):

    /work/venv/bin/python tests/reference/bayes_exact.py

Writes tests/reference/fixtures/bayes_exact.json (rewritten after every case; ``--resume``
keeps the cases already there). Nothing here imports metaatt: every number is computed from
scratch with mpmath at 20 significant digits (tanh-sinh quadrature in log(tau), split at
rough posterior quantiles), so the fixture checks metaatt's vectorized Gauss-Legendre
machinery against an unrelated algorithm.

Model (Roever 2020, J Stat Softw 93(6), eqs. 1-3): y_i ~ N(theta_i, v_i),
theta_i ~ N(mu, tau^2), mu ~ N(m0, s0^2) or flat, tau ~ p(tau). For fixed tau the mu and
theta conditionals are normal; the marginal posterior of tau is integrated numerically. The
analytic mu-integration is verified against direct numerical integration over mu below
(``_check_marginal``). Datasets other than the eight schools (Rubin 1981, as in the bayesmeta
vignette) are random draws with a fixed numpy seed: held-out inputs, not study results.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import mpmath as mp
import numpy as np

mp.mp.dps = 20
OUT = Path(__file__).parent / "fixtures" / "bayes_exact.json"


# ---------------------------------------------------------------- prior densities on tau
def prior_density(spec):
    kind = spec["family"]
    if kind == "half_normal":
        s = mp.mpf(spec["scale"])
        return lambda t: 2 / (s * mp.sqrt(2 * mp.pi)) * mp.exp(-(t**2) / (2 * s**2))
    if kind == "half_cauchy":
        s = mp.mpf(spec["scale"])
        return lambda t: 2 / (mp.pi * s * (1 + (t / s) ** 2))
    if kind == "half_student_t":
        s, nu = mp.mpf(spec["scale"]), mp.mpf(spec["nu"])
        c = 2 * mp.gamma((nu + 1) / 2) / (mp.gamma(nu / 2) * mp.sqrt(nu * mp.pi) * s)
        return lambda t: c * (1 + (t / s) ** 2 / nu) ** (-(nu + 1) / 2)
    if kind == "uniform":
        lo = mp.mpf(spec["low"])
        hi = mp.inf if spec["high"] is None else mp.mpf(spec["high"])
        height = 1 if hi == mp.inf else 1 / (hi - lo)
        return lambda t: height if lo <= t <= hi else mp.mpf(0)
    if kind == "lognormal_tau2":  # tau^2 ~ LN(mu, sigma^2); p(tau) = 2 tau f(tau^2)
        m, sg = mp.mpf(spec["mu"]), mp.mpf(spec["sigma"])

        def f(t):
            if t == 0:
                return mp.mpf(0)
            x = t**2
            return (
                2
                * t
                * mp.exp(-((mp.log(x) - m) ** 2) / (2 * sg**2))
                / (x * sg * mp.sqrt(2 * mp.pi))
            )

        return f
    if kind == "log_student_t_tau2":  # log tau^2 ~ t_nu(location, scale)
        loc, sc, nu = mp.mpf(spec["location"]), mp.mpf(spec["scale"]), mp.mpf(spec["nu"])
        c = mp.gamma((nu + 1) / 2) / (mp.gamma(nu / 2) * mp.sqrt(nu * mp.pi))

        def f(t):
            if t == 0:
                return mp.inf
            x = t**2
            z = (mp.log(x) - loc) / sc
            return 2 * t * c * (1 + z**2 / nu) ** (-(nu + 1) / 2) / (sc * x)

        return f
    raise ValueError(kind)


def to_log(t):
    return -mp.inf if t == 0 else (mp.inf if t == mp.inf else mp.log(t))


def quad_log(f, pts):
    """Integral of f over [pts[0], pts[-1]] by tanh-sinh quadrature in u = log(tau).

    An infinite upper end is replaced by e^100 times the last finite breakpoint: the
    integrands decay at least like 1/tau there, and nodes near u = +inf would make mpmath
    build numbers like exp(-exp(2e10)) (a half-normal prior at tau = e^(1e10))."""
    us = [to_log(p) for p in pts]
    if us[-1] == mp.inf:
        us[-1] = us[-2] + 100
    return mp.quad(lambda u: f(mp.exp(u)) * mp.exp(u), us, maxdegree=10)


def support(spec):
    if spec["family"] == "uniform":
        return mp.mpf(spec["low"]), (mp.inf if spec["high"] is None else mp.mpf(spec["high"]))
    return mp.mpf(0), mp.inf


# ---------------------------------------------------------------- the model
class Model:
    def __init__(self, y, v, tau_spec, mu_spec, level, threshold):
        self.y = [mp.mpf(a) for a in y]
        self.v = [mp.mpf(a) for a in v]
        self.k = len(y)
        self.prior = prior_density(tau_spec)
        self.lo, self.hi = support(tau_spec)
        self.mu_spec = mu_spec
        self.level = mp.mpf(level)
        self.threshold = mp.mpf(threshold)
        self._cache = {}  # tau -> conditional moments / unnormalized posterior density
        self.breaks = self._breakpoints()
        self.Z = self.integrate(lambda t: self.post(t))

    # conditional moments of mu given tau (prior treated as one more "observation")
    def cond(self, t):
        key = ("cond", t)
        if key not in self._cache:
            self._cache[key] = self._cond(t)
        return self._cache[key]

    def _cond(self, t):
        w = [1 / (vi + t**2) for vi in self.v]
        prec = mp.fsum(w)
        num = mp.fsum(wi * yi for wi, yi in zip(w, self.y, strict=True))
        if self.mu_spec is not None:
            prec += 1 / mp.mpf(self.mu_spec["sd"]) ** 2
            num += mp.mpf(self.mu_spec["mean"]) / mp.mpf(self.mu_spec["sd"]) ** 2
        return num / prec, 1 / prec

    def log_marginal(self, t):
        """log p(y | tau) with mu integrated out analytically."""
        return self.log_marginal_uncached(t, self.cond(t))

    def log_marginal_uncached(self, t, cond=None):
        m, V = self._cond(t) if cond is None else cond
        out = mp.mpf(0)
        for yi, vi in zip(self.y, self.v, strict=True):
            s2 = vi + t**2
            out += -mp.log(2 * mp.pi * s2) / 2 - (yi - m) ** 2 / (2 * s2)
        if self.mu_spec is not None:
            m0, s0 = mp.mpf(self.mu_spec["mean"]), mp.mpf(self.mu_spec["sd"])
            out += -mp.log(2 * mp.pi * s0**2) / 2 - (m0 - m) ** 2 / (2 * s0**2)
        return out + mp.log(2 * mp.pi * V) / 2

    def log_lik_mu0(self, t):
        """log p(y | mu = 0, tau)."""
        out = mp.mpf(0)
        for yi, vi in zip(self.y, self.v, strict=True):
            s2 = vi + t**2
            out += -mp.log(2 * mp.pi * s2) / 2 - yi**2 / (2 * s2)
        return out

    def post(self, t):
        key = ("post", t)
        if key not in self._cache:
            self._cache[key] = self._post(t)
        return self._cache[key]

    def _post(self, t):
        """Posterior density of tau up to the constant exp(offset): values of order 1, because
        mpmath's quad stops on an *absolute* error below 10^-dps."""
        if t < self.lo or t > self.hi:
            return mp.mpf(0)
        p = self.prior(t)
        if p == 0:
            return mp.mpf(0)
        return p * mp.exp(self.log_marginal(t) - self.offset)

    def _log_post_raw(self, t):
        p = self.prior(t) if self.lo <= t <= self.hi else mp.mpf(0)
        return mp.log(p) + self.log_marginal_uncached(t) if p > 0 else mp.mpf(-1e300)

    def _breakpoints(self):
        # rough posterior quantiles from a log-spaced scan: only used to split the quadrature
        lo = float(self.lo) if self.lo > 0 else 1e-8
        hi = float(self.hi) if self.hi != mp.inf else 1e5 * (1 + max(abs(float(a)) for a in self.y))
        ts = np.geomspace(lo, hi, 600)
        lp = np.array([float(self._log_post_raw(mp.mpf(t))) for t in ts])
        self.offset = mp.mpf(float(lp.max()))
        dens = np.exp(lp - lp.max()) * ts  # density in log tau
        cdf = np.cumsum(dens)
        cdf /= cdf[-1]
        qs = np.interp([1e-6, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999, 1 - 1e-6], cdf, ts)
        pts = sorted({float(q) for q in qs if lo < q < hi})
        return [self.lo, *[mp.mpf(p) for p in pts], self.hi]

    def integrate(self, f, upto=None):
        """Integral of f(tau) over the support (or up to ``upto``), computed in u = log(tau)
        (smooth even where the prior has a pole at 0), split at the breakpoints."""
        pts = self.breaks if upto is None else [b for b in self.breaks if b < upto] + [upto]
        return quad_log(f, pts)

    # -------------------------------------------------------------- tau
    def tau_cdf(self, x):
        if x <= self.lo:
            return mp.mpf(0)
        return self.integrate(self.post, upto=x) / self.Z

    def tau_density(self, x):
        return self.post(x) / self.Z

    @staticmethod
    def quantile(cdf, p, a, b, dens=None):
        """Root of cdf(x) = p in [a, b]: bisection steps until the bracket is small, then
        Newton (or secant) steps kept inside the bracket."""
        fa, fb = cdf(a) - p, cdf(b) - p
        assert fa < 0 < fb, (a, b, fa, fb)
        x = (a + b) / 2
        for it in range(200):
            fx = cdf(x) - p
            if fx < 0:
                a, fa = x, fx
            else:
                b, fb = x, fx
            if abs(fx) < mp.mpf(10) ** -17 or b - a < mp.mpf(10) ** -17 * (1 + abs(x)):
                return x
            if dens is not None and it > 3:
                step = x - fx / dens(x)
            else:
                step = a - fa * (b - a) / (fb - fa) if it > 3 else (a + b) / 2
            x = step if a < step < b else (a + b) / 2
        raise RuntimeError("quantile did not converge")

    def tau_stats(self):
        mean = self.integrate(lambda t: t * self.post(t)) / self.Z
        m2 = self.integrate(lambda t: t**2 * self.post(t)) / self.Z
        alpha = (1 - self.level) / 2
        hi_bracket = self.breaks[-2] * 10 if self.hi == mp.inf else self.hi
        lo_bracket = self.lo + mp.mpf(10) ** -12
        q = {
            p: self.quantile(self.tau_cdf, p, lo_bracket, hi_bracket, self.tau_density)
            for p in (alpha, mp.mpf(0.5), 1 - alpha, self.level)
        }
        out = {
            "mean": mean,
            "sd": mp.sqrt(m2 - mean**2),
            "median": q[mp.mpf(0.5)],
            "ci_low": q[alpha],
            "ci_high": q[1 - alpha],
        }
        # shortest interval: starts at the lower bound when the density decreases from there
        f_lo = (
            self.post(self.lo) / self.Z if self.lo > 0 or self.prior(self.lo) != mp.inf else mp.inf
        )
        if f_lo >= self.tau_density(q[self.level]):
            out["hpd_low"], out["hpd_high"] = self.lo, q[self.level]
        else:
            a, b = self._hpd(self.tau_cdf, self.tau_density, out["ci_low"], out["ci_high"])
            out["hpd_low"], out["hpd_high"] = a, b
        return out

    def _hpd(self, cdf, dens, a0, b0):
        def eqs(a, b):
            return [cdf(b) - cdf(a) - self.level, dens(a) - dens(b)]

        a, b = mp.findroot(eqs, (a0, b0), tol=1e-26)
        return a, b

    # -------------------------------------------------------------- mixtures over tau
    def mixture(self, moments):
        """CDF, density and moments of a normal mixture: given tau, N(moments(tau))."""

        def cdf(x):
            def f(t):
                m, s2 = moments(t)
                return self.post(t) * mp.ncdf((x - m) / mp.sqrt(s2))

            return self.integrate(f) / self.Z

        def dens(x):
            def f(t):
                m, s2 = moments(t)
                return self.post(t) * mp.npdf(x, m, mp.sqrt(s2))

            return self.integrate(f) / self.Z

        mean = self.integrate(lambda t: self.post(t) * moments(t)[0]) / self.Z
        second = (
            self.integrate(lambda t: self.post(t) * (moments(t)[1] + moments(t)[0] ** 2)) / self.Z
        )
        return cdf, dens, mean, mp.sqrt(second - mean**2)

    def mixture_stats(self, moments, hpd=True):
        cdf, dens, mean, sd = self.mixture(moments)
        alpha = (1 - self.level) / 2
        span = 12 * sd
        out = {"mean": mean, "sd": sd}
        for name, p in (("ci_low", alpha), ("median", mp.mpf(0.5)), ("ci_high", 1 - alpha)):
            out[name] = self.quantile(cdf, p, mean - span, mean + span, dens)
        if hpd:
            out["hpd_low"], out["hpd_high"] = self._hpd(cdf, dens, out["ci_low"], out["ci_high"])
        return out, cdf

    def mu_moments(self, t):
        return self.cond(t)

    def pred_moments(self, t):
        m, V = self.cond(t)
        return m, V + t**2

    def theta_moments(self, i):
        def f(t):
            m, V = self.cond(t)
            B = self.v[i] / (self.v[i] + t**2)
            return B * m + (1 - B) * self.y[i], (1 - B) * self.v[i] + B**2 * V

        return f

    # -------------------------------------------------------------- Bayes factors
    def log_evidence(self):
        return mp.log(self.Z) + self.offset

    def bf_heterogeneity(self):
        return mp.exp(self.log_evidence() - self.log_marginal_uncached(mp.mpf(0)))

    def bf_effect(self):
        def log_f(t):
            p = self.prior(t) if self.lo <= t <= self.hi else mp.mpf(0)
            return mp.log(p) + self.log_lik_mu0(t) if p > 0 else mp.mpf(-1e300)

        # the null model's integrand peaks elsewhere: its own scale and breakpoints
        ts = np.geomspace(float(self.breaks[1]), float(self.breaks[-2]) * 100, 400)
        offset0 = max(log_f(mp.mpf(t)) for t in ts)

        def f(t):
            return mp.exp(log_f(t) - offset0)

        pts = [self.lo, *self.breaks[1:-1], *[b * 10 for b in self.breaks[-3:-1]], self.hi]
        z0 = quad_log(f, pts)
        return mp.exp(self.log_evidence() - mp.log(z0) - offset0)


def _check_marginal(model, t):
    """The analytic mu-integration equals direct numerical integration over mu (checked at
    40 digits: at 20 the tanh-sinh rule itself is only good to about 1e-8 here)."""
    with mp.workdps(40):
        t = mp.mpf(t)

        def integrand(mu):
            out = mp.mpf(0)
            for yi, vi in zip(model.y, model.v, strict=True):
                s2 = vi + t**2
                out += -mp.log(2 * mp.pi * s2) / 2 - (yi - mu) ** 2 / (2 * s2)
            if model.mu_spec is not None:
                out += mp.log(mp.npdf(mu, model.mu_spec["mean"], model.mu_spec["sd"]))
            return mp.exp(out)

        m, V = model._cond(t)
        pts = [m + c * mp.sqrt(V) for c in range(-40, 41, 2)]
        direct = mp.quad(integrand, pts, maxdegree=10)
        analytic = mp.exp(model.log_marginal_uncached(t))
        assert abs(direct / analytic - 1) < mp.mpf(10) ** -15, (direct, analytic)


# ---------------------------------------------------------------- cases
def random_case(seed, k, tau, mu, v_low, v_high):
    rng = np.random.default_rng(seed)
    v = rng.uniform(v_low, v_high, k)
    y = rng.normal(mu, np.sqrt(v + tau**2))
    return [round(float(a), 6) for a in y], [round(float(a), 6) for a in v]


SCHOOLS_Y = [28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16]
SCHOOLS_SE = [14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]
SCHOOLS_V = [s**2 for s in SCHOOLS_SE]


def cases():
    out = [
        (
            "schools_halfcauchy25_normal50",
            SCHOOLS_Y,
            SCHOOLS_V,
            {"family": "half_cauchy", "scale": 25},
            {"mean": 0, "sd": 50},
            0.95,
            0.0,
            True,
        ),
        (
            "schools_uniform_improper_normal50",
            SCHOOLS_Y,
            SCHOOLS_V,
            {"family": "uniform", "low": 0, "high": None},
            {"mean": 0, "sd": 50},
            0.95,
            0.0,
            True,
        ),
        (
            "schools_uniform_improper_flat",
            SCHOOLS_Y,
            SCHOOLS_V,
            {"family": "uniform", "low": 0, "high": None},
            None,
            0.95,
            0.0,
            True,
        ),
    ]
    y, v = random_case(101, 5, 0.3, 0.4, 0.02, 0.15)
    out.append(
        ("k5_halfnormal_flat", y, v, {"family": "half_normal", "scale": 0.5}, None, 0.95, 0.0, True)
    )
    y, v = random_case(102, 12, 0.6, -0.2, 0.01, 0.3)
    out.append(
        (
            "k12_halfcauchy_normal",
            y,
            v,
            {"family": "half_cauchy", "scale": 0.5},
            {"mean": 0, "sd": 1},
            0.90,
            -0.1,
            False,
        )
    )
    y, v = random_case(103, 7, 0.0, 0.25, 0.03, 0.08)
    out.append(
        (
            "k7_homogeneous_halft",
            y,
            v,
            {"family": "half_student_t", "nu": 3, "scale": 0.3},
            {"mean": 0.2, "sd": 2},
            0.95,
            0.2,
            True,
        )
    )
    y, v = random_case(104, 4, 0.4, 0.1, 0.05, 0.4)
    out.append(
        ("k4_uniform_flat", y, v, {"family": "uniform", "low": 0, "high": 2}, None, 0.95, 0.0, True)
    )
    y, v = random_case(105, 10, 0.5, 0.3, 0.02, 0.2)
    out.append(
        (
            "k10_uniform_shifted",
            y,
            v,
            {"family": "uniform", "low": 0.05, "high": 1.5},
            {"mean": 0, "sd": 1},
            0.80,
            0.0,
            True,
        )
    )
    y, v = random_case(106, 6, 0.25, -0.5, 0.04, 0.5)
    out.append(
        (
            "k6_turner_lognormal",
            y,
            v,
            {"family": "lognormal_tau2", "mu": -2.56, "sigma": 1.74},
            {"mean": 0, "sd": 2.82},
            0.95,
            0.0,
            True,
        )
    )
    y, v = random_case(107, 9, 0.2, 0.35, 0.01, 0.12)
    out.append(
        (
            "k9_rhodes_logt",
            y,
            v,
            {"family": "log_student_t_tau2", "location": -3.44, "scale": 2.59, "nu": 5},
            None,
            0.95,
            0.0,
            True,
        )
    )
    y, v = random_case(108, 30, 0.8, 0.1, 0.005, 2.0)
    out.append(
        (
            "k30_unequal_halfnormal",
            y,
            v,
            {"family": "half_normal", "scale": 1.0},
            {"mean": 0, "sd": 10},
            0.95,
            0.5,
            False,
        )
    )
    out.append(
        (
            "k1_halfnormal_normal",
            [0.42],
            [0.09],
            {"family": "half_normal", "scale": 0.5},
            {"mean": 0, "sd": 1},
            0.95,
            0.0,
            True,
        )
    )
    y, v = random_case(109, 2, 0.3, 0.2, 0.02, 0.06)
    out.append(
        ("k2_halfnormal_flat", y, v, {"family": "half_normal", "scale": 0.3}, None, 0.95, 0.0, True)
    )
    return out


def as_float(d):
    return {k: float(v) for k, v in d.items()}


def write(results):
    OUT.write_text(
        json.dumps(
            {
                "generator": "tests/reference/bayes_exact.py (mpmath tanh-sinh quadrature)",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "mpmath": mp.__version__,
                "numpy": np.__version__,
                "dps": mp.mp.dps,
                "cases": results,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )


def main():
    results = []
    if "--resume" in sys.argv and OUT.exists():
        results = json.loads(OUT.read_text(encoding="utf-8"))["cases"]
    done = {r["name"] for r in results}
    for name, y, v, tau_spec, mu_spec, level, threshold, all_theta in cases():
        if name in done:
            continue
        print("==", name, flush=True)
        model = Model(y, v, tau_spec, mu_spec, level, threshold)
        _check_marginal(model, 0.0)
        _check_marginal(model, float(model.breaks[len(model.breaks) // 2]))
        mu, mu_cdf = model.mixture_stats(model.mu_moments)
        pred, _ = model.mixture_stats(model.pred_moments)
        tau = model.tau_stats()
        idx = range(model.k) if all_theta else sorted({0, 1, model.k - 1})
        theta = {}
        for i in idx:
            stats, _ = model.mixture_stats(model.theta_moments(i), hpd=False)
            theta[str(i)] = as_float(stats)
        entry = {
            "name": name,
            "yi": y,
            "vi": v,
            "tau_prior": tau_spec,
            "mu_prior": mu_spec,
            "level": level,
            "threshold": threshold,
            "mu": as_float(mu),
            "tau": as_float(tau),
            "predictive": as_float(pred),
            "theta": theta,
            "prob_mu_above": float(1 - mu_cdf(model.threshold)),
            "log_evidence": float(model.log_evidence()),
        }
        proper_tau = not (tau_spec["family"] == "uniform" and tau_spec["high"] is None)
        if proper_tau:
            entry["bf10_heterogeneity"] = float(model.bf_heterogeneity())
        if mu_spec is not None:
            entry["bf10_effect"] = float(model.bf_effect())
        results.append(entry)
        write(results)
    order = [c[0] for c in cases()]
    write(sorted(results, key=lambda r: order.index(r["name"])))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
