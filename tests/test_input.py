"""The shared survival-input rules (hccstudy._input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy._input import check_time, select_rows, survival_input
from hccstudy.errors import InputError


def test_select_rows_drops_and_counts() -> None:
    d = pd.DataFrame({"t": [1.0, None, 3.0], "g": ["a", "b", None], "x": [1, 2, 3]})
    frame, dropped = select_rows(d, ["t", "g", "t"], "drop")
    assert list(frame.columns) == ["t", "g"] and dropped == 2 and len(frame) == 1
    assert d.shape == (3, 3)  # caller's frame untouched


def test_select_rows_error_names_columns_and_counts() -> None:
    d = pd.DataFrame({"t": [1.0, None, None], "g": ["a", "b", None]})
    with pytest.raises(InputError, match=r"'t': 2 row\(s\), 'g': 1 row\(s\)") as exc:
        select_rows(d, ["t", "g"])
    assert exc.value.n_rows == 2 and exc.value.column == "t"


def test_unknown_column_and_not_a_frame() -> None:
    with pytest.raises(InputError, match="unknown column"):
        select_rows(pd.DataFrame({"a": [1]}), ["b"])
    with pytest.raises(InputError, match="DataFrame"):
        select_rows([1, 2], ["a"])  # type: ignore[arg-type]


def test_check_time() -> None:
    check_time(np.array([0.0, 2.5]), "t")
    with pytest.raises(InputError, match=r"1 row\(s\) are negative or infinite"):
        check_time(np.array([1.0, -1.0]), "t")
    with pytest.raises(InputError, match="infinite"):
        check_time(np.array([np.inf]), "t")


def test_survival_input_rules() -> None:
    d = pd.DataFrame({"t": [1, 2, 3], "e": [True, False, True], "s": [0.0, 1.0, 0.5],
                      "w": [1.0, 2.0, 0.5]})
    si = survival_input(d, "t", "e", entry="s", weights="w")
    assert si.event.tolist() == [1.0, 0.0, 1.0] and si.n_dropped == 0
    with pytest.raises(InputError, match="0 <= entry < time"):
        survival_input(d.assign(s=[1.0, 0.0, 0.0]), "t", "e", entry="s")
    with pytest.raises(InputError, match="weights > 0"):
        survival_input(d.assign(w=[1.0, 0.0, 1.0]), "t", "e", weights="w")
    with pytest.raises(InputError, match=r"event.*2 row\(s\)"):
        survival_input(d.assign(e=[2, 1, 3]), "t", "e")
    with pytest.raises(InputError, match="not numeric"):
        survival_input(d.assign(t=["1", "x", "3"]), "t", "e")
    with pytest.raises(InputError, match="missing must be"):
        survival_input(d, "t", "e", missing="ignore")  # type: ignore[arg-type]
