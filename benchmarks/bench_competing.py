"""Benchmark: Gray's test and Fine-Gray regression, hccstudy vs R cmprsk.

Run from the repository root::

    .venv/bin/python benchmarks/bench_competing.py                    # n = 1e4 and 1e5
    .venv/bin/python benchmarks/bench_competing.py --crr-r-n 2000 5000

Data: ``n`` patients, 3 groups, one normal covariate, cause 1 (hazard depending on
group and covariate), a competing cause and uniform censoring; times rounded to
0.01 (ties; ``--digits -1`` keeps them distinct, the worst case for the cumulative sums). Tasks: ``cuminc`` (CIF + Gray's test for both causes, 3 groups) and
``crr`` (cause 1 on 2 group dummies + the covariate, with the sandwich variance).
Each timing is the best of ``--repeat`` runs, wall clock, inside one process (no
start-up or data loading). R's crr is O(n^2) (crrvv's nested loops), so it runs only
for the sizes in ``--crr-r-n``. The issue's target: each task under 1 s at n = 1e5.
Ratios > 1 mean hccstudy is faster.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from hccstudy.analyse.competing import cumulative_incidence, fine_gray, gray_test


def make_data(n: int, seed: int = 1, digits: int = 2) -> pd.DataFrame:
    """Simulated competing-risk cohort."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    x = rng.normal(size=n)
    t1 = rng.exponential(1.0 / (0.1 * np.exp(0.3 * g + 0.2 * x)))
    t2 = rng.exponential(10.0, n)
    c = rng.uniform(0.0, 20.0, n)
    t = np.minimum(np.minimum(t1, t2), c)
    s = np.where(t == c, 0, np.where(t == t1, 1, 2))
    tt = np.round(t, digits) if digits >= 0 else t
    return pd.DataFrame({"time": tt, "status": s, "grp": g, "x": x})


def best(f: Callable[[], object], repeat: int) -> float:
    """Best wall-clock time of ``repeat`` runs."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        out.append(time.perf_counter() - t0)
    return min(out)


R_CODE = r"""
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); rep <- as.integer(args[2]); do_crr <- args[3] == "1"
best <- function(f) min(sapply(seq_len(rep), function(i) system.time(f())[["elapsed"]]))
tc <- best(function() cuminc(d$time, d$status, d$grp, cencode = 0))
tf <- NA
if (do_crr) {
  X <- cbind(g1 = d$grp == 1, g2 = d$grp == 2, x = d$x) * 1
  tf <- best(function() crr(d$time, d$status, X, failcode = 1, cencode = 0))
}
cat(jsonlite::toJSON(list(cuminc = tc, crr = tf), auto_unbox = TRUE, na = "null"))
"""


def run_r(d: pd.DataFrame, repeat: int, do_crr: bool) -> dict[str, float | None]:
    """Time cuminc (and crr) in R on the same data."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        d.to_csv(csv, index=False)
        script = Path(tmp) / "b.R"
        script.write_text(R_CODE)
        out = subprocess.run(["Rscript", str(script), str(csv), str(repeat),
                              "1" if do_crr else "0"], capture_output=True, text=True,
                             check=True)
    res: dict[str, float | None] = json.loads(out.stdout)
    return res


def main() -> None:
    """Run the benchmark and print a table with ratios."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--crr-r-n", type=int, nargs="*", default=[2_000, 5_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--digits", type=int, default=2,
                    help="round times to this many decimals (ties); -1: no rounding")
    ap.add_argument("--no-r", action="store_true")
    a = ap.parse_args()
    have_r = shutil.which("Rscript") is not None and not a.no_r
    sizes = sorted(set(a.n) | (set(a.crr_r_n) if have_r else set()))
    print(f"{'n':>8} {'task':<28} {'hccstudy s':>11} {'R s':>9} {'ratio':>7}")
    for n in sizes:
        d = make_data(n, digits=a.digits)
        gray_test(d, "time", "status", "grp")  # warm-up (imports)
        tasks = {
            "cuminc (CIF + Gray, 2 causes)": lambda d=d: (
                cumulative_incidence(d, "time", "status", "grp"),
                gray_test(d, "time", "status", "grp")),
            "gray_test only": lambda d=d: gray_test(d, "time", "status", "grp"),
            "crr (3 covariates)": lambda d=d: fine_gray(
                d, "C(grp) + x", time="time", status="status", cause=1),
        }
        r: dict[str, float | None] = {}
        if have_r:
            r = run_r(d, a.repeat, n in a.crr_r_n)
        ref = {"cuminc (CIF + Gray, 2 causes)": r.get("cuminc"),
               "crr (3 covariates)": r.get("crr")}
        for name, f in tasks.items():
            tp = best(f, a.repeat)
            tr = ref.get(name)
            rs = f"{tr:9.3f}" if tr is not None else f"{'-':>9}"
            ratio = f"{tr / tp:7.1f}" if tr is not None and tp > 0 else f"{'-':>7}"
            print(f"{n:>8} {name:<28} {tp:11.4f} {rs} {ratio}", flush=True)


if __name__ == "__main__":
    main()
