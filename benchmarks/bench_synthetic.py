"""Time of each synthetic cohort generator (target: well under 1 s each).

Run: ``.venv/bin/python benchmarks/bench_synthetic.py``
"""

from __future__ import annotations

import time

from hccstudy.synthetic import GENERATORS


def main() -> None:
    for name, gen in sorted(GENERATORS.items()):
        gen(seed=0)  # warm-up (imports)
        best = min(_timed(gen) for _ in range(3))
        print(f"seed {name}: {best:.3f} s (best of 3)")


def _timed(gen: object) -> float:
    t0 = time.perf_counter()
    gen(seed=1)  # type: ignore[operator]
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
