"""ML/REML maxima: metafor's basin on bimodal likelihoods, and the shortcuts of the engine.

The bimodal datasets were drawn at random (k = 3..11, unequal variances) and kept when the
(restricted) likelihood has two local maxima on a fine grid; ``metafor`` is metafor 3.8.1's
``rma(yi, vi, method=..., control=list(threshold=1e-12, maxiter=10000))$tau2``. In cases
10 and 49 metafor's Fisher scoring (started at the Hedges estimate) stops at the boundary
0 although the likelihood is higher inside: metaatt reports the same and warns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import _likelihood
from metaatt._equations import InterceptEquation
from metaatt._fit import fit_model
from metaatt._frozen import build
from metaatt._pooled import pooled_scalars, pooled_statistics
from metaatt._roots import bracketed_newton
from metaatt._score_scan import score_on_grid
from metaatt._wls import Design
from metaatt.tau2 import Tau2Estimate, estimate_tau2

# case number: (yi, vi, method, metafor tau2)
BIMODAL = {
    0: (
        [
            -0.09046648874724347,
            0.6297258531362178,
            -0.23535057083073663,
            -0.706167622158031,
            -0.3240403171028203,
            -0.5085900595266825,
            -0.023981231413805353,
            0.10392142281680633,
            0.12740157995040058,
        ],
        [
            0.0218527986194505,
            0.33247870466854756,
            0.3079615874505715,
            0.17400074091421294,
            0.006062473030483248,
            0.14567427826729187,
            3.532903096859507e-05,
            0.030749717014678834,
            0.06963400516386167,
        ],
        "ML",
        0.014322751026638,
    ),
    4: (
        [0.3123595150926985, -0.2131355133167503, 1.2394671367434267],
        [0.34347793295838663, 0.006916458464087392, 0.26692180977925345],
        "ML",
        0.228860362442537,
    ),
    10: (
        [0.5881313285761687, -0.36466090131579626, 0.16921523716411002, 0.3329556861372816],
        [0.005278971087497161, 0.10936534293224472, 0.3486335284435532, 0.43180102036177387],
        "ML",
        0.0,
    ),
    31: (
        [-0.35223625948589987, 1.175346699099456, 0.27426798890711224, -1.4716567610168434],
        [0.00595642441399135, 0.4992094244195151, 0.15476552627694073, 0.10408940693377522],
        "ML",
        0.586247307484997,
    ),
    49: (
        [
            -0.04628794692136292,
            -0.40780733624494947,
            0.38403563899407334,
            0.12597852709515,
            0.25060552903589134,
            0.2144834545193687,
            0.22122324476416919,
            0.4898221055633764,
        ],
        [
            0.04965376416294884,
            0.028605765649318143,
            0.26455378117689116,
            0.24271489167919608,
            0.03264598534761813,
            0.00039982384217382194,
            0.22341497411080918,
            0.09674236527069574,
        ],
        "ML",
        0.0,
    ),
    6: (
        [
            0.07690070152824775,
            -0.13432123236423857,
            0.8562365063878068,
            -0.00790050300643788,
            -0.03199875861802113,
            -0.763957887855699,
            0.1646546141473166,
            0.40814057484759525,
            0.7147637497385916,
        ],
        [
            0.18969189054102628,
            0.07444924017384598,
            0.18509311734380102,
            0.0008029458393905717,
            0.001272828710559735,
            0.09029347462427176,
            0.023831357389799166,
            0.11247104804601628,
            0.08617882314376805,
        ],
        "REML",
        0.0,
    ),
    25: (
        [-0.23996277020028736, 1.1572924877294954, -0.62578806872946, -0.2867920539398868],
        [0.0448864592783332, 0.26221381726781573, 0.14659477996861953, 0.023271411313066113],
        "REML",
        0.24820717488925,
    ),
    26: (
        [
            -0.003180552148853183,
            0.03375829583987202,
            -0.2799881702260906,
            0.39677363564878937,
            -1.7224951419339416,
            0.20996012230346037,
            0.5625894127124977,
            0.6037050904428913,
        ],
        [
            0.004277650585688147,
            0.008462219521243026,
            0.06210156244232108,
            0.11068678160647025,
            0.31389236041829605,
            0.33860964710916003,
            0.1635774190022836,
            0.09781155085948136,
        ],
        "REML",
        0.0,
    ),
}
FLAGGED = {10, 49}


def _pool(yi, vi, method):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = metaatt.pool(np.array(yi), np.array(vi), method=method)
    return res, {type(w.message) for w in caught}


@pytest.mark.parametrize("case", sorted(BIMODAL))
def test_bimodal_cases_follow_metafor_and_warn_only_with_a_higher_maximum(case):
    yi, vi, method, expected = BIMODAL[case]
    res, kinds = _pool(yi, vi, method)
    assert res.tau2 == pytest.approx(expected, rel=1e-6, abs=1e-8)
    assert (metaatt.MultimodalLikelihoodWarning in kinds) == (case in FLAGGED)
    assert (metaatt.BoundaryWarning in kinds) == (res.tau2 == 0.0)


@pytest.mark.parametrize("method", ["ML", "REML"])
def test_bimodal_cases_in_a_batch_equal_one_at_a_time(method):
    cases = {c: BIMODAL[c] for c in BIMODAL if BIMODAL[c][2] == method}
    frame = pd.concat(
        [pd.DataFrame({"case": c, "yi": yi, "vi": vi}) for c, (yi, vi, _, _) in cases.items()]
    )
    out = metaatt.pool_batch(frame, by="case", method=method).set_index("case")
    for case, (yi, vi, _, _) in cases.items():
        res, _ = _pool(yi, vi, method)
        assert out.loc[case, "tau2"] == pytest.approx(res.tau2, rel=1e-10, abs=1e-14)
    design = Design.padded(
        [np.array(yi) for yi, _, _, _ in cases.values()],
        [np.array(vi) for _, vi, _, _ in cases.values()],
    )
    higher = estimate_tau2(design, method).higher_maximum
    assert [bool(np.isfinite(h)) for h in higher] == [c in FLAGGED for c in cases]


def _designs():
    rng = np.random.default_rng(31)
    out = []
    for k in (2, 3, 5, 9, 20, 40):
        for tau2 in (0.0, 0.03, 0.3, 3.0):
            B = 40
            vi = rng.uniform(0.005, 0.6, (B, k)) ** rng.choice([1, 2])
            yi = rng.normal(0.1, np.sqrt(vi + tau2))
            out.append(Design(yi, vi, np.ones((B, k)), None, np.full(B, k), 1))
    cases = [BIMODAL[c] for c in sorted(BIMODAL)]
    out.append(Design.padded([np.array(c[0]) for c in cases], [np.array(c[1]) for c in cases]))
    return out


@pytest.mark.parametrize("restricted", [True, False])
def test_proven_signs_equal_a_full_scan_of_the_score(restricted):
    """score_on_grid evaluates few points: its values and proven signs match all points."""
    make = _likelihood.reml_score if restricted else _likelihood.ml_score
    proven = 0
    for design in _designs():
        upper = _likelihood.likelihood_upper_bound(design, restricted)
        start = np.minimum(_likelihood.hedges_start(design), upper)
        points, at_start = _likelihood._grid_with_start(upper, start)
        with np.errstate(all="ignore"):
            full = make(design).scan(points)
            f, a = score_on_grid(design.intercept, points, at_start, restricted)
        exact = np.isfinite(f)
        np.testing.assert_array_equal(f[exact], full[exact])
        np.testing.assert_array_equal(f[~exact] > 0, full[~exact] > 0)
        assert (full[~exact] != 0).all()
        np.testing.assert_array_equal(np.isnan(a), ~exact)
        proven += (~exact).sum()
    assert proven > 0  # the bounds do spare evaluations


@pytest.mark.parametrize("restricted", [True, False])
def test_ratio_equation_has_the_score_roots(restricted):
    for design in _designs()[:-1]:
        sums = design.intercept
        score = InterceptEquation(sums, "reml" if restricted else "ml")
        ratio = InterceptEquation(sums, "reml-ratio" if restricted else "ml-ratio")
        n = design.k.shape[0]
        lo = np.zeros(n)
        hi = _likelihood.likelihood_upper_bound(design, restricted)
        with np.errstate(all="ignore"):
            positive = score(lo)[0] > 0
            hi = np.where(positive, hi, 0.0)
            a = bracketed_newton(score, lo, hi)[0]
            b = bracketed_newton(ratio, lo, hi)[0]
        unique = positive & (score(np.maximum(a, b) * 1.5 + 1e-3)[0] < 0)
        np.testing.assert_allclose(b[unique], a[unique], rtol=1e-11, atol=1e-14)
        # the derivative is that of 1 - b/a
        t = hi * 0.3 + 0.01
        fp = ratio(t)[1]
        step = 1e-6 * (1.0 + t)
        numeric = (ratio(t + step)[0] - ratio(t - step)[0]) / (2.0 * step)
        np.testing.assert_allclose(fp, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("method", ["REML", "ML", "DL", "EE", "PM"])
@pytest.mark.parametrize("test", ["z", "hksj"])
@pytest.mark.parametrize("k", [1, 2, 7, 30])
def test_scalar_statistics_equal_the_array_ones(method, test, k):
    rng = np.random.default_rng(k)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.2, np.sqrt(vi + 0.1))
    with np.errstate(all="ignore"):
        fit = fit_model(Design.single(yi, vi), method, test, 0.9)
    arrays = pooled_statistics(fit, intervals=False)
    scalars = pooled_scalars(fit)
    assert scalars.keys() == arrays.keys()
    for name, value in scalars.items():
        assert type(value) is type(arrays[name].item(0)), name
        np.testing.assert_equal(value, arrays[name].item(0), err_msg=name)


def test_frozen_build_equals_the_constructor_and_checks_fields():
    values = dict(
        tau2=np.zeros(1),
        se=np.ones(1),
        at_boundary=np.ones(1, bool),
        converged=np.ones(1, bool),
        iterations=np.zeros(1, int),
    )
    built, made = build(Tau2Estimate, **values), Tau2Estimate(**values)
    assert type(built) is Tau2Estimate and built.higher_maximum is None
    assert repr(built) == repr(made)
    with pytest.raises(AttributeError):
        built.tau2 = np.ones(1)
    with pytest.raises(TypeError, match="unexpected"):
        build(Tau2Estimate, **values, extra=1)
    with pytest.raises(TypeError, match="missing"):
        build(Tau2Estimate, tau2=np.zeros(1))
    with pytest.raises(TypeError, match="not a frozen dataclass"):
        build(dict)


@pytest.mark.parametrize(
    "fun, root",
    [
        (lambda x: (2.0 - x * x, -2.0 * x), np.sqrt(2.0)),
        (lambda x: (np.exp(-x) - 0.25, -np.exp(-x)), np.log(4.0)),
        (lambda x: (1.0 / (0.1 + x) - 3.0 + 0.0 * x, -1.0 / (0.1 + x) ** 2), 1.0 / 3.0 - 0.1),
    ],
)
def test_root_finder_stopping_early_keeps_the_tolerance(fun, root):
    """Stopping on predicted quadratic convergence leaves an error below 1e-12."""
    from metaatt._roots import XTOL, newton_one

    lo, hi = np.full(3, 0.01), np.full(3, 5.0)
    x, ok, iterations = bracketed_newton(fun, lo, hi, x0=np.array([0.02, 1.0, 4.9]))
    assert ok.all()
    np.testing.assert_allclose(x, root, rtol=0, atol=XTOL * (1 + root))

    def on_floats(t):
        return tuple(map(float, fun(t)))

    on_floats.takes_float = True
    for start, n in zip([0.02, 1.0, 4.9], iterations, strict=True):
        one, converged, its = newton_one(on_floats, 0.01, 5.0, start)
        assert converged and its == n
        assert abs(one - root) <= XTOL * (1 + root)
