"""PyMC models of metaatt.bayes: NUTS agrees with the exact integration within Monte Carlo
error; meta-regression, three-level and Student-t models; convergence warnings.

Kept cheap (2 chains, few draws, one core): the machine is shared. Datasets are random draws
with a fixed seed (held-out inputs, not study results).
"""

import json
import warnings

import numpy as np
import pytest

from metaatt import MetaattError, SamplingWarning, bayes

pytestmark = pytest.mark.slow

RNG = np.random.default_rng(20240601)
K = 7
V = RNG.uniform(0.02, 0.1, K)
Y = RNG.normal(0.3, np.sqrt(V + 0.15**2))
SETTINGS = {"draws": 600, "tune": 600, "chains": 2, "random_seed": 11}


@pytest.fixture(scope="module")
def pair():
    priors = {"tau_prior": bayes.HalfNormal(0.5), "mu_prior": bayes.Normal(0, 1)}
    exact = bayes.pool(Y, V, **priors)
    nuts = bayes.pool(Y, V, method="nuts", **priors, **SETTINGS)
    return exact, nuts


def test_nuts_agrees_with_exact_within_monte_carlo_error(pair):
    exact, nuts = pair
    diag = nuts.diagnostics
    assert diag.r_hat.max() < 1.01
    for name in ("mu", "tau"):
        mcse = diag.loc[name, "mcse_mean"]
        assert abs(getattr(nuts, name).mean - getattr(exact, name).mean) < 4 * mcse, name
        ess = diag.loc[name, "ess_tail"]
        sd = getattr(exact, name).sd
        for key in ("median", "ci_low", "ci_high"):
            # quantile MCSE is about 1.5-3 sd / sqrt(ESS) in the tails
            assert abs(
                getattr(getattr(nuts, name), key) - getattr(getattr(exact, name), key)
            ) < 8 * sd / np.sqrt(ess), (name, key)
    p = exact.prob_mu_above
    assert (
        abs(nuts.prob_mu_above - p) < 4 * np.sqrt(p * (1 - p) / diag.loc["mu", "ess_bulk"]) + 1e-3
    )
    theta_mcse = diag.loc[[f"theta[Study {i + 1}]" for i in range(K)], "mcse_mean"].to_numpy()
    assert (np.abs(nuts.theta["mean"] - exact.theta["mean"]) < 4 * theta_mcse).all()
    pred_mcse = diag.loc["theta_new", "mcse_mean"]
    assert abs(nuts.predictive.mean - exact.predictive.mean) < 4 * pred_mcse
    # Bayes factors come from the exact integration of the same model
    assert nuts.bf10_effect == pytest.approx(exact.bf10_effect, rel=1e-10)


def test_nuts_result_fields_and_inference_data(pair):
    _, nuts = pair
    assert nuts.method == "nuts" and nuts.model == "normal"
    assert set(nuts.idata.posterior.data_vars) >= {"mu", "tau", "z", "theta", "theta_new"}
    assert nuts.idata.posterior.sizes["chain"] == 2 and nuts.idata.posterior.sizes["draw"] == 600
    assert nuts.sampler["random_seed"] == 11 and nuts.sampler["divergences"] >= 0
    frame = nuts.forest_frame()
    assert frame.attrs["variant"] == "bayes" and (frame.kind == "shrunken").sum() == K
    for param in ("mu", "tau", "predictive"):
        dens = nuts.density_frame(param)
        assert (dens.density >= 0).all()
    assert "NUTS (PyMC), 2 chains x 600 draws" in nuts.summary()
    assert "Diagnostics: max R-hat" in nuts.summary()


