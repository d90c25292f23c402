"""Seed 004 synthetic cohort + study spec: determinism, validity, calibration.

Tolerances: Table 1, Table 2 (RT parameters), Table 3 (response, through the mRECIST engine
on the lesion measurements) and Table 4 (adverse events) are exact by construction and must
equal the card. Hazard ratios are random: on the fixed seed the planted (or published, for
the marginal univariate HR) value must lie inside the 95 % CI of the estimate.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.synthetic._helpers import assert_reproducible

import hccstudy
from hccstudy.design import load_spec
from hccstudy.synthetic import read_cohort, seed004
from hccstudy.synthetic.seed004 import AE_TABLE, PLANTED
from hccstudy.validate import validate

SPEC = Path(__file__).resolve().parents[2] / "studies" / "seed_004.yaml"


@pytest.fixture(scope="module")
def cohort():  # type: ignore[no-untyped-def]
    return seed004(seed=0)


@pytest.fixture(scope="module")
def result(cohort):  # type: ignore[no-untyped-def]
    return hccstudy.run(load_spec(SPEC.read_text()), data=cohort.tables)


def test_deterministic() -> None:
    a = assert_reproducible(seed004, 5)
    assert not seed004(seed=6).tables["events"].equals(a.tables["events"])


def test_file_roundtrip_validates(cohort, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ds = read_cohort(cohort.write(tmp_path, format="csv"))
    assert not validate(ds).errors
    assert len(ds.table("adverse_events")) == len(cohort.tables["adverse_events"])
    assert ds.table("patients")["arm"].value_counts().to_dict() == {"IO_T": 42, "RT_IO_T": 29}


def _counts(t1, variable: str, group: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {r["level"]: int(r[f"{group}:n"]) for r in t1.rows
            if r["variable"] == variable and r["level"] != ""}


def test_table1_exact(result) -> None:  # type: ignore[no-untyped-def]
    t1 = result.outcomes["table1"].before
    expected = {  # variable: (IO+T count of the True / upper level, RT+IO+T count)
        "age_ge60": (21, 15), "ecog_ge1": (37, 20), "afp_ge400": (21, 10),
        "diam_ge10": (11, 5), "metastasis": (16, 10), "pvi": (20, 20), "second_line": (10, 19)}
    for v, (io, rt) in expected.items():
        assert _counts(t1, v, "IO+T")["True"] == io, v
        assert _counts(t1, v, "RT+IO+T")["True"] == rt, v
    assert _counts(t1, "bclc_stage", "IO+T") == {"B": 12, "C": 30}
    assert _counts(t1, "bclc_stage", "RT+IO+T") == {"B": 1, "C": 28}
    assert _counts(t1, "sex", "RT+IO+T") == {"female": 7, "male": 22}
    assert _counts(t1, "child_pugh_class", "IO+T") == {"A": 32, "B": 10}
    assert _counts(t1, "prev_locoregional", "RT+IO+T") == {"HAIC": 3, "TACE": 12, "none": 14}
    rows = {r["variable"]: r for r in t1.rows if r["level"] == ""}
    # published p-values (chi-square when expected >= 5, else Fisher) on the exact counts
    assert rows["bclc_stage"]["p"] == pytest.approx(0.007, abs=1e-3)
    assert rows["sex"]["p"] == pytest.approx(0.209, abs=1e-3)
    assert rows["ecog_ge1"]["p"] == pytest.approx(0.046, abs=1e-3)


def test_table2_rt_parameters(result) -> None:  # type: ignore[no-untyped-def]
    rows = {r["variable"]: r for r in result.outcomes["table2_rt"].before.rows
            if r["level"] == ""}
    got = {v: (rows[v]["RT+IO+T:median"], rows[v]["RT+IO+T:min"], rows[v]["RT+IO+T:max"])
           for v in ("rt_course_dose_gy", "rt_course_fractions", "bed10")}
    assert got["rt_course_dose_gy"] == (50.0, 36.0, 60.0)
    assert got["rt_course_fractions"] == (20.0, 6.0, 30.0)
    assert got["bed10"] == pytest.approx((60.0, 43.2, 96.0))
    t2 = result.outcomes["table2_rt"].before
    assert _counts(t2, "rt_course_technique", "RT+IO+T") == {"IMRT": 20, "SBRT": 9, "none": 0}
    assert _counts(t2, "rt_site", "RT+IO+T") == {"Liver lesions": 18, "PVTT/HVTT": 11, "No RT": 0}


def test_table3_response_exact(result) -> None:  # type: ignore[no-untyped-def]
    f = result.outcomes["table3_response"].to_frame().set_index(["group", "measure"])["x"]
    assert [int(f[("IO+T", m)]) for m in ("CR", "PR", "SD", "PD", "ORR", "DCR")] == \
        [0, 15, 9, 18, 15, 24]
    assert [int(f[("RT+IO+T", m)]) for m in ("CR", "PR", "SD", "PD", "ORR", "DCR")] == \
        [0, 20, 6, 3, 20, 26]


def test_table3_report_shows_the_published_p_values(result) -> None:  # type: ignore[no-untyped-def]
    """The rendered Table 3 prints the paper's p-values (card 6.3) next to n (%)."""
    from hccstudy.report.tables import study_tables

    t = {x.key: x for x in study_tables(result)}["table3_response"]
    rows = {r[0]: r for r in t.display.values.tolist()}
    assert {k: rows[k][-1] for k in ("CR", "PR", "SD", "PD")} == {
        "CR": "–", "PR": "0.006", "SD": "0.940", "PD": "0.003"}
    assert rows["ORR (CR + PR)"][-1] == "0.006" and rows["DCR (CR + PR + SD)"][-1] == "0.003"
    assert rows["ORR (CR + PR)"][1] == "15 (35.7)" and rows["ORR (CR + PR)"][3] == "20 (69.0)"


