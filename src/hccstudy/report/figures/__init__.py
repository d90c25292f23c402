"""Publication figures from result objects (matplotlib, object-oriented API).

Every function takes a result of ``hccstudy.analyse`` / ``hccstudy.adjust`` /
``hccstudy.design`` (or the tidy frame a result documents) and returns a
:class:`matplotlib.figure.Figure`; nothing is estimated here: curves,
counts, ratios and p-values are read from the results (this package imports
the statistics modules for type hints only). Figures are built in the house
style (:mod:`hccstudy.report.style`) and written with :func:`save_figure`
as PNG (300 dpi), SVG and PDF with identical bytes on every run.

* Survival: :func:`km_figure` (numbers at risk from :func:`risk_table_counts`),
  :func:`cif_figure`, :func:`failure_type_figure`.
* Effects: :func:`forest_figure`, :func:`subgroup_forest`, :func:`cox_forest`.
* Adjustment: :func:`love_figure`, :func:`ps_overlap_figure`.
* Cohort: :func:`flow_figure`.
* Response: :func:`waterfall_figure`, :func:`swimmer_figure`.

Examples
--------
>>> import hccstudy
>>> from hccstudy.report import figures
>>> d = hccstudy.datasets.load_demo()
>>> km = hccstudy.kaplan_meier(d, "os_months", "death", by="arm")
>>> fig = figures.km_figure(km, test=hccstudy.logrank(d, "os_months", "death", "arm"))
>>> fig.axes[1].get_label()
'risk-table'
"""

from hccstudy.report.figures._common import format_p, save_figure
from hccstudy.report.figures.balance import love_figure, ps_overlap_figure
from hccstudy.report.figures.flow import flow_figure
from hccstudy.report.figures.forest import cox_forest, forest_figure, subgroup_forest
from hccstudy.report.figures.response import swimmer_figure, waterfall_figure
from hccstudy.report.figures.survival import (
    RISK_TABLE_LABEL,
    cif_figure,
    failure_type_figure,
    km_figure,
    risk_table_counts,
)

__all__ = [
    "RISK_TABLE_LABEL",
    "cif_figure",
    "cox_forest",
    "failure_type_figure",
    "flow_figure",
    "forest_figure",
    "format_p",
    "km_figure",
    "love_figure",
    "ps_overlap_figure",
    "risk_table_counts",
    "save_figure",
    "subgroup_forest",
    "swimmer_figure",
    "waterfall_figure",
]
