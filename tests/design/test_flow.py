"""Eligibility flow: hand-written counts for a tiny two-source frame."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.design import prepare
from hccstudy.errors import InputError

TINY = pd.DataFrame({
    "src": ["A", "A", "A", "A", "A", "B", "B", "B"],
    "x": [1, 2, 3, 4, None, 5, 1, 2],
    "y": [0, 1, 0, 1, 0, 1, 1, 0],
    "g": ["T", "T", "C", "T", "C", "C", "T", "C"],
})

SPEC = """\
data: {source_column: src}
eligibility:
  - name: high_x
    exclude_if: "x >= 4"
    reason: x 4 or more (or missing)
    on_missing: exclude
  - name: y
    include_if: "y == 1"
    reason: y is not 1
    sources: [A]
groups: {column: g, reference: C}
"""


def test_flow_counts_by_hand() -> None:
    p = prepare(SPEC, TINY)
    f = p.flow.to_frame()
    got = f[["source", "step", "n_before", "n_excluded", "n_remaining", "n_unknown"]]
    assert got.values.tolist() == [
        ["A", "high_x", 5, 2, 3, 1],   # x = 4 and x missing
        ["B", "high_x", 3, 1, 2, 0],   # x = 5
        ["A", "y", 3, 2, 1, 0],        # y = 0 at x = 1 and x = 3
    ]
    assert p.flow.n_input == {"A": 5, "B": 3}
    assert p.flow.n_remaining == {"A": 1, "B": 2}
    assert p.flow.excluded_rows("high_x").tolist() == [3, 4, 5]
    assert p.flow.excluded_rows("high_x", "A").tolist() == [3, 4]
    assert p.flow.excluded_rows("y").tolist() == [0, 2]
    assert p.flow.excluded_rows(source="B").tolist() == [5]
    assert p.analysis["_row"].tolist() == [1, 6, 7]
    assert str(p.flow).splitlines() == [
        "A: n = 5",
        "  - 2 excluded: x 4 or more (or missing) -> 3",
        "  - 2 excluded: y is not 1 -> 1",
        "B: n = 3",
        "  - 1 excluded: x 4 or more (or missing) -> 2",
    ]


def test_on_missing_keep_and_error() -> None:
    keep = prepare(SPEC.replace("on_missing: exclude", "on_missing: keep"), TINY)
    assert keep.flow.steps[0].n_excluded == 1 and keep.flow.steps[0].n_unknown == 1
    with pytest.raises(InputError, match=r"eligibility\[0\]\.exclude_if \(line 4\): 1 row\(s\) "
                       r"of source 'A' cannot be decided") as e:
        prepare(SPEC.replace("    on_missing: exclude\n", ""), TINY)
    assert e.value.n_rows == 1


def test_include_if_with_missing_is_kleene() -> None:
    spec = SPEC.replace('exclude_if: "x >= 4"', 'include_if: "x < 4 or y == 1"')
    p = prepare(spec, TINY)
    # x missing and y = 0: unknown -> excluded (on_missing: exclude); x = 5, y = 1: kept
    assert p.flow.steps[0].n_unknown == 1
    assert p.flow.excluded_rows("high_x").tolist() == [4]


def test_single_source_and_derived_columns() -> None:
    spec = """\
derived:
  - {name: x2, expression: "x * 2"}
eligibility:
  - {name: big, exclude_if: "x2 > 6", reason: x2 above 6, on_missing: keep}
groups: {column: g, reference: C}
"""
    p = prepare(spec, TINY.drop(columns="src"))
    assert p.flow.sources == ("all",)
    assert p.flow.steps[0].n_excluded == 2  # x = 4, 5
    assert p.frame["x2"].isna().sum() == 1


def test_not_of_unknown_stays_unknown() -> None:
    spec = SPEC.replace('exclude_if: "x >= 4"', 'exclude_if: "not (x < 4)"').replace(
        "on_missing: exclude", "on_missing: keep")
    p = prepare(spec, TINY)
    assert p.flow.excluded_rows("high_x").tolist() == [3, 5]  # x missing is kept
    assert p.flow.steps[0].n_unknown == 1
