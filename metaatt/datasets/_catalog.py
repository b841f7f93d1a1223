"""Catalogue of the bundled datasets: title, columns and the original source of each.

Every CSV in ``data/`` is an export of the R package metadat (Viechtbauer et al.,
https://cran.r-project.org/package=metadat); the citations below are the sources that the
metadat documentation gives for each dataset (``\\source`` of ``dat.<name>.Rd``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOG", "DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled dataset is, what its columns mean and where it comes from."""

    name: str
    title: str
    columns: str
    source: str

    @property
    def metadat(self) -> str:
        """Name of the dataset in the R package metadat."""
        return f"dat.{self.name}"


_NORMAND = (
    "Normand, S. T. (1999). Meta-analysis: Formulating, evaluating, combining, and "
    "reporting. Statistics in Medicine, 18(3), 321-359. "
    "https://doi.org/10.1002/(sici)1097-0258(19990215)18:3<321::aid-sim28>3.0.co;2-p"
)

_ENTRIES = [
    DatasetInfo(
        "bcg",
        "BCG vaccine against tuberculosis: 13 trials",
        "trial, author, year; tpos/tneg = TB positive/negative in the vaccinated group, "
        "cpos/cneg = in the control group; ablat = absolute latitude; alloc = allocation",
        "Colditz, G. A., Brewer, T. F., Berkey, C. S., Wilson, M. E., Burdick, E., Fineberg, "
        "H. V., & Mosteller, F. (1994). Efficacy of BCG vaccine in the prevention of "
        "tuberculosis: Meta-analysis of the published literature. JAMA, 271(9), 698-702. "
        "https://doi.org/10.1001/jama.1994.03510330076038",
    ),
    DatasetInfo(
        "raudenbush1985",
        "Teacher expectancy and pupil IQ: 19 experiments",
        "study, author, year, weeks (of prior contact), setting, tester (aware/blind), "
        "n1i, n2i, yi (standardized mean difference), vi",
        "Raudenbush, S. W., & Bryk, A. S. (1985). Empirical Bayes meta-analysis. Journal of "
        "Educational Statistics, 10(2), 75-98. https://doi.org/10.3102/10769986010002075; "
        "data from Raudenbush, S. W. (1984), Journal of Educational Psychology, 76(1), 85-97.",
    ),
    DatasetInfo(
        "normand1999",
        "Length of hospital stay of stroke patients, specialist vs routine care: 9 studies",
        "study, source; n1i/m1i/sd1i = specialist care, n2i/m2i/sd2i = routine care (days)",
        _NORMAND,
    ),
    DatasetInfo(
        "hine1989",
        "Prophylactic lidocaine after myocardial infarction, mortality: 6 studies",
        "study, source; n1i, ai = patients and deaths with lidocaine; n2i, ci = control",
        _NORMAND + "; data from Hine, L. K., Laird, N., Hewitt, P., & Chalmers, T. C. (1989), "
        "Archives of Internal Medicine, 149(12), 2694-2698.",
    ),
    DatasetInfo(
        "lee2004",
        "Acupoint P6 stimulation for postoperative nausea: 16 trials",
        "id, study, year; ai/n1i = nausea and patients with P6 stimulation; ci/n2i = sham",
        "Lee, A., & Done, M. L. (2004). Stimulation of the wrist acupuncture point P6 for "
        "preventing postoperative nausea and vomiting. Cochrane Database of Systematic "
        "Reviews, 3, CD003281. https://doi.org/10.1002/14651858.CD003281.pub2",
    ),
    DatasetInfo(
        "egger2001",
        "Intravenous magnesium after myocardial infarction, mortality: 16 trials",
        "id, study, year; ai/n1i = deaths and patients with magnesium; ci/n2i = control",
        "Egger, M., Davey Smith, G., & Altman, D. G. (Eds.) (2001). Systematic reviews in "
        "health care: Meta-analysis in context (2nd ed.). London: BMJ Books.",
    ),
    DatasetInfo(
        "li2007",
        "Intravenous magnesium after myocardial infarction, mortality: 22 trials",
        "id, study, year; ai/n1i = deaths and patients with magnesium; ci/n2i = control",
        "Li, J., Zhang, Q., Zhang, M., & Egger, M. (2007). Intravenous magnesium for acute "
        "myocardial infarction. Cochrane Database of Systematic Reviews, 2, CD002755. "
        "https://doi.org/10.1002/14651858.CD002755.pub2",
    ),
    DatasetInfo(
        "konstantopoulos2011",
        "Modified school calendars and achievement: 56 studies in 11 districts (multilevel)",
        "district, school (within district), study, year, yi (standardized mean difference), vi",
        "Konstantopoulos, S. (2011). Fixed effects and variance components estimation in "
        "three-level meta-analysis. Research Synthesis Methods, 2(1), 61-76. "
        "https://doi.org/10.1002/jrsm.35",
    ),
    DatasetInfo(
        "molloy2014",
        "Conscientiousness and medication adherence: 16 correlations",
        "authors, year, ni, ri (correlation), controls, design, a_measure, c_measure, "
        "meanage, quality",
        "Molloy, G. J., O'Carroll, R. E., & Ferguson, E. (2014). Conscientiousness and "
        "medication adherence: A meta-analysis. Annals of Behavioral Medicine, 47(1), "
        "92-101. https://doi.org/10.1007/s12160-013-9524-4",
    ),
    DatasetInfo(
        "bangertdrowns2004",
        "Writing-to-learn interventions and achievement: 48 studies",
        "id, author, year, grade, length (weeks), minutes, wic, feedback, info, pers, imag, "
        "meta (0/1 features), subject, ni, yi (standardized mean difference), vi",
        "Bangert-Drowns, R. L., Hurley, M. M., & Wilkinson, B. (2004). The effects of "
        "school-based writing-to-learn interventions on academic achievement: A "
        "meta-analysis. Review of Educational Research, 74(1), 29-58. "
        "https://doi.org/10.3102/00346543074001029",
    ),
    DatasetInfo(
        "linde2005",
        "St John's wort for depression: 26 trials",
        "id, study, year, country, ni, major, baseline, version, duration, prep, dosage, "
        "response; ai/n1i = responders and patients on hypericum; ci/n2i = placebo; group",
        "Linde, K., Berner, M., Egger, M., & Mulrow, C. (2005). St John's wort for "
        "depression: Meta-analysis of randomised controlled trials. British Journal of "
        "Psychiatry, 186(2), 99-107. https://doi.org/10.1192/bjp.186.2.99",
    ),
    DatasetInfo(
        "hackshaw1998",
        "Environmental tobacco smoke and lung cancer in women: 37 studies",
        "study, author, year, country, design, cases, or, or.lb, or.ub, yi (log odds ratio), vi",
        "Hackshaw, A. K. (1998). Lung cancer and passive smoking. Statistical Methods in "
        "Medical Research, 7(2), 119-136. https://doi.org/10.1177/096228029800700203; "
        "Hackshaw, A. K., Law, M. R., & Wald, N. J. (1997), BMJ, 315(7114), 980-988.",
    ),
    DatasetInfo(
        "pritz1997",
        "Hyperdynamic therapy for cerebral vasospasm: 14 single-arm studies (proportions)",
        "study, authors, xi (patients improved), ni (patients treated)",
        "Zhou, X.-H., Brizendine, E. J., & Pritz, M. B. (1999). Methods for combining rates "
        "from several studies. Statistics in Medicine, 18(5), 557-566. "
        "https://doi.org/10.1002/(SICI)1097-0258(19990315)18:5<557::AID-SIM53>3.0.CO;2-F",
    ),
    DatasetInfo(
        "berkey1998",
        "Surgical vs non-surgical periodontal treatment, two outcomes: 5 trials",
        "trial, author, year, ni, outcome (PD probing depth, AL attachment level), yi (mean "
        "difference), vi, v1i/v2i (variance-covariance rows)",
        "Berkey, C. S., Hoaglin, D. C., Antczak-Bouckoms, A., Mosteller, F., & Colditz, G. A. "
        "(1998). Meta-analysis of multiple outcomes by regression with random effects. "
        "Statistics in Medicine, 17(22), 2537-2550. "
        "https://doi.org/10.1002/(sici)1097-0258(19981130)17:22<2537::aid-sim953>3.0.co;2-c",
    ),
    DatasetInfo(
        "collins1985b",
        "Diuretics in pregnancy: 9 trials, several outcomes",
        "id, author, year; pre.* = pre-eclampsia (n and events per arm), oedema; fup.*, "
        "ped.*, stb.*, ned.* = follow-up, perinatal, stillbirth and neonatal deaths",
        "Collins, R., Yusuf, S., & Peto, R. (1985). Overview of randomised trials of "
        "diuretics in pregnancy. British Medical Journal, 290(6461), 17-23. "
        "https://doi.org/10.1136/bmj.290.6461.17",
    ),
    DatasetInfo(
        "curtis1998",
        "Elevated CO2 and woody plant mass: 102 observations (response ratios)",
        "id, paper, genus, species, fungrp, co2.ambi, co2.elev, units, time, pot, method, "
        "stock, xtrt, level; m1i/sd1i/n1i = elevated CO2, m2i/sd2i/n2i = ambient",
        "Hedges, L. V., Gurevitch, J., & Curtis, P. S. (1999). The meta-analysis of response "
        "ratios in experimental ecology. Ecology, 80(4), 1150-1156. "
        "https://doi.org/10.1890/0012-9658(1999)080[1150:TMAORR]2.0.CO;2",
    ),
    DatasetInfo(
        "gibson2002",
        "Asthma self-management education, days off work or school: 15 trials",
        "author, year; n1i/m1i/sd1i and n2i/m2i/sd2i = means per arm; ai/bi/ci/di = "
        "dichotomized counts; type (which format the trial reported)",
        "Gibson, P. G., Powell, H., Wilson, A., Abramson, M. J., Haywood, P., Bauman, A., "
        "Hensley, M. J., Walters, E. H., & Roberts, J. J. L. (2002). Self-management "
        "education and regular practitioner review for adults with asthma. Cochrane "
        "Database of Systematic Reviews, 3, CD001117. "
        "https://doi.org/10.1002/14651858.CD001117",
    ),
    DatasetInfo(
        "ishak2007",
        "Deep-brain stimulation in Parkinson's disease, repeated follow-ups: 46 studies",
        "study; y1i..y4i, v1i..v4i = mean difference and variance at 3, 6, 12 months and "
        "long-term; mdur (disease duration), mbase (baseline UPDRS)",
        "Ishak, K. J., Platt, R. W., Joseph, L., Hanley, J. A., & Caro, J. J. (2007). "
        "Meta-analysis of longitudinal studies. Clinical Trials, 4(5), 525-539. "
        "https://doi.org/10.1177/1740774507083567",
    ),
    DatasetInfo(
        "laopaiboon2015",
        "Azithromycin vs amoxycillin for lower respiratory tract infections: 15 trials",
        "author, year; ai/n1i = failures and patients on azithromycin; ci/n2i = control; "
        "age, diag.ab, diag.cb, diag.pn, ctrl",
        "Laopaiboon, M., Panpanich, R., & Swa Mya, K. (2015). Azithromycin for acute lower "
        "respiratory tract infections. Cochrane Database of Systematic Reviews, 3, "
        "CD001954. https://doi.org/10.1002/14651858.CD001954.pub4",
    ),
    DatasetInfo(
        "nielweise2007",
        "Anti-infective central venous catheters and bloodstream infections: 18 trials",
        "study, author, year; ai/n1i = infections and patients with treated catheters; "
        "ci/n2i = standard catheters",
        "Niel-Weise, B. S., Stijnen, T., & van den Broek, P. J. (2007). Anti-infective-treated "
        "central venous catheters: A systematic review of randomized controlled trials. "
        "Intensive Care Medicine, 33(12), 2058-2068. "
        "https://doi.org/10.1007/s00134-007-0897-3",
    ),
    DatasetInfo(
        "yusuf1985",
        "Beta blockers during and after myocardial infarction: trials from several tables",
        "table, id, trial; ai/n1i = events and patients on beta blockers; ci/n2i = control",
        "Yusuf, S., Peto, R., Lewis, J., Collins, R., & Sleight, P. (1985). Beta blockade "
        "during and after myocardial infarction: An overview of the randomized trials. "
        "Progress in Cardiovascular Disease, 27(5), 335-371. "
        "https://doi.org/10.1016/s0033-0620(85)80003-7",
    ),
]

#: dataset name -> :class:`DatasetInfo`
CATALOG: dict[str, DatasetInfo] = {entry.name: entry for entry in _ENTRIES}
