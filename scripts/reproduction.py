"""Reproduction table of the five seed studies (issue 8, item 4).

For every study a short list of key estimates (medians, rates, hazard ratios, response and
event counts) is extracted from ``hccstudy.run(spec, data=cohort.tables)``:

* on the bundled synthetic cohort (generator seed 0), and
* on seeds 1..N of the same generator (default N = 200), giving the 2.5 and 97.5
  percentiles of the estimate over generator seeds,

and written to ``docs/reproduction.md`` next to the published value and, where the
generator plants a value that differs from the published one, the planted truth.

    .venv/bin/python scripts/reproduction.py                    # 200 seeds, all studies
    .venv/bin/python scripts/reproduction.py --seeds 20 --studies 002 003
    .venv/bin/python scripts/reproduction.py --cache /tmp/repro.jsonl   # resumable

Runs are executed in a ``multiprocessing`` pool (``--workers``, default 2), seed-major
(seed 1 of every study, then seed 2, ...), so an interrupted run leaves a comparable number
of seeds for every study. With ``--cache`` every finished run is appended to a JSON-lines
file and skipped when the script is started again; ``--render-only`` writes the document
from the cache without running anything. Warnings inside the runs are expected (Firth
refits of separated propensity models, monotone likelihoods in small cells) and suppressed;
runs that raise are counted per study and reported in the document.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "reproduction.md"
M = 30.4375  # days per month, as in the generators

SAME = "same"  # planted truth equal to the published value

Extractor = Callable[[Any, Any], float]


@dataclass(frozen=True)
class Estimate:
    """One key estimate of a study.

    ``truth`` is ``SAME`` when the generator plants the published value, a number when it
    plants a different one (a documented choice), and ``None`` when nothing is planted for
    this quantity (it emerges from the planted model).
    """

    label: str
    published: float
    extract: Extractor
    truth: float | str | None = None
    fmt: str = ".2f"
    note: str = ""


@dataclass
class Study:
    sid: str
    title: str
    estimates: list[Estimate]
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- extractors


def _row(frame: pd.DataFrame, group: str | None) -> pd.Series:
    if group is None:
        if len(frame) != 1:
            raise ValueError(f"expected one group, got {list(frame['group'])}")
        return frame.iloc[0]
    hit = frame[frame["group"].astype(str) == group]
    if len(hit) != 1:
        raise KeyError(f"group {group!r} not in {list(frame['group'].astype(str))}")
    return hit.iloc[0]


def km_median(name: str, group: str | None = None) -> Extractor:
    """KM median (months); ``inf`` when the median is not reached."""

    def f(res: Any, cohort: Any) -> float:
        value = float(_row(res.outcomes[name].median(), group)["median"])
        return math.inf if math.isnan(value) else value

    return f


def km_at(name: str, months: float, group: str | None = None) -> Extractor:
    """KM survival at ``months``, in per cent: 0 after a curve has dropped to 0 (its last
    time a death; ``at()`` leaves such a group out by default, as R does), NaN when the
    curve ends in a censoring before ``months`` (not estimable)."""

    def f(res: Any, cohort: Any) -> float:
        row = _row(res.outcomes[name].at([months], extend=True), group)
        if row["n_risk"] == 0 and row["survival"] > 0:
            return math.nan
        return 100.0 * float(row["survival"])

    return f


def km_events(name: str, group: str | None = None) -> Extractor:
    def f(res: Any, cohort: Any) -> float:
        return float(_row(res.outcomes[name].median(), group)["n_events"])

    return f


def cox_hr(name: str, term: str) -> Extractor:
    def f(res: Any, cohort: Any) -> float:
        return float(res.outcomes[name].hazard_ratios().loc[term, "hr"])

    return f


def model_hr(name: str, variable: str, which: str = "uni") -> Extractor:
    """HR of a model-building table (``which`` = ``uni`` or ``multi``)."""

    def f(res: Any, cohort: Any) -> float:
        frame = res.outcomes[name].to_frame()
        hit = frame[frame["variable"] == variable]
        if len(hit) != 1:
            raise KeyError(f"{variable!r} not in {name}")
        return float(hit.iloc[0][f"{which}_estimate"])

    return f


def logrank_p(name: str) -> Extractor:
    def f(res: Any, cohort: Any) -> float:
        return float(res.outcomes[name].p_value)

    return f


def count(name: str, measure: str = "rate", group: str | None = None) -> Extractor:
    """``x`` of a proportion / response analysis (``measure`` = ORR, PR, ...)."""

    def f(res: Any, cohort: Any) -> float:
        frame = res.outcomes[name].to_frame()
        frame = frame[frame["measure"] == measure]
        return float(_row(frame, group)["x"])

    return f


def subgroup_hr(name: str, variable: str, level: str) -> Extractor:
    def f(res: Any, cohort: Any) -> float:
        frame = res.outcomes[name].to_frame()
        hit = frame[(frame["variable"] == variable) & (frame["level"].astype(str) == level)]
        if len(hit) != 1:
            raise KeyError(f"{variable}={level} not in {name}")
        return float(hit.iloc[0]["hr"])

    return f


def toxicity_any(name: str, term: str) -> Extractor:
    def f(res: Any, cohort: Any) -> float:
        frame = res.outcomes[name].to_frame()
        return float(frame.loc[frame["term"] == term, "any_grade"].sum())

    return f


# Seed 002: PFS is computed from the canonical tables as tests/synthetic/test_seed002.py
# does (a cross-check: the spec's km_pfs gives the same median); the post-CCRT ORR has no
# column in the spec yet.


def _seed002_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    t = tables
    first = t["treatments"][t["treatments"]["treatment_number"] == 1]
    p = t["patients"].merge(t["baseline"], on="patient_id").merge(
        first[["patient_id", "start_date"]], on="patient_id")
    prog = t["events"].groupby("patient_id")["event_date"].min()
    p["prog"] = p["patient_id"].map(prog)
    end = p["prog"].where(p["prog"].notna(), p["last_followup_date"])
    p["pfs_t"] = (end - p["start_date"]).dt.days / M
    p["pfs_e"] = (p["prog"].notna() | p["death_date"].notna()).astype(int)
    p["vp34"] = p["vp_grade"].isin(["Vp3", "Vp4"])
    return p


def seed002_pfs_median(vp34_only: bool) -> Extractor:
    def f(res: Any, cohort: Any) -> float:
        from hccstudy import kaplan_meier

        p = _seed002_frame(cohort.tables)
        if vp34_only:
            p = p[p["vp34"]]
        value = float(kaplan_meier(p, "pfs_t", "pfs_e").median().iloc[0]["median"])
        return math.inf if math.isnan(value) else value

    return f


def seed002_orr_post_ccrt(res: Any, cohort: Any) -> float:
    from hccstudy.clinical.response import timepoint_responses
    from hccstudy.design.tables import side_tables

    tables = cohort.tables
    tp = timepoint_responses(side_tables(tables)["lesions"])
    labels = tables["lesions"][["patient_id", "assessment_date", "timepoint"]]
    labels = labels.drop_duplicates().rename(columns={"assessment_date": "date"})
    post = tp.merge(labels, on=["patient_id", "date"])
    post = post[post["timepoint"] == "post_ccrt"]
    return float(post["overall_response"].isin(["CR", "PR"]).sum())


# ------------------------------------------------------------------------------ studies


def _weighted_rt_hr(endpoint: str) -> float:
    """Seed 004: patient-weighted mean of the planted ECOG-specific RT log-HRs (57 ECOG
    1-2, 14 ECOG 0 patients), the docs' reading of the published univariate HR."""
    from hccstudy.synthetic import GENERATORS

    truth = GENERATORS["004"](seed=0).truth
    lo = truth[f"loghr_rt_{endpoint}_ecog_ge1"]
    l0 = truth[f"loghr_rt_{endpoint}_ecog0"]
    return float(math.exp((57 * lo + 14 * l0) / 71))


