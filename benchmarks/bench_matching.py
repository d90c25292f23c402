"""Benchmark: propensity fit + 1:1 nearest-neighbour caliper matching, hccstudy vs MatchIt.

Run from the repository root::

    .venv/bin/python benchmarks/bench_matching.py                 # n = 1e5 and 1e6
    .venv/bin/python benchmarks/bench_matching.py --r-n 10000 100000

Data: ``n`` patients, 7 covariates like seed 000's PS model (age, tumour size,
TNM stage, T stage, BCLC, 3-level aetiology, PVI), about 25 % treated. The task
is what the issue times: logistic PS (IRLS) on the 7 covariates + greedy 1:1
matching without replacement on the logit PS, caliper 0.2 SD, m.order
"largest". Each timing is the best of ``--repeat`` runs, wall clock.

MatchIt: Debian's MatchIt 4.5.1 default nearest-neighbour route ignores the
caliper, so the R side times ``glm`` + ``MatchIt:::nn_matchC`` (the
caliper-respecting kernel, called as ``matchit2nearest`` would); it is
O(treated x controls), so it runs only for the sizes in ``--r-n`` (default
1e4 and 1e5). "identical" compares our matcher run on R's logit PS with
nn_matchC (the kernel identity); the share of treated units that get the same
control when each tool uses its own PS is shown too (the two PS agree to about
1e-12, which can flip near-ties between candidate controls).
Ratios > 1 mean hccstudy is faster. Peak extra memory of the Python run is
measured with ``tracemalloc`` in a separate, untimed run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from hccstudy.adjust import fit_propensity, match_propensity, nearest_neighbour

ROOT = Path(__file__).resolve().parent
RHS = "age + size_cm + C(stage) + C(t_stage) + C(bclc) + C(etiology) + pvi"


def make_data(n: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "age": rng.normal(58, 10, n).round(),
        "size_cm": rng.gamma(2.0, 3.0, n).round(1),
        "stage": rng.choice(["III", "IVA"], n, p=[0.6, 0.4]),
        "t_stage": rng.choice(["T3", "T4"], n, p=[0.5, 0.5]),
        "bclc": rng.choice(["B", "C"], n, p=[0.4, 0.6]),
        "etiology": rng.choice(["HBV", "HCV", "other"], n, p=[0.7, 0.15, 0.15]),
        "pvi": rng.binomial(1, 0.5, n),
    })
    lp = (-2.2 + 0.01 * (d["age"] - 58) + 0.05 * d["size_cm"] + 0.4 * (d["stage"] == "IVA")
          + 0.3 * (d["t_stage"] == "T4") + 0.3 * (d["bclc"] == "C")
          + 0.2 * (d["etiology"] == "HBV") + 0.6 * d["pvi"])
    d["treat"] = rng.binomial(1, 1 / (1 + np.exp(-lp)))
    return d


def run_python(d: pd.DataFrame) -> tuple[float, float, np.ndarray]:
    t0 = time.perf_counter()
    ps = fit_propensity(d, "treat", RHS)
    t1 = time.perf_counter()
    m = match_propensity(ps, caliper=0.2)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, m.matches[:, 0]


def peak_memory(d: pd.DataFrame) -> float:
    tracemalloc.start()
    run_python(d)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run_r(d: pd.DataFrame, tmp: Path) -> dict[str, object] | None:
    if shutil.which("Rscript") is None:
        return None
    csv = tmp / "data.csv"
    d.to_csv(csv, index=False)
    out = tmp / "r.json"
    subprocess.run(["Rscript", str(ROOT / "bench_matching.R"), str(csv), str(out)], check=True,
                   capture_output=True)
    with open(out) as fh:
        res: dict[str, object] = json.load(fh)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--r-n", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = sorted(set(args.n) | set(args.r_n))
    print(f"{'n':>9} {'treated':>8} {'pairs':>7} {'ps_s':>7} {'match_s':>8} {'total_s':>8} "
          f"{'peak_MiB':>9} {'R_total_s':>10} {'ratio':>7} identical")
    for n in sizes:
        d = make_data(n)
        best = (np.inf, np.inf)
        mm = np.empty(0)
        for _ in range(args.repeat):
            a, b, mm = run_python(d)
            if a + b < sum(best):
                best = (a, b)
        mem = peak_memory(d)
        r_total, ratio, same = float("nan"), float("nan"), "-"
        if n in args.r_n:
            with tempfile.TemporaryDirectory() as tmp:
                r = run_r(d, Path(tmp))
            if r is not None:
                r_total = float(r["glm_s"]) + float(r["match_s"])  # type: ignore[arg-type]
                ratio = r_total / sum(best)
                # kernel identity: our matcher on R's logit PS vs nn_matchC
                ours = nearest_neighbour(np.asarray(r["distance"], dtype=float), d["treat"].to_numpy(),
                                         caliper=0.2).matches[:, 0]
                same = str(bool(np.array_equal(np.asarray(r["matches"]), ours)))
                agree = float(np.mean(np.asarray(r["matches"]) == mm))
                same += f" ({100 * agree:.2f}% same control from our own PS)"
        print(f"{n:>9} {int(d.treat.sum()):>8} {int((mm >= 0).sum()):>7} {best[0]:>7.3f} "
              f"{best[1]:>8.3f} {sum(best):>8.3f} {mem:>9.1f} {r_total:>10.3f} {ratio:>7.1f} "
              f"{same}")


if __name__ == "__main__":
    main()
