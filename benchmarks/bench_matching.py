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

psmpy (``pip install psmpy``; sizes in ``--psmpy-n``, default 1e4 and 1e5) runs
in a child process capped at ``--psmpy-timeout`` seconds (default 60) of psmpy
work and ``--psmpy-mem-gib`` GiB of address space (default 4), so that its
O(treated x controls) distance matrix (``KDTree.query(k = n_controls)``) cannot
exhaust a shared machine; a run past either cap is reported as "too slow" or
"out of memory". psmpy is timed doing the same task its own way, so its pairs
are not comparable 1:1 with ours: its PS model is scikit-learn's
``LogisticRegression(solver="liblinear")`` with the default L2 penalty
(``logistic_ps(balance=False)``; factors as 0/1 dummies), and its caliper is a
raw distance on the logit PS, here set to 0.2 x the SD of its own logit PS;
treated units are matched in data order, without replacement.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
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


# ----------------------------------------------------------------------------- psmpy


def psmpy_worker(src: Path, out: Path, timeout_s: int) -> None:
    """Child process: PS fit + 1:1 caliper matching with psmpy; writes a JSON result."""
    import signal

    d = pd.read_pickle(src)
    x = pd.get_dummies(d[["age", "size_cm", "stage", "t_stage", "bclc", "etiology", "pvi"]],
                       columns=["stage", "t_stage", "bclc", "etiology"], drop_first=True,
                       dtype=float)
    x.insert(0, "pid", np.arange(len(d)))
    x["treat"] = d["treat"].to_numpy()
    from psmpy import PsmPy  # imported before the clock starts (matplotlib, seaborn, sklearn)

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError

    res: dict[str, object] = {}
    t0 = t1 = float("nan")
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout_s)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            psm = PsmPy(x, treatment="treat", indx="pid", exclude=[])
            psm.logistic_ps(balance=False)
            t1 = time.perf_counter()
            lg = psm.predicted_data["propensity_logit"].to_numpy()
            caliper = 0.2 * float(np.std(lg, ddof=1))
            psm.kdtree_matched(matcher="propensity_logit", replacement=False, caliper=caliper,
                               drop_unmatched=True)
            t2 = time.perf_counter()
        res = {"status": "ok", "ps_s": t1 - t0, "match_s": t2 - t1, "caliper": caliper,
               "pairs": len(psm.matched_ids)}
    except TimeoutError:
        stage = ("in the PS fit" if np.isnan(t1) else
                 f"in the matching; its PS fit took {t1 - t0:.2f} s")
        res = {"status": f"too slow (> {timeout_s} s, stopped {stage})"}
    except MemoryError:
        res = {"status": "out of memory" + ("" if np.isnan(t1) else
                                            f" in the matching; its PS fit took {t1 - t0:.2f} s")}
    finally:
        signal.alarm(0)
    out.write_text(json.dumps(res))


def run_psmpy(d: pd.DataFrame, tmp: Path, timeout_s: int, mem_gib: float) -> dict[str, object]:
    """Run :func:`psmpy_worker` in a child with a time and an address-space cap."""
    try:
        import psmpy  # noqa: F401
    except ImportError:
        return {"status": "not installed (pip install psmpy)"}
    import resource

    src, out = tmp / "psmpy.pkl", tmp / "psmpy.json"
    d.to_pickle(src)
    limit = int(mem_gib * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    n1 = int(d["treat"].sum())
    need = 16 * n1 * (len(d) - n1) / 2**30  # float64 distances + int64 indices
    try:
        p = subprocess.run([sys.executable, __file__, "--psmpy-worker", str(src), str(out),
                            str(timeout_s)], preexec_fn=cap, capture_output=True, text=True,
                           timeout=timeout_s + 120)
    except subprocess.TimeoutExpired:
        return {"status": f"too slow (> {timeout_s} s)"}
    if out.exists():
        res: dict[str, object] = json.loads(out.read_text())
    elif "MemoryError" in p.stderr or p.returncode in (-9, 137):
        res = {"status": "out of memory"}
    else:
        res = {"status": f"failed (exit {p.returncode}): {p.stderr.strip()[-200:]}"}
    if str(res["status"]).startswith("out of memory"):
        res["status"] = (f"{res['status']} (cap {mem_gib:g} GiB; the treated x controls "
                         f"distance matrix alone needs {need:.1f} GiB)")
    return res


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--psmpy-worker":
        psmpy_worker(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--r-n", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--psmpy-n", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--psmpy-timeout", type=int, default=60,
                    help="seconds of psmpy work per size before it is reported too slow")
    ap.add_argument("--psmpy-mem-gib", type=float, default=4.0,
                    help="address-space cap of the psmpy child process")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = sorted(set(args.n) | set(args.r_n) | set(args.psmpy_n))
    ours_total: dict[int, float] = {}
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
              f"{same}", flush=True)
        ours_total[n] = sum(best)
    if not args.psmpy_n:
        return
    try:
        from importlib.metadata import version

        pv = version("psmpy")
    except Exception:  # any metadata problem: no version shown
        pv = "?"
    print(f"\npsmpy {pv}: L2-penalised liblinear PS, caliper 0.2 x SD of its logit PS as a raw "
          "distance, data order (pairs not comparable 1:1 with ours); one run each, capped at "
          f"{args.psmpy_timeout} s and {args.psmpy_mem_gib:g} GiB")
    print(f"{'n':>9} {'pairs':>7} {'ps_s':>7} {'match_s':>8} {'total_s':>8} {'ratio':>7} status")
    for n in sorted(args.psmpy_n):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_psmpy(make_data(n), Path(tmp), args.psmpy_timeout, args.psmpy_mem_gib)
        if r["status"] == "ok":
            ps_s, m_s = float(r["ps_s"]), float(r["match_s"])  # type: ignore[arg-type]
            tot = ps_s + m_s
            print(f"{n:>9} {r['pairs']:>7} {ps_s:>7.3f} {m_s:>8.3f} {tot:>8.3f} "
                  f"{tot / ours_total[n]:>7.1f} ok", flush=True)
        else:
            print(f"{n:>9} {'-':>7} {'-':>7} {'-':>8} {'-':>8} {'-':>7} {r['status']}",
                  flush=True)


if __name__ == "__main__":
    main()