def test_table4_adverse_events_exact(cohort) -> None:  # type: ignore[no-untyped-def]
    from hccstudy.design.tables import patient_frame

    w = patient_frame(cohort.tables)
    for term, (io_any, io_sev, rt_any, rt_sev) in AE_TABLE.items():
        col = w["ae_" + term.lower().replace(" ", "_")]
        by = w["arm"]
        assert [(col[by == a] > 0).sum() for a in ("IO_T", "RT_IO_T")] == [io_any, rt_any], term
        assert [(col[by == a] >= 3).sum() for a in ("IO_T", "RT_IO_T")] == [io_sev, rt_sev], term
    worst = w.filter(like="ae_").max(axis=1)
    assert [(worst[w["arm"] == a] > 0).sum() for a in ("IO_T", "RT_IO_T")] == [40, 29]
    assert [(worst[w["arm"] == a] >= 3).sum() for a in ("IO_T", "RT_IO_T")] == [12, 18]


def test_planted_effects_inside_the_ci(result) -> None:  # type: ignore[no-untyped-def]
    pfs = result.outcomes["cox_pfs_planted"]
    os_ = result.outcomes["cox_os_planted"]
    checks = [
        (pfs, "rt", np.log(PLANTED["hr_rt_pfs_ecog0"])),
        (pfs, "rt:ecog_ge1", np.log(PLANTED["hr_rt_pfs_ecog_ge1"] / PLANTED["hr_rt_pfs_ecog0"])),
        (os_, "rt", np.log(PLANTED["hr_rt_os_ecog0"])),
        (os_, "bclc_c", np.log(PLANTED["hr_bclc_c_os"])),
    ]
    for fit, term, truth in checks:
        ci = fit.to_frame().loc[term]
        lo, hi = ci["coef"] - 1.96 * ci["se"], ci["coef"] + 1.96 * ci["se"]
        assert lo < truth < hi, term
    # published univariate RT HR for PFS (0.35) inside the CI of the unadjusted estimate
    sub = result.outcomes["subgroups_pfs"].to_frame()
    overall = sub[sub["variable"] == "Overall"].iloc[0]
    assert overall["ci_lower"] < 0.35 < overall["ci_upper"]


