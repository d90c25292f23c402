"""End-to-end study timings (issue 7 targets; a benchmark, not a test).

1. ``hccstudy run`` of the seed 000 study (5,351 screened and 857 analysed patients read
   from CSV files, every table and figure) from a cold process: target <= 3 s wall. Also
   ``hccstudy demo 000`` (which generates the cohort instead of reading it), and the time
   of each stage.
2. A 1e6-patient study with eligibility, PS matching, Table 1, KM, log-rank and Cox, and the
   report tables (figures off): target <= 60 s.

Run: ``.venv/bin/python benchmarks/bench_study.py [--n 1000000]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPEC_1E6 = """
title: 1e6-patient benchmark
derived:
  - {name: size_ge5, expression: "tumour_size_cm >= 5"}
eligibility:
  - {name: adult, include_if: "age_years >= 18", reason: age under 18}
groups: {name: arm, column: arm, levels: [CCRT, non-CCRT], reference: non-CCRT}
endpoints:
  - {name: os, time: os_months, event: "death == 1"}
covariates:
  - {name: age_years, roles: [table1, propensity]}
  - {name: tumour_size_cm, roles: [table1, propensity]}
  - {name: bclc_stage, roles: [table1, propensity]}
  - {name: pvi, roles: [table1, propensity]}
  - {name: sex, roles: [table1]}
adjustment:
  method: match
  match: {ratio: 1, caliper: 0.2}
analyses:
  - {name: table1, type: table1}
  - {name: km_os, type: km, endpoint: os}
  - {name: logrank_os, type: logrank, endpoint: os}
  - {name: cox_os, type: cox, endpoint: os}
"""


def cold_seed000() -> float:
    """Wall time of ``hccstudy demo 000`` in a fresh process: generate the cohort (5,351
    screened, 857 analysed), write its CSV tables, run the spec, write the full report."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import sys, time; t = time.perf_counter();"
            "from hccstudy.cli import main; sys.argv = ['hccstudy', 'demo', '000', '-o', "
            f"{tmp!r}]; \ntry:\n main()\nexcept SystemExit:\n pass\n"
            "print(f'{time.perf_counter() - t:.2f}', file=sys.stderr)")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        return time.perf_counter() - t0


def cold_run000(jobs: int | None = None) -> float:
    """Wall time of ``hccstudy run study.yaml -o out`` in a fresh process, the literal
    issue 7 target: the seed 000 cohort is first written as CSV files with its mapping
    (not timed), and the study spec reads them (``data.path`` + ``data.mapping``)."""
    import yaml

    from hccstudy.studies import spec_path
    from hccstudy.synthetic import GENERATORS

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        GENERATORS["000"](seed=0).write(folder / "data", format="csv")
        spec = yaml.safe_load(spec_path("000").read_text(encoding="utf-8"))
        spec["data"] = {**spec.get("data", {}), "path": "data", "mapping": "data/mapping.yaml"}
        (folder / "study.yaml").write_text(yaml.safe_dump(spec, sort_keys=False),
                                           encoding="utf-8")
        cmd = [sys.executable, "-m", "hccstudy.cli", "run", str(folder / "study.yaml"),
               "-o", str(folder / "out")] + (["-j", str(jobs)] if jobs is not None else [])
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t0


_STAGES = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
marks = []
def mark(name):
    marks.append((name, time.perf_counter()))
from hccstudy.report._workers import FigureWorkers
workers = FigureWorkers.start(int(sys.argv[2]))  # as the CLI: None for one job
import numpy, pandas
mark("import numpy + pandas")
from hccstudy.analyse import _cox_fit
_cox_fit.JIT_MIN_ROWS = 50_000  # as the CLI
from hccstudy.design.run import run
from hccstudy.studies import spec_path
from hccstudy.synthetic import GENERATORS
mark("import hccstudy (design, synthetic)")
warnings.simplefilter("ignore")
cohort = GENERATORS["000"](seed=0)
cohort.write(sys.argv[1] + "/data", format="csv")
mark("generate + write the cohort")
result = run(spec_path("000"), data=cohort.tables)
mark("run the spec")
from hccstudy.report.assemble import write_report
last = ["import the report modules"]
def step(msg):
    mark("report: " + last[0]); last[0] = msg
write_report(result, sys.argv[1], progress=step, jobs=int(sys.argv[2]), workers=workers)
mark("report: " + last[0])
if workers is not None:
    workers.close()
prev = t0
out = []
for name, t in marks:
    out.append((name, round(t - prev, 3))); prev = t
print(json.dumps({"stages": out, "total": round(prev - t0, 3)}))
"""


def stages_seed000(jobs: int) -> dict:
    """Seconds per stage of the seed 000 report in a fresh process (same steps as
    ``hccstudy demo 000``, timed from the first import)."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _STAGES, tmp, str(jobs)], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def big_study(n: int) -> tuple[float, float]:
    import warnings

    import hccstudy
    from hccstudy.datasets.demo import make_demo
    from hccstudy.report.assemble import write_report

    d = make_demo(n_per_arm=n // 2, seed=1)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = hccstudy.run(SPEC_1E6, d)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_report(r, tmp, figures=False)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed000-only", action="store_true", help="skip the 1e6-patient study")
    args = ap.parse_args()
    print(f"`hccstudy run` of the seed 000 study from its CSV files, cold process (read + "
          f"run + full report): {cold_run000():.1f} s (target <= 3 s)")
    print(f"`hccstudy demo 000`, cold process (generate + run + full report): "
          f"{cold_seed000():.1f} s")
    for jobs in (1, 2):
        st = stages_seed000(jobs)
        how = ("drawn in this process" if jobs == 1 else
               "a figure process forked at start, as the CLI")
        print(f"  stages with {jobs} figure process(es) ({how}), total {st['total']:.2f} s:")
        for name, sec in st["stages"]:
            print(f"    {sec:6.2f} s  {name}")
    if args.seed000_only:
        return
    run_s, rep_s = big_study(args.n)
    print(f"{args.n:,}-patient study (PSM, Table 1, KM, log-rank, Cox): run {run_s:.1f} s, "
          f"report tables {rep_s:.1f} s, total {run_s + rep_s:.1f} s (target <= 60 s)")


if __name__ == "__main__":
    main()
