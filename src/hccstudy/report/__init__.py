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

from hccstudy._repr import HtmlReprMixin

__all__ = ["HtmlReprMixin", "write_report"]


def write_report(*args: Any, **kwargs: Any) -> Any:
    """Shortcut to :func:`hccstudy.report.assemble.write_report` (imported on first use)."""
    from hccstudy.report.assemble import write_report as _w

    return _w(*args, **kwargs)
