"""Time of ``hccstudy.io.read``: per-cell typing (before) vs bulk typing (after).

Two inputs: the seed 000 demo data folder (3 CSV files, ~5,351 patients, ~40 columns) and a
generated one-row-per-patient ("wide") CSV with 1e6 rows: patients and baseline columns, a
few dates and a few odd cells (censored values, decimal commas, Excel serials, d/m/y text,
impossible dates, text in numeric columns). Both paths give identical tables and issues
(checked here too); the time spent in ``coerce_column`` is shown apart from the reading.

Run: ``.venv/bin/python benchmarks/bench_read.py [--rows 1000000] [--no-cellwise]``
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

R = importlib.import_module("hccstudy.io.read")  # hccstudy.io.read is also the function


def _timed_read(path: Path, mapping: Any, fast: bool) -> tuple[float, float, Any]:
    """(seconds in read, seconds in coerce_column, dataset)."""
    inner = R.coerce_column
    spent = [0.0]

    def coerce(*args: Any) -> Any:
        t0 = time.perf_counter()
        out = inner(*args)
        spent[0] += time.perf_counter() - t0
        return out

    R.coerce_column, R._FAST = coerce, fast
    try:
        t0 = time.perf_counter()
        ds = R.read(path, mapping)
        return time.perf_counter() - t0, spent[0], ds
    finally:
        R.coerce_column, R._FAST = inner, True


def _compare(label: str, path: Path, mapping: Any, repeats: int, cellwise: bool) -> None:
    results = {}
    for fast in ([False, True] if cellwise else [True]):
        runs = [_timed_read(path, mapping, fast) for _ in range(repeats)]
        best = min(runs, key=lambda r: r[0])
        results[fast] = best
        name = "after (bulk)    " if fast else "before (cellwise)"
        print(f"{label}: {name} read {best[0]:7.2f} s   coerce_column {best[1]:7.2f} s"
              f"   (best of {repeats})")
    if cellwise:
        a, b = results[True][2], results[False][2]
        same = a.issues == b.issues and list(a.tables) == list(b.tables)
        for t in a.tables:
            pd.testing.assert_frame_equal(a.tables[t], b.tables[t], check_exact=True)
        print(f"{label}: identical tables and issues: {same}; "
              f"read {results[False][0] / results[True][0]:.1f}x, "
              f"coerce_column {results[False][1] / results[True][1]:.1f}x faster")


def wide_csv(path: Path, n: int, seed: int = 0) -> None:
    """A wide CSV of ``n`` patients with plain cells and about 0.1% odd ones."""
    rng = np.random.default_rng(seed)
    day0 = np.datetime64("2005-01-01")
    dx = day0 + rng.integers(0, 6000, n).astype("timedelta64[D]")
    death = (dx + rng.integers(30, 3000, n).astype("timedelta64[D]")).astype(str)
    death[rng.random(n) < 0.4] = ""
    cols: dict[str, Any] = {
        "ID": np.char.add("P", np.arange(n).astype(str)),
        "Sex": rng.choice(["M", "F"], n),
        "Age": rng.integers(25, 90, n).astype(str),
        "Etiology": rng.choice(["HBV", "HCV", "alcohol", "NBNC"], n),
        "Dx date": dx.astype(str),
        "Death date": death,
        "Albumin (g/L)": rng.integers(200, 500, n).astype(str),
        "Bilirubin": np.round(rng.lognormal(0, 0.6, n), 2).astype(str),
        "INR": np.round(rng.normal(1.1, 0.15, n), 2).astype(str),
        "Platelets": rng.integers(40, 400, n).astype(str),
        "AFP": np.round(rng.lognormal(3, 2, n), 1).astype(str),
        "Tumour size cm": np.round(rng.uniform(1, 15, n), 1).astype(str),
        "ECOG": rng.integers(0, 3, n).astype(str),
        "Child-Pugh score": rng.integers(5, 10, n).astype(str),
        "PVI": rng.choice(["yes", "no"], n),
        "BCLC": rng.choice(["A", "B", "C"], n),
    }
    odd = {"Albumin (g/L)": ["<20", "35,5", "abc", "nd"],
           "Bilirubin": ["1,234.5", ">10", "\u22121", "1e999"],
           "AFP": [">1000", "1,234", "n/a", "?"],
           "ECOG": ["1.5", "x"],
           "PVI": ["maybe", "1", "Y"],
           "Dx date": ["44197", "05/01/2010", "2010-02-30", "20100105", "2010-01-05 10:00"],
           "Death date": ["31/12/2012", "unknown"]}
    for name, cells in odd.items():
        at = rng.choice(n, max(1, n // 1000), replace=False)
        arr = cols[name].astype(object)
        arr[at] = rng.choice(cells, len(at))
        cols[name] = arr
    pd.DataFrame(cols).to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the wide CSV")
    ap.add_argument("--no-cellwise", action="store_true",
                    help="skip the per-cell path on the wide CSV (minutes at 1e6 rows)")
    args = ap.parse_args()
    from hccstudy.synthetic import GENERATORS

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "seed_000" / "data"
        GENERATORS["000"](seed=0).write(folder, format="csv")
        R.read(folder, folder / "mapping.yaml")  # warm-up (imports)
        _compare("seed 000", folder, folder / "mapping.yaml", 3, True)
        wide = Path(tmp) / "wide.csv"
        t0 = time.perf_counter()
        wide_csv(wide, args.rows)
        print(f"wide CSV: {args.rows:,} rows x 16 columns, "
              f"{wide.stat().st_size / 1e6:.0f} MB written in {time.perf_counter() - t0:.1f} s")
        mapping = {"layout": "wide",
                   "columns": {"Albumin (g/L)": {"to": "albumin", "unit": "g/L"},
                               "Tumour size cm": "tumour_size_cm",
                               "Child-Pugh score": "child_pugh_score"}}
        _compare(f"wide {args.rows:,}", wide, mapping, 1, not args.no_cellwise)


if __name__ == "__main__":
    main()
