"""A generated methods paragraph: what was done, with which choices, cited."""

from __future__ import annotations

from typing import Any

from ..errors import MetaattError

__all__ = ["methods_paragraph"]

_ESTIMATORS = {
    "EE": "a common-effect (equal-effects) model",
    "DL": "the DerSimonian-Laird estimator (DerSimonian & Laird, 1986)",
    "HE": "the Hedges estimator (Hedges & Olkin, 1985)",
    "HS": "the Hunter-Schmidt estimator",
    "HSk": "the k-corrected Hunter-Schmidt estimator",
    "SJ": "the Sidik-Jonkman estimator (Sidik & Jonkman, 2005)",
    "ML": "maximum likelihood",
    "REML": "restricted maximum likelihood (REML; Viechtbauer, 2005)",
    "EB": "the empirical Bayes estimator (Morris, 1983)",
    "PM": "the Paule-Mandel estimator (Paule & Mandel, 1982)",
    "PMM": "the median-unbiased Paule-Mandel estimator",
}
_TESTS = {
    "z": "Wald-type z tests and confidence intervals",
    "t": "t tests with k - 1 degrees of freedom",
    "hksj": "the Hartung-Knapp-Sidik-Jonkman adjustment (Knapp & Hartung, 2003)",
    "hksj-adhoc": "the ad hoc Hartung-Knapp-Sidik-Jonkman adjustment (Roever et al., 2015)",
    "knha": "the Hartung-Knapp-Sidik-Jonkman adjustment (Knapp & Hartung, 2003)",
    "adhoc": "the ad hoc Hartung-Knapp-Sidik-Jonkman adjustment (Roever et al., 2015)",
}


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def methods_paragraph(results: Any) -> str:
    """A methods paragraph for an :class:`~metaatt.spec.AnalysisResults`.

    It states the data source, the effect-size metric and assumed correlations, the models
    (estimator, test, level, heterogeneity statistics), Bayesian priors, subgroup and
    moderator analyses, bias and sensitivity analyses, and the software versions.
    """
    from ..spec._steps import prior_text

    if not hasattr(results, "spec") or not hasattr(results, "environment"):
        raise MetaattError(
            f"results: expected the AnalysisResults of metaatt.spec.run, got {type(results).__name__}"
        )
    spec = results.spec
    models = spec.models
    env = results.environment
    parts: list[str] = []
    if results.synthetic:
        parts.append(
            "These analyses use SYNTHETIC data generated for demonstration; no number below "
            "is a result of a real study."
        )
    parts.append(results.data_description)
    k = len(results.effects)
    parts.append(f"The analysis includes {k} effect size{'s' if k != 1 else ''}.")
    if spec.data.sheet is None and results.measure in {"SMCR", "SMCRH", "MPORM"}:
        parts.append(
            "Where a study did not report the correlation between pre- and post-treatment "
            f"scores, r = {spec.effect_size.correlation:g} was assumed (Cochrane Handbook "
            "16.1.3.2)."
        )
    primary, *others = models.methods
    level = f"{100 * models.level:g}%"
    if primary == "EE":
        text = "Effect sizes were pooled with " + _ESTIMATORS["EE"]
    else:
        text = (
            "Effect sizes were pooled with a random-effects model, estimating the "
            f"between-study variance tau^2 by {_ESTIMATORS.get(primary, primary)}"
        )
    text += f", with {_TESTS.get(models.test, models.test)} and {level} intervals."
    parts.append(text)
    if primary != "EE":
        parts.append(
            "Heterogeneity is reported as tau^2 with its Q-profile confidence interval "
            "(Viechtbauer, 2007), I^2 and H^2 (Higgins & Thompson, 2002), Cochran's Q, and a "
            f"{level} prediction interval (Riley et al., 2011)."
        )
    if others:
        parts.append(
            "As a sensitivity analysis the models were refitted with "
            + _join([_ESTIMATORS.get(m, m) for m in others])
            + "."
        )
    for b in spec.bayes:
        mu = prior_text(b.mu_prior) if b.mu_prior is not None else "the default prior"
        how = (
            "computed exactly by numerical integration over tau"
            if b.method == "exact"
            else f"sampled with NUTS (PyMC; seed {spec.seed})"
        )
        parts.append(
            f"A Bayesian random-effects model ({b.name}) used a {prior_text(b.tau_prior)} "
            f"prior on tau and {mu} on mu; posteriors were {how}."
        )
    if spec.subgroups.by:
        parts.append(
            f"Subgroup analyses by {_join(list(spec.subgroups.by))} used "
            f"{spec.subgroups.tau2} tau^2 estimates and a Q test for subgroup differences."
        )
    if spec.meta_regression.moderators:
        parts.append(
            "A mixed-effects meta-regression included "
            + _join(list(spec.meta_regression.moderators))
            + " as moderators."
        )
    bias = [
        text
        for name, text in (
            ("egger", "Egger's regression test (Egger et al., 1997)"),
            ("rank_correlation", "the rank correlation test (Begg & Mazumdar, 1994)"),
            ("trim_and_fill", "trim-and-fill (Duval & Tweedie, 2000)"),
        )
        if spec.bias[name]
    ]
    if bias:
        parts.append("Small-study effects were examined with " + _join(bias) + ".")
    sens = []
    if spec.sensitivity.correlation:
        values = ", ".join(f"{r:g}" for r in spec.sensitivity.correlation)
        sens.append(f"re-computing effect sizes with assumed pre-post correlations of {values}")
    if spec.sensitivity.phi:
        values = ", ".join(f"{r:g}" for r in spec.sensitivity.phi)
        sens.append(f"with assumed phi correlations of {values} for marginal counts")
    if spec.sensitivity.rho:
        values = ", ".join(f"{r:g}" for r in spec.sensitivity.rho)
        sens.append(f"re-aggregating dependent effect sizes with rho = {values}")
    if spec.sensitivity.leave_one_out:
        sens.append("leaving out one study at a time")
    if spec.sensitivity.influence:
        sens.append("influence diagnostics (Viechtbauer & Cheung, 2010)")
    if sens:
        parts.append("Robustness was assessed by " + _join(sens) + ".")
    parts.append(
        f"Analyses were run with metaatt {env.get('metaatt')} (Python {env.get('python')}, "
        f"numpy {env.get('numpy')}, scipy {env.get('scipy')}, pandas {env.get('pandas')}); "
        "the analysis spec, its lock file and this appendix reproduce every number."
    )
    return " ".join(parts)
