"""BayesPoolResult: frames, printing, inputs, validation and the lazy PyMC import."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from metaatt import MetaattError, StudyExcludedWarning, bayes

Y = [28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16]
SE = [14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]
LABELS = list("ABCDEFGH")
FOREST_COLUMNS = ["label", "estimate", "ci_low", "ci_high", "weight", "kind", "group"]


@pytest.fixture(scope="module")
def schools():
    return bayes.pool(
        Y, sei=SE, labels=LABELS, tau_prior=bayes.HalfCauchy(25), mu_prior=bayes.Normal(0, 50)
    )


def test_forest_frame_contract(schools):
    frame = schools.forest_frame()
    assert list(frame.columns[:7]) == FOREST_COLUMNS
    kinds = frame.kind.tolist()
    assert kinds == ["study", "shrunken"] * 8 + ["pooled", "prediction"]
    assert frame.attrs["variant"] == "bayes"
    assert frame.attrs["level"] == 0.95 and frame.attrs["synthetic"] is False
    assert "tau median" in frame.attrs["heterogeneity"]
    observed = frame[frame.kind == "study"]
    np.testing.assert_allclose(observed.estimate, Y)
    np.testing.assert_allclose(
        observed.ci_high - observed.ci_low, 2 * 1.959963984540054 * np.array(SE)
    )
    assert observed.weight.sum() == pytest.approx(100.0)
    shrunken = frame[frame.kind == "shrunken"]
    np.testing.assert_allclose(shrunken.estimate, schools.theta["mean"])
    assert (shrunken.label.to_numpy() == observed.label.to_numpy()).all()
    pooled = frame[frame.kind == "pooled"].iloc[0]
    assert pooled.estimate == pytest.approx(schools.mu.mean)
    assert (pooled.ci_low, pooled.ci_high) == (schools.mu.ci_low, schools.mu.ci_high)
    prediction = frame[frame.kind == "prediction"].iloc[0]
    assert (prediction.ci_low, prediction.ci_high) == (schools.pi_low, schools.pi_high)


@pytest.mark.parametrize("param", ["mu", "tau", "predictive"])
def test_density_frame_is_a_normalized_density(schools, param):
    frame = schools.density_frame(param, points=2001)
    assert list(frame.columns[:2]) == ["x", "density"]
    assert (frame.density >= 0).all() and frame.attrs["param"] == param
    mass = np.trapezoid(frame.density, frame.x)
    expected = 0.995 if param == "tau" else 0.999
    assert mass == pytest.approx(expected, abs=2e-3)


def test_density_frame_rejects_unknown_parameter(schools):
    with pytest.raises(MetaattError, match="param: unknown parameter 'sigma'"):
        schools.density_frame("sigma")
    with pytest.raises(MetaattError, match="points"):
        schools.density_frame("mu", points=1)


def test_to_frame_and_to_dict(schools):
    frame = schools.to_frame()
    assert frame.study.tolist() == LABELS
    assert {"yi", "vi", "se", "weight", "theta_mean", "theta_median", "theta_hpd_low"} <= set(frame)
    out = schools.to_dict()
    text = json.dumps(out)  # plain JSON
    assert json.loads(text)["mu"]["median"] == pytest.approx(schools.mu.median)
    assert out["tau_prior"] == {"distribution": "HalfCauchy", "scale": 25.0}
    assert out["mu_prior"] == {"distribution": "Normal", "mean": 0.0, "sd": 50.0}
    assert len(out["theta"]) == 8 and out["method"] == "exact"


def test_summary_and_html(schools):
    text = schools.summary()
    for piece in (
        "k = 8",
        "half-Cauchy(scale = 25)",
        "normal(mean = 0, sd = 50)",
        "P(mu > 0",
        "4.7585",
        "15.1659",
        "BF10 effect",
        "Shrinkage estimates",
    ):
        assert piece in text
    assert str(schools) == text
    assert "BayesPoolResult(method='exact'" in repr(schools)
    page = schools._repr_html_()
    assert page.startswith("<div") and "Shrinkage" in page
    assert schools.estimate == schools.mu.mean and schools.ci_low == schools.mu.ci_low


def test_results_are_frozen(schools):
    with pytest.raises(AttributeError):
        schools.level = 0.9


def test_inputs_like_metaatt_pool():
    table = pd.DataFrame(
        {
            "study": ["s1", "s2", "s3", "s4"],
            "yi": [0.2, 0.5, np.nan, 0.1],
            "vi": [0.04, 0.03, np.nan, 0.05],
            "reason": [None, None, "no SD reported", None],
        }
    )
    table.attrs["measure"] = "SMD"
    with pytest.warns(StudyExcludedWarning, match="s3 \\(no SD reported\\)"):
        res = bayes.pool(table, mu_prior=bayes.Normal(0, 1))
    assert res.k == 3 and res.labels == ("s1", "s2", "s4")
    assert res.excluded.reason.tolist() == ["no SD reported"]
    assert res.measure == "SMD"
    assert "Excluded studies (1)" in res.summary()
    by_columns = bayes.pool("yi", "vi", data=table.dropna(subset=["yi"]).drop(columns="reason"))
    by_sei = bayes.pool([0.2, 0.5, 0.1], sei=np.sqrt([0.04, 0.03, 0.05]))
    assert by_columns.mu.median == pytest.approx(by_sei.mu.median, rel=1e-12)


def test_synthetic_flag_is_carried():
    table = pd.DataFrame({"yi": [0.1, 0.3, 0.2], "vi": [0.01, 0.02, 0.015]})
    table.attrs["synthetic"] = True
    res = bayes.pool(table)
    assert res.synthetic and "SYNTHETIC" in res.summary()
    assert res.forest_frame().attrs["synthetic"] is True
    assert "SYNTHETIC" in res.forest_frame().attrs["title"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "mcmc"}, "method: unknown value 'mcmc'"),
        ({"method": "Exact"}, "did you mean 'exact'"),
        ({"level": 95}, "level: must lie strictly between 0 and 1"),
        ({"threshold": float("nan")}, "threshold: must be finite"),
        ({"tau_prior": bayes.Normal(0, 1)}, "tau_prior: normal.*is a prior for mu"),
        ({"tau_prior": None}, "tau_prior: a prior for tau is required"),
        ({"mu_prior": bayes.HalfNormal(1)}, "mu_prior: expected Normal"),
        ({"bayes_factors": True}, "mu_prior: the Bayes factor for an effect .* needs a proper"),
        (
            {"bayes_factors": True, "mu_prior": bayes.Normal(0, 1), "tau_prior": bayes.Uniform()},
            "tau_prior: the Bayes factor for heterogeneity needs a proper prior",
        ),
        ({"bayes_factors": "yes"}, "bayes_factors: expected True, False or None"),
        ({"tau_prior": {"distribution": "half-normal", "scale": -1}}, "HalfNormal: scale"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(MetaattError, match=match):
        bayes.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], **kwargs)


def test_bad_effect_sizes_are_named():
    with pytest.raises(MetaattError, match=r"vi: row 2\b.*-0.02; sampling variances must be > 0"):
        bayes.pool([0.1, 0.3], [0.01, -0.02])
    with pytest.raises(MetaattError, match=r"yi: row 1 .*is missing"):
        bayes.pool([np.nan, 0.3], [0.01, 0.02])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"draws": 0}, "draws: expected a positive integer"),
        ({"chains": 1.5}, "chains: expected a positive integer"),
        ({"tune": -1}, "tune: expected an integer >= 0"),
        ({"target_accept": 1.0}, "target_accept: must lie strictly between 0 and 1"),
        ({"random_seed": -3}, "random_seed: expected None or an integer >= 0"),
    ],
)
def test_bad_sampler_settings_are_named(kwargs, match):
    with pytest.raises(MetaattError, match=match):
        bayes.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="nuts", **kwargs)


def test_nuts_without_pymc_says_how_to_install(monkeypatch):
    """Simulate a missing optional dependency: importing pymc fails."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in ("pymc", "arviz"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    for module in [m for m in sys.modules if m.split(".")[0] in ("pymc", "arviz")]:
        monkeypatch.delitem(sys.modules, module)
    with pytest.raises(ImportError, match=r"pip install 'metaatt\[bayes\]'"):
        bayes.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="nuts")
    # the exact method does not need them
    res = bayes.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015])
    assert math.isfinite(res.mu.median)


