"""Hand-written lesion-level mRECIST / RECIST 1.1 scenarios, BOR, ORR/DCR and bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.clinical import (
    ClinicalInputError,
    best_overall_response,
    response_rates,
    target_response,
    timepoint_responses,
)

DATES = ["2020-01-01", "2020-03-01", "2020-05-01", "2020-07-01", "2020-09-01"]


def lesions(spec: dict[str, tuple[bool, list[float | None]]], *, new_at: int | None = None,
            diam: dict[str, list[float]] | None = None, organ: dict[str, str] | None = None,
            node: set[str] | None = None, progression: dict[str, int] | None = None,
            patient: str = "p1") -> pd.DataFrame:
    """Build a lesion table: ``spec[lesion] = (is_target, viable_mm per visit)``."""
    rows = []
    for lid, (is_t, values) in spec.items():
        for k, v in enumerate(values):
            if v is None:
                continue
            d = diam[lid][k] if diam and lid in diam else v + 10
            rows.append({"patient_id": patient, "lesion_id": lid, "date": DATES[k],
                         "target": is_t, "new": False, "viable_mm": v, "diam_mm": d,
                         "organ": (organ or {}).get(lid, "liver"), "node": lid in (node or set()),
                         "progression": (progression or {}).get(lid) == k})
    if new_at is not None:
        rows.append({"patient_id": patient, "lesion_id": "new1", "date": DATES[new_at],
                     "target": False, "new": True, "viable_mm": 12.0, "diam_mm": 12.0,
                     "organ": "liver", "node": False, "progression": False})
    return pd.DataFrame(rows)


def overall(df: pd.DataFrame, **kw: object) -> list[str]:
    tp = timepoint_responses(df, **kw)  # type: ignore[arg-type]
    return tp.loc[~tp["is_baseline"], "overall_response"].tolist()


def test_new_lesion_is_pd_whatever_the_sum() -> None:
    df = lesions({"t1": (True, [50, 10, 0])}, new_at=1)
    assert overall(df) == ["PD", "CR"]  # the later CR is still reported per time point
    bor = best_overall_response(timepoint_responses(df))
    assert bor.loc["p1", "bor"] == "PD"  # nothing after the first PD counts


def test_cr_needs_every_target_non_enhancing() -> None:
    df = lesions({"t1": (True, [20, 0, 0]), "t2": (True, [10, 2, 0])})
    tp = timepoint_responses(df)
    assert tp["target_response"].tolist()[1:] == ["PR", "CR"]
    assert overall(df) == ["PR", "CR"]


def test_pd_is_measured_from_nadir_not_baseline() -> None:
    df = lesions({"t1": (True, [100, 40, 50])})
    tp = timepoint_responses(df)
    last = tp.iloc[-1]
    assert last["pct_from_baseline"] == pytest.approx(-50.0)  # still far below baseline
    assert last["pct_from_nadir"] == pytest.approx(25.0)
    assert last["target_response"] == "PD"


@pytest.mark.parametrize(("followup", "expected"), [(70.0, "PR"), (70.1, "SD"), (120.0, "PD"),
                                                     (119.9, "SD")])
def test_mrecist_cutoffs_both_sides(followup: float, expected: str) -> None:
    df = lesions({"t1": (True, [60.0, followup]), "t2": (True, [40.0, 0.0])})
    # baseline 100: -30 % exactly is PR, +20 % exactly is PD
    assert timepoint_responses(df)["target_response"].iloc[1] == (
        "PR" if followup == 70.0 else expected)
    assert target_response(followup, 100.0, 100.0) == expected


def test_mrecist_has_no_5mm_rule_but_recist_does() -> None:
    # nadir 20 mm -> 24 mm: +20 % but only +4 mm
    assert target_response(24, 40, 20) == "PD"
    assert target_response(24, 40, 20, criteria="recist1.1") == "PR"
    assert target_response(25, 40, 20, criteria="recist1.1") == "PD"
    assert target_response(29, 30, 20, criteria="recist1.1") == "PD"


def test_reappearance_after_cr() -> None:
    df = lesions({"t1": (True, [30, 0, 3])})
    assert overall(df) == ["CR", "PD"]
    assert overall(df, after_cr="threshold") == ["CR", "PR"]
    df = lesions({"t1": (True, [30, 0, 6])})
    assert overall(df, after_cr="threshold") == ["CR", "PD"]


def test_worked_example_6_7() -> None:
    df = lesions({"t1": (True, [40, 25, 32]), "t2": (True, [20, 0, 0]),
                  "pvtt": (False, [15, 15, 15])})
    tp = timepoint_responses(df)
    post = tp[~tp["is_baseline"]]
    assert post["sum_mm"].tolist() == [25.0, 32.0]
    assert post["pct_from_baseline"].round(1).tolist()[0] == pytest.approx(-58.3)
    assert post["pct_from_nadir"].round(0).tolist()[1] == 28.0
    assert post["nontarget_response"].tolist() == ["NON-CR/NON-PD"] * 2
    assert post["overall_response"].tolist() == ["PR", "PD"]
    assert best_overall_response(tp).loc["p1", "bor"] == "PR"


def test_nontarget_rules() -> None:
    # target CR but non-target still enhancing -> PR; non-target gone too -> CR
    df = lesions({"t1": (True, [30, 0, 0]), "nt": (False, [10, 5, 0])})
    assert overall(df) == ["PR", "CR"]
    # unequivocal non-target progression -> PD whatever the targets
    df = lesions({"t1": (True, [30, 10]), "nt": (False, [10, 10])}, progression={"nt": 1})
    assert overall(df) == ["PD"]
    # non-target not assessed: target PR stays PR, target CR becomes PR
    df = lesions({"t1": (True, [30, 10, 0]), "nt": (False, [10, None, None])})
    tp = timepoint_responses(df)
    assert tp["nontarget_response"].tolist()[1:] == ["NE", "NE"]
    assert overall(df) == ["PR", "PR"]


def test_missing_target_measurement_is_ne_and_baseline_zero_is_ne() -> None:
    df = lesions({"t1": (True, [30, None, 10]), "t2": (True, [20, 20, 20])})
    assert overall(df) == ["NE", "PR"]
    df = lesions({"t1": (True, [0, 0])})
    assert overall(df) == ["NE"]


def test_recist_node_cr_with_residual_short_axis() -> None:
    df = lesions({"t1": (True, [0, 0]), "n1": (True, [0, 0])}, diam={"t1": [30, 0],
                                                                     "n1": [16, 8]}, node={"n1"})
    tp = timepoint_responses(df, criteria="recist1.1")
    assert tp["sum_mm"].tolist() == [46.0, 8.0]
    assert tp["target_response"].iloc[1] == "CR"


def test_bor_confirmation_sd_window_and_stop_date() -> None:
    df = lesions({"t1": (True, [50, 30, 30, 30])})
    tp = timepoint_responses(df)
    assert best_overall_response(tp).loc["p1", "bor"] == "PR"
    assert best_overall_response(tp, confirm=True).loc["p1", "bor"] == "PR"  # 61 days later
    assert best_overall_response(tp, confirm=True, confirm_min_days=200).loc["p1", "bor"] == "SD"
    stop = pd.Series({"p1": pd.Timestamp("2020-02-01")})
    assert best_overall_response(tp, stop_dates=stop).loc["p1", "bor"] == "NE"
    df = lesions({"t1": (True, [50, 45])})
    tp = timepoint_responses(df)
    assert best_overall_response(tp, sd_min_days=42).loc["p1", "bor"] == "SD"  # day 60
    assert best_overall_response(tp, sd_min_days=61).loc["p1", "bor"] == "NE"
    b = best_overall_response(timepoint_responses(lesions({"t1": (True, [50, 30, 60])})))
    assert b.loc["p1", "best_pct_change"] == pytest.approx(-40.0)


def test_no_followup_gives_ne() -> None:
    tp = timepoint_responses(lesions({"t1": (True, [50])}))
    assert best_overall_response(tp).loc["p1", "bor"] == "NE"


def test_response_rates_denominators() -> None:
    bor = pd.Series(["CR", "PR", "SD", "PD", "NE", "NE"], name="bor")
    r = response_rates(bor)
    assert (r.n, r.orr, r.dcr) == (6, 2 / 6, 3 / 6)
    e = response_rates(bor, denominator="evaluable")
    assert (e.n, e.orr, e.dcr) == (4, 0.5, 0.75)
    assert r.as_dict()["CR"] == 1
    with pytest.raises(ClinicalInputError, match="not a response category"):
        response_rates(pd.Series(["CR", "XX"]))


def test_more_than_five_targets_rejected() -> None:
    spec = {f"t{k}": (True, [20.0, 10.0]) for k in range(6)}
    org = {f"t{k}": f"organ{k}" for k in range(6)}
    with pytest.raises(ClinicalInputError) as exc:
        timepoint_responses(lesions(spec, organ=org))
    e = exc.value
    assert e.column == "target" and e.value == 6 and "at most 5 targets" in str(e)
    assert e.row == 0
    # RECIST 1.0 limits allow it
    timepoint_responses(lesions(spec, organ=org), target_limits="recist1.0")


def test_more_than_two_targets_per_organ_rejected() -> None:
    spec = {f"t{k}": (True, [20.0, 10.0]) for k in range(3)}
    with pytest.raises(ClinicalInputError) as exc:
        timepoint_responses(lesions(spec))
    assert exc.value.column == "organ" and exc.value.value == "liver"
    assert "at most 2 targets per organ" in str(exc.value)


def test_target_not_measurable_rejected() -> None:
    df = lesions({"t1": (True, [20.0, 10.0])}, diam={"t1": [9.0, 5.0]})
    with pytest.raises(ClinicalInputError) as exc:
        timepoint_responses(df)
    assert exc.value.column == "diam_mm" and exc.value.value == 9.0 and exc.value.row == 0


def test_other_bad_input() -> None:
    df = lesions({"t1": (True, [20.0, 10.0])}, new_at=0)
    with pytest.raises(ClinicalInputError, match="new lesion at the baseline"):
        timepoint_responses(df)
    df = lesions({"t1": (True, [20.0, -1.0])})
    with pytest.raises(ClinicalInputError, match="negative diameter") as exc:
        timepoint_responses(df)
    assert exc.value.row == 1
    df = lesions({"t1": (True, [20.0, 10.0]), "t2": (False, [15.0, 15.0])})
    df.loc[3, "target"] = True
    with pytest.raises(ClinicalInputError, match="target after baseline"):
        timepoint_responses(df)
    with pytest.raises(ClinicalInputError, match="unknown column"):
        timepoint_responses(df.drop(columns="viable_mm"))


def test_patients_are_independent() -> None:
    df = pd.concat([lesions({"t1": (True, [50, 20])}, patient="a"),
                    lesions({"t1": (True, [50, 70])}, patient="b")])
    bor = best_overall_response(timepoint_responses(df))
    assert bor["bor"].to_dict() == {"a": "PR", "b": "PD"}