def studies() -> dict[str, Study]:
    """The estimates per study. Published values are from ../shared/studies/seed-00N.md."""
    s000 = Study("000", "HAI-CCRT vs other first treatments, 1:1 PSM (Cancer Res Treat 2016)", [
        Estimate("Median OS, CCRT (months)", 11.4, km_median("km_os", "CCRT"), fmt=".1f"),
        Estimate("Median OS, non-CCRT (months)", 6.6, km_median("km_os", "non-CCRT"), fmt=".1f"),
        Estimate("2-year OS, CCRT (%)", 27.3, km_at("km_os", 24, "CCRT"), fmt=".1f"),
        Estimate("2-year OS, non-CCRT (%)", 18.9, km_at("km_os", 24, "non-CCRT"), fmt=".1f"),
        Estimate("5-year OS, CCRT (%)", 10.4, km_at("km_os", 60, "CCRT"), fmt=".1f"),
        Estimate("5-year OS, non-CCRT (%)", 8.5, km_at("km_os", 60, "non-CCRT"), fmt=".1f"),
        Estimate("Log-rank p, OS", 0.02, logrank_p("logrank_os"), fmt=".3f"),
        Estimate("HR non-CCRT vs CCRT, univariate", 1.41,
                 model_hr("cox_table2", "non_ccrt", "uni")),
        Estimate("HR non-CCRT vs CCRT, multivariable", 1.48, cox_hr("cox_final", "non_ccrt"),
                 truth=SAME),
        Estimate("HR tumour size per cm, multivariable", 1.08,
                 cox_hr("cox_final", "tumour_size_cm"), truth=SAME),
        Estimate("HR BCLC B vs C, multivariable", 0.54, cox_hr("cox_final", "bclc_b"),
                 truth=SAME),
    ], notes=[
        "Only the three multivariable HRs are planted (a proportional-hazards model with a "
        "piecewise baseline); medians, landmark rates, the univariate HR and the log-rank p "
        "follow from it. A single PH model cannot give medians 11.4 vs 6.6, a Cox HR of "
        "1.41-1.48 *and* converging 5-year rates (10.4 % vs 8.5 %) (card §8, "
        "docs/synthetic.md): the HRs are planted, so the non-CCRT 2- and 5-year rates come "
        "out lower than published.",
        "The published BCLC B vs C HR of 0.54 is the multivariable row; the BCLC C subgroup "
        "HR printed with the same numbers is a copy error (DQ-1) and not in this table.",
        "Landmark rates are 0 on a seed where every patient of the arm died before the "
        "landmark (the non-CCRT 5-year rate on a few seeds) and not estimable where the "
        "curve ends in a censoring before it.",
    ])
    s001 = Study("001", "Patterns of failure after hepatic arterial CCRT (n = 138)", [
        Estimate("Median OS (months)", 11.1, km_median("km_os"), fmt=".1f"),
        Estimate("1-year OS (%)", 46.1, km_at("km_os", 12), fmt=".1f"),
        Estimate("2-year OS (%)", 27.9, km_at("km_os", 24), fmt=".1f"),
        Estimate("Deaths (n)", 115, count("deaths"), fmt=".0f"),
        Estimate("1-year freedom from in-field failure (%)", 72.2,
                 km_at("km_ff_infield", 12), fmt=".1f"),
        Estimate("1-year freedom from out-of-field failure (%)", 62.1,
                 km_at("km_ff_outfield", 12), fmt=".1f"),
        Estimate("1-year freedom from extrahepatic failure (%)", 56.6,
                 km_at("km_ff_extrahepatic", 12), fmt=".1f"),
        Estimate("Any failure by 3 months (n)", 47, count("fail3m_any"), fmt=".0f"),
        Estimate("Any failure, whole follow-up (n)", 106, count("fail_any"), fmt=".0f"),
        Estimate("In-field failure HR, recurrence vs primary group (multivariable)", 2.19,
                 model_hr("t3b_infield_cox", "prior_treatment", "multi"), truth=SAME),
    ], notes=[
        "The failure processes plant the multivariable HRs of Table 3b and piecewise "
        "baselines that reproduce the 3-month counts and 1-year rates; OS uses a piecewise "
        "baseline calibrated to the published landmarks with assumed covariate HRs. Only the "
        "Table 3b HR is a planted parameter; the other rows are calibration targets.",
        "Any failure over the whole follow-up: with the type-specific marginals and the "
        "published 3-month overlap the union is about 90, not 106 (docs/synthetic.md); "
        "reaching 106 would need negatively associated failure types. The type-specific "
        "targets were kept, so the published 106 lies above the seed interval.",
        "Freedom from each failure type censors deaths (DQ-1: the paper's per-type 'PFS'). "
        "The bundled cohort's 1-year in-field-free rate (64.3 %) is at the lower edge of the "
        "seed interval; the published 72.2 % is inside it.",
    ])
    s002 = Study("002", "LD-CCRT followed by sorafenib, phase 2 (n = 47)", [
        Estimate("Median OS, all (months)", 24.6, km_median("km_os"), truth=SAME, fmt=".1f"),
        Estimate("Median OS, Vp3-4 (months)", 13.0, km_median("km_os_by_vp34", "True"),
                 truth=SAME, fmt=".1f"),
        Estimate("Median PFS, all (months) [tables]", 6.8, seed002_pfs_median(False),
                 truth=SAME, fmt=".1f"),
        Estimate("Median PFS, Vp3-4 (months) [tables]", 5.6, seed002_pfs_median(True),
                 truth=SAME, fmt=".1f"),
        Estimate("Objective responses 4 weeks after CCRT (n) [tables]", 21,
                 seed002_orr_post_ccrt, truth=SAME, fmt=".0f"),
        Estimate("Best objective responses (n)", 25, count("response_best", "ORR"),
                 truth=SAME, fmt=".0f"),
        Estimate("Conversions to curative treatment (n)", 9, count("conversion"),
                 truth=SAME, fmt=".0f"),
        Estimate("Diarrhoea, any grade (n)", 17, toxicity_any("adverse_events", "diarrhea"),
                 truth=SAME, fmt=".0f"),
    ], notes=[
        "[tables]: computed from the canonical tables with the library's KM / mRECIST "
        "functions, as a cross-check of the spec (PFS: the spec's `km_pfs` analysis gives the "
        "same median on seed 0) or because the spec cannot express them yet (no post-CCRT "
        "response column; docs/synthetic.md, 'Spec gaps').",
        "Abstract only: the medians and response counts are planted in expectation (the "
        "Vp3-4 subgroup size of 19 is assumed); conversions and diarrhoea are exact counts.",
        "With n = 47 (19 in Vp3-4) the medians vary widely between seeds. The bundled cohort "
        "(seed 0) is a draw in the lower tail for OS (17.1 and 6.8 months against the "
        "published 24.6 and 13.0, near the 2.5 percentiles); no seed is chosen to hit the "
        "published values, which lie inside the seed intervals.",
    ])
    s003 = Study("003", "Salvage hepatectomy after HAIC down-staging (n = 18)", [
        Estimate("1-year OS (%)", 94.4, km_at("km_os_all", 12), truth=SAME, fmt=".1f"),
        Estimate("3-year OS (%)", 83.3, km_at("km_os_all", 36), truth=88.9, fmt=".1f"),
        Estimate("5-year OS (%)", 58.7, km_at("km_os_all", 60), fmt=".1f"),
        Estimate("1-year DFS (%)", 61.1, km_at("km_dfs_all", 12), truth=SAME, fmt=".1f"),
        Estimate("3-year DFS (%)", 33.3, km_at("km_dfs_all", 36), truth=SAME, fmt=".1f"),
        Estimate("Recurrences (n)", 14, km_events("km_dfs_all"), truth=SAME, fmt=".0f"),
        Estimate("Partial responses after HAIC (n)", 15, count("response_haic", "PR"),
                 truth=SAME, fmt=".0f"),
        Estimate("Log-rank p, OS by group", 0.001, logrank_p("logrank_os_group"), fmt=".4f",
                 note="published as p < 0.001"),
    ], notes=[
        "The generator plants the card's explicit event schedule (random times inside each "
        "interval), so the 1- and 3-year rates and the counts are identical on every seed.",
        "3-year OS: the printed overall 83.3 % contradicts the printed group rates, which give "
        "88.9 % (DQ-6); the generator follows the group rates, so the published value lies "
        "outside a zero-width interval by construction.",
        "5-year OS: with the card's schedule, 7 deaths and one censoring (group C, 46-50 "
        "months) before 60 months, the KM estimate can only be 59.5-60.6 %, depending on "
        "where the censoring falls among the deaths at 37-59 months. The published 58.7 % is "
        "not attainable with it (it would need a different censoring pattern, or the "
        "overall curve is inconsistent with the group curves as at 3 years, DQ-6).",
        "Log-rank p published as '< 0.001': 'inside' here means that the seed interval "
        "reaches below 0.001.",
    ])
    s004 = Study("004", "RT+IO+T vs IO+T, PSM sensitivity analysis (Front Oncol 2025)", [
        Estimate("Median PFS, IO+T (months)", 4.6, km_median("km_pfs", "IO+T"), fmt=".1f"),
        Estimate("Median PFS, RT+IO+T (months)", 12.6, km_median("km_pfs", "RT+IO+T"),
                 fmt=".1f"),
        Estimate("Median OS, IO+T (months)", 10.9, km_median("km_os", "IO+T"), fmt=".1f"),
        Estimate("Median OS, RT+IO+T (months)", 17.8, km_median("km_os", "RT+IO+T"),
                 fmt=".1f"),
        Estimate("HR RT+IO+T vs IO+T, PFS, univariate", 0.35, model_hr("table5_pfs", "rt"),
                 truth=_weighted_rt_hr("pfs"), note="truth: weighted planted log-HR, see notes"),
        Estimate("HR RT+IO+T vs IO+T, OS, univariate", 0.43, model_hr("table5_os", "rt"),
                 truth=_weighted_rt_hr("os"), note="as above"),
        Estimate("HR RT+IO+T vs IO+T, PFS, ECOG 1-2 subgroup", 0.47,
                 subgroup_hr("subgroups_pfs", "ecog_ge1", "True"), truth=SAME),
        Estimate("HR RT+IO+T vs IO+T, OS, ECOG 1-2 subgroup", 0.71,
                 subgroup_hr("subgroups_os", "ecog_ge1", "True"), truth=SAME),
        Estimate("HR RT+IO+T vs IO+T, PFS, PSM cohort", 0.43,
                 cox_hr("cox_pfs_matched", "C(group, treatment('IO+T'))[T.RT+IO+T]")),
        Estimate("Objective responses, RT+IO+T (n)", 20,
                 count("table3_response", "ORR", "RT+IO+T"), truth=SAME, fmt=".0f"),
    ], notes=[
        "The RT effect is planted per ECOG stratum (the card's subgroup HRs, ECOG 1-2: PFS "
        "0.47, OS 0.71; ECOG 0: 0.11, 0.07); the univariate 'truth' is their patient-weighted "
        "log-mean, which is what the published univariate HR would be without confounding. "
        "The OS HR is diluted on the synthetic cohorts because the RT arm holds more BCLC C "
        "patients (96.6 % vs 71.4 %, Table 1; DQ-6), which the published univariate HR does "
        "not show.",
        "The RT patients' event times are drawn conditionally on surviving to RT start "
        "(immortal time, DQ-21); the subgroup HRs are unadjusted within the stratum while the "
        "planted ones are conditional on treatment line, so the subgroup estimates are not "
        "exactly the planted estimand.",
        "All published values lie inside the seed intervals. The bundled cohort (seed 0) "
        "has a weaker OS effect (univariate HR 0.70) and a shorter RT-arm PFS median (7.9) "
        "than the typical seed.",
    ])
    return {s.sid: s for s in (s000, s001, s002, s003, s004)}


