"""Report: renders results as tables, figures and text. Never recomputes statistics.

* :mod:`hccstudy.report.tables`: result -> numeric frame + display frame
  (:class:`~hccstudy.report.tables.ReportTable`), a registry keyed by result class.
* :mod:`hccstudy.report.render`: HTML (self-contained), DOCX (journal style), LaTeX
  (booktabs), CSV.
* :mod:`hccstudy.report.methods`: the methods paragraph and the provenance block.
* :mod:`hccstudy.report.assemble`: :func:`~hccstudy.report.assemble.write_report`, the
  report folder of ``hccstudy run``.
* :mod:`hccstudy.report.console`: the rich console output of ``hccstudy demo``.

Importing this package is cheap (no pandas or matplotlib): result classes may inherit
:class:`HtmlReprMixin` to display as tables in Jupyter.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HtmlReprMixin", "write_report"]


class HtmlReprMixin:
    """Adds ``_repr_html_`` (Jupyter) to a result class: its report tables as HTML.

    Slot-free, so frozen ``slots=True`` dataclasses can inherit it. The formatting code is
    imported only when a notebook displays the object.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> import pandas as pd
    >>> @dataclass(frozen=True, slots=True)
    ... class Res(HtmlReprMixin):
    ...     hr: float
    ...     def to_frame(self) -> pd.DataFrame:
    ...         return pd.DataFrame({"hr": [self.hr], "ci_lower": [1.0], "ci_upper": [2.0]})
    >>> "1.50 (1.00–2.00)" in Res(1.5)._repr_html_()
    True
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        from hccstudy.report.tables import result_html

        return result_html(self)


def write_report(*args: Any, **kwargs: Any) -> Any:
    """Shortcut to :func:`hccstudy.report.assemble.write_report` (imported on first use)."""
    from hccstudy.report.assemble import write_report as _w

    return _w(*args, **kwargs)
