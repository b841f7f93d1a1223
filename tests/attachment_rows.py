"""Invented test inputs (NOT study results): one extraction-sheet row per format."""

from __future__ import annotations

import pandas as pd

SOURCE = "test input (invented numbers, not a study result)"


def rows() -> list[dict]:
    """One row per reported format, on plausible scales; study labels say TEST."""
    base = {"source": SOURCE, "synthetic": "true"}
    return [
        dict(base, study="TEST paired table", outcome="security", instrument="AAI",
             format="paired_table", n_ss=2, n_si=1, n_is=8, n_ii=9),
        dict(base, study="TEST marginal counts", outcome="security", instrument="AAI",
             format="marginal_counts", n_secure_pre=0, n_secure_post=6, n=15),
        dict(base, study="TEST marginal percent", outcome="security", instrument="AAI",
             format="marginal_percent", pct_secure_pre=20, pct_secure_post=45, n=40),
        dict(base, study="TEST between proportions", outcome="security", instrument="AAI",
             format="between_proportions", arm="A", comparator="B", n_secure_post=10, n=30,
             n_secure_post_c=4, n_c=28),
        dict(base, study="TEST pre post", outcome="RF", instrument="RF", format="pre_post_means",
             m_pre=2.6, sd_pre=1.2, m_post=3.4, sd_post=1.3, n=40),
        dict(base, study="TEST sd change", outcome="anxiety", instrument="ECR-R anxiety",
             format="pre_post_means", m_pre=4.5, sd_pre=1.1, m_post=3.9, sd_post=1.0,
             sd_change=0.9, n=50),
        dict(base, study="TEST change", outcome="anxiety", instrument="ECR-R_anxiety",
             format="change_sd", m_change=-0.5, sd_change=0.9, n=50),
        dict(base, study="TEST paired t", outcome="RF", instrument="RF", format="paired_t",
             t=2.5, n=20),
        dict(base, study="TEST independent t", outcome="RF", instrument="RF",
             format="independent_t", arm="A", comparator="B", t=2.1, n=20, n_c=22),
        dict(base, study="TEST F", outcome="RF", instrument="RF", format="f_test", f=4.4,
             design="within", sign=1, n=25),
        dict(base, study="TEST p", outcome="RF", instrument="RF", format="p_value", p="<0.01",
             design="between", sign=1, n=25, n_c=25, arm="A", comparator="B"),
        dict(base, study="TEST chi2", outcome="coherence", instrument="AAI_coherence",
             format="chi2", chi2=4.2, sign=1, n=30, n_c=30, arm="A", comparator="B"),
        dict(base, study="TEST eta2", outcome="coherence", instrument="AAI_coherence",
             format="eta2", eta2=0.19, eta2_type="partial_eta2", design="within", sign=1, n=43),
        dict(base, study="TEST reported d", outcome="RF", instrument="RF", format="reported_d",
             d=0.45, standardizer="d_between_post", n=50, n_c=50, arm="A", comparator="B"),
        dict(base, study="TEST ppc", outcome="RF", instrument="RF", format="ppc", arm="A",
             comparator="B", m_pre=3.0, sd_pre=1.2, m_post=4.0, n=30, m_pre_c=3.1,
             sd_pre_c=1.1, m_post_c=3.3, n_c=30),
        dict(base, study="TEST between means", outcome="RF", instrument="RF",
             format="between_means", arm="A", comparator="B", m_post=4.0, sd_post=1.2, n=30,
             m_post_c=3.3, sd_post_c=1.1, n_c=30),
        dict(base, study="TEST wald", outcome="RF", instrument="RF", format="wald_ci",
             estimate=0.4, ci_low=0.1, ci_high=0.7, estimate_type="d_between_post"),
        dict(base, study="TEST medians", outcome="anxiety", instrument="ECR_anxiety",
             format="pre_post_means", median_pre=4.5, q1_pre=3.5, q3_pre=5.2, median_post=3.9,
             q1_post=3.0, q3_post=4.8, n=30),
    ]  # fmt: skip


def frame() -> pd.DataFrame:
    return pd.DataFrame(rows())