# --------------------------------------------------------------------------------- runs


def run_one(sid: str, seed: int) -> dict[str, Any]:
    """Generate, run and extract one (study, seed). Never raises: failures are returned."""
    out: dict[str, Any] = {"study": sid, "seed": seed, "values": {}, "error": None,
                           "extract_errors": {}}
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import hccstudy
            from hccstudy.studies import spec_path
            from hccstudy.synthetic import GENERATORS

            cohort = GENERATORS[sid](seed=seed)
            res = hccstudy.run(spec_path(sid), data=cohort.tables)
            for est in STUDIES[sid].estimates:
                try:
                    out["values"][est.label] = float(est.extract(res, cohort))
                except Exception as exc:
                    out["values"][est.label] = math.nan
                    out["extract_errors"][est.label] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc(limit=3)
    out["seconds"] = time.perf_counter() - t0
    return out


def _run_task(task: tuple[str, int]) -> dict[str, Any]:
    return run_one(*task)


def _init_worker() -> None:
    warnings.simplefilter("ignore")


def run_all(study_ids: Sequence[str], n_seeds: int, workers: int,
            cache: Path | None = None, log: Callable[[str], None] = print,
            ) -> list[dict[str, Any]]:
    """Seed 0 and seeds 1..n_seeds of every study (seed-major); resumes from ``cache``."""
    done = load_cache(cache) if cache else []
    have = {(r["study"], r["seed"]) for r in done}
    tasks = [(sid, seed) for seed in range(n_seeds + 1) for sid in study_ids
             if (sid, seed) not in have]
    log(f"{len(tasks)} runs to do ({len(have)} cached), {workers} worker(s)")
    results = [r for r in done if r["study"] in study_ids and r["seed"] <= n_seeds]
    t0 = time.perf_counter()
    sink = cache.open("a") if cache else None
    try:
        if workers <= 1:
            iterator: Iterable[dict[str, Any]] = map(_run_task, tasks)
            pool = None
        else:
            pool = mp.get_context("fork").Pool(workers, initializer=_init_worker)
            iterator = pool.imap_unordered(_run_task, tasks, chunksize=1)
        for i, r in enumerate(iterator, 1):
            results.append(r)
            if sink:
                sink.write(json.dumps(r) + "\n")
                sink.flush()
            if r["error"] or i % 25 == 0 or i == len(tasks):
                status = f" ERROR {r['error']}" if r["error"] else ""
                log(f"[{i}/{len(tasks)} {time.perf_counter() - t0:.0f}s] "
                    f"{r['study']} seed {r['seed']} {r['seconds']:.1f}s{status}")
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        if sink:
            sink.close()
    return results


