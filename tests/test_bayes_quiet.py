"""PyTensor's missing-BLAS notice never aborts a NUTS run under ``-W error``.

PyTensor warns once per process, when the first graph is compiled, so the check runs in a
fresh interpreter with every warning an error: the spec runner's NUTS path (``[[bayes]]
method = "nuts"`` -> ``bayes.pool`` -> ``_pymc.sample``) and a meta-regression (its matrix
product is what makes PyTensor look for a BLAS). Every NUTS model samples through the same
``_pymc.sample`` (checked statically below).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, warnings
import numpy as np
from metaatt import SamplingWarning, bayes
from metaatt import spec as ms
spec = ms.from_dict({
    "seed": 3,
    "data": {"dataset": "raudenbush1985"},
    "bayes": [{"name": "nuts", "method": "nuts", "draws": 60, "tune": 60, "chains": 1,
               "tau_prior": {"distribution": "half-normal", "scale": 0.5}}],
    "plots": {"forest": False, "funnel": False},
})
results = ms.run(spec)
# a graph with a matrix product: PyTensor's BLAS rewrites read the BLAS setting here
rng = np.random.default_rng(1)
x, vi = rng.uniform(0, 1, 10), rng.uniform(0.02, 0.05, 10)
yi = 0.2 + 0.3 * x + rng.normal(0, 0.2, 10)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SamplingWarning)  # 60 draws: ESS checks fail, by design
    reg = bayes.meta_regression(yi, vi, mods=x, draws=60, tune=60, chains=1, random_seed=1)
print(json.dumps({"warnings": list(results.warnings), "mu": results.bayes["nuts"].mu.mean,
                  "k": reg.k}))
"""


@pytest.mark.slow
def test_nuts_paths_survive_warnings_as_errors():
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    # a BLAS warning raised inside a graph rewrite is logged as a rewrite failure
    assert "Rewrite failure" not in out.stderr and "BLAS" not in out.stderr, out.stderr[-3000:]
    payload = json.loads(out.stdout.strip().splitlines()[-1])
    assert not any("BLAS" in w for w in payload["warnings"]), payload["warnings"]
    assert isinstance(payload["mu"], float) and payload["k"] == 10


def test_every_nuts_model_samples_through_the_quiet_sampler():
    calls = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "metaatt").rglob("*.py")
        if re.search(r"\bpm\.sample\(", path.read_text(encoding="utf-8"))
    }
    assert calls == {"metaatt/bayes/_pymc.py"}
    users = {
        path.name
        for path in (ROOT / "metaatt" / "bayes").glob("*.py")
        if re.search(r"^\s+idata = sample\(model, settings\)", path.read_text(), re.M)
    }
    assert users == {"nuts.py", "_multilevel.py", "_regression.py"}
