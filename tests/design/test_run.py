"""StudySpec -> run(): flow, Table 1 before/after matching, matched KM / log-rank / Cox."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstudy
from hccstudy.analyse.cox import CoxResult
from hccstudy.analyse.km import KaplanMeierResult
from hccstudy.analyse.logrank import LogrankResult
from hccstudy.design import load_spec, prepare, run
from hccstudy.design.run import MATCH_SET, ROW, Table1Pair


def test_pipeline_from_yaml(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    r = run(spec_text, cohort)
    assert r.n_input == sum(len(f) for f in cohort.values())
    flow = r.flow.to_frame()
    # nothing dropped silently: exclusions + remaining = input, per source
    for src, n in r.flow.n_input.items():
        rows = flow[flow["source"] == src]
        assert rows["n_excluded"].sum() + rows["n_remaining"].iloc[-1] == n
        assert (rows["n_before"] - rows["n_excluded"] == rows["n_remaining"]).all()
    assert sum(r.flow.n_remaining.values()) == r.n_analysis
    assert set(flow.loc[flow["source"] == "YCC", "step"]) == {"stage", "child_pugh", "ecog"}
    assert set(flow.loc[flow["source"] == "KLCSG", "step"]) == {"stage", "child_pugh",
                                                                "received_rt"}
    # groups, matching
    assert r.n_by_group["CCRT"] + r.n_by_group["non-CCRT"] == r.n_analysis
    assert r.matching is not None and r.n_adjusted is not None
    assert r.n_adjusted["CCRT"] == r.n_adjusted["non-CCRT"] == r.matching.n_treated_matched
    assert r.balance is not None and "smd_after" in r.balance.table
    # Table 1 before / after
    t1 = r.outcomes["table1"]
    assert isinstance(t1, Table1Pair)
    assert t1.before.group_n[:2] == (r.n_by_group["CCRT"], r.n_by_group["non-CCRT"])
    assert t1.after.group_n[:2] == (r.n_adjusted["CCRT"], r.n_adjusted["non-CCRT"])
    wide = t1.side_by_side()
    assert wide.columns.get_level_values(0).unique().tolist() == ["before", "after"]
    assert r.table1_before is t1.before and r.table1_after is t1.after
    # outcomes on the matched cohort
    km, lr, cx = r.outcomes["km_os"], r.outcomes["logrank_os"], r.outcomes["cox_os"]
    assert isinstance(km, KaplanMeierResult) and isinstance(lr, LogrankResult)
    assert isinstance(cx, CoxResult) and cx.variance == "robust"
    assert cx.n == 2 * r.matching.n_treated_matched
    assert int(lr.n.sum()) == cx.n
    ff = r.flow_frame()
    mrow = ff[ff["stage"] == "matching"].set_index("source")
    assert mrow.loc["group CCRT", "n_remaining"] == r.matching.n_treated_matched
    assert mrow.loc["group non-CCRT", "n_before"] == r.n_by_group["non-CCRT"]
    assert (mrow["n_before"] - mrow["n_excluded"] == mrow["n_remaining"]).all()
    # methods text ingredients
    for k in ("time_origins", "censoring", "ps_model", "caliper", "smd_denominator", "tests",
              "ci_transform", "ties", "outcome_variance"):
        assert k in r.methods, k
    assert "rt_start_date" in r.methods["time_origins"]
    assert "treatment_date" in r.methods["time_origins"]
    assert "cluster" in r.methods["outcome_variance"]
    assert "0.2" in r.methods["caliper"] and "SD" in r.methods["caliper"]


def test_no_identifiers_in_reprs(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    r = run(spec_text, cohort)
    shown = repr(r) + str(r.flow) + repr(r.flow) + r.flow.to_frame().to_string() \
        + repr(r.methods)
    assert "Y-0" not in shown and "K-0" not in shown
    assert " _excluded=" not in repr(r.flow) and "array(" not in repr(r.flow)


def test_every_excluded_row_has_a_reason(cohort: dict[str, pd.DataFrame],
                                         spec_text: str) -> None:
    p = prepare(spec_text, cohort)
    r = run(spec_text, cohort)
    n = len(p.frame)
    seen = np.zeros(n, dtype=int)
    for s in r.flow.steps:
        rows = r.flow.excluded_rows(s.step, s.source)
        assert len(rows) == s.n_excluded
        assert (p.frame["source_db"].to_numpy()[rows] == s.source).all()
        seen[rows] += 1
    seen[p.analysis[ROW].to_numpy()] += 1
    assert (seen == 1).all()  # each row either excluded once or analysed
    assert len(r.flow.excluded_rows()) == n - r.n_analysis


def test_robust_pair_equals_cox_cluster_on_matched_frame(cohort: dict[str, pd.DataFrame],
                                                        spec_text: str) -> None:
    r = run(spec_text, cohort)
    p = prepare(spec_text, cohort)
    assert p.adjusted is not None
    matched = p.adjusted
    assert (matched.groupby(MATCH_SET).size() == 2).all()
    ref = hccstudy.cox(matched, "C(arm, treatment('non-CCRT'))", time="os_time",
                       event="os_event", cluster=MATCH_SET)
    got = r.outcomes["cox_os"]
    np.testing.assert_allclose(got.coef.to_numpy(), ref.coef.to_numpy(), rtol=1e-12)
    assert got.robust_se is not None and ref.robust_se is not None
    np.testing.assert_allclose(got.robust_se.to_numpy(), ref.robust_se.to_numpy(), rtol=1e-12)
    lr = hccstudy.logrank(matched, "os_time", "os_event", "arm")
    assert r.outcomes["logrank_os"].p_value == pytest.approx(lr.p_value, rel=1e-12)


def test_stratified_pair_and_naive(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    p = prepare(spec_text, cohort)
    assert p.adjusted is not None
    for variance, kw in (("stratified_pair", {"strata": MATCH_SET}), ("naive", {})):
        text = spec_text.replace("outcome_variance: robust_pair",
                                 f"outcome_variance: {variance}")
        r = run(text, cohort)
        ref = hccstudy.cox(p.adjusted, "C(arm, treatment('non-CCRT'))", time="os_time",
                           event="os_event", **kw)
        got = r.outcomes["cox_os"]
        np.testing.assert_allclose(got.coef.to_numpy(), ref.coef.to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(got.se.to_numpy(), ref.se.to_numpy(), rtol=1e-12)
        assert got.variance == "model"
        assert variance.split("_")[0] in r.methods["outcome_variance"] or variance == "naive"


def test_iptw_weighted_km_and_cox(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    text = (spec_text.replace("method: match", "method: iptw")
            .replace("outcome_variance: robust_pair", "iptw: {estimand: ATE, stabilise: true}")
            .replace("  - {name: logrank_os, type: logrank, endpoint: os}\n", ""))
    r = run(text, cohort)
    assert r.weighting is not None and r.matching is None
    assert r.table1_after is not None and r.table1_after.weighted
    cx = r.outcomes["cox_os"]
    assert cx.variance == "robust"
    assert "IPTW" in r.methods["outcome_variance"] and "stabilised" in r.methods["weighting"]
    p = prepare(text, cohort)
    assert p.adjusted is not None
    ref = hccstudy.cox(p.adjusted, "C(arm, treatment('non-CCRT'))", time="os_time",
                       event="os_event", weights="iptw_weight", cluster=ROW)
    np.testing.assert_allclose(cx.coef.to_numpy(), ref.coef.to_numpy(), rtol=1e-12)
    km = r.outcomes["km_os"]
    ref_km = hccstudy.kaplan_meier(p.adjusted, "os_time", "os_event", by="arm",
                                   weights="iptw_weight")
    pd.testing.assert_frame_equal(km.table(), ref_km.table())
    # log-rank refuses weights, naming the analysis
    bad = text.replace("analyses:\n", "analyses:\n  - {name: lr, type: logrank, endpoint: os}\n")
    with pytest.raises(hccstudy.errors.InputError, match=r"analyses\[0\]\.cohort"):
        run(bad, cohort)


def test_unadjusted_study_and_time_column() -> None:
    d = hccstudy.datasets.load_demo()
    r = run("""
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
covariates: [{name: age_years}, {name: bclc_stage}]
analyses:
  - {name: t1, type: table1}
  - {name: lr, type: logrank, endpoint: os}
  - {name: cx, type: cox, endpoint: os, formula: "C(arm, treatment('non-CCRT')) + age_years"}
