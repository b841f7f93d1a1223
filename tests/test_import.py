"""`import metaatt` loads numpy, pandas and scipy only; heavy dependencies load on first use."""

import subprocess
import sys

import pytest

HEAVY = ("pymc", "arviz", "matplotlib", "statsmodels", "pytensor")


def test_import_loads_no_heavy_dependency():
    code = (
        "import sys, metaatt\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_pooling_loads_no_heavy_dependency():
    code = (
        "import sys, metaatt\n"
        "metaatt.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method='DL')\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_pooling_arrays_needs_neither_pandas_nor_scipy_stats():
    """`import metaatt; metaatt.pool(...)` on arrays is the start-up time of a script or CLI:
    numpy and scipy.special only; pandas loads with the first table (to_frame, summary)."""
    code = (
        "import sys, metaatt\n"
        "r = metaatt.pool([0.1, 0.3, 0.2, 0.6], [0.01, 0.02, 0.015, 0.03], test='hksj')\n"
        "numbers = (r.estimate, r.pi_low, r.tau2_ci_high, r.i2_ci_low, r.to_dict())\n"
        "print(','.join(m for m in ('pandas', 'scipy.stats') if m in sys.modules))\n"
        "r.to_frame()\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]


def test_unknown_attribute_is_an_attribute_error():
    import metaatt

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        metaatt.nonexistent  # noqa: B018


def test_public_names_resolve():
    import metaatt

    assert callable(metaatt.pool)
    assert metaatt.PoolResult.__name__ == "PoolResult"
    assert issubclass(metaatt.MetaattError, ValueError)
