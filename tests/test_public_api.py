"""Every public name of design.md ("Public names": external validation calls these) exists
with the stated signature and result fields.

Signatures: the parameters design.md names, with their kind (positional or keyword-only)
and default. Results: every field it lists, of the stated kind (number, array, DataFrame).
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import bayes

P, K = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
REQUIRED = inspect.Parameter.empty

#: name -> [(parameter, kind, default)] as design.md writes the signature
SIGNATURES = {
    "escalc": [("measure", P, REQUIRED), ("data", K, None)],
    "pool": [("yi", P, REQUIRED), ("vi", P, None), ("method", K, "REML"), ("test", K, "z"),
             ("level", K, 0.95), ("data", K, None)],
    "pool_batch": [("frame", P, REQUIRED), ("by", K, REQUIRED), ("method", K, "REML"),
                   ("test", K, "z")],
    "meta_regression": [("yi", P, REQUIRED), ("vi", P, None), ("mods", P, None),
                        ("method", K, "REML"), ("test", K, "z"), ("data", K, None)],
    "subgroup_analysis": [("yi", P, REQUIRED), ("vi", P, None), ("groups", P, None),
                          ("method", K, "REML"), ("tau2", K, "separate")],
    "multilevel": [("yi", P, REQUIRED), ("vi", P, None), ("study", K, REQUIRED),
                   ("method", K, "REML")],
    "robust": [("result", P, REQUIRED), ("cluster", K, REQUIRED), ("adjust", K, "CR2")],
    "egger_test": [("result", P, REQUIRED), ("model", P, "rma")],
    "rank_correlation_test": [("result", P, REQUIRED)],
    "trim_and_fill": [("result", P, REQUIRED)],
    "leave_one_out": [("result", P, REQUIRED)],
    "influence": [("result", P, REQUIRED)],
}  # fmt: skip
BAYES_POOL = [("yi", P, REQUIRED), ("vi", P, None), ("tau_prior", K, None),
              ("mu_prior", K, None), ("method", K, "exact"), ("random_seed", K, None)]  # fmt: skip


def _check_signature(function, expected):
    parameters = inspect.signature(function).parameters
    for name, kind, default in expected:
        assert name in parameters, (function.__name__, name)
        parameter = parameters[name]
        assert parameter.kind == kind, (function.__name__, name, parameter.kind)
        if name == "tau_prior":  # design.md gives no default; a sensible one exists
            continue
        assert parameter.default == default or (
            default is REQUIRED and parameter.default is REQUIRED
        ), (function.__name__, name, parameter.default)


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_public_function_signatures(name):
    assert name in metaatt.__all__
    _check_signature(getattr(metaatt, name), SIGNATURES[name])


def test_escalc_takes_metafor_argument_names():
    from metaatt.effects._registry import ARGUMENTS

    for name in [
        "ai",
        "bi",
        "ci",
        "di",
        "n1i",
        "n2i",
        "m1i",
        "m2i",
        "sd1i",
        "sd2i",
        "ri",
        "xi",
        "ni",
        "mi",
        "sdi",
    ]:
        assert name in ARGUMENTS
    assert (
        inspect.signature(metaatt.escalc).parameters["inputs"].kind == inspect.Parameter.VAR_KEYWORD
    )


def test_bayes_signatures_and_priors():
    _check_signature(bayes.pool, BAYES_POOL)
    _check_signature(bayes.HalfNormal, [("scale", P, REQUIRED)])
    _check_signature(bayes.HalfCauchy, [("scale", P, REQUIRED)])
    _check_signature(bayes.Uniform, [("low", P, 0.0), ("high", P, math.inf)])
    _check_signature(bayes.Normal, [("mean", P, REQUIRED), ("sd", P, REQUIRED)])
    _check_signature(metaatt.plot.forest, [("result", P, REQUIRED)])
    _check_signature(metaatt.plot.funnel, [("result", P, REQUIRED)])


# --------------------------------------------------------------------------- results
@pytest.fixture(scope="module")
def bcg():
    data = metaatt.datasets.load_bcg()
    es = metaatt.escalc("RR", ai=data.tpos, bi=data.tneg, ci=data.cpos, di=data.cneg)
    return es.assign(ablat=data.ablat, alloc=data.alloc)


def _number(value):
    assert isinstance(value, int | float | np.integer | np.floating), type(value)
    return float(value)


def _fields(result, names, kind=_number):
    for name in names.split():
        assert hasattr(result, name), (type(result).__name__, name)
        kind(getattr(result, name))


def _array(n):
    def check(value):
        value = np.asarray(value)
        assert value.shape == (n,) and value.dtype.kind == "f", value

    return check


def test_escalc_and_pool_results(bcg):
    assert {"yi", "vi"} <= set(bcg.columns) and isinstance(bcg, pd.DataFrame)
    res = metaatt.pool(bcg)
    _fields(
        res,
        "estimate se ci_low ci_high pi_low pi_high tau2 tau2_ci_low tau2_ci_high i2 h2 q q_pval k",
    )
    _fields(res, "weights", _array(13))
    assert res.weights.sum() == pytest.approx(100.0)
    assert isinstance(res.summary(), str) and isinstance(res.to_frame(), pd.DataFrame)
    assert "<" in res._repr_html_()
    assert metaatt.pool(bcg.yi, bcg.vi, method="FE").method == "EE"
    for test in ("z", "hksj", "hksj-adhoc"):
        assert metaatt.pool(bcg.yi, bcg.vi, test=test).test == test
    table = metaatt.pool_batch(bcg.assign(g=bcg.alloc), by="g")
    assert isinstance(table, pd.DataFrame) and len(table) == bcg.alloc.nunique()


def test_model_results(bcg):
    reg = metaatt.meta_regression(bcg.yi, bcg.vi, bcg.ablat)
    _fields(reg, "coef se pval ci_low ci_high", _array(2))
    assert reg.coef_names[0] == "intrcpt"  # intercept first
    _fields(reg, "tau2 qm qm_pval qe qe_pval r2 i2")
    sub = metaatt.subgroup_analysis(bcg.yi, bcg.vi, bcg.alloc, tau2="common")
    assert isinstance(sub.groups, pd.DataFrame) and {"estimate", "se"} <= set(sub.groups)
    assert set(sub.groups.index) == set(bcg.alloc)
    _fields(sub, "q_between q_between_pval")
    dat = metaatt.datasets.load("konstantopoulos2011")
    ml = metaatt.multilevel(dat.yi, dat.vi, study=dat.district)
    _fields(ml, "estimate se")
    _fields(ml, "sigma2", _array(2))  # (between-study, within-study)
    rob = metaatt.robust(metaatt.pool(bcg), cluster=bcg.alloc)
    _fields(rob, "se df pval")


def test_bias_and_diagnostics_results(bcg):
    res = metaatt.pool(bcg)
    for model in ("rma", "lm"):
        _fields(metaatt.egger_test(res, model=model), "statistic pval")
    _fields(metaatt.rank_correlation_test(res), "tau pval")
    tf = metaatt.trim_and_fill(res)
    _fields(tf, "k0 estimate se")
    assert isinstance(tf.k0, int | np.integer)
    loo = metaatt.leave_one_out(res)
    assert {"estimate", "se", "tau2"} <= set(loo.columns) and len(loo) == 13
    inf = metaatt.influence(res)
    assert {"rstudent", "dffits", "cooks_d", "cov_r", "hat"} <= set(inf.columns)


def test_bayes_pool_result(bcg):
    res = bayes.pool(bcg.yi, bcg.vi, tau_prior=bayes.HalfNormal(0.5), mu_prior=bayes.Normal(0, 2))
    for name in ("mu", "tau", "predictive"):
        _fields(getattr(res, name), "mean median sd ci_low ci_high")
    assert isinstance(res.theta, pd.DataFrame) and {"mean", "sd"} <= set(res.theta.columns)
    assert len(res.theta) == 13
    _fields(res, "bf10_effect bf10_heterogeneity")
    assert res.bf10_effect > 0 and res.bf10_heterogeneity > 0
    for prior in (bayes.HalfCauchy(0.5), bayes.Uniform(0, 2)):
        assert bayes.pool(bcg.yi, bcg.vi, tau_prior=prior).tau.mean > 0


def test_plots_return_figures(bcg):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    res = metaatt.pool(bcg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metaatt.MetaattWarning)
        for draw in (metaatt.plot.forest, metaatt.plot.funnel):
            assert isinstance(draw(res), Figure)
    plt.close("all")


def test_cli_run_and_check_take_a_spec():
    from metaatt.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["run", "analysis.toml", "--output", "out"])
    assert (args.spec, args.output) == ("analysis.toml", "out")
    assert parser.parse_args(["check", "analysis.toml"]).spec == "analysis.toml"