""", d)
    assert r.n_analysis == len(d) and r.flow.steps == ()
    assert r.table1_after is None and r.propensity is None
    ref = hccstudy.cox(d, "C(arm, treatment('non-CCRT')) + age_years", time="os_months",
                       event="death")
    np.testing.assert_allclose(r.outcomes["cx"].coef.to_numpy(), ref.coef.to_numpy())
    assert r.methods["outcome_variance"].startswith("Cox: model-based")


def test_days_to_months_conversion(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    p = prepare(spec_text, cohort)
    a = p.analysis
    ccrt = a["arm"] == "CCRT"
    days = (pd.to_datetime(a["last_contact_date"]) - pd.to_datetime(a["rt_start_date"])).dt.days
    np.testing.assert_allclose(a.loc[ccrt, "os_time"], days[ccrt] / 30.4375)
    assert set(a.loc[ccrt, "os_origin"]) == {"rt_start_date"}
    assert set(a.loc[~ccrt, "os_origin"]) == {"treatment_date"}
    assert a["os_event"].sum() == a["death_date"].notna().sum()


def test_admin_censoring(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    text = spec_text.replace("    units: months\n",
                             "    units: days\n    admin_censor_date: '2006-06-30'\n")
    p = prepare(text, cohort)
    a = p.analysis
    origin = pd.to_datetime(a["rt_start_date"].fillna(a["treatment_date"]))
    end = origin + pd.to_timedelta(a["os_time"], "D")
    assert (end <= pd.Timestamp("2006-06-30")).all()
    late_death = pd.to_datetime(a["death_date"]) > pd.Timestamp("2006-06-30")
    assert (a.loc[late_death, "os_event"] == 0).all()


def test_spec_from_file(tmp_path: object, cohort: dict[str, pd.DataFrame],
                        spec_text: str) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    for name, f in cohort.items():
        f.drop(columns=["patient_id"]).to_csv(tmp_path / f"{name}.csv", index=False)
    text = spec_text.replace(
        "data:\n", "data:\n  reader: table\n  sources:\n    - {name: YCC, path: YCC.csv}\n"
                   "    - {name: KLCSG, path: KLCSG.csv}\n")
    path = tmp_path / "study.yaml"
    path.write_text(text)
    r = run(path)
    r_mem = run(spec_text, cohort)
    assert r.flow.to_frame().equals(r_mem.flow.to_frame())
    assert r.outcomes["cox_os"].coef.equals(r_mem.outcomes["cox_os"].coef)
    assert load_spec(path).data.sources[1].name == "KLCSG"


def test_ps_complete_case_counted_in_flow(cohort: dict[str, pd.DataFrame],
                                          spec_text: str) -> None:
    y = cohort["YCC"].copy()
    y["age_years"] = y["age_years"].astype(float)
    y.loc[y.index[10:14], "age_years"] = np.nan
    data = {"YCC": y, "KLCSG": cohort["KLCSG"]}
    with pytest.raises(hccstudy.errors.InputError, match=r"adjustment\.ps_formula.*age_years"):
        run(spec_text, data)
    text = spec_text.replace("  method: match\n", "  method: match\n  ps_missing: complete_case\n")
    r = run(text, data)
    ff = r.flow_frame()
    ps_rows = ff[ff["stage"] == "propensity"]
    assert ps_rows["n_excluded"].sum() == r.propensity.n_dropped_missing > 0


def test_hccstudy_reader_merges_patient_tables() -> None:
    from pathlib import Path

    demo = Path(hccstudy.__file__).parent / "datasets" / "demo_ccrt.csv"
    text = f"""
