"""The output contract of metaatt.escalc and its input validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import metaatt
from metaatt import MetaattError, StudyExcludedWarning
from metaatt.effects import MEASURES

TABLES = pd.DataFrame(
    {
        "study": ["Alpha 2001", "Beta 2005", "Gamma 2010", "Delta 2012"],
        "ai": [4, 0, 0, 10],
        "bi": [16, 20, 15, 10],
        "ci": [8, 0, 3, 12],
        "di": [12, 21, 12, 9],
    },
    index=pd.Index([10, 20, 30, 40], name="id"),
)


def or_table(**options):
    return metaatt.escalc("OR", ai="ai", bi="bi", ci="ci", di="di", data=TABLES, **options)


# ------------------------------------------------------------------------- output frame


def test_returns_a_copy_with_data_columns_yi_vi_reason() -> None:
    before = TABLES.copy(deep=True)
    out = or_table()
    pd.testing.assert_frame_equal(TABLES, before)  # the caller's frame is untouched
    assert out is not TABLES
    assert list(out.columns) == [*TABLES.columns, "yi", "vi", "reason"]
    pd.testing.assert_index_equal(out.index, TABLES.index)
    assert out.reason.dtype == object
    assert out.reason.isna().all()
    assert out.attrs["measure"] == "OR"
    assert out.attrs["vtype"] == "LS"
    assert out.attrs["escalc"] == {
        "measure": "OR",
        "vtype": "LS",
        "add": 0.5,
        "to": "only0",
        "drop00": False,
    }
    # row 2 (ai = ci = 0) got 1/2 in every cell
    assert out.yi.iloc[1] == pytest.approx(np.log(0.5 * 21.5 / (20.5 * 0.5)))


def test_without_data_only_yi_vi_reason() -> None:
    out = metaatt.escalc("MD", m1i=[1.0, 2.0], m2i=[0.0, 0.5], sd1i=1, sd2i=1, n1i=10, n2i=12)
    assert list(out.columns) == ["yi", "vi", "reason"]
    np.testing.assert_allclose(out.yi, [1.0, 1.5])
    np.testing.assert_allclose(out.vi, [1 / 10 + 1 / 12] * 2)


def test_existing_yi_vi_columns_are_replaced_in_the_copy() -> None:
    data = TABLES.assign(yi=1.0, vi=2.0)
    out = metaatt.escalc("OR", ai="ai", bi="bi", ci="ci", di="di", data=data)
    assert (data.yi == 1.0).all()
    assert list(out.columns).count("yi") == 1
    np.testing.assert_allclose(out.yi, or_table().yi)


def test_drop00_keeps_the_row_with_a_reason_and_pool_excludes_it() -> None:
    out = or_table(drop00=True)
    assert np.isnan(out.yi.iloc[1]) and np.isnan(out.vi.iloc[1])
    assert "drop00=True" in out.reason.iloc[1]
    assert out.reason.drop(index=20).isna().all()
    with pytest.warns(StudyExcludedWarning, match="Beta 2005"):
        res = metaatt.pool(out, method="EE")
    assert res.k == 3
    assert list(res.excluded.study) == ["Beta 2005"]
    assert "drop00" in res.excluded.reason.iloc[0]


def test_missing_input_gives_a_reason_naming_the_argument() -> None:
    out = metaatt.escalc(
        "SMD", m1i=[1.0, np.nan, 2.0], m2i=[0, 0, 0], sd1i=[1, 1, None], sd2i=1, n1i=10, n2i=10
    )
    assert out.reason.iloc[1] == "missing value in m1i"
    assert out.reason.iloc[2] == "missing value in sd1i"
    assert out.reason.iloc[0] is None


def test_undefined_measure_gives_nan_and_reason() -> None:
    out = metaatt.escalc(
        "ROM", m1i=[-2.0, -2.0, 2.0], m2i=[4.0, -4.0, 4.0], sd1i=1, sd2i=1, n1i=9, n2i=9
    )
    assert np.isnan(out.yi.iloc[0]) and np.isnan(out.vi.iloc[0])
    assert "opposite signs" in out.reason.iloc[0]
    assert out.yi.iloc[1] == pytest.approx(np.log(0.5))  # same signs: defined, as in metafor
    assert out.reason.iloc[1:].isna().all()


def test_mporm_infeasible_correlation() -> None:
    """metafor's number for an impossible correlation, with a warning giving the range."""
    with pytest.warns(
        metaatt.InfeasibleAssumptionWarning, match=r"row 2: ri = 0.9, feasible \[-0.8018, 0.5345\]"
    ):
        out = metaatt.escalc("MPORM", ai=[4, 4], bi=[6, 6], ci=[7, 7], di=[3, 3], ri=[0.2, 0.9])
    assert out.yi.iloc[1] == pytest.approx(np.log(4 * 3 / (6 * 7)))
    n1 = n2 = 10
    p1, p2 = 0.4, 0.7
    expected = (
        1 / 4
        + 1 / 6
        + 1 / 7
        + 1 / 3
        - 2 * 0.9 * 10 / (n1 * n2 * np.sqrt(p1 * (1 - p1) * p2 * (1 - p2)))
    )
    assert out.vi.iloc[1] == pytest.approx(expected, rel=1e-12)
    assert out.reason.isna().all()


