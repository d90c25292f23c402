"""Making groups comparable: propensity scores, matching, weighting and balance.

Pipeline: :func:`fit_propensity` -> :func:`match_propensity` (or :func:`iptw`) ->
:func:`balance`. Every function returns a frozen result holding aggregates and,
where the user needs them, row positions (never identifiers).

Examples
--------
>>> import pandas as pd
>>> from hccstudy import adjust
>>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1, 0, 0],
...                   "age": [50, 60, 65, 70, 55, 58, 62, 75, 66, 71]})
>>> ps = adjust.fit_propensity(d, "t", "age")
>>> m = adjust.match_propensity(ps, caliper=0.2)
>>> b = adjust.balance(d, "t", ["age"], m)
>>> list(b.table.columns[:3])
['mean_treated_before', 'mean_control_before', 'smd_before']
"""

from hccstudy.adjust.balance import BalanceResult, balance, covariate_matrix, ps_overlap, smd
from hccstudy.adjust.matching import (
    MatchResult,
    match_propensity,
    nearest_neighbour,
    optimal_pairs,
)
from hccstudy.adjust.propensity import (
    PropensityResult,
    TrimResult,
    fit_propensity,
    trim_common_support,
)
from hccstudy.adjust.weighting import WeightingResult, iptw, iptw_weights

__all__ = [
    "BalanceResult",
    "MatchResult",
    "PropensityResult",
    "TrimResult",
    "WeightingResult",
    "balance",
    "covariate_matrix",
    "fit_propensity",
    "iptw",
    "iptw_weights",
    "match_propensity",
    "nearest_neighbour",
    "optimal_pairs",
    "ps_overlap",
    "smd",
    "trim_common_support",
]