def load_cache(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by an interruption
                continue
    return rows


# ------------------------------------------------------------------------------- tables


def summarise(study: Study, results: list[dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per estimate: published, truth, seed 0, percentiles over seeds >= 1, inside flags."""
    mine = [r for r in results if r["study"] == study.sid]
    seed0 = next((r for r in mine if r["seed"] == 0 and not r["error"]), None)
    others = [r for r in mine if r["seed"] > 0]
    ok = [r for r in others if not r["error"]]
    info: dict[str, Any] = {
        "n_seeds": len(others), "n_ok": len(ok), "n_failed": len(others) - len(ok),
        "seed0_failed": seed0 is None,
        "errors": sorted({r["error"] for r in mine if r["error"]}),
        "median_seconds": float(np.median([r["seconds"] for r in mine])) if mine else math.nan,
    }
    rows = []
    for est in study.estimates:
        vals = np.array([r["values"].get(est.label, math.nan) for r in ok], dtype=float)
        finite = vals[~np.isnan(vals)]
        lo, hi = (np.percentile(finite, [2.5, 97.5]) if finite.size else (math.nan, math.nan))
        truth = est.published if est.truth == SAME else est.truth
        rows.append({
            "estimate": est.label,
            "published": est.published,
            "truth": truth,
            "truth_same": est.truth == SAME,
            "seed0": seed0["values"].get(est.label, math.nan) if seed0 else math.nan,
            "p2.5": float(lo),
            "p97.5": float(hi),
            "n_values": int(finite.size),
            "n_not_reached": int(np.isinf(finite).sum()),
            "n_missing": int(vals.size - finite.size),
            "published_inside": _inside(est, est.published, lo, hi),
            "truth_inside": None if truth is None else _inside(est, float(truth), lo, hi),
            "fmt": est.fmt,
            "note": _note(est, finite),
        })
    return pd.DataFrame(rows), info


def _note(est: Estimate, finite: np.ndarray) -> str:
    if "p <" in est.note and finite.size:
        share = 100.0 * float(np.mean(finite < est.published))
        return f"{est.note}; below it in {share:.0f} % of seeds"
    return est.note


def _inside(est: Estimate, value: float, lo: float, hi: float) -> bool | None:
    if math.isnan(lo) or math.isnan(hi):
        return None
    if "p <" in est.note:  # published as a bound ("p < 0.001"): does the interval reach it?
        return bool(lo < value)
    # values printed to the estimate's precision count as equal to the published one
    digits = int(est.fmt.strip(".f") or 0)
    tol = 0.5 * 10 ** -digits
    return bool(lo - tol <= value <= hi + tol)


COLUMNS = ["Estimate", "Published", "Planted truth", "Seed 0", "2.5 %", "97.5 %",
           "Published inside?", "Truth inside?"]


def _num(value: float | None, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "NR"
    return format(value, fmt)


def _yes(flag: bool | None) -> str:
    return "–" if flag is None else ("yes" if flag else "**no**")


def markdown_table(frame: pd.DataFrame) -> str:
    """The per-study table (columns ``COLUMNS``)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in frame.to_dict("records"):
        fmt = r["fmt"]
        if r["truth"] is None:
            truth = "–"
        elif r["truth_same"]:
            truth = "= published"
        else:
            truth = _num(float(r["truth"]), fmt)
        label = r["estimate"]
        if r["note"]:
            label += f" ({r['note']})"
        if r["n_not_reached"]:
            label += f" [not reached in {r['n_not_reached']} seeds]"
        if r["n_missing"]:
            label += f" [not estimable in {r['n_missing']} seeds]"
        cells = [label, _num(float(r["published"]), fmt), truth, _num(r["seed0"], fmt),
                 _num(r["p2.5"], fmt), _num(r["p97.5"], fmt), _yes(r["published_inside"]),
                 _yes(r["truth_inside"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(results: list[dict[str, Any]], study_ids: Sequence[str], command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Reproduction of the seed studies",
        "",
        "Each table compares, for one seed study, the **published** value (the study card in "
        "`../shared/studies/seed-00N.md`), the **planted truth** of the synthetic generator "
        "where it differs from the published value (\"= published\" where the generator "
        "plants the published value; \"–\" where nothing is planted and the quantity "
        "emerges from the planted model), the estimate on the **bundled synthetic cohort** "
        "(generator seed 0, what `hccstudy demo` shows) and the **2.5 and 97.5 percentiles** "
        "of the same estimate over generator seeds 1..N (the spread due to sampling a new "
        "cohort of the published size). *Published inside?* and *truth inside?* say whether "
        "the value lies within that percentile interval (at the printed precision).",
        "",
        "All numbers come from `hccstudy.run(studies/seed_00N.yaml, data=cohort.tables)`, "
        "except the rows marked [tables] (see the study's notes). Percent rates are KM "
        "estimates; NR = median not reached. Generators plant effects and never tune a seed "
        "(see [synthetic.md](synthetic.md)); exact design counts give zero-width intervals.",
        "",
        f"Generated {now} by `{command}` (`scripts/reproduction.py`).",
        "",
        "| Study | Seeds (N) | Failed runs | Median seconds per run |",
        "|---|---|---|---|",
    ]
    tables = []
    all_studies = STUDIES
    for sid in study_ids:
        frame, info = summarise(all_studies[sid], results)
        failed = str(info["n_failed"]) + (" (+ seed 0)" if info["seed0_failed"] else "")
        parts.append(f"| {sid} | {info['n_ok']} of {info['n_seeds']} | {failed} | "
                     f"{info['median_seconds']:.1f} |")
        block = [f"## Seed {sid}: {all_studies[sid].title}", "",
                 f"Percentiles over {info['n_ok']} generator seeds "
                 f"(1..{info['n_seeds']}, {info['n_failed']} failed runs).", "",
                 markdown_table(frame), ""]
        if info["errors"]:
            block += ["Errors: " + "; ".join(f"`{e}`" for e in info["errors"][:5]), ""]
        outside = frame[frame["published_inside"] == False]  # noqa: E712
        if len(outside):
            block.append("Published value outside the seed interval: "
                         + ", ".join(outside["estimate"]) + ".")
            block.append("")
        block += [f"- {n}" for n in all_studies[sid].notes] + [""]
        tables.append("\n".join(block))
    return "\n".join(parts) + "\n\n" + "\n".join(tables)


STUDIES = studies()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200, help="generator seeds 1..N (default 200)")
    ap.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--cache", type=Path, default=None,
                    help="JSON-lines file of finished runs (appended; resumes)")
    ap.add_argument("--render-only", action="store_true",
                    help="write the document from --cache without running")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    if args.render_only:
        if args.cache is None:
            ap.error("--render-only needs --cache")
        results = [r for r in load_cache(args.cache) if r["seed"] <= args.seeds]
    else:
        results = run_all(args.studies, args.seeds, args.workers, args.cache, log)
    command = "python scripts/reproduction.py --seeds " + str(args.seeds)
    if sorted(args.studies) != sorted(STUDIES):
        command += " --studies " + " ".join(args.studies)
    args.out.write_text(render(results, args.studies, command))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
