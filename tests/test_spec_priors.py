"""Spec prior tables go through metaatt.bayes.prior_from_spec: every prior of the bayes module
(half-Student-t, log-normal / log-Student-t on tau^2, the Turner and Rhodes tables) works in a
spec, gives the same posterior as bayes.pool with the same prior object, and bad tables are
named clearly before anything runs."""

from __future__ import annotations

import pytest

from metaatt import MetaattError, bayes, datasets
from metaatt import spec as ms
from metaatt.report._methods import methods_paragraph

PRIORS = {
    "student": ({"distribution": "half-student-t", "nu": 3, "scale": 0.5}, bayes.HalfStudentT(3, 0.5)),
    "lognormal": ({"distribution": "log-normal-tau2", "mu": -2.5, "sigma": 1.5}, bayes.LogNormalTau2(-2.5, 1.5)),
    "logt": ({"distribution": "log-student-t-tau2", "location": -3, "scale": 2}, bayes.LogStudentTTau2(-3, 2)),
    "turner": ({"distribution": "turner", "outcome": "pain", "comparator1": "non-pharma"},
               bayes.turner_prior("pain", "non-pharma")),
    "rhodes": ({"distribution": "rhodes"}, bayes.rhodes_prior()),
}  # fmt: skip


def _spec(bayes_tables):
    return ms.from_dict(
        {
            "data": {"dataset": "raudenbush1985"},
            "bayes": bayes_tables,
            "plots": {"forest": False, "funnel": False},
        }
    )


def test_every_bayes_prior_runs_in_a_spec_as_in_bayes_pool():
    tables = [{"name": name, "tau_prior": table} for name, (table, _) in PRIORS.items()]
    tables[0]["mu_prior"] = {"distribution": "normal", "mean": 0, "sd": 1}
    results = ms.run(_spec(tables))
    dat = datasets.load_raudenbush1985()
    for i, (name, (_, prior)) in enumerate(PRIORS.items()):
        mu_prior = bayes.Normal(0, 1) if i == 0 else None
        direct = bayes.pool(dat.yi, dat.vi, tau_prior=prior, mu_prior=mu_prior)
        got = results.bayes[name]
        assert got.tau_prior == prior, name
        assert got.mu.mean == direct.mu.mean and got.tau.median == direct.tau.median, name
        assert results.numbers[f"bayes.{name}[tau].median"] == direct.tau.median
    text = methods_paragraph(results)
    assert "half-Student-t(nu = 3, scale = 0.5) prior on tau" in text
    assert "Turner et al. 2015" in text and "Rhodes et al. 2015" in text


def _problems(tables):
    with pytest.raises(ms.SpecError) as excinfo:
        _spec(tables)
    return "\n".join(excinfo.value.problems)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"distribution": "half-student-t", "scale": 1}, "the half-student-t prior needs 'nu'"),
        ({"distribution": "half_student_t", "nu": 0, "scale": 1}, "nu must be > 0, got 0"),
        ({"distribution": "half-studnet-t", "nu": 3, "scale": 1}, "did you mean 'half-student-t'"),
        ({"distribution": "log-normal-tau2", "mu": "a", "sigma": 1}, "mu must be a number"),
        ({"distribution": "turner", "outcome": "pian"}, "unknown outcome type 'pian'; choose one of"),
        ({"distribution": "turner", "outcome": 3}, "outcome must be a string"),
        ({"distribution": "turner", "outcome": "pain", "comparator1": "nonsense"},
         "comparator1: unknown comparator 'nonsense'"),
        ({"distribution": "rhodes", "outcome": "pain", "area": "cancer"}, "cancer table"),
        ({"distribution": "rhodes", "area": "other", "sourc": "x"}, "unknown rhodes parameter 'sourc'"),
    ],
)  # fmt: skip
def test_bad_prior_tables_are_named(table, message):
    text = _problems([{"name": "b", "tau_prior": table}])
    assert "[bayes] tau_prior" in text
    assert message in text


def test_priors_on_the_wrong_parameter_are_refused():
    text = _problems(
        [
            {"name": "a", "tau_prior": {"distribution": "normal", "mean": 0, "sd": 1}},
            {
                "name": "b",
                "tau_prior": {"distribution": "half-normal", "scale": 0.5},
                "mu_prior": {"distribution": "turner"},
            },
        ]
    )
    assert "[bayes a] tau_prior: tau >= 0 needs a prior on tau" in text
    assert "[bayes b] mu_prior: mu needs a normal prior" in text


def test_prior_from_spec_names_missing_and_mistyped_parameters():
    with pytest.raises(MetaattError, match="tau_prior: the half-normal prior needs 'scale'"):
        bayes.prior_from_spec({"distribution": "half-normal"}, "tau_prior")
    with pytest.raises(MetaattError, match="half-cauchy parameter scale must be a number"):
        bayes.prior_from_spec({"distribution": "half-cauchy", "scale": "1"}, "tau_prior")
    with pytest.raises(MetaattError, match=r"tau_prior: HalfNormal: scale must be a positive"):
        bayes.prior_from_spec({"distribution": "half-normal", "scale": -1}, "tau_prior")
    assert bayes.prior_from_spec({"distribution": "turner", "outcome": "pain"}) == (
        bayes.turner_prior("pain")
    )
