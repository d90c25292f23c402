"""Jupyter display of results: ``_repr_html_`` rendering the result's report tables.

Kept outside ``analyse/`` and ``report/`` so that numerics can inherit it without
importing any formatting code: :mod:`hccstudy.report.tables` is imported only when a
notebook displays the object.
"""

from __future__ import annotations

__all__ = ["HtmlReprMixin"]


class HtmlReprMixin:
    """Adds ``_repr_html_`` (Jupyter) to a result class: its report tables as HTML.

    Slot-free, so frozen ``slots=True`` dataclasses can inherit it.

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