def test_same_seed_same_draws():
    kwargs = {"draws": 40, "tune": 40, "chains": 1, "random_seed": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # too few draws on purpose
        a = bayes.pool(Y, V, method="nuts", **kwargs)
        b = bayes.pool(Y, V, method="nuts", **kwargs)
    np.testing.assert_array_equal(a.idata.posterior["mu"], b.idata.posterior["mu"])


def test_too_short_chains_warn_and_name_the_parameter():
    with pytest.warns(SamplingWarning, match=r"convergence checks failed for .*tau") as record:
        bayes.pool(Y, V, method="nuts", draws=30, tune=30, chains=2, random_seed=1)
    assert all(issubclass(r.category, SamplingWarning) for r in record)


def test_meta_regression_matches_weighted_least_squares_when_tau_is_pinned():
    """With tau ~ HalfNormal(1e-4) and flat coefficient priors the posterior of beta is
    N((X'WX)^-1 X'Wy, (X'WX)^-1), W = diag(1/v): the fixed-effects meta-regression."""
    rng = np.random.default_rng(7)
    k = 12
    x = rng.uniform(0, 2, k)
    v = rng.uniform(0.01, 0.05, k)
    y = 0.2 + 0.5 * x + rng.normal(0, np.sqrt(v))
    res = bayes.meta_regression(
        y,
        v,
        x,
        tau_prior=bayes.HalfNormal(1e-4),
        draws=800,
        tune=600,
        chains=2,
        random_seed=3,
    )
    X = np.column_stack([np.ones(k), x])
    W = np.diag(1 / v)
    cov = np.linalg.inv(X.T @ W @ X)
    beta = cov @ X.T @ W @ y
    assert len(res.names) == 2 and res.names[0] == "intrcpt"
    mcse = res.diagnostics.loc[[f"beta[{t}]" for t in res.names], "mcse_mean"].to_numpy()
    np.testing.assert_array_less(np.abs(res.coef["mean"].to_numpy() - beta), 4 * mcse)
    np.testing.assert_allclose(res.coef["sd"].to_numpy(), np.sqrt(np.diag(cov)), rtol=0.15)
    pred = res.predict([[1.0]])
    assert pred["mean"].iloc[0] == pytest.approx(beta.sum(), abs=4 * mcse.sum())
    assert "Bayesian meta-regression" in res.summary()
    assert list(res.to_frame().term) == list(res.names)
    assert res.density_frame(res.names[1]).density.max() > 0
    as_dict = json.loads(json.dumps(res.to_dict()))  # plain values only
    assert [row["term"] for row in as_dict["coef"]] == list(res.names)
    assert "idata" not in as_dict and "X" not in as_dict


def test_three_level_model_reduces_to_common_effect_when_variances_are_pinned():
    rng = np.random.default_rng(9)
    study = np.repeat(["s1", "s2", "s3", "s4", "s5"], [2, 3, 2, 1, 2])
    v = rng.uniform(0.02, 0.06, len(study))
    y = rng.normal(0.4, np.sqrt(v))
    res = bayes.multilevel(
        y,
        v,
        study=study,
        tau_prior=bayes.HalfNormal(1e-4),
        sigma_prior=bayes.HalfNormal(1e-4),
        draws=800,
        tune=600,
        chains=2,
        random_seed=4,
    )
    w = 1 / v
    mean, se = (w @ y) / w.sum(), 1 / np.sqrt(w.sum())
    assert abs(res.mu.mean - mean) < 4 * res.diagnostics.loc["mu", "mcse_mean"]
    assert res.mu.sd == pytest.approx(se, rel=0.15)
    assert res.n_studies == 5 and len(res.study_effects) == 5
    frame = res.forest_frame()
    assert (frame.kind == "heading").sum() == 5 and (frame.kind == "subgroup").sum() == 5
    assert frame.attrs["variant"] == "bayes"
    assert "three-level" in res.summary()
    as_dict = json.loads(json.dumps(res.to_dict()))  # plain values only
    assert as_dict["mu"]["mean"] == pytest.approx(res.mu.mean)
    assert "idata" not in as_dict and len(as_dict["study_effects"]) == 5


def test_multilevel_needs_two_studies():
    with pytest.raises(MetaattError, match="study: the three-level model needs"):
        bayes.multilevel([0.1, 0.2], [0.01, 0.02], study=["a", "a"])


def test_robust_student_t_model():
    y = np.append(Y, 2.5)  # one outlying study
    v = np.append(V, 0.03)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains; not the point here
        res = bayes.robust_pool(y, v, nu=None, draws=400, tune=400, chains=2, random_seed=2)
    assert res.model == "student_t" and res.nu is not None and res.nu.median > 0
    assert np.isnan(res.bf10_effect) and np.isnan(res.weights).all()
    assert "Student-t random effects" in res.summary()
    with pytest.raises(MetaattError, match="nu: degrees of freedom must be a positive number"):
        bayes.robust_pool(y, v, nu=0)


def test_convergence_check_names_parameters_without_sampling():
    """diagnose() on hand-made draws: chains that disagree on tau fail R-hat."""
    from metaatt.bayes._pymc import diagnose, import_pymc

    _, az = import_pymc()
    rng = np.random.default_rng(1)
    tau = np.stack([rng.normal(1, 0.1, 500), rng.normal(3, 0.1, 500)])
    mu = rng.normal(0, 1, (2, 500))
    idata = az.from_dict(
        posterior={"mu": mu, "tau": tau}, sample_stats={"diverging": np.zeros((2, 500), bool)}
    )
    with pytest.warns(SamplingWarning, match=r"tau \(R-hat") as record:
        table, divergences = diagnose(idata, ["mu", "tau"], {"chains": 2})
    assert "mu (R-hat" not in str(record[0].message)
    assert divergences == 0 and table.loc["tau", "r_hat"] > 1.5


@pytest.mark.parametrize(
    "prior",
    [
        bayes.HalfNormal(0.5),
        bayes.HalfCauchy(2.0),
        bayes.HalfStudentT(3.0, 0.4),
        bayes.Uniform(0.1, 1.5),
        bayes.LogNormalTau2(-2.56, 1.74),
        bayes.LogStudentTTau2(-3.44, 2.59),
    ],
    ids=lambda p: type(p).__name__,
)
def test_pymc_priors_are_the_exact_priors(prior):
    """Draws from the prior as declared in PyMC follow the distribution function used by
    the exact integration (Kolmogorov-Smirnov test)."""
    from scipy import stats

    from metaatt.bayes._pymc import import_pymc

    pm, _ = import_pymc()
    with pm.Model():
        tau = prior.pymc("tau")
        draws = pm.draw(tau, draws=4000, random_seed=1)
    assert stats.kstest(draws, prior.cdf).pvalue > 1e-3
