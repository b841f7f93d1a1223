"""Fuzz the effect-size makers: escalc, metaatt.extract, the attachment calculators,
Mantel-Haenszel/Peto, the simulators and the priors. Every bad argument ends in a table
whose undefined rows carry a reason, or a MetaattError naming the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metaatt
from metaatt.effects import MEASURES
from tests.fuzz_helpers import assert_effect_table, assert_named_error, call

N4 = [20, 30, 25, 15]
FAMILIES = {
    "two groups": dict(
        m1i=[10.0, 12, 9, 11],
        m2i=[9.0, 10, 9.5, 8],
        sd1i=[2.0, 3, 2.5, 2],
        sd2i=[2.2, 2.8, 2, 2.1],
        n1i=N4,
        n2i=[22, 28, 25, 16],
    ),
    "paired": dict(
        m1i=[10.0, 12, 9, 11],
        m2i=[9.0, 10, 9.5, 8],
        sd1i=[2.0, 3, 2.5, 2],
        sd2i=[2.2, 2.8, 2, 2.1],
        ni=N4,
        ri=[0.5, 0.6, 0.4, 0.7],
    ),
    "2x2": dict(ai=[5, 10, 3, 8], bi=[15, 20, 22, 12], ci=[8, 12, 6, 9], di=[12, 18, 19, 11]),
    "correlation": dict(ri=[0.3, 0.5, -0.2, 0.1], ni=[30, 40, 50, 60]),
    "proportion": dict(xi=[3, 10, 5, 8], ni=[20, 30, 25, 40]),
    "mean": dict(mi=[10.0, 12, 9, 11], sdi=[2.0, 3, 2.5, 2], ni=N4),
}


def _inputs(code):
    """Valid inputs of a measure, built from the family whose columns it uses."""
    needed = set(MEASURES[code].inputs)
    for family in FAMILIES.values():
        if {"ai", "bi", "ci", "di"} <= needed and "ai" in family:
            values = dict(family)
            if "ri" in needed:
                values["ri"] = [0.5] * 4
            return values
        if set(family) <= needed or (needed <= set(family) and len(needed) >= 3):
            return {k: v for k, v in family.items() if k in needed}
    raise AssertionError(f"no valid inputs for {code}: {sorted(needed)}")


def _mutations(values):
    """(name, mutated list) pairs: NaN, negative, zero, huge, infinite, text, short, ..."""

    def with_row(value):
        out = list(values)
        out[1] = value
        return out

    return {
        "None": None,
        "text": "x",
        "dict": {"a": 1},
        "nested": [[v] for v in values],
        "short": list(values)[:2],
        "empty": [],
        "NaN row": with_row(np.nan),
        "negative row": with_row(-abs(values[1]) - 1),
        "zero row": with_row(0),
        "huge row": with_row(1e300),
        "tiny row": with_row(1e-300),
        "inf row": with_row(np.inf),
        "text row": with_row("abc"),
        "booleans": [bool(v) for v in values],
        "Int64 NA": pd.array([int(abs(v)) if i != 1 else None for i, v in enumerate(values)]),
    }


CASES = [
    (code, argument, mutation)
    for code in MEASURES
    for argument in _inputs(code)
    for mutation in _mutations(_inputs(code)[argument])
]


@pytest.mark.parametrize(("code", "argument", "mutation"), CASES)
def test_escalc_bad_input_gives_reasons_or_a_named_error(code, argument, mutation):
    inputs = _inputs(code)
    inputs[argument] = _mutations(inputs[argument])[mutation]
    outcome = call(lambda: metaatt.escalc(code, **inputs))
    if outcome.error is not None:
        assert_named_error(outcome, argument, "lengths differ", "needs")
    else:
        assert_effect_table(outcome.value)


@pytest.mark.parametrize("code", list(MEASURES))
def test_escalc_k1_empty_and_data_columns(code):
    inputs = _inputs(code)
    one = call(lambda: metaatt.escalc(code, **{k: v[:1] for k, v in inputs.items()}))
    assert one.error is None
    assert_effect_table(one.value)
    empty = call(lambda: metaatt.escalc(code, **{k: [] for k in inputs}))
    assert_named_error(empty, *inputs)
    table = pd.DataFrame(inputs, index=list("wxyz"))
    before = table.copy(deep=True)
    named = call(lambda: metaatt.escalc(code, data=table, **{k: k for k in inputs}))
    assert_effect_table(named.value)
    pd.testing.assert_frame_equal(table, before)  # the caller's table is never written into
    missing = call(lambda: metaatt.escalc(code, data=table, **{k: k + "_zz" for k in inputs}))
    assert_named_error(missing, *[k + "_zz" for k in inputs])


@pytest.mark.parametrize(
    "options",
    [
        {"add": -1},
        {"add": "x"},
        {"add": np.nan},
        {"to": "x"},
        {"to": None},
        {"drop00": "yes"},
        {"vtype": "xx"},
        {"vtype": None},
        {"unknown_arg": [1, 2, 3, 4]},
    ],
)
@pytest.mark.parametrize("code", ["OR", "SMD"])
def test_escalc_bad_options_are_named(code, options):
    outcome = call(lambda: metaatt.escalc(code, **_inputs(code), **options))
    assert_named_error(outcome, *options)


@pytest.mark.parametrize("measure", [None, "xx", "smd", 1, ["SMD"]])
def test_escalc_unknown_measure_is_named(measure):
    outcome = call(lambda: metaatt.escalc(measure, **FAMILIES["two groups"]))
    assert_named_error(outcome, "measure")


EXTRACT = metaatt.extract
ATTACH = metaatt.attachment
CALLS = {
    "from_change": (
        EXTRACT.from_change,
        dict(m_change=[1.0, 2, 1.5, 0.5], sd_change=[2.0, 3, 2.5, 2], n=N4),
    ),
    "from_chi2": (EXTRACT.from_chi2, dict(chi2=[3.0, 5, 1, 2], n=N4)),
    "from_ci": (
        EXTRACT.from_ci,
        dict(
            estimate=[0.5, 0.3, 0.2, 0.1], ci_low=[0.1, 0, -0.1, -0.3], ci_high=[0.9, 0.6, 0.5, 0.5]
        ),
    ),
    "from_d": (
        lambda **k: EXTRACT.from_d(standardizer="d_between_post", **k),
        dict(d=[0.5, 0.3, 0.2, 0.1], n1=N4, n2=N4),
    ),
    "from_eta2": (
        lambda **k: EXTRACT.from_eta2(design="independent", **k),
        dict(eta2=[0.1, 0.05, 0.2, 0.01], n1=N4, n2=N4, df_error=[38, 58, 48, 28]),
    ),
    "from_f": (
        lambda **k: EXTRACT.from_f(design="independent", **k),
        dict(f=[4.0, 2, 3, 1], n1=N4, n2=N4),
    ),
    "from_p": (
        lambda **k: EXTRACT.from_p(design="paired", **k),
        dict(p=[0.01, 0.2, 0.04, 0.5], n=N4),
    ),
    "from_pre_post": (
        EXTRACT.from_pre_post,
        dict(
            m_pre=[10.0, 12, 9, 11],
            sd_pre=[2.0, 3, 2.5, 2],
            m_post=[8.0, 10, 8, 9],
            n=N4,
            r=[0.5, 0.6, 0.4, 0.7],
        ),
    ),
    "from_t_independent": (EXTRACT.from_t_independent, dict(t=[2.0, 1, 3, 0.5], n1=N4, n2=N4)),
    "from_t_paired": (EXTRACT.from_t_paired, dict(t=[2.0, 1, 3, 0.5], n=N4)),
    "d_ppc1": (
        EXTRACT.d_ppc1,
        dict(
            m_pre=[10.0, 12, 9, 11],
            sd_pre=[2.0, 3, 2.5, 2],
            m_post=[8.0, 10, 8, 9],
            n=N4,
            m_pre_c=[10.0, 12, 9, 11],
            sd_pre_c=[2.0, 3, 2.5, 2],
            m_post_c=[9.0, 11, 9, 10],
            n_c=N4,
            r=[0.5] * 4,
        ),
    ),
    "d_ppc2": (
        EXTRACT.d_ppc2,
        dict(
            m_pre=[10.0, 12, 9, 11],
            sd_pre=[2.0, 3, 2.5, 2],
            m_post=[8.0, 10, 8, 9],
            n=N4,
            m_pre_c=[10.0, 12, 9, 11],
            sd_pre_c=[2.0, 3, 2.5, 2],
            m_post_c=[9.0, 11, 9, 10],
            n_c=N4,
            r=[0.5] * 4,
        ),
    ),
    "d_to_log_or": (EXTRACT.d_to_log_or, dict(yi=[0.5, 0.3, 0.2, 0.1], vi=[0.05, 0.04, 0.03, 0.1])),
    "d_to_r": (
        EXTRACT.d_to_r,
        dict(yi=[0.5, 0.3, 0.2, 0.1], vi=[0.05, 0.04, 0.03, 0.1], n1=N4, n2=N4),
    ),
    "r_to_z": (EXTRACT.r_to_z, dict(yi=[0.5, 0.3, 0.2, 0.1], n=N4)),
    "z_to_r": (EXTRACT.z_to_r, dict(yi=[0.5, 0.3, 0.2, 0.1], vi=[0.05, 0.04, 0.03, 0.1])),
    "convert": (
        lambda **k: EXTRACT.convert(source="d", target="r", **k),
        dict(yi=[0.5, 0.3, 0.2, 0.1], vi=[0.05, 0.04, 0.03, 0.1]),
    ),
    "mean_sd_from_median": (
        EXTRACT.mean_sd_from_median,
        dict(n=N4, median=[10.0, 12, 9, 11], q1=[8.0, 9, 7, 9], q3=[12.0, 14, 11, 13]),
    ),
    "wan_sd": (EXTRACT.wan_sd, dict(n=N4, q1=[8.0, 9, 7, 9], q3=[12.0, 14, 11, 13])),
    "r_from_sd_change": (
        EXTRACT.r_from_sd_change,
        dict(sd_pre=[2.0, 3, 2.5, 2], sd_post=[2.0, 3, 2.5, 2], sd_change=[1.5, 2, 2, 1]),
    ),
    "r_from_t": (
        EXTRACT.r_from_t,
        dict(
            t=[3.0, 2, 4, 2.5],
            n=N4,
            m_pre=[10.0, 12, 9, 11],
            m_post=[8.0, 10, 8, 9],
            sd_pre=[2.0, 3, 2.5, 2],
            sd_post=[2.0, 3, 2.5, 2],
        ),
    ),
    "hedges_j": (EXTRACT.hedges_j, dict(m=[10.0, 20, 30, 40])),
    "between_categorical": (
        ATTACH.between_categorical,
        dict(x1=[5, 10, 3, 8], n1=N4, x2=[8, 12, 6, 9], n2=N4),
    ),
    "marginal_categorical": (
        ATTACH.marginal_categorical,
        dict(n_secure_pre=[5, 10, 3, 8], n_secure_post=[8, 12, 6, 9], n=N4),
    ),
    "paired_categorical": (
        ATTACH.paired_categorical,
        dict(n_ss=[3, 5, 2, 4], n_si=[2, 5, 1, 4], n_is=[5, 7, 4, 5], n_ii=[10, 13, 18, 2]),
    ),
    "feasible_p11": (
        ATTACH.feasible_p11,
        dict(p_pre=[0.2, 0.3, 0.4, 0.5], p_post=[0.3, 0.4, 0.5, 0.6]),
    ),
    "p11_from_phi": (
        ATTACH.p11_from_phi,
        dict(phi=[0.5] * 4, p_pre=[0.2, 0.3, 0.4, 0.5], p_post=[0.3, 0.4, 0.5, 0.6]),
    ),
    "phi_from_p11": (
        ATTACH.phi_from_p11,
        dict(p11=[0.15, 0.2, 0.3, 0.4], p_pre=[0.2, 0.3, 0.4, 0.5], p_post=[0.3, 0.4, 0.5, 0.6]),
    ),
}
CALL_CASES = [
    (name, argument, mutation)
    for name, (_, inputs) in CALLS.items()
    for argument in inputs
    for mutation in _mutations(inputs[argument])
]


@pytest.mark.parametrize(("name", "argument", "mutation"), CALL_CASES)
def test_extractors_and_calculators_bad_input(name, argument, mutation):
    fn, inputs = CALLS[name]
    inputs = dict(inputs)
    inputs[argument] = _mutations(inputs[argument])[mutation]
    outcome = call(lambda: fn(**inputs))
    if outcome.error is not None:
        assert_named_error(outcome, argument, "lengths differ", "needs", "design")
        return
    value = outcome.value
    if isinstance(value, pd.DataFrame) and {"yi", "vi"} <= set(value.columns):
        assert_effect_table(value)
    elif isinstance(value, pd.DataFrame):
        assert not np.isinf(value.select_dtypes("number").to_numpy(dtype=float)).any()
    else:  # arrays (or tuples of arrays): never infinite
        parts = value if isinstance(value, tuple) else (value,)
        assert not any(np.isinf(np.asarray(p, dtype=float)).any() for p in parts)


@pytest.mark.parametrize("bad", [None, "xx", 1, np.nan, True, [0.5]])
def test_extract_and_attachment_options_are_named(bad):
    checks = {
        "standardizer": lambda: EXTRACT.from_d([0.5], standardizer=bad, n1=[10], n2=[10]),
        "design": lambda: EXTRACT.from_p([0.05], design=bad, n1=[10], n2=[10]),
        "level": lambda: EXTRACT.from_ci([0.5], [0.1], [0.9], level=bad),
        "metric": lambda: EXTRACT.from_ci([0.5], [0.1], [0.9], metric=bad),
        "source": lambda: EXTRACT.convert([0.5], [0.1], source=bad, target="r"),
        "assumed_r": lambda: EXTRACT.from_pre_post([10.0], [2.0], [8.0], [20], assumed_r=bad),
        "categorical": lambda: ATTACH.between_categorical([5], [20], [8], [20], categorical=bad),
        "cc": lambda: ATTACH.between_categorical([0], [20], [8], [20], cc=bad),
        "assumed_phi": lambda: ATTACH.marginal_categorical([5], [8], [20], assumed_phi=bad),
        "points": lambda: ATTACH.marginal_sensitivity([5], [8], [20], points=bad),
    }
    for argument, fn in checks.items():
        if bad is None and argument == "assumed_r":
            continue  # None: no assumption (then r is required)
        if bad == 1 and argument in ("assumed_r", "cc", "assumed_phi"):
            continue  # a valid value
        if bad == "xx" and argument == "metric":
            continue  # any text names a metric
        assert_named_error(call(fn), argument)


@pytest.mark.parametrize("r", [-1.5, 1.5])
def test_out_of_range_correlations_are_named(r):
    assert_named_error(call(lambda: EXTRACT.from_pre_post([10.0], [2.0], [8.0], [20], r=[r])), "r")
    assert_named_error(call(lambda: ATTACH.marginal_categorical([5], [8], [20], phi=[r])), "phi")
    assert_named_error(call(lambda: ATTACH.p11_from_phi([r], [0.3], [0.4])), "phi")


def test_impossible_counts_and_intervals_are_named():
    assert_named_error(call(lambda: ATTACH.marginal_categorical([25], [8], [20])), "n_secure_pre")
    assert_named_error(call(lambda: ATTACH.between_categorical([25], [20], [8], [20])), "x1")
    assert_named_error(call(lambda: ATTACH.feasible_p11([1.5], [0.5])), "p_pre")
    assert_named_error(call(lambda: EXTRACT.from_ci([0.5], [0.9], [0.1])), "ci_")
    assert_named_error(
        call(lambda: EXTRACT.from_ci([1.5], [-0.1], [1.9], log_scale=True)), "ci_low"
    )


TABLES = dict(ai=[5, 10, 3, 8], bi=[15, 20, 22, 12], ci=[8, 12, 6, 9], di=[12, 18, 19, 11])


@pytest.mark.parametrize("function", ["mantel_haenszel", "peto"])
@pytest.mark.parametrize("argument", list(TABLES))
@pytest.mark.parametrize(
    "bad",
    {
        "None": None,
        "negative": [5, -1, 3, 8],
        "NaN": [5, np.nan, 3, 8],
        "huge": [5, 1e300, 3, 8],
        "text": "x",
        "short": [1, 2],
        "dict": {"a": 1},
        "Int64 NA": pd.array([5, None, 3, 8], dtype="Int64"),
    }.items(),
    ids=lambda item: item[0] if isinstance(item, tuple) else str(item),
)
def test_two_by_two_bad_counts_are_named(function, argument, bad):
    fn = getattr(metaatt, function)
    outcome = call(lambda: fn(**{**TABLES, argument: bad[1]}))
    assert_named_error(outcome, argument, "lengths differ", "needs")


@pytest.mark.parametrize("function", ["mantel_haenszel", "peto"])
def test_two_by_two_degenerate_tables(function):
    fn = getattr(metaatt, function)
    outcome = call(lambda: fn(ai=[0, 0], bi=[10, 10], ci=[0, 0], di=[10, 10]))
    assert_named_error(outcome, "table")
    excluded = call(lambda: fn(**{**TABLES, "ai": [5, np.nan, 3, 8]}, missing="exclude"))
    assert excluded.value.k + len(excluded.value.excluded) == 4
    assert list(excluded.value.excluded["reason"]) == ["ai missing"]
    one = call(lambda: fn(ai=[5], bi=[10], ci=[3], di=[10]))
    assert np.isfinite(one.value.estimate)


@pytest.mark.parametrize(
    "options",
    [
        {"k": 0},
        {"k": 1.5},
        {"k": "x"},
        {"k": True},
        {"k": 3, "tau2": -1},
        {"k": 3, "tau2": np.nan},
        {"k": 3, "mu": np.inf},
        {"k": 3, "vi": -1},
        {"k": 3, "vi": "x"},
        {"k": 3, "vi": [0.1, 0.2]},
        {"k": 3, "n_datasets": 0},
        {"k": 3, "random_seed": "x"},
        {"k": 3, "random_seed": -1},
        {"k": 3, "random_seed": 1.5},
    ],
)
def test_simulate_generate_bad_options_are_named(options):
    outcome = call(lambda: metaatt.simulate.generate(**options))
    argument = [k for k in options if k != "k"] or ["k"]
    assert_named_error(outcome, argument[-1])


def test_simulate_distributions_and_seeds_are_named():
    sim = metaatt.simulate
    assert_named_error(call(lambda: sim.uniform(0.1, 0.01)), "uniform")
    assert_named_error(call(lambda: sim.uniform("a", 1)), "low")
    assert_named_error(call(lambda: sim.uniform(np.nan, 1)), "low")
    assert_named_error(call(lambda: sim.scaled_chi2(-1, 3)), "scaled_chi2")
    assert_named_error(call(lambda: sim.scaled_chi2(1, "x")), "df")
    assert_named_error(call(lambda: sim.fixed([-1])), "fixed", "vi")
    assert_named_error(call(lambda: sim.condition_seed("x", k=5)), "random_seed")
    assert_named_error(call(lambda: sim.condition_seed(1, k="x")), "k")
    grid = sim.grid(k=[5], tau2=[0.1])
    for options, name in (
        ({"methods": ["XX"]}, "method"),
        ({"tests": "q"}, "test"),
        ({"replicates": 0.5}, "replicates"),
        ({"level": 5}, "level"),
        ({"random_seed": "x"}, "random_seed"),
    ):
        options = {"replicates": 5, **options}
        outcome = call(lambda o=options: sim.evaluate(grid, progress=False, **o))
        assert_named_error(outcome, name)


@pytest.mark.parametrize("name", [None, "nope", 5, " bcg"])
def test_unknown_dataset_is_named(name):
    assert_named_error(call(lambda: metaatt.datasets.load(name)), "name", "dataset")


@pytest.mark.parametrize(
    ("prior", "args"),
    [
        ("HalfNormal", (-1,)),
        ("HalfNormal", (np.nan,)),
        ("HalfNormal", ("x",)),
        ("HalfCauchy", (0,)),
        ("Uniform", (1, 0)),
        ("Normal", (0, -1)),
        ("Normal", (np.inf, 1)),
        ("HalfStudentT", (3, -1)),
        ("LogNormalTau2", (0, -1)),
    ],
)
def test_bad_prior_parameters_are_named(prior, args):
    outcome = call(lambda: getattr(metaatt.bayes, prior)(*args))
    assert_named_error(outcome, prior, "scale", "sd", "sigma", "low", "high", "mean", "nu")


@pytest.mark.parametrize(
    "options",
    [
        {"tau_prior": "x"},
        {"tau_prior": 5},
        {"tau_prior": {"distribution": "nope"}},
        {"mu_prior": "x"},
        {"method": "x"},
        {"level": 2},
        {"threshold": np.nan},
        {"missing": "x"},
    ],
)
def test_bayes_pool_bad_options_are_named(options):
    outcome = call(lambda: metaatt.bayes.pool([0.1, 0.3, -0.2], [0.01, 0.02, 0.03], **options))
    assert_named_error(outcome, *options)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(
        st.tuples(*[st.one_of(st.integers(0, 50), st.just(np.nan)) for _ in range(4)]),
        min_size=1,
        max_size=5,
    ),
    measure=st.sampled_from(["OR", "RR", "RD", "PETO", "AS", "YUQ"]),
    to=st.sampled_from(["only0", "all", "if0all", "none"]),
    drop00=st.booleans(),
)
def test_escalc_on_arbitrary_tables_explains_every_missing_row(counts, measure, to, drop00):
    ai, bi, ci, di = (list(column) for column in zip(*counts, strict=True))
    outcome = call(
        lambda: metaatt.escalc(measure, ai=ai, bi=bi, ci=ci, di=di, to=to, drop00=drop00)
    )
    if outcome.error is not None:
        assert_named_error(outcome, "ai", "bi", "ci", "di", "n1i", "n2i")
    else:
        assert_effect_table(outcome.value)
