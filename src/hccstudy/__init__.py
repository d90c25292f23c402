"""hccstudy: outcomes research for liver-directed therapy of hepatocellular carcinoma.

The top-level functions are loaded lazily so that ``import hccstudy`` stays
cheap; each lives in the pipeline stage that owns it (see ``analyse/``).

Examples
--------
>>> import hccstudy
>>> d = hccstudy.datasets.load_demo()
>>> km = hccstudy.kaplan_meier(d, "os_months", "death", by="arm")
>>> sorted(km.groups)
['CCRT', 'non-CCRT']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_LAZY: dict[str, tuple[str, str | None]] = {
    "kaplan_meier": ("hccstudy.analyse.km", "kaplan_meier"),
    "logrank": ("hccstudy.analyse.logrank", "logrank"),
    "logrank_trend": ("hccstudy.analyse.logrank", "logrank_trend"),
    "pairwise_logrank": ("hccstudy.analyse.logrank", "pairwise_logrank"),
    "p_adjust": ("hccstudy.analyse.logrank", "p_adjust"),
    "cox": ("hccstudy.analyse.cox", "cox"),
    "table1": ("hccstudy.analyse.table1", "table1"),
    "cumulative_incidence": ("hccstudy.analyse.competing", "cumulative_incidence"),
    "gray_test": ("hccstudy.analyse.competing", "gray_test"),
    "fine_gray": ("hccstudy.analyse.competing", "fine_gray"),
    "logistic": ("hccstudy.analyse.logistic", "logistic"),
    "univariate": ("hccstudy.analyse.models", "univariate"),
    "backward_elimination": ("hccstudy.analyse.models", "backward_elimination"),
    "model_building": ("hccstudy.analyse.models", "model_building"),
    "subgroup_analysis": ("hccstudy.analyse.subgroups", "subgroup_analysis"),
    "response_table": ("hccstudy.analyse.response", "response_table"),
    "proportion_table": ("hccstudy.analyse.response", "proportion_table"),
    "proportion_ci": ("hccstudy.analyse.response", "proportion_ci"),
    "adverse_event_table": ("hccstudy.analyse.toxicity", "adverse_event_table"),
    "paired_comparison": ("hccstudy.analyse.paired", "paired_comparison"),
    "run": ("hccstudy.design", "run"),
    "design": ("hccstudy.design", None),
    "adjust": ("hccstudy.adjust", None),
    "io": ("hccstudy.io", None),
    "validate": ("hccstudy.validate", None),
    "registry": ("hccstudy.registry", None),
    "analyse": ("hccstudy.analyse", None),
    "clinical": ("hccstudy.clinical", None),
    "datasets": ("hccstudy.datasets", None),
    "errors": ("hccstudy.errors", None),
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy import (
        adjust,
        analyse,
        clinical,
        datasets,
        design,
        errors,
        io,
        registry,
        validate,
    )
    from hccstudy.analyse.competing import cumulative_incidence, fine_gray, gray_test
    from hccstudy.analyse.cox import cox
    from hccstudy.analyse.km import kaplan_meier
    from hccstudy.analyse.logistic import logistic
    from hccstudy.analyse.logrank import logrank, logrank_trend, p_adjust, pairwise_logrank
    from hccstudy.analyse.models import backward_elimination, model_building, univariate
    from hccstudy.analyse.paired import paired_comparison
    from hccstudy.analyse.response import proportion_ci, proportion_table, response_table
    from hccstudy.analyse.subgroups import subgroup_analysis
    from hccstudy.analyse.table1 import table1
    from hccstudy.analyse.toxicity import adverse_event_table
    from hccstudy.design.run import run


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'hccstudy' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