def test_estimate_kept_without_variance_as_in_metafor() -> None:
    out = metaatt.escalc("ZCOR", ri=[0.5, 0.5], ni=[3, 10])
    assert out.yi.iloc[0] == pytest.approx(np.arctanh(0.5))
    assert np.isnan(out.vi.iloc[0])
    assert "ni > 3" in out.reason.iloc[0]


def test_scalars_series_and_lists_mix() -> None:
    m1 = pd.Series([5.0, 6.0, 7.0], index=[7, 8, 9])  # Series index is not used for alignment
    n = np.array([20, 30, 40])
    out = metaatt.escalc("SMCR", m1i=m1, m2i=[4.0, 4.0, 4.0], sd1i=2.0, ni=n, ri=0.5)
    j = metaatt.effects.hedges_j(n - 1.0)
    np.testing.assert_allclose(out.yi, j * np.array([1.0, 2.0, 3.0]) / 2.0)
    np.testing.assert_allclose(out.vi, 2 * (1 - 0.5) / n + out.yi**2 / (2 * n))
    pd.testing.assert_index_equal(out.index, pd.RangeIndex(3))


def test_add_default_is_zero_for_arcsine_measures_unless_given() -> None:
    default = metaatt.escalc("PFT", xi=[0, 3], ni=[10, 10])
    explicit = metaatt.escalc("PFT", xi=[0, 3], ni=[10, 10], add=0.5)
    assert default.yi.iloc[0] == pytest.approx(0.5 * np.arcsin(np.sqrt(1 / 11)))
    assert explicit.yi.iloc[0] != pytest.approx(default.yi.iloc[0])
    assert default.attrs["escalc"]["add"] == 0.0
    assert explicit.attrs["escalc"]["add"] == 0.5
    assert metaatt.escalc("PR", xi=[0], ni=[10]).yi.iloc[0] == pytest.approx(0.5 / 11)


def test_vtype_per_study() -> None:
    args = dict(m1i=[1.0, 2.0], m2i=[0.0, 0.0], sd1i=[1.0, 1.2], sd2i=1.0, n1i=[8, 9], n2i=[8, 9])
    mixed = metaatt.escalc("SMD", vtype=["LS", "UB"], **args)
    assert mixed.vi.iloc[0] == metaatt.escalc("SMD", **args).vi.iloc[0]
    assert mixed.vi.iloc[1] == metaatt.escalc("SMD", vtype="UB", **args).vi.iloc[1]
    assert mixed.attrs["vtype"] == ["LS", "UB"]


def test_measures_are_listed_with_descriptions() -> None:
    assert len(MEASURES) == 43
    assert all(spec.description and spec.vtypes[0] == "LS" for spec in MEASURES.values())
    for code, spec in MEASURES.items():
        assert spec.compute.__doc__ and "References" in spec.compute.__doc__, code