data: {{path: '{demo.as_posix()}'}}
groups: {{column: sex, reference: female}}
covariates: [{{name: age_years}}, {{name: bclc_stage}}]
analyses: [{{name: t1, type: table1}}]
"""
    # without a mapping its 0/1 'death' column is read as death_date: validation errors
    with pytest.warns(UserWarning, match="unmapped-column"), \
            pytest.raises(hccstudy.errors.InputError,
                          match=r"^data\.path \(line 2\): the input file 'demo_ccrt.csv' has 212 "
                          r"validation error\(s\) \(not-a-date: 212\); first: "
                          r"demo_ccrt.csv, row 2, column 'death', value '0': not-a-date"):
        run(text)
    with pytest.warns(UserWarning) as caught:
        r = run(text.replace("data: {", "data: {on_error: warn, "))
    assert [str(w.message).split(" (")[0] for w in caught] == [
        "the input file 'demo_ccrt.csv': 3 validation warning(s) of rule unmapped-column",
        "the input file 'demo_ccrt.csv': 212 validation error(s) of rule not-a-date analysed "
        "anyway"]
    assert r.n_analysis == 212 and sum(r.n_by_group.values()) == 212
    assert "not-a-date: 212" in r.methods["data_validation"]
    assert r.table1_before.to_frame()["variable"].tolist()[0] == "age_years"


def test_registry_data_source(tmp_path: object) -> None:
    """data.registry reads the registry's analysis frame (import -> spec -> survival)."""
    from pathlib import Path

    from hccstudy.registry import connect, import_file

    assert isinstance(tmp_path, Path)
    rng = np.random.default_rng(7)
    n = 40
    dx = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    fu = dx + pd.to_timedelta(rng.integers(30, 900, n), "D")
    dead = rng.random(n) < 0.6
    pd.DataFrame({
        "patient_id": [f"S{i:03d}" for i in range(n)],
        "sex": np.where(rng.random(n) < 0.8, "male", "female"),
        "age_years": rng.integers(40, 80, n),
        "diagnosis_date": dx.strftime("%Y-%m-%d"),
        "death_date": np.where(dead, fu.strftime("%Y-%m-%d"), ""),
        "last_followup_date": fu.strftime("%Y-%m-%d"),
        "arm": np.where(np.arange(n) % 2 == 0, "A", "B"),
    }).to_csv(tmp_path / "c.csv", index=False)
    db = tmp_path / "r.db"
    engine = connect(db)
    import_file(engine, tmp_path / "c.csv", {"columns": {"arm": "extra.arm"}}, study="s")
    engine.dispose()
    r = run(f"""
data: {{registry: {{study: s, url: "{db}"}}}}
eligibility:
  - {{name: adults, exclude_if: "age_years < 18", reason: "age < 18"}}
groups: {{column: arm, reference: A}}
endpoints:
  - {{name: os, origin: diagnosis_date, event_date: death_date,
     last_followup: last_followup_date}}
analyses:
  - {{name: km, type: km, endpoint: os}}
""")
    km = r.outcomes["km"]
    assert r.n_analysis == n
    assert int(sum(km.median()["n_events"])) == int(dead.sum())
    with pytest.raises(hccstudy.errors.InputError, match=r"data\.registry\.study"):
        run(f"""
data: {{registry: {{study: nobody, url: "{db}"}}}}
groups: {{column: arm, reference: A}}
endpoints: [{{name: os, origin: diagnosis_date, event_date: death_date,
             last_followup: last_followup_date}}]
analyses: [{{name: km, type: km, endpoint: os}}]
""")


