"""Analysis types a StudySpec can name beyond KM, log-rank, Cox and Table 1.

Each module defines pydantic models (subclasses of
:class:`hccstudy.design._base.AnalysisBase` with a ``type`` literal) in ``SPECS``
and their executors ``execute(ctx: AnalysisContext, an) -> result`` in
``EXECUTORS`` (type -> function). This package collects them; the spec's
``analyses`` union and :func:`hccstudy.design.run` use the collection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["EXECUTORS", "EXTRA_ANALYSES"]

_MODULES: tuple[str, ...] = ("competing", "extras", "models", "subgroups", "response",
                             "toxicity", "paired")

EXTRA_ANALYSES: tuple[type, ...] = ()
EXECUTORS: dict[str, Callable[..., Any]] = {}


def _collect() -> None:
    import importlib

    global EXTRA_ANALYSES
    specs: list[type] = []
    for m in _MODULES:
        mod = importlib.import_module(f"hccstudy.design.analyses.{m}")
        specs.extend(mod.SPECS)
        EXECUTORS.update(mod.EXECUTORS)
    EXTRA_ANALYSES = tuple(specs)


_collect()