def test_exact_pooling_loads_no_heavy_dependency():
    code = (
        "import sys, metaatt\n"
        "import metaatt.bayes as b\n"
        "r = b.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], mu_prior=b.Normal(0, 1))\n"
        "r.forest_frame(); r.density_frame('tau'); r.summary()\n"
        "print(','.join(m for m in ('pymc', 'arviz', 'pytensor', 'matplotlib', 'statsmodels')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_seed_is_noted_for_the_exact_method():
    res = bayes.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], random_seed=3)
    assert any("random_seed is not used" in note for note in res.notes)


def test_density_frame_carries_the_prior_and_stays_finite():
    res = bayes.pool(
        [0.1, 0.3, 0.2, 0.5],
        [0.01, 0.02, 0.015, 0.03],
        tau_prior=bayes.rhodes_prior(),  # log-t prior: pole at tau = 0
        mu_prior=bayes.Normal(0, 1),
    )
    tau = res.density_frame("tau")
    assert np.isfinite(tau[["x", "density", "prior"]].to_numpy()).all() and tau.x.iloc[0] > 0
    mu = res.density_frame("mu")
    assert mu.prior.to_numpy() == pytest.approx(np.exp(-0.5 * mu.x**2) / np.sqrt(2 * np.pi))
    assert "prior" not in res.density_frame("predictive")
    flat = bayes.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], tau_prior=bayes.Uniform())
    assert "prior" not in flat.density_frame("mu") and "prior" not in flat.density_frame("tau")


def test_meta_regression_reads_moderators_like_the_frequentist_one():
    """Formula, columns and arrays go through metaatt.formula (no sampling needed here)."""
    from metaatt.bayes._moderators import moderator_matrix

    table = pd.DataFrame(
        {"yi": [0.1, 0.4, 0.3, 0.6], "vi": [0.01] * 4, "x": [1.0, 2, 3, 4], "g": list("aabb")}
    )
    X, names = moderator_matrix("~ x + g", table, None, intercept=True)
    assert set(names) == {"intrcpt", "g[T.b]", "x"} and names[0] == "intrcpt"
    assert X.shape == (4, 3)
    X, names = moderator_matrix(None, table, None, intercept=True)
    assert names == ("intrcpt",) and (X == 1).all()
    with pytest.raises(MetaattError, match="mods: no moderators and intercept=False"):
        moderator_matrix(None, table, None, intercept=False)
    with pytest.raises(MetaattError, match="mods: 4 coefficients need more than 4 studies"):
        bayes.meta_regression(table, mods=np.eye(4)[:, :3])
    with pytest.raises(MetaattError, match=r"coef_prior: expected Normal"):
        bayes.meta_regression(table, mods="x", coef_prior=bayes.HalfNormal(1))
