"""Benchmarks: hccstudy vs lifelines vs R survival on the same seeded data.

Run from the repository root (after ``scripts/setup.sh test bench``)::

    .venv/bin/python benchmarks/run.py            # full: n = 1e3 and 1e6
    .venv/bin/python benchmarks/run.py --quick    # n = 1e3 and 1e5, a quick look

Data: ``n`` subjects, 11 covariates (6 normal, 5 binary), 4 groups, Weibull
event times with administrative and random censoring. Variant ``tied`` rounds
time to 0.1 month (heavy ties: about 600 distinct times at n = 1e6); ``untied`` keeps
continuous times. The same arrays are written as raw float64 files and read by
``benchmarks/bench.R`` when ``Rscript`` exists, so all three tools see
identical data in the same run. Each timing is the best of ``--repeat`` runs,
wall clock. Ratios > 1 mean hccstudy is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

P = 11
ROOT = Path(__file__).resolve().parent


def make_data(n: int, variant: str, seed: int = 2026) -> tuple[pd.DataFrame, list[str]]:
    """Seeded benchmark data; ``variant`` is "tied" (0.1-month grid) or "untied"."""
    rng = np.random.default_rng(seed + n)
    x_norm = rng.normal(size=(n, 6))
    x_bin = (rng.random((n, 5)) < 0.4).astype(float)
    X = np.column_stack([x_norm, x_bin])
    beta = np.array([0.3, -0.2, 0.1, 0.05, 0.0, -0.1, 0.4, -0.3, 0.2, 0.1, 0.0])
    group = rng.integers(0, 4, n).astype(float)
    lp = X @ beta + 0.15 * group
    t = 12.0 * (-np.log(rng.random(n)) * np.exp(-lp)) ** (1 / 1.2)
    c = np.minimum(rng.uniform(6, 60, n), rng.exponential(80, n))
    time_ = np.minimum(t, c)
    event = (t <= c).astype(float)
    if variant == "tied":
        time_ = np.maximum(np.round(time_, 1), 0.1)
    names = [f"x{j + 1}" for j in range(P)]
    df = pd.DataFrame(X, columns=names)
    df.insert(0, "group", group)
    df.insert(0, "event", event)
    df.insert(0, "time", time_)
    return df, names


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def ours(task: str, df: pd.DataFrame, names: list[str]) -> Callable[[], Any]:
    import hccstudy

    if task == "cox":
        formula = " + ".join(names)
        return lambda: hccstudy.cox(df, formula, time="time", event="event", ties="efron")
    if task == "km":

        def km() -> Any:
            fit = hccstudy.kaplan_meier(df, "time", "event", by="group")
            return fit.table(), fit.median()

        return km
    if task == "logrank":
        return lambda: hccstudy.logrank(df, "time", "event", by="group")
    raise ValueError(task)


def lifelines_fn(task: str, df: pd.DataFrame, names: list[str]) -> Callable[[], Any]:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    if task == "cox":
        cols = ["time", "event", *names]
        return lambda: CoxPHFitter().fit(df[cols], "time", "event")
    if task == "km":

        def km() -> Any:
            out = []
            for _, g in df.groupby("group"):
                f = KaplanMeierFitter().fit(g["time"], g["event"])
                out.append((f.survival_function_, f.confidence_interval_, f.median_survival_time_))
            return out

        return km
    if task == "logrank":
        return lambda: multivariate_logrank_test(df["time"], df["group"], df["event"])
    raise ValueError(task)


def import_overhead(repeat: int = 7) -> dict[str, float]:
    """Seconds that ``import hccstudy`` adds to ``import numpy, pandas`` (best of ``repeat``)."""

    def run(code: str) -> float:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best = min(best, time.perf_counter() - t0)
        return best

    base = run("import numpy, pandas")
    with_pkg = run("import numpy, pandas, hccstudy; hccstudy.kaplan_meier; hccstudy.cox")
    return {"numpy_pandas_s": base, "with_hccstudy_s": with_pkg, "overhead_s": with_pkg - base}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="n = 1e3 and 1e5 only")
    ap.add_argument("--sizes", default=None, help="comma-separated n, e.g. 1000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tasks", default="cox,km,logrank")
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--no-lifelines", action="store_true")
    ap.add_argument("--lifelines-max-n", type=int, default=1_000_000,
                    help="skip lifelines above this n (its Cox takes minutes at 1e6)")
    ap.add_argument("--out", default=str(ROOT / "results" / "latest.json"))
    args = ap.parse_args(argv)

    sizes = [int(float(s)) for s in args.sizes.split(",")] if args.sizes else (
        [1_000, 100_000] if args.quick else [1_000, 1_000_000])
    tasks = args.tasks.split(",")
    rscript = None if args.no_r else shutil.which("Rscript")
    have_lifelines = False
    if not args.no_lifelines:
        try:
            import lifelines  # noqa: F401

            have_lifelines = True
        except ImportError:
            print("lifelines not installed: run scripts/setup.sh test bench", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        r_keys = []
        datasets = {}
        for n in sizes:
            for variant in ("tied", "untied"):
                df, names = make_data(n, variant)
                datasets[(n, variant)] = (df, names)
                stem = Path(tmp) / f"{n}_{variant}"
                for col in ("time", "event", "group"):
                    df[col].to_numpy(np.float64).tofile(f"{stem}_{col}.bin")
                np.asfortranarray(df[names].to_numpy(np.float64)).T.tofile(f"{stem}_X.bin")
                r_keys += [f"{task}:{n}:{variant}" for task in tasks]
        (Path(tmp) / "meta.json").write_text(json.dumps({"p": P}))
        r_times: dict[str, float] = {}
        if rscript:
            print(f"R survival: {len(r_keys)} timings ...", file=sys.stderr, flush=True)
            res = subprocess.run([rscript, str(ROOT / "bench.R"), tmp, str(args.repeat), *r_keys],
                                 capture_output=True, text=True, check=True)
            r_times = json.loads(res.stdout)
        for (n, variant), (df, names) in datasets.items():
            for task in tasks:
                print(f"{task} n={n} {variant} ...", file=sys.stderr, flush=True)
                ours_fn = ours(task, df, names)
                ours_fn()  # warm-up (lazy imports)
                row: dict[str, Any] = {"task": task, "n": n, "variant": variant,
                                       "hccstudy_s": best_of(ours_fn, args.repeat)}
                if have_lifelines and n <= args.lifelines_max_n:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        reps = 1 if n >= 500_000 else args.repeat
                        row["lifelines_s"] = best_of(lifelines_fn(task, df, names), reps)
                    row["vs_lifelines"] = row["lifelines_s"] / row["hccstudy_s"]
                key = f"{task}_{n}_{variant}"
                if key in r_times:
                    row["R_s"] = r_times[key]
                    row["vs_R"] = row["R_s"] / row["hccstudy_s"]
                rows.append(row)
    imp = import_overhead()
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nimport hccstudy adds {imp['overhead_s']:.3f} s to numpy + pandas "
          f"({imp['numpy_pandas_s']:.3f} s -> {imp['with_hccstudy_s']:.3f} s)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "rows": rows, "import": imp}, indent=2))
    print(f"written {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