# ------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: metaatt.escalc("XYZ", ai=[1]), r"measure: unknown value 'XYZ'; choose one of"),
        (lambda: metaatt.escalc("smd"), r"did you mean 'SMD'"),
        (lambda: metaatt.escalc(5), "measure: expected a metafor measure code"),
        (lambda: metaatt.escalc("OR", ai=[1], bi=[1], ci=[1], dj=[1]), "dj: not an argument"),
        (
            lambda: metaatt.escalc("SMD", m1i=[1], m2i=[1], sd1i=[1], n1i=[5], n2i=[5]),
            r"measure 'SMD' needs m1i, m2i, sd1i, sd2i, n1i, n2i; missing: sd2i",
        ),
        (
            lambda: metaatt.escalc("OR", ai=[1], ci=[1]),
            r"needs ai, ci and either bi, di or n1i, n2i",
        ),
        (
            lambda: metaatt.escalc("PR", xi=[1, 2], ni=[5, 6, 7]),
            "lengths differ: xi has 2, ni has 3",
        ),
        (
            lambda: metaatt.escalc("PR", xi=["a", 2], ni=[5, 6]),
            "xi: row 1 is 'a', which is not a number",
        ),
        (
            lambda: metaatt.escalc("PR", xi=[1, -2], ni=[5, 6]),
            "xi: row 2 is -2; counts must be >= 0",
        ),
        (lambda: metaatt.escalc("PR", xi=[7, 2], ni=[5, 6]), "xi: row 1 is 7; more events than"),
        (
            lambda: metaatt.escalc("PR", xi=[1, 2], ni=[5, 0]),
            "ni: row 2 is 0; sample sizes must be > 0",
        ),
        (
            lambda: metaatt.escalc("RR", ai=[3, 9], ci=[1, 1], n1i=[5, 8], n2i=[5, 5]),
            "ai: row 2 is 9; more events than the group size n1i",
        ),
        (
            lambda: metaatt.escalc("RR", ai=[3], bi=[4], ci=[1], di=[1], n1i=[8]),
            r"bi: row 1: ai \+ bi = 7 but n1i = 8",
        ),
        (
            lambda: metaatt.escalc("MD", m1i=[1], m2i=[1], sd1i=[-1], sd2i=[1], n1i=[5], n2i=[5]),
            "sd1i: row 1 is -1; standard deviations must be >= 0",
        ),
        (
            lambda: metaatt.escalc("ZCOR", ri=[0.2, 1.2], ni=[5, 5]),
            r"ri: row 2 is 1.2; correlations must lie in \[-1, 1\]",
        ),
        (
            lambda: metaatt.escalc("MPORM", ai=[1], bi=[1], ci=[1], di=[1], ri=[-1.5]),
            "ri: row 1 is -1.5",
        ),
        (
            lambda: metaatt.escalc("SMD", vtype="HO", m1i=1, m2i=1, sd1i=1, sd2i=1, n1i=5, n2i=5),
            "vtype: 'HO' is not available for measure 'SMD'; choose from 'LS', 'UB', 'LS2', 'AV'",
        ),
        (
            lambda: metaatt.escalc("ZCOR", vtype=["LS"], ri=[0.1, 0.2], ni=[5, 5]),
            "vtype: give one string or one per study",
        ),
        (
            lambda: metaatt.escalc("OR", add=-1, ai=[1], bi=[1], ci=[1], di=[1]),
            "add: must be a finite number >= 0",
        ),
        (
            lambda: metaatt.escalc("OR", add="x", ai=[1], bi=[1], ci=[1], di=[1]),
            "add: expected a number",
        ),
        (
            lambda: metaatt.escalc("OR", to="some", ai=[1], bi=[1], ci=[1], di=[1]),
            "to: unknown value 'some'",
        ),
        (
            lambda: metaatt.escalc("OR", drop00="yes", ai=[1], bi=[1], ci=[1], di=[1]),
            "drop00: expected True or False",
        ),
        (lambda: metaatt.escalc("ZCOR", ri="r", ni=[5]), "ri: got the column name 'r' but no data"),
        (
            lambda: metaatt.escalc("ZCOR", ri="r", ni="n", data=pd.DataFrame({"r": [0.1]})),
            "ni: column 'n' is not in data",
        ),
        (
            lambda: metaatt.escalc("ZCOR", ri=[0.1], ni=[5], data=[1]),
            "data: expected a pandas DataFrame",
        ),
        (lambda: metaatt.escalc("ZCOR", ri=[], ni=[]), "no studies"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, match) -> None:
    with pytest.raises(MetaattError, match=match):
        call()


def test_errors_name_the_study_from_data() -> None:
    bad = TABLES.assign(ci=[8, 0, -3, 12])
    with pytest.raises(MetaattError, match=r"ci: row 3 \(study 'Gamma 2010'\) is -3"):
        metaatt.escalc("OR", ai="ai", bi="bi", ci="ci", di="di", data=bad)
    with pytest.raises(MetaattError, match="lengths differ: data has 4 rows, ai has 2"):
        metaatt.escalc("OR", ai=[1, 2], bi="bi", ci="ci", di="di", data=TABLES)


def test_metaatt_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        metaatt.escalc("NOPE")


def test_duplicate_index_and_per_study_vtype_errors() -> None:
    data = TABLES.set_axis([1, 1, 2, 2])  # duplicated labels are kept, not aligned on
    out = metaatt.escalc("OR", ai="ai", bi="bi", ci="ci", di="di", data=data, drop00=True)
    assert list(out.index) == [1, 1, 2, 2]
    assert out.reason.notna().tolist() == [False, True, False, False]
    with pytest.raises(MetaattError, match=r"vtype: 'UB' \(study 2\) is not available"):
        metaatt.escalc(
            "PHI", ai="ai", bi="bi", ci="ci", di="di", data=data, vtype=["ST", "UB", "CS", "CS"]
        )
