"""Bundled synthetic data sets (no real patients).

``load_demo()`` returns the cohort the README's main command analyses: 212
synthetic patients shaped like the matched analysis set of seed study 000
(hepatic arterial infusion CCRT vs other first treatments for locally advanced
HCC). It is written by :func:`make_demo` with a fixed seed and shipped as CSV,
so the demo reads a file exactly as a user's analysis would.
"""

from __future__ import annotations

from hccstudy.datasets.demo import DEMO_SEED, load_demo, make_demo

__all__ = ["DEMO_SEED", "load_demo", "make_demo"]
