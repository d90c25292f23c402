"""The formulaic-free design of sums of columns and ``C(column)`` terms.

Every fast design is compared with the one formulaic builds (called directly,
as ``build_design`` does for other formulas): values, column names, term
columns, errors, and the encoding of new rows.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings
from contextlib import ExitStack
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse import _cox_design as cd
from hccstudy.analyse.cox import cox
from hccstudy.errors import InputError

# ---------------------------------------------------------------- reference


def formulaic_design(data: pd.DataFrame, formula: str) -> cd.Design:
    """The design as formulaic builds it (the slow path of build_design, spelt out)."""
    from formulaic import model_matrix

    try:
        mm = model_matrix(cd._rhs(formula), data, context=cd._context(), na_action="raise")
    except Exception as exc:
        raise InputError(f"formulaic: {exc}") from exc
    cols = [str(c) for c in mm.columns]
    keep = [i for i, c in enumerate(cols) if c != "Intercept"]
    x = np.asarray(mm.to_numpy(), dtype=float)[:, keep]
    names = tuple(cols[i] for i in keep)
    if not names:
        raise InputError("no covariates")
    pos = {c: j for j, c in enumerate(names)}
    term_columns = {}
    for term, sl in mm.model_spec.term_slices.items():
        idx = tuple(pos[cols[i]] for i in range(sl.start, sl.stop) if cols[i] in pos)
        if idx:
            term_columns[str(term)] = idx
    cd._check_constant(x, names)
    return cd.Design(x=x, columns=names, term_columns=term_columns, spec=mm.model_spec)


def forced_formulaic() -> ExitStack:
    """Context in which build_design / formula_variables take the formulaic path."""
    stack = ExitStack()
    for name in ("_fast_design", "_parse_terms", "_plain_terms"):
        stack.enter_context(mock.patch.object(cd, name, lambda *a: None))
    return stack


def outcome(fn: Any) -> Any:
    try:
        return fn()
    except InputError as exc:
        return exc


def assert_same_design(data: pd.DataFrame, formula: str, *, fast_expected: bool = True) -> Any:
    """Fast design equals formulaic's (or both raise); returns the fast design or error."""
    ref = outcome(lambda: formulaic_design(data, formula))
    got = outcome(lambda: cd.build_design(data, formula))
    if isinstance(ref, InputError):
        assert isinstance(got, InputError), (formula, got)
        return got
    assert not isinstance(got, InputError), (formula, got)
    if fast_expected:
        assert isinstance(got.spec, cd.FastSpec), formula
    assert got.columns == ref.columns
    assert got.term_columns == ref.term_columns
    assert got.x.dtype == ref.x.dtype == np.float64
    np.testing.assert_array_equal(got.x, ref.x)
    return got, ref


def assert_same_newdata(got: cd.Design, ref: cd.Design, newdata: pd.DataFrame) -> None:
    a = outcome(lambda: cd.new_design(got.spec, got.columns, newdata))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # formulaic warns (then codes as 0) for unseen levels
        b = outcome(lambda: cd.new_design(ref.spec, ref.columns, newdata))
    if isinstance(b, InputError):
        assert isinstance(a, InputError)
    else:
        assert not isinstance(a, InputError), a
        np.testing.assert_array_equal(a, b)


FRAME = pd.DataFrame({
    "age": [61.0, 70, 55, 48, 52, 66, 59, 45],
    "n": [1, 2, 2, 3, 1, 3, 2, 1],
    "period": [1.0, 2.0, 2.0, 1.0, 3.5, 3.5, 1.0, 2.0],
    "flag": [True, False, True, False, True, True, False, False],
    "bflag": pd.array([True, False, True, True, False, True, False, True], dtype="boolean"),
    "stage": ["B", "A", "C", "B", "A", "C", "B", "A"],
    "sstr": pd.array(["x", "y", "x", "z", "y", "x", "z", "y"], dtype="string"),
    "grade": pd.Categorical(["2", "1", "3", "2", "1", "3", "1", "2"], categories=["3", "1", "2"]),
    "catu": pd.Categorical(["b", "a", "b", "a", "a", "b", "b", "a"],
                           categories=["a", "c", "b"]),
    "c.d": [0.1, 0.2, 0.3, 0.5, 0.2, 0.1, 0.3, 0.4],
    "e f": ["u", "v", "u", "v", "v", "u", "u", "v"],
    "treatment": ["sor", "len", "len", "sor", "sor", "len", "len", "sor"],
})

