"""The safe expression language of study specs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy.design._expr import ExpressionError, columns_of, evaluate

D = pd.DataFrame({
    "a": [1.0, 2.0, None, 4.0],
    "b": ["x", None, "y", "x"],
    "d": pd.to_datetime(["2003-01-01", "2004-06-30", None, "2010-01-01"]),
})


def _vu(expr: str) -> tuple[list[bool], list[bool]]:
    v = evaluate(expr, D)
    vals = np.asarray(v.values, dtype=bool).tolist()
    return [x and not u for x, u in zip(vals, v.unknown, strict=True)], v.unknown.tolist()


def test_kleene_logic() -> None:
    assert _vu("a > 1") == ([False, True, False, True], [False, False, True, False])
    # False and unknown = False; True or unknown = True
    assert _vu("a > 1 and b == 'x'") == ([False, False, False, True],
                                         [False, True, False, False])
    assert _vu("a > 1 or b == 'x'") == ([True, True, False, True],
                                        [False, False, True, False])
    assert _vu("(a > 1) & (b == 'x')") == _vu("a > 1 and b == 'x'")
    assert _vu("~(a > 1)")[1] == [False, False, True, False]
    assert _vu("isna(a) or a > 3") == ([False, False, True, True], [False] * 4)
    assert _vu("notna(b)") == ([True, False, True, True], [False] * 4)
    assert _vu("b in ['y']") == ([False, False, True, False], [False, True, False, False])
    assert _vu("b not in ['y']")[0] == [True, False, False, True]


def test_dates_and_arithmetic() -> None:
    assert _vu("d < date('2004-01-01')")[0] == [True, False, False, False]
    assert _vu("year(d) >= 2004")[0] == [False, True, False, True]
    v = evaluate("days(d - date('2003-01-01')) / 30.4375", D)
    assert v.values.iloc[1] == pytest.approx(546 / 30.4375)  # 365 + 181 days
    assert v.unknown.tolist() == [False, False, True, False]
    assert _vu("1 < a <= 2")[0] == [False, True, False, False]
    assert _vu("-a < -1.5")[0] == [False, True, False, True]


@pytest.mark.parametrize("expr", [
    "a.__class__", "a[0]", "lambda: 1", "__import__('os')", "open('x')", "f(a)",
    "a if a else b", "isna(a, b)", "[x for x in a]", "a @ a", "a >",
])
def test_refused(expr: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expr, D)


def test_unknown_column_and_columns_of() -> None:
    with pytest.raises(ExpressionError, match="unknown column 'zz'") as e:
        evaluate("zz > 1", D)
    assert e.value.column == "zz"
    assert columns_of("isna(a) or year(d) > 2000 and b == 'x'") == {"a", "b", "d"}