def test_single_arm_study_has_one_group() -> None:
    d = hccstudy.datasets.load_demo()
    r = run("""
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses: [{name: km, type: km, endpoint: os}]
""", d)
    assert r.n_by_group == {"All patients": len(d)}
    assert r.outcomes["km"].median()["n"].tolist() == [len(d)]
    r2 = run("""
groups: {constant: Phase 2 cohort}
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses: [{name: km, type: km, endpoint: os}]
""", d)
    assert r2.spec is not None and r2.spec.groups.reference == "Phase 2 cohort"
    with pytest.raises(ValueError, match="single-arm"):
        load_spec("groups: {constant: A, reference: B}")


def test_composite_event_date_is_the_earliest() -> None:
    d = pd.DataFrame({"start": ["2020-01-01"] * 4,
                      "prog": ["2020-03-01", None, "2020-06-01", None],
                      "death": ["2020-02-01", "2020-05-01", None, None],
                      "last": ["2020-07-01"] * 4})
    p = prepare("""
endpoints: [{name: pfs, origin: start, event_date: [prog, death], last_followup: last,
             units: days}]
""", d)
    assert p.analysis["pfs_time"].tolist() == [31.0, 121.0, 152.0, 182.0]
    assert p.analysis["pfs_event"].tolist() == [1, 1, 1, 0]


def test_derived_after_clinical_and_where_filter() -> None:
    d = hccstudy.datasets.load_demo()
    spec = """
groups: {column: arm, reference: non-CCRT}
derived:
  - {name: old, expression: "age_years >= 60"}
  - {name: old_late, expression: "old and os_months > 0", after_clinical: true}
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses:
  - {name: km_old, type: km, endpoint: os, where: "old_late"}
  - {name: lr_old, type: logrank, endpoint: os, where: "old"}
  - {name: rates_old, type: survival_rates, endpoint: os, times: [12], where: "old"}
"""
    r = run(spec, d)
    n_old = int((d["age_years"] >= 60).sum())
    assert int(r.outcomes["km_old"].median()["n"].sum()) == n_old
    direct = hccstudy.logrank(d[d["age_years"] >= 60], "os_months", "death", "arm")
    assert r.outcomes["lr_old"].statistic == pytest.approx(direct.statistic, rel=1e-12)
    assert f"({n_old} of {len(d)} rows)" in r.methods["where:lr_old"]
    with pytest.raises(hccstudy.errors.InputError, match=r"analyses\[0\]\.where"):
        run(spec.replace('where: "old_late"', 'where: "nope > 1"'), d)