FAST_FORMULAS = [
    "age", "age + n + flag + bflag", "stage", "C(stage)", "flag", "C(flag)", "C(bflag)",
    "C(sstr)", "grade", "C(grade)", "C(n)", "C(period)", "`c.d`", "c.d", "C(`c.d`)", "`e f`",
    "C(`e f`)", "age + stage + C(n)", "stage + age", "C(period) + `c.d` + stage + grade",
    "treatment", "C(treatment)", "`stage` + `age`", " age  +  C(stage) ", "stage + C(stage)",
]


@pytest.mark.parametrize("formula", FAST_FORMULAS)
def test_fast_design_equals_formulaic(formula: str) -> None:
    got, ref = assert_same_design(FRAME, formula)
    # new rows: the same rows, a subset, reordered
    assert_same_newdata(got, ref, FRAME)
    assert_same_newdata(got, ref, FRAME.iloc[[5, 2]])
    assert_same_newdata(got, ref, FRAME.iloc[::-1])


def test_bool_and_float_level_names() -> None:
    assert cd.build_design(FRAME, "flag").columns == ("flag",)
    assert cd.build_design(FRAME, "C(flag)").columns == ("C(flag)[T.True]",)
    assert cd.build_design(FRAME, "C(period)").columns == ("C(period)[T.2.0]", "C(period)[T.3.5]")
    assert cd.build_design(FRAME, "grade").columns == ("grade[T.1]", "grade[T.2]")
    d = cd.build_design(FRAME, "age + C(`e f`) + stage")
    assert d.term_columns == {"age": (0,), "C(`e f`)": (1,), "stage": (2, 3)}


def test_unused_category_gives_the_same_constant_error() -> None:
    err = assert_same_design(FRAME, "catu")
    assert isinstance(err, InputError) and "constant" in str(err)
    # an unused first category: formulaic drops it like any reference level
    d = FRAME.assign(catu=pd.Categorical(FRAME["stage"], categories=["Z", "A", "B", "C"]))
    assert_same_design(d, "catu")


@pytest.mark.parametrize("formula", ["sstr", "C(stage, treatment('B'))", "age:n", "log(age)",
                                     "C( stage )", "age + age", "I(age)", "stage - 1"])
def test_other_formulas_use_formulaic(formula: str) -> None:
    assert cd._fast_design(FRAME, formula) is None

    def either(fn: Any) -> Any:
        try:
            return fn()
        except (InputError, ValueError) as exc:  # bare "string" dtype: formulaic's ValueError
            return type(exc)

    ref = either(lambda: formulaic_design(FRAME, formula))
    got = either(lambda: cd.build_design(FRAME, formula))
    assert isinstance(ref, type) == isinstance(got, type)
    if isinstance(ref, type):
        assert ref is got
    else:
        np.testing.assert_array_equal(got.x, ref.x)
        assert got.columns == ref.columns


def test_column_named_C_falls_back() -> None:
    d = FRAME.assign(C=1.0)
    assert cd._fast_design(d, "C(stage)") is None
    with pytest.raises(InputError):
        cd.build_design(d, "C(stage)")


@pytest.mark.parametrize("formula", ["age", "stage", "C(n)", "grade", "bflag"])
def test_missing_values_raise_as_formulaic(formula: str) -> None:
    d = FRAME.astype({"n": float}).copy()
    col = cd._parse_terms(d, formula)[0].column  # type: ignore[index]
    d.loc[3, col] = None
    assert cd._fast_design(d, formula) is None
    with pytest.raises(InputError, match="null"):
        cd.build_design(d, formula)
    fit = cd.build_design(FRAME, formula)
    with pytest.raises(InputError, match="null"):
        cd.new_design(fit.spec, fit.columns, d)


