"""Wan et al. (2014) SD and Luo et al. (2018) mean from medians with IQR and/or range.

Checked against an independent transcription of the papers' formulas (Python's
statistics.NormalDist for the normal quantile, not scipy) and, for plausibility, against
large simulated normal samples.
"""

from statistics import NormalDist

import numpy as np
import pytest

from metaatt import MetaattError
from metaatt.extract import luo_mean, mean_sd_from_median, wan_sd

Q = NormalDist().inv_cdf


def wan_by_hand(n, a=None, q1=None, q3=None, b=None):
    xi = 2 * Q((n - 0.375) / (n + 0.25))  # Wan et al. (2014), eq. 7
    eta = 2 * Q((0.75 * n - 0.125) / (n + 0.25))  # eq. 16
    if q1 is None:
        return (b - a) / xi
    if a is None:
        return (q3 - q1) / eta
    return (b - a) / (2 * xi) + (q3 - q1) / (2 * eta)  # eq. 12


def luo_by_hand(n, m, a=None, q1=None, q3=None, b=None):
    if q1 is None:  # Luo et al. (2018), eq. 7
        w = 4 / (4 + n**0.75)
        return w * (a + b) / 2 + (1 - w) * m
    if a is None:  # eq. 11
        w = 0.7 + 0.39 / n
        return w * (q1 + q3) / 2 + (1 - w) * m
    w1, w2 = 2.2 / (2.2 + n**0.75), 0.7 - 0.72 / n**0.55  # eq. 15
    return w1 * (a + b) / 2 + w2 * (q1 + q3) / 2 + (1 - w1 - w2) * m


CASES = [
    # n, median, min, q1, q3, max
    (5, 4.0, 1.0, None, None, 7.0),
    (30, 3.2, None, 2.5, 4.1, None),
    (100, 12.0, 2.0, 9.0, 15.5, 30.0),
    (17, -0.5, -3.0, None, None, 4.0),
    (400, 55.0, None, 48.0, 61.0, None),
]


@pytest.mark.parametrize(("n", "m", "a", "q1", "q3", "b"), CASES)
def test_matches_independent_transcription(n, m, a, q1, q3, b):
    sd = wan_sd(n, q1=q1, q3=q3, minimum=a, maximum=b)
    mean = luo_mean(n, m, q1=q1, q3=q3, minimum=a, maximum=b)
    assert sd[0] == pytest.approx(wan_by_hand(n, a, q1, q3, b), rel=1e-12)
    assert mean[0] == pytest.approx(luo_by_hand(n, m, a, q1, q3, b), rel=1e-12)


def test_vectorized_over_mixed_scenarios():
    n, m, a, q1, q3, b = (np.array(c, dtype=float) for c in zip(*[
        (c[0], c[1], *(np.nan if x is None else x for x in c[2:])) for c in CASES
    ], strict=True))  # fmt: skip
    out = mean_sd_from_median(n, m, q1=q1, q3=q3, minimum=a, maximum=b)
    expected_sd = [wan_by_hand(*c[:1], *c[2:]) for c in CASES]
    expected_mean = [luo_by_hand(c[0], c[1], *c[2:]) for c in CASES]
    np.testing.assert_allclose(out["sd"], expected_sd, rtol=1e-12)
    np.testing.assert_allclose(out["mean"], expected_mean, rtol=1e-12)
    assert list(out.scenario) == ["C1", "C3", "C2", "C1", "C3"]
    assert "Luo et al. 2018" in out.method[0] and "normal" in out.method[0]


def test_close_to_truth_for_large_normal_samples():
    rng = np.random.default_rng(7)
    x = rng.normal(10.0, 2.0, size=4001)
    q1, m, q3 = np.percentile(x, [25, 50, 75])
    out = mean_sd_from_median(len(x), m, q1=q1, q3=q3, minimum=x.min(), maximum=x.max())
    assert out["mean"][0] == pytest.approx(x.mean(), abs=0.1)
    assert out["sd"][0] == pytest.approx(x.std(ddof=1), rel=0.05)
    # the IQR estimator tends to IQR / 1.349 (the normal quartile distance)
    assert wan_sd(10**7, q1=0.0, q3=1.349)[0] == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 4, "median": 1.0, "q1": 0.0, "q3": 2.0}, "n: row 1 is 4"),
        ({"n": 20, "median": 1.0, "q1": 0.0}, "only one of the two"),
        ({"n": 20, "median": 1.0}, "needs the quartiles and/or the range"),
        ({"n": 20, "median": 3.0, "q1": 0.0, "q3": 2.0}, "not ordered"),
        (
            {"n": 20, "median": 1.0, "q1": 0.5, "q3": 2.0, "minimum": 0.7, "maximum": 3},
            "not ordered",
        ),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(MetaattError, match=match):
        mean_sd_from_median(**kwargs)