def test_psm_sensitivity_cohort(result) -> None:  # type: ignore[no-untyped-def]
    ff = result.flow_frame()
    pairs = ff[ff["stage"] == "matching"]["n_remaining"].tolist()
    assert pairs[0] == pairs[1] and 12 <= pairs[0] <= 24  # published: 18 pairs
    assert {a.name for a in load_spec(SPEC.read_text()).analyses} == set(result.outcomes)


def test_every_spec_analysis_type_known() -> None:
    with warnings.catch_warnings():
        spec = load_spec(SPEC.read_text())
    kinds = {a.type for a in spec.analyses}
    assert {"table1", "response", "toxicity", "cox_models", "subgroups", "km", "logrank",
            "cox", "survival_rates", "followup"} == kinds


@pytest.mark.slow
def test_coverage_over_seeds() -> None:
    """95 % CI coverage of the planted OS log-HRs over 200 generator seeds.

    The planted OS model is fitted from a 1-month landmark (RT patients are generated
    conditionally on surviving to RT) with the RT effect split by ECOG (``rt_e1`` = RT in
    ECOG 1-2). The RT effect in ECOG 0 (9 RT patients, HR 0.07: about one event) is not
    identifiable enough for Wald intervals and is not checked; PFS is not checked either
    (deaths are forced to follow a documented progression, so the composite is only
    approximately the planted progression model).

    With about 47 deaths for 7 terms (7 events per variable) the Wald standard errors
    underestimate the spread (seen: SD of the estimates / mean SE = 1.2; coverage 0.88-0.95),
    a known small-sample property of the Cox model, not a generator bias; likewise the
    maximum-likelihood estimates are biased away from 0 by about 0.1 where the reference
    level has few events (BCLC B: 13 patients). So the test asks for coverage in
    [0.85, 0.99] and a mean estimate within 0.15 (log scale) of the planted value.
    """
    from hccstudy import cox
    from hccstudy.design.tables import patient_frame

    terms = {"rt_e1": np.log(PLANTED["hr_rt_os_ecog_ge1"]),
             "bclc_c": np.log(PLANTED["hr_bclc_c_os"]),
             "diam": np.log(PLANTED["hr_diam_ge10_os"]), "ehm": np.log(PLANTED["hr_ehm_os"]),
             "line": np.log(PLANTED["hr_second_line_os"])}
    hits = dict.fromkeys(terms, 0)
    est: dict[str, list[float]] = {k: [] for k in terms}
    n = 200
    for s in range(n):
        f = patient_frame(seed004(seed=s).tables)
        t = (pd.to_datetime(f["last_followup_date"]) - pd.to_datetime(f["start_date"])).dt.days
        # landmark at 1 month: RT patients are drawn conditionally on surviving to RT
        keep = (t / 30.4375 > 1.0).to_numpy()
        f, t = f[keep], t[keep] - 30.4375
        rt = (f["arm"] == "RT_IO_T").astype(int)
        e1 = (f["ecog"] >= 1).astype(int)
        d = pd.DataFrame({"t": t / 30.4375, "e": f["death_date"].notna().astype(int),
                          "rt_e0": rt * (1 - e1), "rt_e1": rt * e1, "ecog": e1,
                          "bclc_c": (f["bclc_stage"] == "C").astype(int),
                          "diam": (f["tumour_size_cm"] >= 10).astype(int),
                          "ehm": f["metastasis"].astype(int),
                          "line": (f["treatment_line"] == "second_line_plus").astype(int)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rt_e0 may diverge (monotone likelihood)
            fit = cox(d, "rt_e0 + rt_e1 + ecog + bclc_c + diam + ehm + line", time="t",
                      event="e").to_frame()
        for k, truth in terms.items():
            lo = fit.loc[k, "coef"] - 1.96 * fit.loc[k, "se"]
            hi = fit.loc[k, "coef"] + 1.96 * fit.loc[k, "se"]
            hits[k] += int(lo < truth < hi)
            est[k].append(float(fit.loc[k, "coef"]))
    coverage = {k: v / n for k, v in hits.items()}
    assert all(0.85 <= c <= 0.99 for c in coverage.values()), coverage
    for k, truth in terms.items():
        b = np.array(est[k])
        assert abs(b.mean() - truth) < 0.15, k