def test_newdata_levels() -> None:
    got, ref = assert_same_design(FRAME, "stage + C(n) + grade + C(flag) + C(period)")
    nd = pd.DataFrame({"stage": ["C", "C"], "n": [3.0, 2.0], "flag": [True, True],
                       "grade": ["1", "3"], "period": [2, 1]})
    assert_same_newdata(got, ref, nd)
    # categorical newdata with another category order
    nd2 = nd.assign(stage=pd.Categorical(["C", "A"], categories=["C", "B", "A"]))
    assert_same_newdata(got, ref, nd2)
    cases: list[tuple[str, list[Any]]] = [
        ("stage", ["D", "C"]), ("n", [4, 2]), ("grade", ["9", "1"]), ("period", [2.5, 1.0])]
    for col, bad in cases:
        unseen = nd.copy()
        unseen[col] = bad
        with pytest.raises(InputError, match="not seen"):
            cd.new_design(got.spec, got.columns, unseen)
        assert_same_newdata(got, ref, unseen)  # formulaic: error too


def test_newdata_kind_and_columns() -> None:
    got, ref = assert_same_design(FRAME, "age + stage")
    with pytest.raises(InputError, match="numeric in the fit"):
        cd.new_design(got.spec, got.columns, pd.DataFrame({"age": ["a", "b"], "stage": "A"}))
    assert_same_newdata(got, ref, pd.DataFrame({"age": ["a", "b"], "stage": "A"}))
    with pytest.raises(InputError, match="categorical in the fit"):
        cd.new_design(got.spec, got.columns, pd.DataFrame({"age": [1, 2], "stage": [1, 2]}))
    with pytest.raises(InputError, match="lacks"):
        cd.new_design(got.spec, got.columns, pd.DataFrame({"age": [1, 2]}))
    # bools for a numeric term enter as 1/0, as in formulaic
    assert_same_newdata(got, ref, pd.DataFrame({"age": [True, False], "stage": ["A", "B"]}))


def test_spec_pickles() -> None:
    got = cd.build_design(FRAME, "age + C(period) + stage + grade + C(flag)")
    spec = pickle.loads(pickle.dumps(got.spec))
    assert spec == got.spec
    np.testing.assert_array_equal(cd.new_design(spec, got.columns, FRAME), got.x)


def test_formula_variables_without_formulaic() -> None:
    d = FRAME.assign(c=1.0)  # formulaic reads `c.d` as c's attribute d: c counts as used
    for formula in [*FAST_FORMULAS, "C(stage) + ph", "C(stage) + `c.d`"]:
        if formula.endswith("ph"):
            dd = d.assign(ph=0.0)
        else:
            dd = d
        got = cd.formula_variables(formula, dd)
        with forced_formulaic():
            ref = cd.formula_variables(formula, dd)
        if cd._plain_terms(dd, formula) is not None:
            # plain sums (unchanged): the formula's order, and no `c` for `c.d`
            assert set(got) <= set(ref)
        else:
            assert got == ref, formula


# ---------------------------------------------------------------- generated frames

LEVELS = ["A", "B", "b", "IIIa", "10", "2", "é", "x y"]
NAMES = ["age", "stage", "c.d", "e f", "grade_2", "x.1", "np"]


