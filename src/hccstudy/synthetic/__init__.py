"""Calibrated synthetic cohorts of the five seed studies (canonical raw-record tables).

``hccstudy.synthetic.seed000(seed=0)`` ... ``seed004`` return a :class:`SyntheticCohort`
whose tables follow the data model (``docs/data-dictionary.md``) and whose ``truth`` holds
the planted effects; ``studies/seed_00N.yaml`` runs each paper's analyses on it
(``hccstudy.run("studies/seed_000.yaml", data=seed000().tables)``). See
``docs/synthetic.md`` for what is planted and the calibration choices.

Examples
--------
>>> from hccstudy.synthetic import seed004
>>> seed004(seed=0).study
'seed-004'
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from hccstudy.synthetic._common import SyntheticCohort, read_cohort

__all__ = ["GENERATORS", "SyntheticCohort", "read_cohort"]

GENERATORS: dict[str, Callable[..., SyntheticCohort]] = {}
"""Study label (``"000"`` ...) -> generator, for the generators present."""


def _bind() -> None:
    # The generator functions shadow their modules' names in this package, so
    # ``from hccstudy.synthetic import seed000`` gives the function.
    for name in ("seed000", "seed001", "seed002", "seed003", "seed004"):
        modname = f"hccstudy.synthetic.{name}"
        try:
            fn: Any = getattr(import_module(modname), name)
        except ModuleNotFoundError as e:  # a generator not written yet
            if e.name == modname:
                continue
            raise
        globals()[name] = fn
        __all__.append(name)
        GENERATORS[name.removeprefix("seed")] = fn


_bind()