@st.composite
def frames_and_formulas(draw: Any) -> tuple[pd.DataFrame, str, list[int]]:
    n = draw(st.integers(6, 25))
    k = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=k, max_size=k, unique=True))
    data: dict[str, Any] = {}
    terms = []
    for name in names:
        kind = draw(st.sampled_from(["float", "int", "bool", "boolean", "text", "cat"]))
        if kind == "float":
            v: Any = draw(st.lists(st.sampled_from([0.5, 1.0, 2.25, -3.0, 1e6]),
                                   min_size=n, max_size=n))
        elif kind == "int":
            v = draw(st.lists(st.integers(-2, 3), min_size=n, max_size=n))
        elif kind == "bool":
            v = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        elif kind == "boolean":
            v = pd.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype="boolean")
        else:
            levs = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=4, unique=True))
            v = draw(st.lists(st.sampled_from(levs), min_size=n, max_size=n))
            if kind == "cat":
                extra = draw(st.lists(st.sampled_from(LEVELS), max_size=2, unique=True))
                cats = list(dict.fromkeys(draw(st.permutations(levs)) + extra))
                v = pd.Categorical(v, categories=cats, ordered=draw(st.booleans()))
        data[name] = v
        ident = name.replace(".", "").isidentifier()
        ref = f"`{name}`" if not ident or draw(st.booleans()) else name
        force = draw(st.booleans()) and (kind != "float" or len(set(v)) <= 4)
        if force:
            inner = name if name.isidentifier() and draw(st.booleans()) else f"`{name}`"
            terms.append(f"C({inner})")
        else:
            terms.append(ref)
    rows = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
    return pd.DataFrame(data), " + ".join(terms), rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames_and_formulas())
def test_generated_designs_equal_formulaic(case: tuple[pd.DataFrame, str, list[int]]) -> None:
    data, formula, rows = case
    res = assert_same_design(data, formula, fast_expected=False)
    if isinstance(res, InputError):
        return
    got, ref = res
    assert isinstance(got.spec, cd.FastSpec), formula
    assert_same_newdata(got, ref, data.iloc[rows])
    got_vars = cd.formula_variables(formula, data)
    with forced_formulaic():
        ref_vars = cd.formula_variables(formula, data)
    assert sorted(got_vars) == sorted(ref_vars)


# ---------------------------------------------------------------- Cox fits


def _surv_frame(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stage = rng.choice(["A", "B", "C"], n)
    period = rng.choice([1.0, 2.0, 3.0], n)
    flag = rng.random(n) < 0.4
    lp = 0.5 * (stage == "B") + 1.0 * (stage == "C") - 0.3 * period + 0.4 * flag
    t = rng.exponential(np.exp(-lp))
    return pd.DataFrame({
        "months": np.round(t * 12, 1) + 0.1, "death": (rng.random(n) < 0.8).astype(int),
        "age": rng.normal(60, 10, n).round(), "stage": stage, "period": period, "flag": flag,
        "grade": pd.Categorical(rng.choice(["G3", "G1", "G2"], n), categories=["G2", "G1", "G3"]),
    })


@pytest.mark.parametrize("formula", ["age + stage", "C(period) + flag", "C(stage) + grade",
                                     "age + C(flag) + C(period) + grade + stage"])
@pytest.mark.parametrize("seed", [0, 1])
def test_cox_fit_fast_equals_formulaic(formula: str, seed: int) -> None:
    d = _surv_frame(seed)
    fast = cox(d, formula, time="months", event="death")
    with forced_formulaic():
        slow = cox(d, formula, time="months", event="death")
    assert fast.terms == slow.terms
    np.testing.assert_allclose(fast.coef, slow.coef, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast.se, slow.se, rtol=1e-12, atol=1e-14)
    nd = d.iloc[[3, 7, 11]]
    p_fast = fast.predict_survival(nd, times=[6, 12])
    p_slow = slow.predict_survival(nd, times=[6, 12])
    pd.testing.assert_frame_equal(p_fast, p_slow)
    back = pickle.loads(pickle.dumps(fast))
    pd.testing.assert_frame_equal(back.predict_survival(nd, times=[6, 12]), p_fast)


def test_no_formulaic_import_for_fast_formulas() -> None:
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from hccstudy.analyse.cox import cox\n"
        "rng = np.random.default_rng(0)\n"
        "d = pd.DataFrame({'t': rng.exponential(1, 60), 'e': rng.random(60) < 0.8,\n"
        "                  'stage': rng.choice(['A', 'B', 'C'], 60), 'p': rng.choice([1.0, 2.0], 60),\n"
        "                  'g': pd.Categorical(rng.choice(['x', 'y'], 60))})\n"
        "fit = cox(d, 'stage + C(p) + g', time='t', event='e')\n"
        "fit.predict_survival(d.head(3), times=[1.0])\n"
        "print('formulaic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
